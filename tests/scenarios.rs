//! Every folder in `samples/` holds an input, a README and an `expect.toml` saying what an
//! MRA engineer concludes from it. One generic test runs the whole pipeline on each folder and
//! checks the verdict, every phase's status, the evidence frames, findings and input facts.

mod common;

use mradiag::analyze;
use mradiag::logs::signatures::Catalog;
use mradiag::report::Report;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    verdict: String,
    fault: String,
    phases: BTreeMap<String, String>,
    #[serde(default)]
    evidence: Vec<ExpectEvidence>,
    /// Findings by id, or `id: text` with text their summary must hold.
    #[serde(default)]
    findings: Vec<String>,
    sessions: Option<usize>,
    first_session_fault: Option<String>,
    input_anomaly: Option<String>,
    link_types: Option<Vec<String>>,
    /// The last session's failed ladder steps, in order, as `from > to: label`.
    failed_steps: Option<Vec<String>>,
    /// The verdict's session's ladder (else the last's) draws steps whose labels hold these
    /// texts in this order, as `from > to: text`.
    ladder_order: Option<Vec<String>>,
    /// What the ladder says of its clock holds each of these texts.
    #[serde(default)]
    ladder_clock: Vec<String>,
    /// The ticket's focus, as `--user` (repeatable), `--at` and `--tz` give it, and
    /// Expressway-E as `--edge` names it (read by
    /// `common::sample_options`; named here so that no other key slips through).
    #[serde(default)]
    #[allow(dead_code)]
    user: Vec<String>,
    #[allow(dead_code)]
    at: Option<String>,
    #[allow(dead_code)]
    tz: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    edge: Vec<String>,
    /// The verdict's summary starts with (whose sign-in), or holds, this text.
    summary_starts: Option<String>,
    summary_contains: Option<String>,
    /// The users table's failing rows (not recovered), as `who fault`, in table order.
    failing: Option<Vec<String>>,
    /// Rows recovered after a failure, as `who fault`.
    recovered: Option<Vec<String>>,
    /// The focus summary holds this text.
    focus_contains: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectEvidence {
    /// A capture frame, or a log line (with the log's name), must be cited.
    frame: Option<u64>,
    line: Option<u64>,
    input_contains: Option<String>,
    note_contains: String,
}

fn name(v: &impl serde::Serialize) -> String {
    serde_json::to_value(v)
        .unwrap()
        .as_str()
        .unwrap_or("null")
        .to_string()
}

