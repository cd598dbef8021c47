//! What the log scan's Teddy searcher is given for the catalog's literals, and in which order.
//!
//! Teddy (aho-corasick's packed searcher) reads a text 16 bytes at a time and keeps a
//! position as a candidate when its first four bytes could begin a pattern: per position and
//! per bucket of patterns, the low and the high nibble of each byte are looked up in masks
//! that are the union over the bucket's patterns. A candidate is then verified against every
//! pattern of its bucket. With a hundred literals in 16 buckets those unions are wide, and
//! ordinary log text passes them: on a busy Expressway log, 7 million candidates in 200 MiB,
//! four fifths of the search's time. Two choices are ours, and cut them:
//!
//! - which part of each literal is searched for: any part finds the same lines (the scan then
//!   checks the whole literals), so each literal is searched for from where its first four
//!   bytes are rare in routine log lines ([`rare_part`]);
//! - which parts share a bucket: Teddy puts patterns whose four first bytes have the same low
//!   nibbles in one bucket, and otherwise a pattern in bucket `15 - id % 16`; the parts are
//!   grouped so that each bucket's masks let through as few ordinary bytes as possible, and
//!   ordered so that Teddy makes those buckets ([`arrange`]).
//!
//! Bucket assignment is aho-corasick 1.1's (`packed/teddy/generic.rs`), emulated in this
//! module's tests; should a later version assign otherwise, only the speed is lost.
//!
//! What passes for ordinary is learnt from `routine.log`: real routine lines of public
//! Expressway and Jabber logs, not our generators'. Neither choice changes what is found,
//! only how fast (tested in `signatures`: the same hits with and without the prefilter).

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

/// Teddy's buckets when it holds more than 32 patterns (its "fat" form, on AVX2).
const BUCKETS: usize = 16;

/// How many bytes of a literal its searched part keeps at least (all of a shorter one), so
/// that Teddy's verification still tells most candidates apart from the literal.
pub const KEPT: usize = 8;

/// The patterns to give Teddy for `literals` (each at least 4 bytes long): each literal's
/// [`rare_part`], grouped into buckets and ordered so that Teddy builds those buckets. With
/// 32 literals or fewer Teddy uses 8 buckets of its own choosing, and the order is the parts'.
pub fn arrange(literals: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut parts: Vec<&[u8]> = literals.iter().map(|l| rare_part(l)).collect();
    parts.sort_unstable();
    parts.dedup();
    if parts.len() <= 32 || parts.iter().any(|p| p.len() < 4) {
        return parts.into_iter().map(<[u8]>::to_vec).collect();
    }
    let groups = groups(&parts);
    let buckets = cluster(&groups, Routine::get());
    order(&groups, &buckets)
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect()
}

/// The parts (each at least 4 bytes long) in groups Teddy keeps in one bucket whatever we do:
/// those whose fingerprints have the same low nibbles.
fn groups<'a>(parts: &[&'a [u8]]) -> Vec<Vec<&'a [u8]>> {
    let mut by_nibbles: BTreeMap<[u8; 4], Vec<&[u8]>> = BTreeMap::new();
    for p in parts {
        by_nibbles
            .entry(std::array::from_fn(|k| p[k] & 0x0f))
            .or_default()
            .push(p);
    }
    by_nibbles.into_values().collect()
}

/// What the search looks for in place of `literal`: the tail of it that starts where its
/// first four bytes are rarest in routine log lines (fewest there together, then rarest one by
/// one), keeping at least [`KEPT`] bytes. `Detail="TCP Connection Failed"` is searched for
/// from `ion Failed"` rather than from `Deta`, which begins a field of most Expressway lines.
/// A literal across lines is searched for whole: the scan looks at the line where the match
/// starts.
pub fn rare_part(literal: &[u8]) -> &[u8] {
    if literal.len() < 4 || literal.contains(&b'\n') {
        return literal;
    }
    let routine = Routine::get();
    let last = literal.len() - KEPT.min(literal.len()).max(4);
    let best = (0..=last)
        .min_by(|&a, &b| {
            routine
                .rarity(&literal[a..])
                .partial_cmp(&routine.rarity(&literal[b..]))
                .unwrap_or(std::cmp::Ordering::Equal)
        })
        .unwrap_or(0);
    &literal[best..]
}

