//! Batch triage: many cases in, one row each (its verdict), then counts per fault, phase,
//! Expressway host and week. A case is a file, or a folder of files that sit together.

use crate::analyze;
use crate::logs::signatures::Catalog;
use crate::report::Report;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub case: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub client: Option<String>,
    pub domain: Option<String>,
    pub status: String,
    pub phase: Option<String>,
    pub fault: Option<String>,
    pub evidence: Option<String>,
    pub hosts: Vec<String>,
    pub error: Option<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub cases: usize,
    pub with_fault: usize,
    pub unreadable: usize,
    pub by_fault: BTreeMap<String, usize>,
    pub by_phase: BTreeMap<String, usize>,
    pub by_host: BTreeMap<String, usize>,
    pub by_week: BTreeMap<String, usize>,
}

/// The cases under the given paths: files given are cases; a folder holding only files is
/// one case; a folder with subfolders yields its loose files and its subfolders as cases.
pub fn cases(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        collect(p, &mut out, 0);
    }
    out
}

fn collect(p: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    if !p.is_dir() || depth > 16 {
        out.push(p.to_path_buf());
        return;
    }
    let mut children: Vec<PathBuf> = match std::fs::read_dir(p) {
        Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(_) => return out.push(p.to_path_buf()),
    };
    children.sort();
    if children.iter().all(|c| !c.is_dir()) {
        out.push(p.to_path_buf());
    } else {
        for c in children {
            collect(&c, out, depth + 1);
        }
    }
}

pub fn analyze_case(case: &Path, catalog: &Catalog, tz: Option<&jiff::tz::TimeZone>) -> Row {
    let mut decoded = analyze::decode_inputs(std::slice::from_ref(&case.to_path_buf()), catalog);
    if let Some(tz) = tz {
        analyze::apply_timezone(&mut decoded, tz);
    }
    let readable = analyze::any_readable(&decoded);
    let errors: Vec<String> = decoded
        .iter()
        .flat_map(|d| {
            d.input
                .error
                .iter()
                .chain(&d.input.anomalies)
                .map(|e| format!("{}: {e}", d.input.path))
        })
        .collect();
    let report = analyze::report(decoded, catalog, &[]);
    row(case, &report, readable, errors)
}

fn row(case: &Path, report: &Report, readable: bool, errors: Vec<String>) -> Row {
    let v = &report.verdict;
    let last = report.sessions.last();
    let mut hosts: Vec<String> = report
        .inputs
        .iter()
        .filter_map(|i| i.log.as_ref())
        .flat_map(|l| l.hosts.iter().cloned())
        .collect();
    hosts.sort();
    hosts.dedup();
    // The telling piece: a log line when there is one, else the capture's last step (the
    // alert, the reset), not its first (the ClientHello).
    let telling = v
        .evidence
        .iter()
        .find(|e| e.line.is_some())
        .or(v.evidence.last());
    let evidence = telling.map(|e| match (e.frame, e.line) {
        (Some(f), _) => format!("{} frame {f}: {}", e.input, e.note),
        (None, Some(l)) => format!("{}:{l}: {}", e.input, e.note),
        _ => e.note.clone(),
    });
    Row {
        case: case.display().to_string(),
        start: last.map(|s| s.start.clone()),
        end: last.map(|s| s.end.clone()),
        client: last.map(|s| s.client.clone()),
        domain: last.and_then(|s| s.domain.clone()),
        status: if readable {
            v.status.name().to_string()
        } else {
            "unreadable".into()
        },
        phase: v.phase.map(|p| p.name().to_string()),
        fault: v.fault.clone(),
        evidence,
        hosts,
        error: (!readable)
            .then(|| errors.join("; "))
            .filter(|e| !e.is_empty())
            .or_else(|| (!readable).then(|| "nothing readable".into())),
    }
}