fn check(dir: &Path, expect: &Expect, report: &Report) -> Vec<String> {
    let mut problems = Vec::new();
    let v = &report.verdict;
    if name(&v.status) != expect.verdict {
        problems.push(format!(
            "verdict {} (expected {})",
            name(&v.status),
            expect.verdict
        ));
    }
    let fault = v.fault.clone().unwrap_or_else(|| "none".into());
    if fault != expect.fault {
        problems.push(format!("fault {fault} (expected {})", expect.fault));
    }
    for p in &report.phases {
        let phase = name(&p.phase);
        let want = expect
            .phases
            .get(&phase)
            .map(String::as_str)
            .unwrap_or("(missing in expect.toml)");
        if name(&p.status) != want {
            problems.push(format!(
                "phase {phase}: {} (expected {want}) — {}",
                name(&p.status),
                p.summary
            ));
        }
    }
    for e in &expect.evidence {
        let found = v.evidence.iter().any(|got| {
            got.frame == e.frame
                && got.line == e.line
                && got.note.contains(&e.note_contains)
                && e.input_contains
                    .as_ref()
                    .is_none_or(|i| got.input.contains(i))
        });
        if !found {
            let cited: Vec<String> = v
                .evidence
                .iter()
                .map(|g| format!("{}:{:?}/{:?}: {}", g.input, g.frame, g.line, g.note))
                .collect();
            problems.push(format!(
                "no evidence at frame {:?} / line {:?} mentioning '{}'; cited: {cited:?}",
                e.frame, e.line, e.note_contains
            ));
        }
    }
    // `id`, or `id: text` when the summary must also say `text`.
    for f in &expect.findings {
        let (id, text) = f.split_once(": ").unwrap_or((f, ""));
        if !report
            .findings
            .iter()
            .any(|got| got.id == id && got.summary.contains(text))
        {
            problems.push(format!("finding {f} missing"));
        }
    }
    if let Some(n) = expect.sessions
        && report.sessions.len() != n
    {
        problems.push(format!("{} sessions (expected {n})", report.sessions.len()));
    }
    if let Some(f) = &expect.first_session_fault {
        let got = report
            .sessions
            .first()
            .and_then(|s| s.verdict.fault.clone())
            .unwrap_or_default();
        if &got != f {
            problems.push(format!("first session fault {got} (expected {f})"));
        }
    }
    let captures: Vec<_> = report
        .inputs
        .iter()
        .filter(|i| i.capture.is_some())
        .collect();
    let logs_with_hits = report
        .inputs
        .iter()
        .any(|i| i.log.as_ref().is_some_and(|l| l.signatures > 0));
    if captures.is_empty() && !logs_with_hits {
        problems.push(format!(
            "neither a capture nor a log with signatures read in {}",
            dir.display()
        ));
    }
    if let Some(text) = &expect.input_anomaly
        && !captures
            .iter()
            .any(|i| i.anomalies.iter().any(|a| a.contains(text)))
    {
        problems.push(format!("no input anomaly mentioning '{text}'"));
    }
    if let Some(lts) = &expect.link_types {
        for i in &captures {
            let got = &i.capture.as_ref().unwrap().link_types;
            if got != lts {
                problems.push(format!("link types {got:?} (expected {lts:?})"));
            }
        }
    }
    if let Some(session) = report.sessions.last() {
        // In order on the ladder's one clock (a log's logged time plus its correction).
        let times: Vec<i64> = session.ladder.iter().map(|s| s.axis_ns).collect();
        if session.ladder.is_empty() || !times.is_sorted() {
            problems.push(format!("ladder empty or out of time order: {times:?}"));
        }
    }
    if let Some(want) = &expect.summary_starts
        && !v.summary.starts_with(want.as_str())
    {
        problems.push(format!(
            "summary {:?} does not start with {want:?}",
            v.summary
        ));
    }
    if let Some(want) = &expect.summary_contains
        && !v.summary.contains(want.as_str())
    {
        problems.push(format!("summary {:?} does not hold {want:?}", v.summary));
    }
    let rows = |recovered: bool| -> Vec<String> {
        report
            .users
            .iter()
            .filter(|r| {
                if recovered {
                    r.recovered_from.is_some()
                } else {
                    r.failing
                }
            })
            .map(|r| {
                let fault = if recovered {
                    r.recovered_from.clone()
                } else {
                    r.fault.clone()
                };
                format!("{} {}", r.who, fault.unwrap_or_default())
            })
            .collect()
    };
    if let Some(want) = &expect.failing
        && &rows(false) != want
    {
        problems.push(format!(
            "failing users {:?} (expected {want:?})",
            rows(false)
        ));
    }
    if let Some(want) = &expect.recovered
        && &rows(true) != want
    {
        problems.push(format!(
            "recovered users {:?} (expected {want:?})",
            rows(true)
        ));
    }
    if let Some(want) = &expect.focus_contains {
        let got = report
            .focus
            .as_ref()
            .map(|f| f.summary.clone())
            .unwrap_or_default();
        if !got.contains(want.as_str()) {
            problems.push(format!("focus {got:?} does not hold {want:?}"));
        }
    }
    let judged = v
        .session
        .and_then(|id| report.sessions.iter().find(|s| s.id == id))
        .or(report.sessions.last());
    if let Some(want) = &expect.ladder_order {
        let steps: Vec<String> = judged
            .map(|s| {
                s.ladder
                    .iter()
                    .map(|st| format!("{} > {}: {}", name(&st.from), name(&st.to), st.label))
                    .collect()
            })
            .unwrap_or_default();
        let mut rest = steps.iter();
        for text in want {
            let (route, label) = text.split_once(": ").unwrap_or(("", text));
            if !rest
                .by_ref()
                .any(|st| st.starts_with(route) && st.contains(label))
            {
                problems.push(format!(
                    "ladder has no {text:?} after the steps before it: {steps:#?}"
                ));
                break;
            }
        }
    }
    for want in &expect.ladder_clock {
        let said = judged
            .map(|s| s.ladder_clock.join(" | "))
            .unwrap_or_default();
        if !said.contains(want.as_str()) {
            problems.push(format!("the ladder's clock says {said:?}, not {want:?}"));
        }
    }
    if let Some(want) = &expect.failed_steps {
        let got: Vec<String> = report
            .sessions
            .last()
            .map(|s| {
                s.ladder
                    .iter()
                    .filter(|st| st.failed)
                    .map(|st| format!("{} > {}: {}", name(&st.from), name(&st.to), st.label))
                    .collect()
            })
            .unwrap_or_default();
        if &got != want {
            problems.push(format!("failed ladder steps {got:?} (expected {want:?})"));
        }
    }
    problems
}

#[test]
fn every_sample_gets_its_expected_verdict() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expect.toml").exists())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 20, "only {} scenario folders", dirs.len());
    let mut failures = Vec::new();
    for dir in &dirs {
        let expect: Expect =
            toml::from_str(&std::fs::read_to_string(dir.join("expect.toml")).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        assert!(
            dir.join("README.md").exists(),
            "{} has no README.md",
            dir.display()
        );
        let report = analyze::judge(
            analyze::decode_inputs(std::slice::from_ref(dir), Catalog::builtin()),
            Catalog::builtin(),
            &common::sample_options(dir),
        );
        for p in check(dir, &expect, &report) {
            failures.push(format!(
                "{}: {p}",
                dir.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn json_report_is_byte_identical_across_runs_and_thread_counts() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            analyze::judge(
                analyze::decode_inputs(std::slice::from_ref(&root), Catalog::builtin()),
                Catalog::builtin(),
                &Default::default(),
            )
            .to_json()
        })
    };
    let one = run(1);
    assert_eq!(one, run(4));
    assert_eq!(one, run(1));
}
