//! Real log lines from public sources (`tests/real-lines/lines.toml`, each with its source),
//! and what mradiag must say of each: the phase, the fault, or that it is no MRA failure.
//! The catalog's own examples do not count here: these are lines it was not written from.

use mradiag::logs::signatures::Catalog;
use mradiag::model::{EventKind, Severity};
use serde::Deserialize;
use std::collections::BTreeSet;

#[derive(Deserialize)]
struct File {
    source: Vec<Source>,
    line: Vec<Line>,
}

#[derive(Deserialize)]
struct Source {
    id: String,
    title: String,
    url: String,
}

#[derive(Deserialize)]
struct Line {
    source: String,
    text: String,
    phase: String,
    fault: String,
    severity: String,
}

fn load() -> File {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/real-lines/lines.toml");
    toml::from_str(&std::fs::read_to_string(path).expect("lines.toml")).expect("lines.toml parses")
}

/// What the decoder says of one line: its strongest hit's (severity, phase, fault).
fn verdict(text: &str) -> Option<(Severity, String, String)> {
    let decoded = mradiag::logs::decode(format!("{text}\n").as_bytes(), Catalog::builtin());
    decoded
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::LogSignature {
                severity,
                phase,
                fault,
                ..
            } => Some((
                *severity,
                phase.name().to_string(),
                fault.as_deref().unwrap_or_default().to_string(),
            )),
            _ => None,
        })
        .max_by_key(|(s, _, f)| (*s, !f.is_empty()))
}

#[test]
fn every_source_is_named_with_an_address_and_used() {
    let file = load();
    let ids: BTreeSet<&str> = file.source.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids.len(), file.source.len(), "a source id appears twice");
    for s in &file.source {
        assert!(
            s.url.starts_with("https://") && !s.title.is_empty(),
            "{}",
            s.id
        );
        assert!(
            file.line.iter().any(|l| l.source == s.id),
            "{}: no line from it",
            s.id
        );
    }
    for l in &file.line {
        assert!(
            ids.contains(l.source.as_str()),
            "unknown source {}",
            l.source
        );
    }
}

#[test]
fn real_lines_are_read_as_their_sources_say() {
    let file = load();
    let examples: BTreeSet<String> = Catalog::builtin()
        .signatures
        .iter()
        .map(|s| s.example.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let mut wrong = Vec::new();
    let mut new_lines = 0;
    let mut new_failures = 0;
    let mut new_sources = BTreeSet::new();
    for l in &file.line {
        let got = verdict(&l.text);
        let ok = match (l.severity.as_str(), &got) {
            // Nothing may be claimed: no fault, no warning (a note is fine).
            ("none", None) => true,
            ("none", Some((s, ..))) => *s == Severity::Info,
            ("warning", Some((Severity::Warning, phase, _))) => *phase == l.phase,
            ("fault", Some((Severity::Fault, phase, fault))) => {
                *phase == l.phase && *fault == l.fault
            }
            _ => false,
        };
        if !ok {
            wrong.push(format!(
                "[{}] expected {} {} {:?}, got {:?}\n    {}",
                l.source, l.severity, l.phase, l.fault, got, l.text
            ));
        }
        if !examples.contains(&l.text.split_whitespace().collect::<Vec<_>>().join(" ")) {
            new_lines += 1;
            new_failures += usize::from(l.severity != "none");
            new_sources.insert(l.source.as_str());
        }
    }
    eprintln!(
        "{} real lines, {new_lines} of them not catalog examples ({new_failures} failure lines, the rest healthy or not MRA), from {} sources",
        file.line.len(),
        new_sources.len()
    );
    assert!(
        wrong.is_empty(),
        "{} of {} real lines read wrong:\n{}",
        wrong.len(),
        file.line.len(),
        wrong.join("\n")
    );
}
