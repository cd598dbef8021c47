//! The literal prefilter of the log scan: for each signature, a set of literals one of which
//! every match must contain, chosen as long (so rare) as the pattern allows. A routine log
//! line holds none of them, so the regexes run only on the few lines that do.

use regex_syntax::hir::{Hir, HirKind};

/// Shorter literals occur in routine lines too often to be worth a prefilter.
pub const MIN_LEN: usize = 4;

/// Literals one of which every match of `pattern` contains, each at least [`MIN_LEN`] bytes;
/// `None` when the pattern does not guarantee such a set (a case-insensitive pattern, one made
/// only of classes).
pub fn required_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::Parser::new().parse(pattern).ok()?;
    let set = required(&hir)?;
    set.iter().all(|l| l.len() >= MIN_LEN).then_some(set)
}

fn required(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    match hir.kind() {
        HirKind::Literal(lit) => Some(vec![lit.0.to_vec()]),
        HirKind::Capture(c) => required(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => required(&r.sub),
        // Every part of a concatenation must match: the best part's set will do.
        HirKind::Concat(parts) => parts
            .iter()
            .filter_map(required)
            .max_by_key(|set| (shortest(set), std::cmp::Reverse(set.len()))),
        // Some branch matches: every branch must bring its own literals.
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            for b in branches {
                all.extend(required(b)?);
            }
            all.sort();
            all.dedup();
            Some(all)
        }
        _ => None,
    }
}

/// The SIMD search (Teddy) behind the prefilter takes up to this many literals.
pub const MAX_LITERALS: usize = 127;

/// The searcher over the literals of every signature: Teddy, found to run at about 2.7 GB/s
/// over 71 literals on an Expressway-style log (aho-corasick's own heuristic stops at 64, to
/// be safe with short, common literals; ours are long and rare). `None` without SIMD, or with
/// too many literals: the scan then searches for the patterns themselves.
/// It finds where a line holds one of `literals`, but not which: it looks for parts of them,
/// in the order `fingerprints::arrange` chose (their match ids mean nothing).
pub fn searcher(literals: &[Vec<u8>]) -> Option<aho_corasick::packed::Searcher> {
    if literals.len() > MAX_LITERALS {
        return None;
    }
    aho_corasick::packed::Config::new()
        .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
        .heuristic_pattern_limits(false)
        .builder()
        .extend(crate::logs::fingerprints::arrange(literals))
        .build()
}

fn shortest(set: &[Vec<u8>]) -> usize {
    set.iter().map(Vec::len).min().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lits(p: &str) -> Option<Vec<String>> {
        required_literals(p).map(|v| {
            v.into_iter()
                .map(|l| String::from_utf8(l).unwrap())
                .collect()
        })
    }

    #[test]
    fn the_longest_mandatory_literal_of_each_pattern() {
        assert_eq!(
            lits(r"DNS query (?:X\{)?(?P<n>_collab-edge\._tls\.\S+) has failed"),
            Some(vec!["_collab-edge._tls.".into()])
        );
        // Alternation: one literal per branch.
        assert_eq!(
            lits(r"return code FAILED_NO_SRV|\(1005\) ServiceDiscoveryNoSRV"),
            Some(vec![
                "(1005) ServiceDiscoveryNoSRV".into(),
                "return code FAILED_NO_SRV".into()
            ])
        );
        // Optional parts and repetitions that may be absent are never required.
        assert_eq!(
            lits(r"(?:Unable to determine home)?\s*CUCM(?:cluster)*"),
            Some(vec!["CUCM".into()])
        );
        assert_eq!(lits(r"a+bcdef"), Some(vec!["bcdef".into()]));
    }

    #[test]
    fn no_prefilter_when_the_pattern_cannot_promise_a_literal() {
        assert_eq!(lits(r"(?i)certificate verify failed"), None);
        assert_eq!(lits(r"\d+\s+\w+"), None);
        assert_eq!(lits(r"abc|\d+"), None); // one branch without a literal
        assert_eq!(lits(r"401"), None); // too short to be rare
    }

    #[test]
    fn every_match_contains_one_of_the_literals() {
        let cases = [
            (
                r"Detail=\x22(?:TCP )?Connection (?:refused|timed out)\x22",
                "Detail=\"Connection timed out\"",
            ),
            (
                r"(?P<code>40[13]) (?:Unauthorized|Forbidden)",
                "403 Forbidden",
            ),
            (r"x(?:abcd)+y", "xabcdabcdy"),
        ];
        for (p, line) in cases {
            let set = required_literals(p).unwrap_or_else(|| panic!("{p}"));
            assert!(regex::Regex::new(p).unwrap().is_match(line));
            assert!(
                set.iter()
                    .any(|l| line.as_bytes().windows(l.len()).any(|w| w == l.as_slice())),
                "{p}: {set:?} not in {line}"
            );
        }
    }
}
