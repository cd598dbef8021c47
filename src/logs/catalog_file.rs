//! A signature catalog file read and checked: every problem found at once, each with the
//! line of its entry, the signature's id and the field (a user writing a catalog of their own
//! fixes them in one pass, not one error per run).

use crate::logs::signatures::Signature;
use std::fmt;

/// One thing wrong with a catalog file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line of the entry's `[[signature]]` header (0: the file as a whole).
    pub line: usize,
    pub id: Option<String>,
    pub field: Option<&'static str>,
    pub message: String,
}

impl Problem {
    /// As a compiler says it: `FILE:LINE: signature ID: FIELD: what`.
    pub fn located(&self, file: &str) -> String {
        let mut out = file.to_string();
        if self.line > 0 {
            out.push_str(&format!(":{}", self.line));
        }
        out.push_str(": ");
        out.push_str(&self.described());
        out
    }

    fn described(&self) -> String {
        let mut out = String::new();
        if let Some(id) = &self.id {
            out.push_str(&format!("signature {id}: "));
        }
        if let Some(field) = self.field {
            out.push_str(&format!("{field}: "));
        }
        out.push_str(&self.message);
        out
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "line {}: ", self.line)?;
        }
        f.write_str(&self.described())
    }
}

/// Every key an entry may have, and those it must have (`fault` may be absent: the line only
/// informs).
const KEYS: &[&str] = &[
    "id",
    "source",
    "log",
    "phase",
    "fault",
    "severity",
    "pattern",
    "fields",
    "subject",
    "client",
    "role",
    "ports",
    "direction",
    "box",
    "provenance",
    "generic",
    "meaning",
    "fix",
    "example",
];
const REQUIRED: &[&str] = &[
    "id", "source", "log", "phase", "severity", "pattern", "meaning", "fix", "example",
];

/// The problem of a fault id: `None` when it is a core fault of the signature's phase, or one
/// of the user's own (`PHASE.x-NAME`).
pub fn fault_problem(fault: &str, phase: &str) -> Option<String> {
    if fault.is_empty() {
        return None;
    }
    let Some((fault_phase, problem)) = fault.split_once('.') else {
        return Some(format!(
            "{fault:?} is not PHASE.PROBLEM (a core id, or one of your own: {phase}.x-NAME)"
        ));
    };
    if fault_phase != phase {
        return Some(format!("{fault} is not in phase {phase}"));
    }
    if let Some(name) = problem.strip_prefix("x-") {
        let ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        return (!ok).then(|| {
            format!("{fault}: an id of your own is {phase}.x-NAME, NAME of a-z, 0-9, - and _")
        });
    }
    if crate::faults::meaning_for(fault).is_none() {
        return Some(format!(
            "unknown fault id {fault} (`mradiag signatures` lists them; one of your own is {phase}.x-NAME)"
        ));
    }
    None
}

/// The signatures of a catalog file, or every problem in it.
pub fn read(text: &str) -> Result<Vec<Signature>, Vec<Problem>> {
    let whole = |message: String| Problem {
        line: 0,
        id: None,
        field: None,
        message,
    };
    let table: toml::Table = toml::from_str(text)
        .map_err(|e| vec![whole(format!("not TOML: {}", e.to_string().trim_end()))])?;
    let mut problems = Vec::new();
    for key in table.keys().filter(|k| *k != "signature") {
        problems.push(whole(format!(
            "unknown table {key:?}: a catalog holds [[signature]] entries only"
        )));
    }
    let entries = match table.get("signature") {
        Some(toml::Value::Array(entries)) => entries.as_slice(),
        Some(_) => {
            problems.push(whole(
                "`signature` is not an array of [[signature]] tables".into(),
            ));
            return Err(problems);
        }
        None => {
            problems.push(whole("no [[signature]] entry".into()));
            return Err(problems);
        }
    };
    let lines = entry_lines(text);
    let mut out = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or(0);
        let before = problems.len();
        if let Some(s) = check_entry(entry, line, &mut problems)
            && problems.len() == before
        {
            out.push(s);
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// The line of each `[[signature]]` header, in order.
fn entry_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let l = l.trim_start();
            l.starts_with("[[") && l[2..].trim_start().starts_with("signature")
        })
        .map(|(n, _)| n + 1)
        .collect()
}

