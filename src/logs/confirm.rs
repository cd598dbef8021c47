//! A signature's own regex on a candidate line: whether it matches, and its named groups.
//!
//! Built as `regex::bytes::Regex` builds it (same engine, same configuration), so it finds
//! what that would. Where every match starts with one literal (most of the catalog's
//! patterns: `Receive Request Method=REGISTER, …`), the search is anchored at each place that
//! literal occurs, in order: the first that matches is the leftmost-first match, and an
//! anchored search goes straight to the capture engine (onepass), without the two DFA passes
//! an unanchored one makes first to find the match. On the 3,000-user bundle those passes
//! and a separate `is_match` were half of what reading the fields cost.

use regex_automata::util::captures::Captures;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, MatchKind, PatternID, meta};
use regex_syntax::hir::{Hir, HirKind};

pub struct Confirm {
    re: meta::Regex,
    /// The literal every match starts with, if the pattern has one.
    lead: Option<memchr::memmem::Finder<'static>>,
    /// Whether the pattern has named groups: only then are captures worth reading.
    named: bool,
}

impl Confirm {
    /// The pattern compiled as `regex::bytes::Regex::new` compiles it; `None` when it does
    /// not compile.
    pub fn new(pattern: &str) -> Option<Confirm> {
        let re = meta::Builder::new()
            .configure(
                meta::Config::new()
                    .nfa_size_limit(Some(10 * (1 << 20)))
                    .hybrid_cache_capacity(2 * (1 << 20))
                    .match_kind(MatchKind::LeftmostFirst)
                    .utf8_empty(false),
            )
            .syntax(syntax::Config::new().utf8(false))
            .build(pattern)
            .ok()?;
        let named = re
            .group_info()
            .pattern_names(PatternID::ZERO)
            .any(|n| n.is_some());
        let lead = leading_literal(pattern).map(|l| memchr::memmem::Finder::new(&l).into_owned());
        Some(Confirm { re, lead, named })
    }

    /// Room for one line's groups, reused from line to line.
    pub fn captures(&self) -> Captures {
        self.re.create_captures()
    }

    /// Whether the pattern matches in `line`; when it has named groups, `caps` then holds
    /// them (read with [`Confirm::groups`]).
    pub fn matches(&self, line: &[u8], caps: &mut Captures) -> bool {
        let Some(lead) = &self.lead else {
            return self.at(Input::new(line), caps);
        };
        let mut from = 0;
        // Every place the literal starts, overlapping ones too: a match may start at any.
        while let Some(i) = lead.find(&line[from..]) {
            let at = from + i;
            if self.at(Input::new(line).range(at..).anchored(Anchored::Yes), caps) {
                return true;
            }
            from = at + 1;
        }
        false
    }

    fn at(&self, input: Input<'_>, caps: &mut Captures) -> bool {
        if self.named {
            self.re.search_captures(&input, caps);
            caps.is_match()
        } else {
            self.re.is_match(input)
        }
    }

    /// The named groups that took part in the match `matches` found, with their text.
    pub fn groups<'c, 'l>(
        &'c self,
        caps: &'c Captures,
        line: &'l [u8],
    ) -> impl Iterator<Item = (&'c str, &'l [u8])> + 'c
    where
        'l: 'c,
    {
        self.re
            .group_info()
            .pattern_names(PatternID::ZERO)
            .enumerate()
            .filter(|_| self.named && caps.is_match())
            .filter_map(move |(i, name)| Some((name?, &line[caps.get_group(i)?.range()])))
    }
}

/// The literal every match of `pattern` starts with (before it only zero-width assertions),
/// at least 4 bytes; `None` when matches may start otherwise (an alternation, a class, a
/// case-insensitive letter, an optional part).
fn leading_literal(pattern: &str) -> Option<Vec<u8>> {
    let hir = regex_syntax::ParserBuilder::new()
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()?;
    let lead = leading(&hir)?;
    (lead.len() >= 4).then_some(lead)
}