/// Real routine log lines (`routine.log`, copied from public pages): how often each byte,
/// and each four bytes, occur in them.
struct Routine {
    grams: HashMap<[u8; 4], u32>,
    /// Each byte's share of the lines' bytes (every byte counted once more, so none is 0).
    share: [f64; 256],
}

impl Routine {
    fn get() -> &'static Routine {
        static ROUTINE: OnceLock<Routine> = OnceLock::new();
        ROUTINE.get_or_init(|| Routine::read(include_str!("routine.log")))
    }

    fn read(text: &str) -> Routine {
        let mut grams = HashMap::new();
        let mut counts = [1u32; 256];
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let line = line.as_bytes();
            for &b in line {
                counts[b as usize] += 1;
            }
            for w in line.windows(4) {
                *grams.entry([w[0], w[1], w[2], w[3]]).or_default() += 1;
            }
        }
        let total: f64 = counts.iter().map(|&c| f64::from(c)).sum();
        Routine {
            grams,
            share: counts.map(|c| f64::from(c) / total),
        }
    }

    /// Ordering key of the fingerprint that starts `part` (lower is rarer): how often its four
    /// bytes occur together, then the product of their shares (as a sum of logarithms).
    fn rarity(&self, part: &[u8]) -> (u32, f64) {
        let gram = [part[0], part[1], part[2], part[3]];
        let together = self.grams.get(&gram).copied().unwrap_or(0);
        let alone = gram.iter().map(|&b| self.share[b as usize].ln()).sum();
        (together, alone)
    }
}

/// A bucket's masks: per fingerprint position, the low and the high nibbles its patterns have
/// there (bit n set for nibble n).
#[derive(Clone, Copy, Default)]
struct Masks([(u16, u16); 4]);

impl Masks {
    fn of(patterns: &[&[u8]]) -> Masks {
        let mut m = Masks::default();
        for p in patterns {
            for (k, &b) in p.iter().take(4).enumerate() {
                m.0[k].0 |= 1 << (b & 0x0f);
                m.0[k].1 |= 1 << (b >> 4);
            }
        }
        m
    }

    fn union(self, other: Masks) -> Masks {
        Masks(std::array::from_fn(|k| {
            (self.0[k].0 | other.0[k].0, self.0[k].1 | other.0[k].1)
        }))
    }

    /// The chance that four routine bytes pass these masks, bytes taken as independent: the
    /// share of candidates this bucket would make.
    fn passing(&self, routine: &Routine) -> f64 {
        self.0
            .iter()
            .map(|&(lo, hi)| {
                let mut share = 0.0;
                for h in (0..16).filter(|h| hi >> h & 1 == 1) {
                    for l in (0..16).filter(|l| lo >> l & 1 == 1) {
                        share += routine.share[h << 4 | l];
                    }
                }
                share
            })
            .product()
    }
}