fn check_entry(entry: &toml::Value, line: usize, problems: &mut Vec<Problem>) -> Option<Signature> {
    let Some(table) = entry.as_table() else {
        problems.push(Problem {
            line,
            id: None,
            field: None,
            message: "an entry that is not a table".into(),
        });
        return None;
    };
    let id = table.get("id").and_then(|v| v.as_str()).map(str::to_string);
    let problem = |field: Option<&'static str>, message: String| Problem {
        line,
        id: id.clone(),
        field,
        message,
    };
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|k| !table.contains_key(*k))
        .collect();
    if !missing.is_empty() {
        problems.push(problem(None, format!("missing {}", missing.join(", "))));
    }
    let unknown: Vec<&str> = table
        .keys()
        .map(String::as_str)
        .filter(|k| !KEYS.contains(k))
        .collect();
    if !unknown.is_empty() {
        problems.push(problem(
            None,
            format!(
                "unknown key {} (known: {})",
                unknown.join(", "),
                KEYS.join(", ")
            ),
        ));
    }
    if !missing.is_empty() || !unknown.is_empty() {
        return None;
    }
    // Each field on its own, so a wrong value names its field.
    let mut typed_ok = true;
    for (key, value) in table {
        let mut single = toml::Table::new();
        single.insert(key.clone(), value.clone());
        if let Err(e) = probe_field(key, single) {
            typed_ok = false;
            let field = KEYS.iter().copied().find(|k| k == key);
            problems.push(problem(field, e));
        }
    }
    if !typed_ok {
        return None;
    }
    let s: Signature = match entry.clone().try_into() {
        Ok(s) => s,
        Err(e) => {
            problems.push(problem(None, e.to_string().trim_end().to_string()));
            return None;
        }
    };
    if let Some(p) = fault_problem(&s.fault, s.phase.name()) {
        problems.push(problem(Some("fault"), p));
    }
    if !matches!(s.log.as_str(), "expressway" | "jabber") {
        problems.push(problem(
            Some("log"),
            format!("{:?}, not \"expressway\" or \"jabber\"", s.log),
        ));
    }
    if let Some(p) = &s.provenance
        && !matches!(p.as_str(), "real" | "constructed")
    {
        problems.push(problem(
            Some("provenance"),
            format!("{p:?}, not \"real\" or \"constructed\""),
        ));
    }
    match regex::bytes::Regex::new(&s.pattern) {
        Err(e) => problems.push(problem(Some("pattern"), e.to_string())),
        Ok(re) => {
            if !s.example.is_empty() && !re.is_match(s.example.as_bytes()) {
                problems.push(problem(
                    Some("example"),
                    "the pattern does not match the example".into(),
                ));
            }
        }
    }
    // The subject and client must be fields the signature fills.
    for (what, field) in [("subject", &s.subject), ("client", &s.client)] {
        if let Some(field) = field
            && !s.fields.contains(field)
            && !s.pattern.contains(&format!("(?P<{field}>"))
        {
            problems.push(problem(
                Some(what),
                format!("{field} is neither in fields nor a named group of the pattern"),
            ));
        }
    }
    Some(s)
}

