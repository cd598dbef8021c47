//! One self-contained HTML file to hand to a customer: the verdict box, the phase timeline,
//! a ladder diagram (client ↔ DNS ↔ Expressway-E ↔ Expressway-C ↔ CUCM/IM&P) as inline SVG,
//! the evidence with excerpts, and the inputs. No external asset, no script; everything
//! taken from the inputs is escaped.

use super::{Evidence, Party, PhaseResult, Report, Session};
use std::fmt::Write;

pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;padding:0 1em;color:#222}\
td,li,p,h2{overflow-wrap:anywhere}.id{color:#555;margin-top:-.4em}.cover{color:#555}\
.ladder-box{overflow-x:auto;max-width:100%}.ladder{width:100%;min-width:720px;height:auto;display:block}\
.st-info{color:#777}.anchors-note{color:#555;font-size:.92em}\
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}\
.verdict{border:2px solid #888;border-radius:6px;padding:.8em 1em;margin:1em 0}\
.verdict.failed{border-color:#c0392b;background:#fdf0ee}.verdict.ok{border-color:#27ae60;background:#eefaf2}\
.verdict.inconclusive{border-color:#d4a017;background:#fdf8e7}\
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.35em .5em;text-align:left;vertical-align:top}\
.st-ok{color:#1e8449}.st-failed{color:#c0392b;font-weight:600}.st-not_reached,.st-not_observed{color:#777}.st-inconclusive{color:#9a7d0a}.warn{color:#9a7d0a}\
code,pre{font:12px ui-monospace,monospace}pre{white-space:pre-wrap;background:#f6f6f6;padding:.4em;margin:.2em 0 .6em}\
@media print{body{margin:0}.verdict{break-inside:avoid}}";

fn evidence_item(out: &mut String, e: &Evidence) {
    let place = esc(&e.location());
    let _ = write!(out, "<li>{place}: {}", esc(&e.note));
    if let Some(x) = &e.excerpt {
        let _ = write!(out, "<pre>{}</pre>", esc(x));
    }
    out.push_str("</li>");
}

/// Ladder columns, left to right.
const COLUMNS: [&str; 5] = [
    "Client",
    "DNS",
    "Expressway-E",
    "Expressway-C",
    "CUCM / IM&P / Unity",
];

/// A party's column centre in tenths of a column (an Expressway of unknown role sits between
/// E and C).
fn column_x(p: Party, gutter: usize, col_w: usize) -> usize {
    let tenths = match p {
        Party::Client => 5,
        Party::Dns => 15,
        Party::ExpresswayE => 25,
        Party::Expressway => 30,
        Party::ExpresswayC => 35,
        Party::Internal => 45,
    };
    gutter + tenths * col_w / 10
}

/// One arrow per observed message or connection step, a box per log line; failed steps red.
/// The time of each step in the left gutter, its frame or line in a tooltip.
fn ladder(out: &mut String, s: &Session) {
    if s.ladder.is_empty() {
        return;
    }
    let (gutter, col_w, row_h) = (96, 170, 24);
    let height = 40 + s.ladder.len() * row_h + 10;
    let width = gutter + col_w * COLUMNS.len();
    // Scaled to the page's width, never below a readable size; past that the box scrolls.
    let _ = write!(
        out,
        r#"<div class="ladder-box"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="ladder diagram" class="ladder">"#
    );
    out.push_str(r##"<defs><marker id="a" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="context-stroke"/></marker></defs>"##);
    for (i, c) in COLUMNS.iter().enumerate() {
        let x = gutter + i * col_w + col_w / 2;
        let _ = write!(
            out,
            r##"<text x="{x}" y="18" text-anchor="middle" font-size="12" font-weight="600">{}</text><line x1="{x}" y1="26" x2="{x}" y2="{}" stroke="#bbb"/>"##,
            esc(c),
            height - 5
        );
    }
    let mut y = 44;
    for step in &s.ladder {
        let colour = if step.failed { "#c0392b" } else { "#1e8449" };
        let place = match (step.frame, step.line) {
            (Some(f), _) => format!("{} frame {f}", step.input),
            (None, Some(l)) => format!("{}:{l}", step.input),
            _ => step.input.to_string(),
        };
        // HH:MM:SS.mmm of the RFC 3339 time on the ladder's clock, or the whole text when it
        // is not one; a corrected time is marked, the logged one in its tooltip.
        let (axis, logged) = match step.shift_ns {
            Some(ns) => (
                crate::time::format_ns(step.axis_ns),
                format!(
                    "logged {}, drawn {} on the ladder's clock",
                    step.ts,
                    crate::time::signed_secs(ns)
                ),
            ),
            None => (step.ts.to_string(), step.ts.to_string()),
        };
        let clock = axis.get(11..23).unwrap_or(&axis);
        let mark = if step.shift_ns.is_some() { "*" } else { "" };
        let _ = write!(
            out,
            r##"<g class="step{}"><title>{} · {}</title><text x="4" y="{}" font-size="10" fill="#666">{}{mark}</text>"##,
            if step.failed { " failed" } else { "" },
            esc(&place),
            esc(&logged),
            y + 3,
            esc(clock)
        );
        let (x1, x2) = (
            column_x(step.from, gutter, col_w),
            column_x(step.to, gutter, col_w),
        );
        if x1 == x2 {
            let w = col_w - 16;
            let _ = write!(
                out,
                r##"<rect x="{}" y="{}" width="{w}" height="{}" rx="3" fill="#fff" stroke="{colour}"/><text x="{x1}" y="{}" text-anchor="middle" font-size="10" fill="{colour}">{}</text>"##,
                x1 - w / 2,
                y - 9,
                row_h - 6,
                y + 3,
                esc(&fit(&step.label, 28))
            );
        } else {
            let _ = write!(
                out,
                r#"<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="{colour}" stroke-width="{}" marker-end="url(#a)"/><text x="{}" y="{}" text-anchor="middle" font-size="10" fill="{colour}">{}</text>"#,
                if step.failed { 2.5 } else { 1.5 },
                (x1 + x2) / 2,
                y - 4,
                esc(&fit(&step.label, 26 * x1.abs_diff(x2) / col_w + 8))
            );
        }
        out.push_str("</g>");
        y += row_h;
    }
    out.push_str("</svg></div>");
    if !s.ladder_clock.is_empty() {
        out.push_str("<p><small>One clock: times marked * are moved from the log's own. ");
        for note in &s.ladder_clock {
            let _ = write!(out, "{}. ", esc(note));
        }
        out.push_str("</small></p>");
    }
    if s.ladder_omitted > 0 {
        let _ = write!(
            out,
            "<p><small>{} more steps not drawn.</small></p>",
            s.ladder_omitted
        );
    }
}

/// Whether the verdict rests on this chain: its fault is a certificate one and its evidence
/// points at the chain's connection (or file).
fn relied_on(report: &Report, c: &crate::certs::CertificateReport) -> bool {
    let v = &report.verdict;
    let about_certs = v.fault.as_deref().is_some_and(|f| {
        ["tls_untrusted", "tls_expired", "tls_name_mismatch"]
            .iter()
            .any(|p| f.ends_with(p))
    });
    let stream = c.stream.map(super::Filter::Stream);
    about_certs
        && v.evidence.iter().any(|e| {
            *e.input == *c.input
                && (c.frame.is_none()
                    || e.frame == c.frame
                    || e.filter.is_some() && e.filter == stream)
        })
}

/// At most `max` characters, with an ellipsis when cut.
fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

fn phase_table(out: &mut String, phases: &[PhaseResult]) {
    out.push_str("<table><tr><th>phase</th><th>status</th><th>what was seen</th></tr>");
    for p in phases {
        let st = p.status.name();
        let _ = write!(
            out,
            r#"<tr><td>{}</td><td class="st-{st}">{}</td><td>{}</td></tr>"#,
            p.phase.name(),
            st.replace('_', " "),
            esc(&p.summary)
        );
    }
    out.push_str("</table>");
}

/// An RFC 3339 UTC time as people read it: `2026-11-26 14:17:39 UTC`, and in the case's own
/// zone when it is known (`23:17:39 UTC+09:00`).
fn readable(ts: &str, offset_min: Option<i32>) -> String {
    let Ok(t) = ts.parse::<jiff::Timestamp>() else {
        return ts.to_string();
    };
    let mut out = t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string();
    if let Some(min) = offset_min.filter(|m| *m != 0)
        && let Ok(offset) = jiff::tz::Offset::from_seconds(min * 60)
    {
        let local = t.to_zoned_datetime(jiff::tz::TimeZone::fixed(offset));
        let _ = write!(out, " ({} UTC{offset})", local.strftime("%H:%M:%S"));
    }
    out
}

/// The UTC offset the case's Expressways write their times in, when they agree.
fn case_offset(report: &Report) -> Option<i32> {
    let mut offsets = report
        .inputs
        .iter()
        .filter_map(|i| i.log.as_ref()?.utc_offset_min);
    let first = offsets.next()?;
    offsets.all(|o| o == first).then_some(first)
}

fn session(out: &mut String, s: &Session, many: bool, offset: Option<i32>) {
    if !many {
        let _ = write!(
            out,
            "<p class=\"cover\">{} – {}</p>",
            esc(&readable(&s.start, offset)),
            esc(&readable(&s.end, offset))
        );
    }
    if many {
        let _ = write!(
            out,
            "<h2>Session {}: client {}{}{} · {} – {}</h2>",
            s.id,
            esc(&s.client_label()),
            match (&s.user, &s.line) {
                (Some(u), _) => format!(", user {}", esc(u)),
                (None, Some(n)) => format!(", line {}", esc(n)),
                _ => String::new(),
            },
            s.domain
                .as_deref()
                .map(|d| format!(", domain {}", esc(d)))
                .unwrap_or_default(),
            esc(&readable(&s.start, offset)),
            esc(&readable(&s.end, offset))
        );
    }
    phase_table(out, &s.phases);
    ladder(out, s);
}

/// What the report's first lines say besides the verdict: the customer's case and title,
/// and when it was made (given by the shell: the core reads no clock).
#[derive(Clone, Debug, Default)]
pub struct Cover {
    pub title: Option<String>,
    pub case: Option<String>,
    /// RFC 3339.
    pub generated: Option<String>,
}

pub fn render(report: &Report) -> String {
    render_with(report, &Cover::default())
}

pub fn render_with(report: &Report, cover: &Cover) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let v = &report.verdict;
    let id = v.fault.as_deref().unwrap_or(v.status.name());
    // A customer reads the sentence first; the id is for the engineers beneath it.
    let headline = if v.summary.is_empty() {
        id.to_string()
    } else {
        v.summary.to_string()
    };
    let heading = cover
        .title
        .clone()
        .unwrap_or_else(|| "MRA sign-in report".into());
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}: {}</title><style>{STYLE}</style></head><body>",
        esc(&heading),
        esc(&fit(&headline, 90))
    );
    let _ = write!(out, "<h1>{}</h1>", esc(&heading));
    let mut cover_line = Vec::new();
    if let Some(case) = &cover.case {
        cover_line.push(format!("case {}", esc(case)));
    }
    if let Some(at) = &cover.generated {
        cover_line.push(format!("generated {}", esc(&readable(at, None))));
    }
    if !cover_line.is_empty() {
        let _ = write!(out, "<p class=\"cover\">{}</p>", cover_line.join(" · "));
    }
    let _ = write!(
        out,
        "<div class=\"verdict {}\" id=\"verdict\"><h2>{}</h2><p class=\"id\"><code>{}</code>{}</p>",
        v.status.name(),
        esc(&headline),
        esc(id),
        v.phase
            .map(|p| format!(" · phase {}", p.name()))
            .unwrap_or_default()
    );
    if let Some(fix) = &v.fix {
        let _ = write!(out, "<p><b>Fix:</b> {}</p>", esc(fix));
    }
    if !v.evidence.is_empty() {
        out.push_str("<p><b>Evidence</b></p><ul>");
        for e in &v.evidence {
            evidence_item(&mut out, e);
        }
        out.push_str("</ul>");
    }
    out.push_str("</div>");
    if let Some(f) = &report.focus {
        let _ = write!(out, "<p id=\"focus\"><b>Focus:</b> {}</p>", esc(&f.summary));
    }
    let (rows, left) = report.shown_users();
    if !rows.is_empty() {
        let (failing, recovered) = report.user_counts();
        let _ = write!(
            out,
            "<h2>Users</h2><p>{} · {failing} failing · {recovered} recovered after a failure</p><table id=\"users\"><tr><th>user</th><th>latest result</th><th>fault</th><th>attempts</th><th>first – last (UTC)</th><th>session</th></tr>",
            esc(&super::population(&report.users))
        );
        for r in &rows {
            let st = r.last_result.name();
            let fault = esc(&r.fault_cell());
            let _ = write!(
                out,
                r#"<tr><td>{}</td><td class="st-{st}">{}</td><td>{fault}</td><td>{}</td><td>{} – {}</td><td>{}</td></tr>"#,
                esc(&r.who),
                st.replace('_', " "),
                r.attempts,
                esc(&r.first),
                esc(&r.last),
                r.sessions.last().copied().unwrap_or(0)
            );
        }
        out.push_str("</table>");
        if left > 0 {
            let _ = write!(
                out,
                "<p>{left} more users (the JSON report lists them all).</p>"
            );
        }
    }
    out.push_str("<h2>Timeline</h2>");
    if report.sessions.is_empty() {
        phase_table(&mut out, &report.phases);
    }
    let (shown, hidden) = report.shown_sessions();
    for s in shown {
        session(&mut out, s, report.sessions.len() > 1, case_offset(report));
    }
    if hidden > 0 {
        let _ = write!(
            out,
            "<p>{hidden} more sessions not drawn (the verdict's and failing users' are); the JSON report lists them all.</p>"
        );
    }
    let notes: Vec<_> = report.notes().collect();
    if !notes.is_empty() {
        out.push_str("<h2>Also noticed</h2><ul>");
        for f in notes.iter().take(crate::report::NOTES_SHOWN) {
            let _ = write!(
                out,
                "<li><code>{}</code>: {}<ul>",
                esc(&f.id),
                esc(&f.summary)
            );
            for e in &f.evidence {
                evidence_item(&mut out, e);
            }
            out.push_str("</ul></li>");
        }
        if notes.len() > crate::report::NOTES_SHOWN {
            let _ = write!(
                out,
                "<li>{} more (the JSON report lists them all)</li>",
                notes.len() - crate::report::NOTES_SHOWN
            );
        }
        out.push_str("</ul>");
    }
    if !report.certificates.is_empty() {
        out.push_str("<h2>Certificates</h2><p class=\"anchors-note\">Each chain is checked against every set of trust anchors at hand: <b>--ca files</b> (the CAs you named), <b>CA certificates in the inputs</b> (a bundle's <code>ca_*.pem</code>: what the Expressway trusts) and the <b>public roots</b> (what a client trusting only public CAs accepts). A set that does not accept a chain is not by itself a fault: the client may trust a private CA. Red marks only what the verdict relies on.</p>");
        for c in &report.certificates {
            let relied = relied_on(report, c);
            let _ = write!(
                out,
                "<p><b>{}</b> · SNI {} · {} · checked at {}</p><ul>",
                esc(&c.server),
                esc(c.sni.as_deref().unwrap_or("(none)")),
                esc(&c.place()),
                esc(&c.checked_at_text())
            );
            for cert in &c.chain {
                let _ = write!(
                    out,
                    "<li>{} ← {}<br><small>SAN [{}] · {} · sha256 {}</small></li>",
                    esc(&cert.subject),
                    esc(&cert.issuer),
                    esc(&cert.san_dns.join(", ")),
                    esc(&cert.key_line()),
                    esc(&cert.sha256)
                );
            }
            out.push_str("</ul><ul>");
            for a in &c.anchors {
                let (class, text) = match &a.reason {
                    None => ("st-ok", "accepted".to_string()),
                    Some(r) if relied => ("st-failed", esc(r)),
                    Some(r) => ("st-info", format!("not accepted by this set ({})", esc(r))),
                };
                let _ = write!(
                    out,
                    r#"<li><span class="{class}">{}</span>: {text}</li>"#,
                    esc(&a.anchor_set)
                );
            }
            for m in &c.mra {
                let _ = write!(out, "<li>MRA: {}</li>", esc(m));
            }
            out.push_str("</ul>");
        }
    }
    out.push_str("<h2>Inputs</h2><ul>");
    for i in &report.inputs {
        let what = match (&i.error, &i.capture, &i.log) {
            (Some(e), _, _) => format!("not read: {}", esc(e)),
            (None, Some(c), _) => format!(
                "capture, {} frames, {}",
                c.frames,
                esc(&c.link_types.join(", "))
            ),
            (None, None, Some(l)) => {
                format!("log, {} lines, {} signature hits", l.lines, l.signatures)
            }
            _ => esc(&i.kind),
        };
        let _ = write!(out, "<li>{}: {what}", esc(&i.path));
        // What went wrong reading it (a limit reached, a corrupt block): the same as text says.
        if !i.anomalies.is_empty() {
            out.push_str("<ul>");
            for a in &i.anomalies {
                let _ = write!(out, "<li class=\"warn\">⚠ {}</li>", esc(a));
            }
            out.push_str("</ul>");
        }
        out.push_str("</li>");
    }
    let _ = writeln!(
        out,
        "</ul><p><small>{} {} · {}</small></p></body></html>",
        report.tool.name, report.tool.version, report.schema
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_taken_from_inputs() {
        assert_eq!(
            esc("<img src=x onerror='a'>&\u{1b}"),
            "&lt;img src=x onerror=&#39;a&#39;&gt;&amp;\u{fffd}"
        );
    }
}
