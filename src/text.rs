//! Text from inputs made safe to print: a host name, file name, log excerpt or user catalog
//! entry may hold terminal escape sequences (clear the screen, rewrite a line, a hyperlink) or
//! line breaks that forge report lines. Shown escaped instead, as `\x1b`, `\n`, `\u{202e}`.

use std::borrow::Cow;

/// Whether a character must not reach a terminal as itself: control characters (C0 but tab,
/// DEL, C1) and the bidirectional overrides that reorder what is shown.
fn unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every unsafe character escaped; borrowed when there is none (the usual case).
pub fn safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if unsafe_char(c) && (c as u32) < 0x100 => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if unsafe_char(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// As [`safe`], but line breaks kept: for a message of several lines (a parser's error with
/// its excerpt and caret), where only the other control characters are escaped.
pub fn safe_lines(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && unsafe_char(c)) {
        return Cow::Borrowed(text);
    }
    let lines: Vec<Cow<'_, str>> = text.split('\n').map(safe).collect();
    Cow::Owned(lines.join("\n"))
}

/// Make `text` safe in place.
pub fn make_safe(text: &mut String) {
    if let Cow::Owned(s) = safe(text) {
        *text = s;
    }
}

/// A cell a spreadsheet will not run: one starting with `=`, `+`, `-`, `@` (or a tab or
/// carriage return that some strip first) gets a leading `'`, as OWASP advises for CSV.
pub fn spreadsheet_safe(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// Levenshtein distance, for "did you mean" and "the closest names".
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(above + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_shown_not_obeyed() {
        assert_eq!(safe("expe1.example.com"), "expe1.example.com");
        assert!(matches!(safe("plain\ttab"), Cow::Borrowed(_)));
        assert_eq!(safe("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(
            safe("\x1b]8;;http://evil\x07link\x1b]8;;\x07"),
            "\\x1b]8;;http://evil\\x07link\\x1b]8;;\\x07"
        );
        assert_eq!(safe("host\nVerdict: ok"), "host\\nVerdict: ok");
        assert_eq!(safe("a\u{9b}b\u{7f}"), "a\\x9bb\\x7f");
        assert_eq!(safe("abc\u{202e}gpj.exe"), "abc\\u{202e}gpj.exe");
        assert_eq!(
            safe_lines("line 1\n  | \x1b[2J\n  ^"),
            "line 1\n  | \\x1b[2J\n  ^"
        );
        let mut s = String::from("x\ry");
        make_safe(&mut s);
        assert_eq!(s, "x\\ry");
    }

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_safe("-1+2"), "'-1+2");
        assert_eq!(spreadsheet_safe("example.com"), "example.com");
        assert_eq!(spreadsheet_safe(""), "");
    }
}
