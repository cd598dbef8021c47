//! The terminal report: inputs, then per session a phase-by-phase timeline, then the likely
//! fault with its evidence and fix, then what else was noticed.

use super::{
    Evidence, FAILED_SHOWN, NOTES_SHOWN, PhaseResult, Report, SESSIONS_SHOWN, Severity, Status,
};
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
/// `HH:MM:SS` out of an RFC 3339 timestamp.
fn clock(ts: &str) -> &str {
    ts.get(11..19).unwrap_or(ts)
}

fn phase_lines(out: &mut String, phases: &[PhaseResult], color: bool) {
    for p in phases {
        let summary = if p.summary.is_empty() {
            p.status.name().replace('_', " ")
        } else {
            p.summary.to_string()
        };
        let _ = writeln!(
            out,
            "  {} {:<13} {summary}",
            paint(color, mark_colour(p.status), mark(p.status)),
            p.phase.name()
        );
    }
}

fn evidence_line(out: &mut String, label: &str, e: &Evidence) {
    let place = e.location();
    let _ = writeln!(out, "  {label:<9} {place}: {}", e.note);
    if let Some(x) = &e.excerpt {
        let _ = writeln!(out, "            │ {x}");
    }
}

pub fn render(report: &Report) -> String {
    render_with(report, false)
}

use crate::terminal::{Tone, paint};

/// Green ok, red failed, yellow inconclusive, faint the rest.
fn mark_colour(s: Status) -> Tone {
    match s {
        Status::Ok => Tone::Good,
        Status::Failed => Tone::Bad,
        Status::Inconclusive => Tone::Doubt,
        _ => Tone::Faint,
    }
}

/// The one line that says it all (for `--quiet`).
pub fn verdict_line(report: &Report) -> String {
    use crate::text::safe;
    // Two strings escaped, not the whole report copied.
    let v = &report.verdict;
    match &v.fault {
        Some(fault) => format!("{} — {}\n", safe(fault), safe(&v.summary)),
        None => format!("{} — {}\n", v.status.name(), safe(&v.summary)),
    }
}