/// Whether one key's value has the type its field wants: the entry's other fields are
/// filled with placeholders so serde speaks only of this one.
fn probe_field(key: &str, mut single: toml::Table) -> Result<(), String> {
    for (k, v) in [
        ("id", "x"),
        ("source", "x"),
        ("log", "jabber"),
        ("phase", "sip"),
        ("severity", "info"),
        ("pattern", "x"),
        ("meaning", "x"),
        ("fix", "x"),
        ("example", "x"),
    ] {
        if k != key {
            single.insert(k.into(), toml::Value::String(v.into()));
        }
    }
    toml::Value::Table(single)
        .try_into::<Signature>()
        .map(|_| ())
        // The field is named by the caller: toml's "in `key`" tail would say it twice.
        .map_err(|e| {
            let e = e.to_string();
            let e = e.trim_end();
            e.strip_suffix(&format!("in `{key}`"))
                .unwrap_or(e)
                .trim_end()
                .to_string()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "[[signature]]\nid = 'site-proxy'\nsource = 'site'\nlog = 'jabber'\nphase = 'provisioning'\nfault = 'provisioning.x-site-proxy'\nseverity = 'fault'\npattern = 'PROXY REFUSED'\nmeaning = 'm'\nfix = 'f'\nexample = 'PROXY REFUSED'\n";

    #[test]
    fn a_good_entry_with_a_fault_of_ones_own_is_read() {
        let sigs = read(GOOD).unwrap();
        assert_eq!(sigs[0].fault, "provisioning.x-site-proxy");
    }

    #[test]
    fn every_problem_is_said_with_its_line_id_and_field() {
        let text = format!(
            "{GOOD}\n[[signature]]\nid = 'second'\nlog = 'jabber'\nphase = 'sip'\nseverity = 'fault'\npattern = 'a(b'\n\n[[signature]]\nid = 'third'\nsource = 's'\nlog = 'jabber'\nphase = 'sip'\nfault = 'sip.nonsense'\nseverity = 'loud'\npattern = 'a'\nmeaning = 'm'\nfix = 'f'\nexample = 'a'\ncolour = 'red'\n"
        );
        let problems = read(&text).unwrap_err();
        let said: Vec<String> = problems.iter().map(Problem::to_string).collect();
        assert_eq!(
            said[0],
            "line 13: signature second: missing source, meaning, fix, example"
        );
        assert!(said[1].starts_with("line 20: signature third: unknown key colour"));
        assert_eq!(said.len(), 2, "{said:?}");
        // With the keys right, the values are judged, each naming its field.
        let text = text.replace("colour = 'red'\n", "");
        let said: Vec<String> = read(&text)
            .unwrap_err()
            .iter()
            .map(Problem::to_string)
            .collect();
        assert!(
            said[1].starts_with("line 20: signature third: severity: "),
            "{said:?}"
        );
        let text = text.replace("severity = 'loud'", "severity = 'fault'");
        let said: Vec<String> = read(&text)
            .unwrap_err()
            .iter()
            .map(Problem::to_string)
            .collect();
        assert!(
            said[1].starts_with("line 20: signature third: fault: unknown fault id sip.nonsense"),
            "{said:?}"
        );
    }

    #[test]
    fn a_pattern_that_does_not_compile_or_miss_its_example_is_named() {
        let bad = GOOD.replace("pattern = 'PROXY REFUSED'", "pattern = 'PROXY (REFUSED'");
        let p = &read(&bad).unwrap_err()[0];
        assert_eq!((p.line, p.field), (1, Some("pattern")));
        assert!(p.message.contains("unclosed group"), "{}", p.message);
        let missed = GOOD.replace("example = 'PROXY REFUSED'", "example = 'proxy refused'");
        let p = &read(&missed).unwrap_err()[0];
        assert_eq!(p.field, Some("example"));
    }

    #[test]
    fn ids_of_ones_own_are_checked() {
        assert_eq!(fault_problem("sip.x-sbc", "sip"), None);
        assert!(fault_problem("sip.x-", "sip").is_some());
        assert!(fault_problem("sip.x-SBC", "sip").is_some());
        assert!(
            fault_problem("xmpp.x-a", "sip")
                .unwrap()
                .contains("not in phase")
        );
        assert!(fault_problem("nodot", "sip").is_some());
        assert_eq!(fault_problem("sip.register_rejected", "sip"), None);
    }

    #[test]
    fn a_file_that_is_not_toml_says_where() {
        let p = &read("nonsense = [").unwrap_err()[0];
        assert!(p.message.contains("line 1"), "{}", p.message);
    }
}