/// The groups (indices into `groups`) put into [`BUCKETS`] buckets, merging at each step the
/// two whose merging adds the least work: a bucket's work is the candidates its masks let
/// through times the patterns each is verified against. A bucket over its even share of
/// groups (rounded up) is merged into only when nothing else is left, so that [`order`] can
/// give each group its bucket.
fn cluster(groups: &[Vec<&[u8]>], routine: &Routine) -> Vec<Vec<usize>> {
    struct Bucket {
        groups: Vec<usize>,
        patterns: usize,
        masks: Masks,
        work: f64,
    }
    let work = |masks: &Masks, patterns: usize| masks.passing(routine) * patterns as f64;
    const OVER_CAP: f64 = 1e6;
    let cap = groups.len().div_ceil(BUCKETS);
    let mut buckets: Vec<Bucket> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let masks = Masks::of(g);
            Bucket {
                groups: vec![i],
                patterns: g.len(),
                work: work(&masks, g.len()),
                masks,
            }
        })
        .collect();
    let added = |a: &Bucket, b: &Bucket| {
        let merged = work(&a.masks.union(b.masks), a.patterns + b.patterns) - a.work - b.work;
        // Over the cap: only when every pair is (a bucket's work is at most its patterns).
        if a.groups.len() + b.groups.len() > cap {
            merged + OVER_CAP
        } else {
            merged
        }
    };
    // The work each pair would add by merging (row i: pairs with j < i), kept up to date.
    let mut cost: Vec<Vec<f64>> = (0..buckets.len())
        .map(|i| (0..i).map(|j| added(&buckets[i], &buckets[j])).collect())
        .collect();
    while buckets.len() > BUCKETS {
        let mut best = (f64::INFINITY, 1, 0);
        for (i, row) in cost.iter().enumerate() {
            for (j, &c) in row.iter().enumerate() {
                if c < best.0 {
                    best = (c, i, j);
                }
            }
        }
        // Merge i (the later) into j.
        let (_, i, j) = best;
        let gone = buckets.remove(i);
        cost.remove(i);
        for row in cost.iter_mut().skip(i) {
            row.remove(i);
        }
        let b = &mut buckets[j];
        b.groups.extend(gone.groups);
        b.patterns += gone.patterns;
        b.masks = b.masks.union(gone.masks);
        b.work = work(&b.masks, b.patterns);
        for k in (0..buckets.len()).filter(|&k| k != j) {
            let (hi, lo) = (k.max(j), k.min(j));
            cost[hi][lo] = added(&buckets[hi], &buckets[lo]);
        }
    }
    // Merging can leave a bucket over its share (every pair left was); move its groups, the
    // cheapest move first, into buckets under theirs.
    let masks_of = |members: &[usize]| {
        members
            .iter()
            .fold(Masks::default(), |m, &g| m.union(Masks::of(&groups[g])))
    };
    while let Some(over) = buckets.iter().position(|b| b.groups.len() > cap) {
        let mut best = (f64::INFINITY, 0, over);
        for (at, &g) in buckets[over].groups.iter().enumerate() {
            let mut rest = buckets[over].groups.clone();
            rest.remove(at);
            let left_behind = work(&masks_of(&rest), buckets[over].patterns - groups[g].len());
            for (to, b) in buckets.iter().enumerate() {
                if b.groups.len() >= cap {
                    continue;
                }
                let joined = work(
                    &b.masks.union(Masks::of(&groups[g])),
                    b.patterns + groups[g].len(),
                );
                let added = left_behind + joined - buckets[over].work - b.work;
                if added < best.0 {
                    best = (added, at, to);
                }
            }
        }
        let (_, at, to) = best;
        if to == over {
            break; // no bucket under its share: cannot happen with BUCKETS × cap ≥ groups
        }
        let g = buckets[over].groups.remove(at);
        buckets[over].patterns -= groups[g].len();
        buckets[over].masks = masks_of(&buckets[over].groups);
        buckets[over].work = work(&buckets[over].masks, buckets[over].patterns);
        let b = &mut buckets[to];
        b.groups.push(g);
        b.patterns += groups[g].len();
        b.masks = b.masks.union(Masks::of(&groups[g]));
        b.work = work(&b.masks, b.patterns);
    }
    buckets.into_iter().map(|b| b.groups).collect()
}