fn leading(hir: &Hir) -> Option<Vec<u8>> {
    match hir.kind() {
        HirKind::Literal(lit) => Some(lit.0.to_vec()),
        HirKind::Capture(c) => leading(&c.sub),
        HirKind::Concat(parts) => parts
            .iter()
            .find(|p| !matches!(p.kind(), HirKind::Look(_)))
            .and_then(leading),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_leading_literal_is_what_every_match_starts_with() {
        let lead = |p: &str| leading_literal(p).map(|l| String::from_utf8(l).unwrap());
        assert_eq!(
            lead(r"Receive Request Method=REGISTER, CSeq=\d+, To=(?P<aor>[^,]+)").as_deref(),
            Some("Receive Request Method=REGISTER, CSeq=")
        );
        assert_eq!(lead(r"(?P<x>Detail=)\s").as_deref(), Some("Detail="));
        assert_eq!(lead(r"\bModule=x").as_deref(), Some("Module=x"));
        assert_eq!(lead(r"(?i)detail=x"), None);
        assert_eq!(lead(r"(?:Detail|Event)="), None);
        assert_eq!(lead(r"\d+ Detail="), None);
        assert_eq!(lead(r"(?:Detail=)?x"), None);
        assert_eq!(lead(r"abc\d"), None, "too short to be worth it");
    }

    #[test]
    fn a_match_starting_at_a_later_occurrence_is_found() {
        let c = Confirm::new(r"Code=(?P<code>\d+)").unwrap();
        let mut caps = c.captures();
        let line = b"Code=x Code=Code=403 Code=500";
        assert!(c.matches(line, &mut caps));
        let groups: Vec<_> = c.groups(&caps, line).collect();
        assert_eq!(groups, [("code", &b"403"[..])]);
        // Overlapping occurrences: `aaaa` inside `aaaaab`.
        let c = Confirm::new(r"aaaab").unwrap();
        assert!(c.matches(b"aaaaab", &mut c.captures()));
        assert!(!c.matches(b"aaaa b", &mut c.captures()));
    }

    #[test]
    fn look_behind_assertions_see_the_bytes_before_the_literal() {
        let c = Confirm::new(r"\bUser=(?P<u>\w+)").unwrap();
        let mut caps = c.captures();
        let line = b"xUser=no User=yes";
        assert!(c.matches(line, &mut caps));
        assert_eq!(c.groups(&caps, line).next(), Some(("u", &b"yes"[..])));
        let c = Confirm::new(r"^Start=\d").unwrap();
        assert!(!c.matches(b" Start=1", &mut c.captures()));
        assert!(c.matches(b"Start=1", &mut c.captures()));
    }

    /// The catalog's patterns, and a few shapes of our own.
    fn patterns() -> Vec<String> {
        let mut p: Vec<String> = crate::logs::signatures::Catalog::builtin()
            .signatures
            .iter()
            .map(|s| s.pattern.clone())
            .collect();
        p.extend(
            [
                r"Code=(?P<code>\d+)(?: Reason=(?P<reason>[^,]*))?",
                r"(?i)detail=(?P<d>\w+)",
                r"\bUser=(?P<u>\w*)",
                r"Method=REGISTER, CSeq=\d+",
            ]
            .map(String::from),
        );
        p
    }

    /// Lines made of pieces of the catalog's examples, cut and joined at random.
    fn line() -> impl Strategy<Value = Vec<u8>> {
        let examples: Vec<String> = crate::logs::signatures::Catalog::builtin()
            .signatures
            .iter()
            .map(|s| s.example.clone())
            .chain(["Code=403 Reason=Forbidden, User=ann".into()])
            .collect();
        let whole = {
            let examples = examples.clone();
            (0..examples.len()).prop_map(move |e| examples[e].as_bytes().to_vec())
        };
        let piece = (0..examples.len(), any::<u16>(), any::<u16>()).prop_map(move |(e, a, b)| {
            let ex = examples[e].as_bytes();
            let (a, b) = (a as usize % (ex.len() + 1), b as usize % (ex.len() + 1));
            ex[a.min(b)..a.max(b)].to_vec()
        });
        prop::collection::vec(
            prop_oneof![whole, piece, prop::collection::vec(any::<u8>(), 0..4)],
            1..6,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn finds_what_the_regex_crate_finds(line in line()) {
            for p in patterns() {
                let c = Confirm::new(&p).unwrap();
                let re = regex::bytes::Regex::new(&p).unwrap();
                let mut caps = c.captures();
                let found = c.matches(&line, &mut caps);
                let want = re.captures(&line);
                prop_assert_eq!(found, want.is_some(), "{} on {:?}", p, String::from_utf8_lossy(&line));
                let ours: Vec<(String, Vec<u8>)> = c
                    .groups(&caps, &line)
                    .map(|(n, v)| (n.to_string(), v.to_vec()))
                    .collect();
                let theirs: Vec<(String, Vec<u8>)> = match &want {
                    Some(w) => re
                        .capture_names()
                        .flatten()
                        .filter_map(|n| Some((n.to_string(), w.name(n)?.as_bytes().to_vec())))
                        .collect(),
                    None => Vec::new(),
                };
                prop_assert_eq!(ours, theirs, "{}", p);
            }
        }
    }
}
