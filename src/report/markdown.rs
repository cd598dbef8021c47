//! Markdown, for pasting into a ticket: the verdict, the phase table, the evidence.

use super::{Evidence, Report};
use std::fmt::Write;

/// Inputs are hostile: keep their text from becoming Markdown or HTML.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

fn place(e: &Evidence) -> String {
    esc(&e.location())
}

pub fn render(report: &Report) -> String {
    let report = &report.made_safe();
    let mut out = String::new();
    let v = &report.verdict;
    let _ = writeln!(
        out,
        "## MRA sign-in: {}\n",
        v.fault
            .as_deref()
            .map(esc)
            .unwrap_or_else(|| v.status.name().into())
    );
    let _ = writeln!(out, "**{}**\n", esc(&v.summary));
    if let Some(fix) = &v.fix {
        let _ = writeln!(out, "**Fix:** {}\n", esc(fix));
    }
    if !v.evidence.is_empty() {
        let _ = writeln!(out, "Evidence:\n");
        for e in &v.evidence {
            let _ = writeln!(out, "- {}: {}", place(e), esc(&e.note));
            if let Some(x) = &e.excerpt {
                let _ = writeln!(out, "  > {}", esc(x));
            }
        }
        out.push('\n');
    }
    let _ = writeln!(out, "| phase | status | what was seen |\n|---|---|---|");
    for p in &report.phases {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            p.phase.name(),
            p.status.name(),
            esc(&p.summary)
        );
    }
    if let Some(f) = &report.focus {
        let _ = writeln!(out, "\n**Focus:** {}", esc(&f.summary));
    }
    let (rows, hidden) = report.shown_users();
    if !rows.is_empty() {
        let (failing, recovered) = report.user_counts();
        let _ = writeln!(
            out,
            "\nUsers: {} · {failing} failing · {recovered} recovered\n",
            esc(&super::population(&report.users))
        );
        let _ = writeln!(
            out,
            "| user | latest result | fault | attempts | first – last (UTC) |\n|---|---|---|---|---|"
        );
        for r in &rows {
            let fault = esc(&r.fault_cell());
            let _ = writeln!(
                out,
                "| {} | {} | {fault} | {} | {} – {} |",
                esc(&r.who),
                r.last_result.name(),
                r.attempts,
                esc(&r.first),
                esc(&r.last)
            );
        }
        if hidden > 0 {
            let _ = writeln!(
                out,
                "\n… {hidden} more users (the JSON report lists them all)"
            );
        }
    }
    let notes: Vec<_> = report.notes().collect();
    if !notes.is_empty() {
        let _ = writeln!(out, "\nAlso noticed:\n");
        for f in notes.iter().take(crate::report::NOTES_SHOWN) {
            let _ = writeln!(out, "- `{}`: {}", f.id, esc(&f.summary));
        }
        if notes.len() > crate::report::NOTES_SHOWN {
            let _ = writeln!(
                out,
                "- … {} more (the JSON report lists them all)",
                notes.len() - crate::report::NOTES_SHOWN
            );
        }
    }
    let _ = writeln!(out, "\nInputs:\n");
    for i in &report.inputs {
        let what = i
            .error
            .as_deref()
            .map(esc)
            .unwrap_or_else(|| i.kind.clone());
        let _ = writeln!(out, "- {} — {what}", esc(&i.path));
        // What went wrong reading it (a limit reached, a corrupt block): the same as text says.
        for a in &i.anomalies {
            let _ = writeln!(out, "  - ⚠ {}", esc(a));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_stays_text() {
        assert_eq!(esc("<script>|*x*\u{7}"), "\\<script\\>\\|\\*x\\*\u{fffd}");
    }
}