/// Analyse every case, in parallel, results in case order whatever the thread count; a
/// progress bar on standard error when it is a terminal (and `progress` is asked for).
pub fn run(
    cases: &[PathBuf],
    catalog: &Catalog,
    tz: Option<&jiff::tz::TimeZone>,
    progress: bool,
) -> Vec<Row> {
    use indicatif::{ParallelProgressIterator, ProgressBar, ProgressDrawTarget, ProgressStyle};
    use std::io::IsTerminal;
    let bar = if progress && std::io::stderr().is_terminal() {
        ProgressBar::with_draw_target(Some(cases.len() as u64), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} cases {elapsed_precise} (eta {eta})")
    {
        bar.set_style(style);
    }
    let rows = cases
        .par_iter()
        .progress_with(bar.clone())
        .map(|c| analyze_case(c, catalog, tz))
        .collect();
    bar.finish_and_clear();
    rows
}

pub fn summarize(rows: &[Row]) -> Summary {
    let mut s = Summary {
        cases: rows.len(),
        ..Default::default()
    };
    for r in rows {
        if r.status == "unreadable" {
            s.unreadable += 1;
        }
        if let Some(f) = &r.fault {
            s.with_fault += 1;
            *s.by_fault.entry(f.clone()).or_default() += 1;
            if let Some(p) = &r.phase {
                *s.by_phase.entry(p.clone()).or_default() += 1;
            }
            for h in &r.hosts {
                *s.by_host.entry(h.clone()).or_default() += 1;
            }
            if let Some(week) = r.start.as_deref().and_then(iso_week) {
                *s.by_week.entry(week).or_default() += 1;
            }
        }
    }
    s
}

/// `2026-W48` for an RFC 3339 timestamp.
fn iso_week(ts: &str) -> Option<String> {
    let t: jiff::Timestamp = ts.parse().ok()?;
    let date = t.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    let w = date.iso_week_date();
    Some(format!("{}-W{:02}", w.year(), w.week()))
}

fn cell(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("-")
}

pub fn render_table(rows: &[Row], summary: &Summary) -> String {
    let mut out = String::new();
    let width = rows
        .iter()
        .map(|r| r.case.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 60);
    out += &format!(
        "{:<width$}  {:<12}  {:<36}  {:<20}  {}\n",
        "case", "status", "fault", "start", "evidence"
    );
    for r in rows {
        let fault = r
            .fault
            .clone()
            .or_else(|| r.error.clone())
            .unwrap_or_else(|| "-".into());
        let start = r
            .start
            .as_deref()
            .map(|s| s.get(..19).unwrap_or(s))
            .unwrap_or("-");
        let case: String = r
            .case
            .chars()
            .rev()
            .take(width)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        out += &format!(
            "{case:<width$}  {:<12}  {:<36}  {start:<20}  {}\n",
            r.status,
            fault,
            cell(&r.evidence)
                .chars()
                .filter(|c| !c.is_control())
                .collect::<String>()
        );
    }
    out += &format!(
        "\n{} cases, {} with a fault, {} unreadable\n",
        summary.cases, summary.with_fault, summary.unreadable
    );
    for (title, map) in [
        ("fault", &summary.by_fault),
        ("phase", &summary.by_phase),
        ("Expressway host", &summary.by_host),
        ("week", &summary.by_week),
    ] {
        if map.is_empty() {
            continue;
        }
        out += &format!("\nby {title}:\n");
        let mut entries: Vec<_> = map.iter().collect();
        entries.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (k, n) in entries {
            out += &format!("  {n:>6}  {k}\n");
        }
    }
    out
}

pub fn render_jsonl(rows: &[Row], summary: &Summary) -> String {
    let mut out = String::new();
    for r in rows {
        out += &serde_json::to_string(r).expect("row serializes");
        out.push('\n');
    }
    out += &serde_json::to_string(&serde_json::json!({ "summary": summary }))
        .expect("summary serializes");
    out.push('\n');
    out
}

pub fn render_csv(rows: &[Row]) -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut out =
        String::from("case,start,end,client,domain,status,phase,fault,evidence,hosts,error\n");
    for r in rows {
        let cols = [
            r.case.clone(),
            cell(&r.start).into(),
            cell(&r.end).into(),
            cell(&r.client).into(),
            cell(&r.domain).into(),
            r.status.clone(),
            cell(&r.phase).into(),
            cell(&r.fault).into(),
            cell(&r.evidence).into(),
            r.hosts.join(" "),
            cell(&r.error).into(),
        ];
        out += &cols.iter().map(|c| quote(c)).collect::<Vec<_>>().join(",");
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_weeks() {
        assert_eq!(
            iso_week("2026-11-26T14:17:39.000000Z").as_deref(),
            Some("2026-W48")
        );
        assert_eq!(
            iso_week("2027-01-01T00:00:00Z").as_deref(),
            Some("2026-W53")
        );
        assert_eq!(iso_week("unknown"), None);
    }

    #[test]
    fn csv_quotes_everything() {
        let row = Row {
            case: "a,\"b\"".into(),
            start: None,
            end: None,
            client: None,
            domain: None,
            status: "ok".into(),
            phase: None,
            fault: None,
            evidence: None,
            hosts: vec![],
            error: None,
        };
        assert!(
            render_csv(&[row])
                .lines()
                .nth(1)
                .unwrap()
                .starts_with("\"a,\"\"b\"\"\"")
        );
    }
}
