//! The terminal report: inputs, then per session a phase-by-phase timeline, then the likely
//! fault with its evidence and fix, then what else was noticed.

use super::{Evidence, PhaseResult, Report, Severity, Status};
use std::fmt::Write;

fn mark(s: Status) -> &'static str {
    match s {
        Status::Ok => "✔",
        Status::Failed => "✘",
        Status::NotReached => "·",
        Status::NotObserved => "?",
        Status::Inconclusive => "~",
    }
}

/// Control characters from inputs never reach the terminal as such.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

/// `HH:MM:SS` out of an RFC 3339 timestamp.
fn clock(ts: &str) -> &str {
    ts.get(11..19).unwrap_or(ts)
}

fn phase_lines(out: &mut String, phases: &[PhaseResult]) {
    for p in phases {
        let summary = if p.summary.is_empty() {
            p.status.name().replace('_', " ")
        } else {
            clean(&p.summary)
        };
        let _ = writeln!(out, "  {} {:<13} {summary}", mark(p.status), p.phase.name());
    }
}

fn evidence_line(out: &mut String, label: &str, e: &Evidence) {
    let _ = writeln!(
        out,
        "  {label:<9} {} frame {} ({}): {}",
        clean(&e.input),
        e.frame,
        clean(&e.filter),
        clean(&e.note)
    );
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for input in &report.inputs {
        if let Some(err) = &input.error {
            let _ = writeln!(out, "{}: {}", clean(&input.path), clean(err));
            continue;
        }
        match &input.capture {
            Some(c) => {
                let span = match (c.first_ts, c.last_ts) {
                    (Some(a), Some(b)) => format!(
                        ", {}–{} UTC",
                        crate::time::format_clock(a),
                        crate::time::format_clock(b)
                    ),
                    _ => String::new(),
                };
                let _ = writeln!(
                    out,
                    "{}: {} frames{span}, {}, {}",
                    clean(&input.path),
                    c.frames,
                    c.format.map(|f| f.name()).unwrap_or("capture"),
                    c.link_types.join("+")
                );
            }
            None => {
                let _ = writeln!(out, "{}: not a capture, skipped", clean(&input.path));
            }
        }
        for a in &input.anomalies {
            let _ = writeln!(out, "  ! {}", clean(a));
        }
    }
    for s in &report.sessions {
        let domain = s
            .domain
            .as_deref()
            .map(|d| format!(", domain {}", clean(d)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "\nsession {}: client {}{domain}, {}–{} UTC",
            s.id,
            s.client,
            clock(&s.start),
            clock(&s.end)
        );
        phase_lines(&mut out, &s.phases);
        if report.sessions.len() > 1 {
            let v = &s.verdict;
            let _ = writeln!(out, "  → {}", v.fault.as_deref().unwrap_or(v.status.name()));
        }
    }
    if report.sessions.is_empty() {
        out.push('\n');
        phase_lines(&mut out, &report.phases);
    }
    let v = &report.verdict;
    out.push('\n');
    match &v.fault {
        Some(fault) => {
            let _ = writeln!(out, "Likely fault: {fault} — {}", clean(&v.summary));
            for (i, e) in v.evidence.iter().enumerate() {
                evidence_line(&mut out, if i == 0 { "evidence:" } else { "" }, e);
            }
            if let Some(fix) = &v.fix {
                let _ = writeln!(out, "  fix:      {fix}");
            }
        }
        None => {
            let _ = writeln!(out, "Verdict: {} — {}", v.status.name(), clean(&v.summary));
        }
    }
    let notes: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Fault)
        .collect();
    if !notes.is_empty() {
        out.push('\n');
        for f in notes {
            let tag = if f.severity == Severity::Warning {
                "warning"
            } else {
                "note"
            };
            let _ = writeln!(out, "{tag}: {} — {}", f.id, clean(&f.summary));
            if let Some(e) = f.evidence.first() {
                evidence_line(&mut out, "", e);
            }
        }
    }
    out
}