/// The parts in the order that makes Teddy build `buckets`: Teddy gives a group its bucket
/// when it meets the group's first part, `15 - id % 16` for a part at index `id`, so bucket
/// b's groups begin at indices ≡ b (mod 16). A gap (bucket b has no group left to begin)
/// takes another part of a group already placed (it joins its group's bucket), else the next
/// group of the fullest bucket left, which then lands in bucket b: buckets of even shares
/// (see [`cluster`]) leave few such gaps, and no part is given twice.
fn order<'a>(groups: &[Vec<&'a [u8]>], buckets: &[Vec<usize>]) -> Vec<&'a [u8]> {
    let mut pending: Vec<Vec<usize>> = buckets
        .iter()
        .map(|b| b.iter().rev().copied().collect())
        .collect();
    let mut spare: Vec<&[u8]> = Vec::new();
    let mut out: Vec<&[u8]> = Vec::new();
    loop {
        let slot = out.len() % BUCKETS;
        let group = match pending.get_mut(slot).and_then(Vec::pop) {
            Some(g) => g,
            None => {
                if let Some(p) = spare.pop() {
                    out.push(p);
                    continue;
                }
                // The fullest bucket, the first of equals: the same order on every run.
                let fullest = pending
                    .iter_mut()
                    .rev()
                    .max_by_key(|p| p.len())
                    .and_then(Vec::pop);
                match fullest {
                    Some(g) => g,
                    None => break,
                }
            }
        };
        out.push(groups[group][0]);
        spare.extend(groups[group][1..].iter().rev());
    }
    out.extend(spare.into_iter().rev());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(literal: &str) -> &str {
        std::str::from_utf8(rare_part(literal.as_bytes())).unwrap()
    }

    #[test]
    fn each_literal_is_searched_for_past_what_routine_lines_hold() {
        // `Detail="`, `Local-ip=` and `, Method=` are on most lines of a real Expressway log.
        let failed = part(r#"Detail="TCP Connection Failed""#);
        assert!(
            !failed.starts_with("Deta") && !failed.starts_with("TCP "),
            "{failed}"
        );
        assert!(!part("Locator UDS request has failed").starts_with("Loca"));
        assert!(!part(", Method=SERVICE, CSeq=").starts_with(", Me"));
        // Whatever the choice, the part is the literal's tail, at least KEPT bytes long.
        for literal in [
            "abcd",
            "Unknown CUCM cluster for node",
            r#"Id=""#,
            "0123456789",
        ] {
            let p = part(literal);
            assert!(literal.ends_with(p), "{literal}: {p}");
            assert!(p.len() >= KEPT.min(literal.len()), "{literal}: {p}");
        }
    }

    /// Teddy's bucket for each pattern, as aho-corasick 1.1 assigns them (packed/teddy/
    /// generic.rs): by the low nibbles of the first four bytes, else `15 - id % 16`.
    fn teddy_buckets(patterns: &[Vec<u8>]) -> Vec<usize> {
        let mut by_nibbles = HashMap::new();
        patterns
            .iter()
            .enumerate()
            .map(|(id, p)| {
                let key: [u8; 4] = std::array::from_fn(|k| p[k] & 0x0f);
                *by_nibbles.entry(key).or_insert(BUCKETS - 1 - id % BUCKETS)
            })
            .collect()
    }

    fn catalog_literals() -> Vec<Vec<u8>> {
        let text = include_str!("catalog.toml");
        let mut literals: Vec<Vec<u8>> = crate::logs::signatures::Catalog::parse(text)
            .unwrap()
            .iter()
            .filter_map(|s| crate::logs::prefilter::required_literals(&s.pattern))
            .flatten()
            .collect();
        literals.sort();
        literals.dedup();
        literals
    }

    #[test]
    fn teddy_is_given_a_part_of_every_literal_and_nothing_else() {
        let literals = catalog_literals();
        let patterns = arrange(&literals);
        for l in &literals {
            let p = rare_part(l);
            assert!(
                patterns.iter().any(|q| q == p),
                "{:?}",
                String::from_utf8_lossy(l)
            );
        }
        for q in &patterns {
            assert!(
                literals.iter().any(|l| l.ends_with(q)),
                "{:?}",
                String::from_utf8_lossy(q)
            );
        }
    }

    #[test]
    fn the_order_makes_teddy_build_the_chosen_buckets() {
        let literals = catalog_literals();
        let parts: Vec<&[u8]> = {
            let mut p: Vec<&[u8]> = literals.iter().map(|l| rare_part(l)).collect();
            p.sort_unstable();
            p.dedup();
            p
        };
        let groups = groups(&parts);
        let buckets = cluster(&groups, Routine::get());
        assert!(buckets.len() <= BUCKETS);
        let ordered: Vec<Vec<u8>> = order(&groups, &buckets)
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect();
        let teddy = teddy_buckets(&ordered);
        let mut displaced = 0;
        for (b, members) in buckets.iter().enumerate() {
            for &g in members {
                let at: Vec<usize> = groups[g]
                    .iter()
                    .map(|p| ordered.iter().position(|q| q == p).unwrap())
                    .collect();
                // A group's parts share one bucket, whatever their places.
                assert!(at.iter().all(|&i| teddy[i] == teddy[at[0]]));
                if teddy[at[0]] != BUCKETS - 1 - b {
                    displaced += 1;
                }
            }
        }
        // Gaps are rare: a handful of groups land elsewhere than chosen.
        assert!(
            displaced <= 4,
            "{displaced} of {} groups displaced; sizes {:?}",
            groups.len(),
            buckets.iter().map(Vec::len).collect::<Vec<_>>()
        );
        // Every part once.
        let mut sorted = ordered.clone();
        sorted.sort();
        let mut parts: Vec<Vec<u8>> = parts.iter().map(|p| p.to_vec()).collect();
        parts.sort();
        assert_eq!(sorted, parts);
    }

    /// The share of routine positions Teddy would keep as candidates with `patterns` given
    /// in this order (bytes taken as independent, as `cluster` takes them).
    fn candidates(patterns: &[Vec<u8>]) -> f64 {
        let buckets = teddy_buckets(patterns);
        (0..BUCKETS)
            .map(|b| {
                let members: Vec<&[u8]> = patterns
                    .iter()
                    .zip(&buckets)
                    .filter(|&(_, &pb)| pb == b)
                    .map(|(p, _)| p.as_slice())
                    .collect();
                if members.is_empty() {
                    0.0
                } else {
                    Masks::of(&members).passing(Routine::get())
                }
            })
            .sum()
    }

    #[test]
    fn arranged_the_catalog_makes_far_fewer_candidates_than_as_written() {
        let literals = catalog_literals();
        let arranged = candidates(&arrange(&literals));
        let written = candidates(&literals);
        let mut parts: Vec<Vec<u8>> = literals.iter().map(|l| rare_part(l).to_vec()).collect();
        parts.sort();
        parts.dedup();
        let parts_sorted = candidates(&parts);
        // Measured on a 200 MiB busy Expressway log: 7.2 million candidates as written, 0.8
        // million arranged (aho-corasick's Teddy, simulated over the log).
        assert!(arranged * 5.0 < written, "{arranged} vs {written}");
        assert!(
            arranged * 5.0 < parts_sorted,
            "{arranged} vs {parts_sorted}"
        );
    }

    #[test]
    fn buckets_made_of_alike_fingerprints_pass_fewer_routine_bytes() {
        let routine = Routine::get();
        let alike = Masks::of(&[b"HOME_UDS", b"HOME_FOO"]);
        let unlike = Masks::of(&[b"HOME_UDS", b"tion fai"]);
        assert!(alike.passing(routine) < unlike.passing(routine));
    }

    #[test]
    fn routine_lines_are_routine() {
        // The catalog finds nothing in them: they teach what ordinary text looks like.
        let text = include_str!("routine.log");
        let catalog = crate::logs::signatures::Catalog::builtin();
        let lines: String = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(catalog.scan_at_most(lines.as_bytes(), usize::MAX), vec![]);
        assert!(Routine::get().grams.len() > 1000);
    }
}