/// The report for a terminal, its input-derived text escaped first (`Report::made_safe`).
pub fn render_with(report: &Report, color: bool) -> String {
    let report = &report.made_safe();
    let mut out = String::new();
    for input in &report.inputs {
        if let Some(err) = &input.error {
            let _ = writeln!(out, "{}: {}", &input.path, err);
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
                let secrets = c.embedded_secrets.map_or(String::new(), |n| {
                    format!(", TLS secrets inside for {n} handshake(s)")
                });
                let _ = writeln!(
                    out,
                    "{}: {} frames{span}, {}, {}{secrets}",
                    &input.path,
                    c.frames,
                    c.format.map(|f| f.name()).unwrap_or("capture"),
                    c.link_types.join("+")
                );
            }
            None => match &input.log {
                Some(l) => {
                    let span = match (l.first_ts, l.last_ts) {
                        (Some(a), Some(b)) => {
                            let zone = match (&l.zone, l.time_basis.is_utc()) {
                                (Some(zone), true) => format!("UTC (logged in {zone})"),
                                (None, true) => "UTC".to_string(),
                                _ => "local time".to_string(),
                            };
                            format!(
                                ", {}–{} {zone}",
                                crate::time::format_clock(a),
                                crate::time::format_clock(b)
                            )
                        }
                        _ => String::new(),
                    };
                    let hosts = if l.hosts.is_empty() {
                        String::new()
                    } else {
                        format!(", host {}", l.hosts.join("+"))
                    };
                    let grammar = serde_json::to_value(l.grammar)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default();
                    if l.grammar == crate::logs::grammar::Grammar::ExpresswayDump {
                        let _ = writeln!(
                            out,
                            "{}: Expressway configuration or status dump, {} lines{hosts}",
                            &input.path, l.lines
                        );
                    } else {
                        let _ = writeln!(
                            out,
                            "{}: {grammar} log, {} lines{span}{hosts}, {} signature hits",
                            &input.path, l.lines, l.signatures
                        );
                    }
                }
                None if input.kind == "key log" => {
                    let _ = writeln!(
                        out,
                        "{}: TLS key log, secrets for {} handshake(s)",
                        &input.path,
                        input.secrets.unwrap_or(0)
                    );
                }
                None if input.kind == "certificates" => {
                    let _ = writeln!(
                        out,
                        "{}: certificates, judged by `mradiag certs`",
                        &input.path
                    );
                }
                None => {
                    let _ = writeln!(out, "{}: {}, skipped", &input.path, input.kind);
                }
            },
        }
        for a in &input.anomalies {
            let _ = writeln!(out, "  ! {a}");
        }
    }
    let (shown, hidden) = report.shown_sessions();
    for s in &shown {
        let domain = s
            .domain
            .as_deref()
            .map(|d| format!(", domain {d}"))
            .unwrap_or_default();
        let user = match (&s.user, &s.line) {
            (Some(u), _) => format!(", user {u}"),
            (None, Some(n)) => format!(", line {n}"),
            _ => String::new(),
        };
        let attempt = if s.attempt > 1 {
            format!(", attempt {}", s.attempt)
        } else {
            String::new()
        };
        let zone = if s.local_time {
            "local time (the log names no zone: --tz places it)"
        } else {
            "UTC"
        };
        let _ = writeln!(
            out,
            "\nsession {}: client {}{user}{attempt}{domain}, {}–{} {zone}",
            s.id,
            s.client_label(),
            clock(&s.start),
            clock(&s.end)
        );
        phase_lines(&mut out, &s.phases, color);
        if report.sessions.len() > 1 {
            let v = &s.verdict;
            let _ = writeln!(out, "  → {}", v.fault.as_deref().unwrap_or(v.status.name()));
        }
    }
    if hidden > 0 {
        let _ = writeln!(
            out,
            "\n… {hidden} more sessions not shown (past {SESSIONS_SHOWN}, the verdict's and failing users' are, {FAILED_SHOWN} at most); --format json lists them all"
        );
    }
    users_table(&mut out, report, color);
    if let Some(f) = &report.focus {
        let _ = writeln!(out, "\nfocus: {}", &f.summary);
    }
    if report.sessions.is_empty() {
        out.push('\n');
        phase_lines(&mut out, &report.phases, color);
    }
    let v = &report.verdict;
    out.push('\n');
    match &v.fault {
        Some(fault) => {
            let _ = writeln!(
                out,
                "{} {fault} — {}",
                paint(color, Tone::Bad, "Likely fault:"),
                &v.summary
            );
            for (i, e) in v.evidence.iter().enumerate() {
                evidence_line(&mut out, if i == 0 { "evidence:" } else { "" }, e);
            }
            if let Some(fix) = &v.fix {
                let _ = writeln!(out, "  fix:      {fix}");
            }
        }
        None => {
            let _ = writeln!(out, "Verdict: {} — {}", v.status.name(), &v.summary);
        }
    }
    let notes: Vec<_> = report.notes().collect();
    if !notes.is_empty() {
        out.push('\n');
        // Past two notes of one id (a trail per Call-ID, a line per user), the rest are counted.
        let mut per_id: std::collections::HashMap<&str, usize> = Default::default();
        let mut listed = 0;
        let mut folded = 0;
        for f in &notes {
            let n = per_id.entry(f.id.as_str()).or_default();
            *n += 1;
            if *n > 2 || listed >= NOTES_SHOWN {
                folded += 1;
                continue;
            }
            listed += 1;
            let tag = if f.severity == Severity::Warning {
                paint(color, Tone::Doubt, "warning:")
            } else {
                "note:".into()
            };
            let _ = writeln!(out, "{tag} {} — {}", f.id, &f.summary);
            // A clock note stands on a pair: the capture's event and the log's line (or the
            // other capture's).
            let paired = f.id.starts_with("clock.") || f.id == "capture.expressway_view";
            let shown = if paired { 2 } else { 1 };
            for e in f.evidence.iter().take(shown) {
                evidence_line(&mut out, "", e);
            }
        }
        if folded > 0 {
            let mut ids: Vec<(&str, usize)> = per_id.into_iter().filter(|(_, n)| *n > 2).collect();
            ids.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let each: Vec<String> = ids
                .iter()
                .take(6)
                .map(|(id, n)| format!("{id} ×{n}"))
                .collect();
            let _ = writeln!(
                out,
                "… {folded} more notes and warnings ({}); --format json lists them all",
                each.join(", ")
            );
        }
    }
    out
}

