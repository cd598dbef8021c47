//! One self-contained HTML file to hand to a customer: the verdict box, the phase timeline,
//! a ladder diagram (client ↔ DNS ↔ Expressway-E ↔ Expressway-C ↔ CUCM/IM&P) as inline SVG,
//! the evidence with excerpts, and the inputs. No external asset, no script; everything
//! taken from the inputs is escaped.

use super::{Evidence, PhaseResult, Report, Session, Status};
use crate::faults::Phase;
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

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;color:#222}\
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}\
.verdict{border:2px solid #888;border-radius:6px;padding:.8em 1em;margin:1em 0}\
.verdict.failed{border-color:#c0392b;background:#fdf0ee}.verdict.ok{border-color:#27ae60;background:#eefaf2}\
.verdict.inconclusive{border-color:#d4a017;background:#fdf8e7}\
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.35em .5em;text-align:left;vertical-align:top}\
.st-ok{color:#1e8449}.st-failed{color:#c0392b;font-weight:600}.st-not_reached,.st-not_observed{color:#777}.st-inconclusive{color:#9a7d0a}\
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

/// Ladder columns, and which hop each phase's step crosses (from, to).
const COLUMNS: [&str; 5] = [
    "Client",
    "DNS",
    "Expressway-E",
    "Expressway-C",
    "CUCM / IM&P / Unity",
];

fn hops(phase: Phase) -> &'static [(usize, usize, &'static str)] {
    match phase {
        Phase::Discovery => &[(0, 1, "SRV _collab-edge / _cisco-uds")],
        Phase::Provisioning => &[
            (0, 2, "TLS 8443 · get_edge_config"),
            (2, 3, "relay (SSH tunnel 2222)"),
            (3, 4, "UDS (home cluster, user, devices)"),
        ],
        Phase::Xmpp => &[
            (0, 2, "TCP 5222 · STARTTLS"),
            (3, 2, "XCP 7400"),
            (3, 4, "IM&P"),
        ],
        Phase::Sip => &[
            (0, 2, "TLS 5061 · REGISTER"),
            (3, 2, "traversal 7001 · SERVICE"),
            (3, 4, "REGISTER to CUCM"),
        ],
        Phase::Voicemail => &[(0, 2, "HTTPS 8443"), (3, 4, "Unity Connection")],
    }
}

fn ladder(out: &mut String, phases: &[PhaseResult]) {
    let col_w = 170;
    let row_h = 26;
    let rows: usize = phases.iter().map(|p| hops(p.phase).len()).sum();
    let height = 40 + rows * row_h + 10;
    let width = col_w * COLUMNS.len();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="ladder diagram">"#
    );
    out.push_str(r##"<defs><marker id="a" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#555"/></marker></defs>"##);
    for (i, c) in COLUMNS.iter().enumerate() {
        let x = i * col_w + col_w / 2;
        let _ = write!(
            out,
            r##"<text x="{x}" y="18" text-anchor="middle" font-size="12" font-weight="600">{}</text><line x1="{x}" y1="26" x2="{x}" y2="{}" stroke="#bbb"/>"##,
            esc(c),
            height - 5
        );
    }
    let mut y = 40;
    for p in phases {
        for (k, (from, to, label)) in hops(p.phase).iter().enumerate() {
            // The client's own hop carries the phase status; the hops behind Expressway are
            // drawn failed only when the failure is known to be there (from a log line).
            let status = if k == 0 || p.evidence.iter().any(|e| e.line.is_some()) {
                p.status
            } else {
                Status::NotObserved
            };
            let colour = match status {
                Status::Ok => "#1e8449",
                Status::Failed => "#c0392b",
                Status::Inconclusive => "#9a7d0a",
                _ => "#aaa",
            };
            let dash = if matches!(status, Status::NotObserved | Status::NotReached) {
                r#" stroke-dasharray="4 3""#
            } else {
                ""
            };
            let (x1, x2) = (from * col_w + col_w / 2, to * col_w + col_w / 2);
            let _ = write!(
                out,
                r#"<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="{colour}" stroke-width="2"{dash} marker-end="url(#a)"/><text x="{}" y="{}" text-anchor="middle" font-size="11" fill="{colour}">{} {}</text>"#,
                (x1 + x2) / 2,
                y - 4,
                esc(p.phase.name()),
                esc(label)
            );
            y += row_h;
        }
    }
    out.push_str("</svg>");
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

fn session(out: &mut String, s: &Session, many: bool) {
    if many {
        let _ = write!(
            out,
            "<h2>Session {}: client {}{} · {} – {}</h2>",
            s.id,
            esc(&s.client),
            s.domain
                .as_deref()
                .map(|d| format!(", domain {}", esc(d)))
                .unwrap_or_default(),
            esc(&s.start),
            esc(&s.end)
        );
    }
    phase_table(out, &s.phases);
    ladder(out, &s.phases);
}

pub fn render(report: &Report) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let v = &report.verdict;
    let title = v.fault.as_deref().unwrap_or(v.status.name());
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>MRA sign-in: {}</title><style>{STYLE}</style></head><body>",
        esc(title)
    );
    let _ = write!(
        out,
        "<h1>MRA sign-in report</h1><div class=\"verdict {}\" id=\"verdict\"><h2>{}</h2><p>{}</p>",
        v.status.name(),
        esc(title),
        esc(&v.summary)
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
    out.push_str("</div><h2>Timeline</h2>");
    if report.sessions.is_empty() {
        phase_table(&mut out, &report.phases);
    }
    for s in &report.sessions {
        session(&mut out, s, report.sessions.len() > 1);
    }
    let notes: Vec<_> = report.notes().collect();
    if !notes.is_empty() {
        out.push_str("<h2>Also noticed</h2><ul>");
        for f in notes {
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
        out.push_str("</ul>");
    }
    if !report.certificates.is_empty() {
        out.push_str("<h2>Certificates</h2>");
        for c in &report.certificates {
            let _ = write!(
                out,
                "<p><b>{}</b> · SNI {} · {} frame {} · checked at {}</p><ul>",
                esc(&c.server),
                esc(c.sni.as_deref().unwrap_or("(none)")),
                esc(&c.input),
                c.frame,
                esc(&c.checked_at)
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
                    Some(r) => ("st-failed", esc(r)),
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
        let _ = write!(out, "<li>{}: {what}</li>", esc(&i.path));
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