/// One line per failing user (then the recovered ones), a count for the rest: readable with
/// thousands of users. Shown when the inputs hold more than one user, line or client.
fn users_table(out: &mut String, report: &Report, color: bool) {
    let (rows, hidden) = report.shown_users();
    if rows.is_empty() {
        return;
    }
    let (failing, recovered) = report.user_counts();
    let people = super::population(&report.users);
    let _ = writeln!(
        out,
        "\nusers: {people} · {failing} failing · {recovered} recovered after a failure"
    );
    let width = rows
        .iter()
        .map(|r| r.who.chars().count())
        .max()
        .unwrap_or(0)
        .min(32);
    for r in &rows {
        let (m, what) = match (&r.recovered_from, r.failing, r.last_result) {
            (_, true, Status::Failed) => ("✘", r.fault.clone().unwrap_or_else(|| "failed".into())),
            (_, true, status) => (
                "✘",
                format!(
                    "{}, then {} (no success since)",
                    r.fault.as_deref().unwrap_or("failed"),
                    status.name().replace('_', " ")
                ),
            ),
            (Some(from), false, Status::Failed) => {
                ("↻", format!("{from}, later sign-ins got past it"))
            }
            (Some(from), false, status) => (
                "↻",
                format!("{} now, recovered after {from}", status.name()),
            ),
            (None, false, status) => (mark(status), status.name().replace('_', " ")),
        };
        let colour = match m {
            "✘" => Tone::Bad,
            "↻" => Tone::Doubt,
            _ => mark_colour(r.last_result),
        };
        let _ = writeln!(
            out,
            "  {} {:<width$}  {what} · {} attempt{} · {}–{} {} · session {}",
            paint(color, colour, m),
            &r.who,
            r.attempts,
            if r.attempts == 1 { "" } else { "s" },
            clock(&r.first),
            clock(&r.last),
            // A time without `Z` is a local one no zone placed.
            if r.first.ends_with('Z') || r.first == "unknown" {
                "UTC"
            } else {
                "local"
            },
            r.sessions.last().copied().unwrap_or(0),
        );
    }
    if hidden > 0 {
        let ok = report
            .users
            .iter()
            .filter(|r| r.last_result == Status::Ok && r.recovered_from.is_none())
            .count();
        let _ = writeln!(
            out,
            "  … {hidden} more ({ok} ok, the rest not settled or not listed); --format json has every row"
        );
    }
}

/// The certificate section: each chain as a short tree, the verdict of every anchor set, and
/// the MRA rules it breaks.
pub fn certificates(certs: &[crate::certs::CertificateReport]) -> String {
    certificates_with(certs, false)
}

/// [`certificates`], an accepting anchor set green and a refusing one red when `color`.
pub fn certificates_with(certs: &[crate::certs::CertificateReport], color: bool) -> String {
    let certs = &super::safe::certificates_made_safe(certs);
    let mut out = String::new();
    if certs.is_empty() {
        out.push_str("no certificate chain in the inputs (TLS 1.3 hides it; only TLS 1.2 and older show it)\n");
    }
    for c in certs {
        let _ = writeln!(
            out,
            "{}: {} · SNI {} · checked at {}",
            c.place(),
            c.server,
            c.sni.as_deref().unwrap_or("(none)"),
            c.checked_at_text()
        );
        for (i, cert) in c.chain.iter().enumerate() {
            let indent = "  ".repeat(i + 1);
            let _ = writeln!(out, "{indent}{} ← {}", &cert.subject, &cert.issuer);
            let _ = writeln!(
                out,
                "{indent}  {} · SAN [{}] · sha256 {}",
                cert.validity_text(),
                &cert.san_dns.join(", "),
                &cert.sha256[..16]
            );
            let _ = writeln!(out, "{indent}  key {}", &cert.key_line());
        }
        for a in &c.anchors {
            match &a.reason {
                None => {
                    let _ = writeln!(
                        out,
                        "  {} {}: accepted",
                        paint(color, Tone::Good, "✔"),
                        a.anchor_set
                    );
                }
                Some(r) => {
                    let _ = writeln!(
                        out,
                        "  {} {}: {}",
                        paint(color, Tone::Bad, "✘"),
                        a.anchor_set,
                        r
                    );
                }
            }
        }
        for m in &c.mra {
            let _ = writeln!(out, "  ! MRA: {m}");
        }
        out.push('\n');
    }
    out
}
