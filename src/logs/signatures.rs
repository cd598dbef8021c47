//! The signature catalog (data, `catalog.toml`, extendable with the user's own file) and the
//! scan: one multi-pattern regex over the whole buffer, line bounds found only around hits,
//! then the hit's own regex on its record for the named fields.

use crate::faults::Phase;
use crate::logs::confirm::Confirm;
use crate::model::{ArcStr, FieldMap, Severity};
use regex_automata::util::captures::Captures;
use regex_automata::{Input, MatchKind, PatternSet, meta};
use serde::Deserialize;
use std::sync::{Arc, OnceLock};

pub const BUILTIN: &str = include_str!("catalog.toml");

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    pub id: String,
    pub source: String,
    pub log: String,
    pub phase: Phase,
    /// The fault id this signature implies (a core one, or the user's own `PHASE.x-NAME`);
    /// empty when it only informs.
    #[serde(default)]
    pub fault: String,
    pub severity: Severity,
    pub pattern: String,
    #[serde(default)]
    pub fields: Vec<String>,
    /// The field naming the user or client the line is about, if any.
    #[serde(default)]
    pub subject: Option<String>,
    /// The field holding the client's address as Expressway-E logs it (Src-ip of a request
    /// it received), when the subject names someone else (the AOR); links lines to users.
    #[serde(default)]
    pub client: Option<String>,
    /// What the judge relies on this signature for (a sign-in's start, a trail's step…).
    #[serde(default)]
    pub role: Option<crate::model::Role>,
    /// The ports the failure it means happens on (a traversal zone's 7001…): a record whose
    /// own `Dst-port`/`Src-port` are others is about something else.
    #[serde(default)]
    pub ports: Vec<u16>,
    /// The direction the failure implies, from the box that logs it: a record that states
    /// the other (`Event="Inbound …"`, `Action="Sent"`, `Detail="Receive …"`) is not it.
    #[serde(default)]
    pub direction: Option<Direction>,
    /// The box that writes this line (`e` or `c`): where an Expressway's own configuration
    /// dump says a line's box is the other one, the judge sets the line aside.
    #[serde(default, rename = "box")]
    pub written_by: Option<crate::model::ExpresswayRole>,
    /// `real` (the example is a line a real system wrote, with its public source) or
    /// `constructed`.
    #[serde(default)]
    pub provenance: Option<String>,
    /// A generic recogniser: the line is read by its fields (port, URL, alarm id…), not by
    /// one wording; a specific signature on the same line wins.
    #[serde(default)]
    pub generic: Option<crate::logs::generic::Generic>,
    pub meaning: String,
    pub fix: String,
    pub example: String,
}

pub struct Catalog {
    pub signatures: Vec<Signature>,
    /// Each signature's place by id: the judge looks one up for every log line it reads.
    by_id: foldhash::HashMap<String, usize>,
    /// Each signature's id, held once and shared by the lines it finds.
    ids: Vec<Arc<str>>,
    /// Each signature's fault, held once and shared likewise.
    faults: Vec<Option<ArcStr>>,
    /// Each signature's place by where its shared id is: a line's lookup without hashing
    /// its id (the ids live as long as the catalog, so an address names one of them).
    by_address: foldhash::HashMap<usize, usize>,
    /// The matchers, built on the first scan: a run without a log never pays for them.
    compiled: OnceLock<Result<Compiled, String>>,
}

struct Compiled {
    finder: Finder,
    /// Each signature's own regex: it confirms a candidate line and reads the named groups;
    /// built the first time a line holds one of its literals (a log meets a few signatures;
    /// building them all cost 6 ms of every run).
    confirm: Vec<OnceLock<Option<Confirm>>>,
    field_res: Vec<Vec<(String, FieldFinder)>>,
}

/// Finds a `Key="value"` field in a record: `\bKey\s*=\s*"\s*(value)\s*"`, the value
/// trimmed, the first occurrence that has this shape. By hand with a substring search for
/// names that start with an ASCII word character (all of ours): a regex per field and hit
/// cost more than the scan around it.
enum FieldFinder {
    Name(Box<memchr::memmem::Finder<'static>>),
    Regex(regex::bytes::Regex),
}

impl FieldFinder {
    fn new(name: &str) -> FieldFinder {
        if name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            FieldFinder::Name(Box::new(
                memchr::memmem::Finder::new(name.as_bytes()).into_owned(),
            ))
        } else {
            let re = format!(r#"\b{}\s*=\s*"\s*([^"]*?)\s*""#, regex::escape(name));
            FieldFinder::Regex(regex::bytes::Regex::new(&re).expect("escaped field name"))
        }
    }

    fn find<'r>(&self, record: &'r [u8]) -> Option<&'r [u8]> {
        let finder = match self {
            FieldFinder::Regex(re) => return re.captures(record)?.get(1).map(|m| m.as_bytes()),
            FieldFinder::Name(finder) => finder,
        };
        let space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r');
        let skip = |mut at: usize| {
            while record.get(at).is_some_and(|&b| space(b)) {
                at += 1;
            }
            at
        };
        for start in finder.find_iter(record) {
            // `\b`: no word character (ASCII, or any byte of a multi-byte character, as the
            // regex's Unicode letters would be) right before the name.
            if start > 0 && {
                let b = record[start - 1];
                b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
            } {
                continue;
            }
            let at = skip(start + finder.needle().len());
            if record.get(at) != Some(&b'=') {
                continue;
            }
            let at = skip(at + 1);
            if record.get(at) != Some(&b'"') {
                continue;
            }
            let Some(len) = memchr::memchr(b'"', &record[at + 1..]) else {
                continue;
            };
            let value = &record[at + 1..at + 1 + len];
            let first = value.iter().position(|&b| !space(b)).unwrap_or(value.len());
            let last = value
                .iter()
                .rposition(|&b| !space(b))
                .map_or(first, |i| i + 1);
            return Some(&value[first..last]);
        }
        None
    }
}

/// What finds the candidate lines over the whole buffer.
enum Finder {
    /// Rare literals, one of which every match of every signature holds: only lines with
    /// one are matched against the regexes, and on such a line only the signatures whose
    /// literals it holds.
    Literals {
        /// Over the whole text (Teddy), for the next line holding any literal.
        teddy: aho_corasick::packed::Searcher,
        /// Over one line, every literal it holds (overlapping matches).
        on_line: aho_corasick::AhoCorasick,
        /// Per literal, the signatures that require it.
        holders: Vec<Vec<usize>>,
        /// How far into a literal Teddy's part of it starts, at most: Teddy finds the
        /// leftmost part, so no literal on that line starts more than this before it.
        reach: usize,
    },
    /// All patterns as one regex, for a catalog where some signature promises no literal;
    /// the same with overlapping semantics for "every signature on this line".
    Patterns {
        matcher: meta::Regex,
        overlapping: meta::Regex,
    },
}

impl Finder {
    /// The literal finders from each signature's required literals; `None` when Teddy cannot
    /// take them (see `prefilter::searcher`).
    fn literals(sets: Vec<Vec<Vec<u8>>>) -> Option<Finder> {
        let mut literals: Vec<Vec<u8>> = sets.iter().flatten().cloned().collect();
        literals.sort();
        literals.dedup();
        let teddy = crate::logs::prefilter::searcher(&literals)?;
        let reach = literals
            .iter()
            .map(|l| l.len() - crate::logs::fingerprints::rare_part(l).len())
            .max()
            .unwrap_or(0);
        let mut holders = vec![Vec::new(); literals.len()];
        for (sig, set) in sets.iter().enumerate() {
            for literal in set {
                let i = literals
                    .binary_search(literal)
                    .expect("a literal of the list");
                holders[i].push(sig);
            }
        }
        let on_line = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::Standard)
            // Twice as fast over a line as an NFA; its 5 ms to build pay off from a few
            // thousand candidate lines on.
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(&literals)
            .ok()?;
        Some(Finder::Literals {
            teddy,
            on_line,
            holders,
            reach,
        })
    }
}

/// One signature found in a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub signature: usize,
    /// 1-based line of the match.
    pub line: u64,
    /// Byte range of the matched line, and of its whole record (with continuation lines).
    pub line_range: (usize, usize),
    pub record_range: (usize, usize),
    pub fields: FieldMap,
}

impl Catalog {
    /// The signatures of a catalog file, or every problem in it, a line each.
    pub fn parse(text: &str) -> Result<Vec<Signature>, String> {
        crate::logs::catalog_file::read(text).map_err(|problems| {
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        })
    }

    /// The catalog, its matchers built now: an unusable pattern is an error here.
    pub fn compile(signatures: Vec<Signature>) -> Result<Catalog, String> {
        let catalog = Catalog::lazy(signatures)?;
        let compiled = catalog.compiled()?;
        // Each signature's own regex too (otherwise built on its first line): a user's
        // pattern that does not compile is refused here, by its id.
        for (sig, s) in catalog.signatures.iter().enumerate() {
            if compiled.confirm(sig, &s.pattern).is_none() {
                // Built again for its error.
                let e = regex::bytes::Regex::new(&s.pattern)
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                return Err(format!("signature {}: {e}", s.id));
            }
        }
        Ok(catalog)
    }

    /// The catalog, its matchers built on the first scan (for patterns known to compile).
    pub fn lazy(signatures: Vec<Signature>) -> Result<Catalog, String> {
        let mut seen = std::collections::BTreeSet::new();
        for s in &signatures {
            if !seen.insert(s.id.clone()) {
                return Err(format!("signature id {} appears twice", s.id));
            }
            if let Some(p) = &s.provenance
                && !matches!(p.as_str(), "real" | "constructed")
            {
                return Err(format!(
                    "signature {}: provenance = {p:?}, not \"real\" or \"constructed\"",
                    s.id
                ));
            }
            // Lines are matched within their own family: an unknown one would match nothing
            // that has a header.
            if !matches!(s.log.as_str(), "expressway" | "jabber") {
                return Err(format!(
                    "signature {}: log = {:?}, not \"expressway\" or \"jabber\"",
                    s.id, s.log
                ));
            }
        }
        Ok(Catalog::indexed(signatures, OnceLock::new()))
    }

    fn indexed(signatures: Vec<Signature>, compiled: OnceLock<Result<Compiled, String>>) -> Self {
        let by_id = signatures
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i))
            .collect();
        let ids: Vec<Arc<str>> = signatures
            .iter()
            .map(|s| Arc::from(s.id.as_str()))
            .collect();
        let faults = signatures
            .iter()
            .map(|s| (!s.fault.is_empty()).then(|| ArcStr::from(s.fault.as_str())))
            .collect();
        let by_address = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_ptr() as usize, i))
            .collect();
        Catalog {
            signatures,
            by_id,
            ids,
            faults,
            by_address,
            compiled,
        }
    }

    /// Signature `sig`'s fault, shared, if it names one.
    pub fn shared_fault(&self, sig: usize) -> Option<ArcStr> {
        self.faults[sig].clone()
    }

    /// Signature `sig`'s id, shared: what a line it finds carries.
    pub fn shared_id(&self, sig: usize) -> Arc<str> {
        self.ids[sig].clone()
    }

    /// Whether signature `sig`, its pattern matching in `record`, applies to it (its family,
    /// its ports, its direction): what `scan` checks on every hit.
    pub fn applies_to(&self, sig: usize, record: &[u8]) -> bool {
        self.signatures[sig].applies(record_family(record), record)
    }

    /// The signature with this id.
    pub fn get(&self, id: &str) -> Option<&Signature> {
        if let Some(&i) = self.by_address.get(&(id.as_ptr() as usize))
            && self.ids[i].len() == id.len()
        {
            return Some(&self.signatures[i]);
        }
        self.by_id.get(id).map(|&i| &self.signatures[i])
    }

    /// The catalog compiled into the binary (its matchers built on first use). Read without
    /// the checks a user's file gets (each pattern compiled, each field probed, each example
    /// matched): they cost most of a small run's start, and a test runs them on this file.
    pub fn builtin() -> &'static Catalog {
        #[derive(Deserialize)]
        struct File {
            signature: Vec<Signature>,
        }
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            let file: File = toml::from_str(BUILTIN).expect("built-in catalog parses");
            Catalog::lazy(file.signature).expect("built-in signature ids are unique")
        })
    }

    fn compiled(&self) -> Result<&Compiled, String> {
        self.compiled
            .get_or_init(|| Compiled::build(&self.signatures, true))
            .as_ref()
            .map_err(String::clone)
    }

    /// Every hit in `text`, in order, at most one per signature and line.
    pub fn scan(&self, text: &[u8]) -> Vec<Hit> {
        self.scan_at_most(text, usize::MAX)
    }

    /// As `scan`, stopping after `limit` hits (a log where every line matches is not worth
    /// more than that).
    pub fn scan_at_most(&self, text: &[u8], limit: usize) -> Vec<Hit> {
        let mut hits: Vec<Hit> = Vec::new();
        // A catalog whose patterns do not compile was refused by `compile`; the built-in one
        // compiles (tested).
        let Ok(c) = self.compiled() else {
            return hits;
        };
        let mut counted_to = 0usize;
        let mut line_no = 1u64;
        let mut at = 0usize;
        let mut matched = Vec::new();
        let mut set = PatternSet::new(self.signatures.len());
        // Each signature's groups on the line it last matched, room made on its first.
        let mut caps: Vec<Option<Captures>> = vec![None; self.signatures.len()];
        // The whole buffer is searched, for a rare literal when the catalog has them (else for
        // the patterns themselves); only a line found so is looked at, once, for every
        // signature it holds (leftmost-first matching alone would hide overlapping ones).
        let next = |at: usize| match &c.finder {
            Finder::Literals { teddy, .. } => teddy
                .find_in(text, aho_corasick::Span::from(at..text.len()))
                .map(|m| m.start()),
            Finder::Patterns { matcher, .. } => matcher
                .find(Input::new(text).range(at..))
                .map(|m| m.start()),
        };
        while let Some(start) = next(at) {
            let (ls, le) = line_bounds(text, start);
            at = (le + 1).min(text.len());
            c.on_line(
                &self.signatures,
                (&text[ls..le], start - ls),
                &mut set,
                &mut caps,
                &mut matched,
            );
            if matched.is_empty() {
                // A literal without its pattern around it.
                if at >= text.len() {
                    break;
                }
                continue;
            }
            line_no += memchr::memchr_iter(b'\n', &text[counted_to..ls]).count() as u64;
            counted_to = ls;
            let record = record_bounds(text, ls, le);
            let family = record_family(&text[record.0..record.1]);
            let applies: Vec<usize> = matched
                .iter()
                .copied()
                .filter(|&sig| self.signatures[sig].applies(family, &text[record.0..record.1]))
                .collect();
            // A generic recogniser gives way to a specific signature on the same line.
            let specific = applies
                .iter()
                .any(|&sig| self.signatures[sig].generic.is_none());
            for sig in applies {
                if specific && self.signatures[sig].generic.is_some() {
                    continue;
                }
                let fields = c.fields(
                    sig,
                    caps[sig].as_ref(),
                    &text[ls..le],
                    &text[record.0..record.1],
                );
                hits.push(Hit {
                    signature: sig,
                    line: line_no,
                    line_range: (ls, le),
                    record_range: record,
                    fields,
                });
            }
            if at >= text.len() || hits.len() >= limit {
                break;
            }
        }
        hits
    }
}

/// The log family a record's own header shows (`expressway`, `jabber`), if it shows one: a
/// pasted line without its header could be either.
fn record_family(record: &[u8]) -> Option<&'static str> {
    let first = record.split(|&c| c == b'\n').next().unwrap_or(record);
    // The common case without a regex: an Expressway header's `YYYY-MM-DDThh:mm:ss`.
    if first.len() > 20
        && first[..4].iter().all(u8::is_ascii_digit)
        && first[4] == b'-'
        && first[7] == b'-'
        && first[10] == b'T'
    {
        return Some("expressway");
    }
    match super::grammar::detect(first) {
        super::grammar::Grammar::Expressway => Some("expressway"),
        super::grammar::Grammar::Jabber => Some("jabber"),
        _ => None,
    }
}

/// Which way a record's message went, as the box that logged it sees it.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Inbound,
    Outbound,
}

/// The direction a record states: an event's `Inbound`/`Outbound`, a message's
/// `Action="Received"`/`"Sent"`, a summary's `Receive …`/`Sending …`; none when it says none
/// or says both.
fn record_direction(record: &[u8]) -> Option<Direction> {
    static RE: OnceLock<regex::bytes::Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::bytes::Regex::new(
            r#"Event="\s*(Inbound|Outbound) |Action="(Received|Sent)"|Detail="\s*(Receive|Sending) (?:Request|Response)"#,
        )
        .expect("valid")
    });
    let mut found = None;
    for c in re.captures_iter(record) {
        let word = c.iter().skip(1).flatten().next()?.as_bytes();
        let d = match word {
            b"Inbound" | b"Received" | b"Receive" => Direction::Inbound,
            _ => Direction::Outbound,
        };
        match found {
            None => found = Some(d),
            Some(f) if f != d => return None,
            _ => {}
        }
    }
    found
}

/// `Dst-port="7001"`, `Src-port=" 5062 "`: the ports a record names.
fn record_ports(record: &[u8]) -> Vec<u16> {
    static RE: OnceLock<regex::bytes::Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::bytes::Regex::new(r#"(?:Dst|Src)-port="\s*(\d{1,5})\s*""#).expect("valid")
    });
    re.captures_iter(record)
        .filter_map(|c| std::str::from_utf8(&c[1]).ok()?.parse().ok())
        .collect()
}

impl Signature {
    /// Whether a record this signature's pattern matched is one it is about: a line of its
    /// own log family (when the header tells), in its direction (when both say one), on one
    /// of its ports (when it has ports and the record names some).
    fn applies(&self, family: Option<&str>, record: &[u8]) -> bool {
        if family.is_some_and(|f| f != self.log) {
            return false;
        }
        if let Some(want) = self.direction
            && record_direction(record).is_some_and(|d| d != want)
        {
            return false;
        }
        if self.ports.is_empty() {
            return true;
        }
        let named = record_ports(record);
        named.is_empty() || named.iter().any(|p| self.ports.contains(p))
    }
}

impl Compiled {
    /// Every signature whose pattern matches `line`, in catalog order, into `matched`, its
    /// groups into `caps`. `found` is where in the line the search found it.
    fn on_line(
        &self,
        signatures: &[Signature],
        (line, found): (&[u8], usize),
        set: &mut PatternSet,
        caps: &mut [Option<Captures>],
        matched: &mut Vec<usize>,
    ) {
        matched.clear();
        match &self.finder {
            Finder::Literals {
                on_line,
                holders,
                reach,
                ..
            } => {
                // Literals can only start from `reach` before the part Teddy found.
                let from = found.saturating_sub(*reach);
                let input = aho_corasick::Input::new(line).range(from..);
                for m in on_line.find_overlapping_iter(input) {
                    matched.extend(&holders[m.pattern().as_usize()]);
                }
                matched.sort_unstable();
                matched.dedup();
            }
            Finder::Patterns { overlapping, .. } => {
                set.clear();
                overlapping.which_overlapping_matches(&Input::new(line), set);
                matched.extend(set.iter().map(|p| p.as_usize()));
            }
        }
        // Confirmed by the signature's own regex (which also reads its groups).
        matched.retain(|&sig| {
            self.confirm(sig, &signatures[sig].pattern)
                .is_some_and(|re| re.matches(line, caps[sig].get_or_insert_with(|| re.captures())))
        });
    }

    /// The signature's own regex, built the first time it is needed.
    fn confirm(&self, sig: usize, pattern: &str) -> Option<&Confirm> {
        // The built-in patterns compile (tested); a user's were built by `compile`.
        self.confirm[sig]
            .get_or_init(|| Confirm::new(pattern))
            .as_ref()
    }

    /// Named groups of the signature's own regex on the line (`caps`, as `on_line` left
    /// them), and its `Key="value"` fields from the whole record.
    fn fields(&self, sig: usize, caps: Option<&Captures>, line: &[u8], record: &[u8]) -> FieldMap {
        let mut fields = FieldMap::default();
        if let Some(confirm) = self.confirm[sig].get().and_then(Option::as_ref)
            && let Some(caps) = caps
        {
            for (name, value) in confirm.groups(caps, line) {
                fields.insert(name, String::from_utf8_lossy(value).trim().to_string());
            }
        }
        // A group named `x_b64` is base64 (MRA puts domains and internal routes in URL
        // paths that way): its decoded text becomes the field `x`.
        let decoded: Vec<(String, String)> = fields
            .iter()
            .filter_map(|(k, v)| Some((k.strip_suffix("_b64")?.to_string(), decode_b64(v)?)))
            .collect();
        for (name, value) in decoded {
            fields.insert(&name, value);
        }
        if let Some(summary) = crate::logs::edge_config::summarize(record) {
            fields.insert("edge_config", summary);
        }
        for (name, value) in crate::logs::identity::identities(record) {
            fields.insert_absent(name, value);
        }
        for (name, finder) in &self.field_res[sig] {
            if let Some(value) = finder.find(record) {
                fields.insert(name, String::from_utf8_lossy(value).into_owned());
            }
        }
        fields
    }

    /// `literals`: find candidate lines by the signatures' rare literals when they all have
    /// some (else, or when false, by the patterns themselves).
    fn build(signatures: &[Signature], literals: bool) -> Result<Compiled, String> {
        let patterns: Vec<&str> = signatures.iter().map(|s| s.pattern.as_str()).collect();
        let confirm = signatures.iter().map(|_| OnceLock::new()).collect();
        let field_res = signatures
            .iter()
            .map(|s| {
                s.fields
                    .iter()
                    .map(|f| (f.clone(), FieldFinder::new(f)))
                    .collect()
            })
            .collect();
        let sets = literals
            .then(|| {
                signatures
                    .iter()
                    .map(|s| crate::logs::prefilter::required_literals(&s.pattern))
                    .collect::<Option<Vec<_>>>()
            })
            .flatten();
        let finder = match sets.and_then(Finder::literals) {
            Some(finder) => finder,
            None => Finder::Patterns {
                matcher: meta::Regex::new_many(&patterns)
                    .map_err(|e| format!("signature patterns: {e}"))?,
                // Only which patterns match a candidate line is asked of it: no capture
                // groups, and no prefilter of its own (the search above found the line).
                overlapping: meta::Regex::builder()
                    .configure(
                        meta::Config::new()
                            .match_kind(MatchKind::All)
                            .which_captures(regex_automata::nfa::thompson::WhichCaptures::Implicit)
                            .auto_prefilter(false),
                    )
                    .build_many(&patterns)
                    .map_err(|e| format!("signature patterns: {e}"))?,
            },
        };
        Ok(Compiled {
            finder,
            confirm,
            field_res,
        })
    }
}

/// Base64 as MRA writes it in paths: standard or URL-safe alphabet, padding optional; only
/// printable text is accepted.
fn decode_b64(v: &str) -> Option<String> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let trimmed = v.trim_end_matches('=');
    let bytes = STANDARD_NO_PAD
        .decode(trimmed)
        .or_else(|_| URL_SAFE_NO_PAD.decode(trimmed))
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.chars().all(|c| c.is_ascii_graphic()).then_some(text)
}

/// The line holding byte `pos`: start, and end without its line break.
pub fn line_bounds(text: &[u8], pos: usize) -> (usize, usize) {
    let start = memchr::memrchr(b'\n', &text[..pos]).map_or(0, |i| i + 1);
    let end = memchr::memchr(b'\n', &text[pos..]).map_or(text.len(), |i| pos + i);
    let end = if end > start && text[end - 1] == b'\r' {
        end - 1
    } else {
        end
    };
    (start, end)
}

/// Continuation lines of SIPMSG / HTTPMSG blocks start with a space or `|`, or are the
/// block's marker on a line of its own. (A chunk of a log is never cut before one.)
pub(crate) fn is_continuation(line: &[u8]) -> bool {
    // S9 writes the block's marker at the start of its own line (`HTTPMSG:`), S21 indented.
    matches!(line.first(), Some(b' ' | b'|' | b'\t'))
        || BLOCK_MARKERS.iter().any(|m| line.starts_with(m))
}

/// The markers that open a message block, on a line of their own in S9's logs.
pub(crate) const BLOCK_MARKERS: [&[u8]; 2] = [b"HTTPMSG:", b"SIPMSG:"];

/// Widen a line to its whole record: back to the header line, forward over continuations.
fn record_bounds(text: &[u8], mut start: usize, mut end: usize) -> (usize, usize) {
    const MAX_RECORD: usize = 64 * 1024;
    let origin = start;
    while start > 0 && origin - start < MAX_RECORD && is_continuation(&text[start..end.max(start)])
    {
        let (s, _) = line_bounds(text, start - 1);
        start = s;
    }
    while let Some(i) = memchr::memchr(b'\n', &text[end..]) {
        let next = end + i + 1;
        if next >= text.len() || end - origin > MAX_RECORD {
            break;
        }
        let (ns, ne) = line_bounds(text, next);
        if !is_continuation(&text[ns..ne]) {
            break;
        }
        end = ne;
    }
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ids of the built-in signatures that match `text`, in order.
    fn ids(text: &str) -> Vec<String> {
        let cat = Catalog::builtin();
        cat.scan(text.as_bytes())
            .iter()
            .map(|h| cat.signatures[h.signature].id.clone())
            .collect()
    }

    #[test]
    fn every_signature_finds_its_own_example() {
        let cat = Catalog::builtin();
        assert!(
            cat.signatures.len() >= 40,
            "{} signatures",
            cat.signatures.len()
        );
        for (i, s) in cat.signatures.iter().enumerate() {
            let text = format!(
                "unrelated line before\n{}\nunrelated line after\n",
                s.example
            );
            let hits = cat.scan(text.as_bytes());
            assert!(
                hits.iter().any(|h| h.signature == i && h.line == 2),
                "{} does not find its example; hits: {hits:?}",
                s.id
            );
        }
    }

    /// The hand-written field search finds what the regex it replaces finds, on records
    /// made of the pieces that matter (the name inside others, spaces, `=`, quotes, line
    /// breaks, a multi-byte letter).
    #[test]
    fn a_field_is_found_as_its_regex_finds_it() {
        use proptest::prelude::*;
        let piece = prop::sample::select(vec![
            "Src-ip", "XSrc-ip", "Src-ip ", "=", " = ", "\"", "\" ", " ", "\t", "\n", "10.0.0.1",
            "a", "_", "-", "é", "Src-ipx", "Dst-ip",
        ]);
        let by_hand = FieldFinder::new("Src-ip");
        let re = format!(r#"\b{}\s*=\s*"\s*([^"]*?)\s*""#, regex::escape("Src-ip"));
        let by_regex = FieldFinder::Regex(regex::bytes::Regex::new(&re).unwrap());
        proptest!(ProptestConfig::with_cases(4000), |(parts in prop::collection::vec(piece, 0..14))| {
            let record = parts.concat();
            prop_assert_eq!(by_hand.find(record.as_bytes()), by_regex.find(record.as_bytes()), "{:?}", record);
        });
    }

    /// The built-in catalog is read without the file checks at run time: here it passes
    /// them all (every pattern compiles and matches its example, every field has its type),
    /// and the checked reading gives the same signatures.
    #[test]
    fn the_builtin_catalog_passes_the_checks_a_users_file_gets() {
        let checked = Catalog::parse(BUILTIN).expect("every check passes");
        let fast = &Catalog::builtin().signatures;
        assert_eq!(checked.len(), fast.len());
        for (a, b) in checked.iter().zip(fast) {
            assert_eq!(
                (&a.id, &a.pattern, &a.fault, &a.fields, &a.example),
                (&b.id, &b.pattern, &b.fault, &b.fields, &b.example)
            );
        }
    }

    #[test]
    fn the_builtin_catalog_is_scanned_through_its_literal_prefilter() {
        let cat = Catalog::builtin();
        let missing: Vec<&str> = cat
            .signatures
            .iter()
            .filter(|s| crate::logs::prefilter::required_literals(&s.pattern).is_none())
            .map(|s| s.id.as_str())
            .collect();
        assert!(missing.is_empty(), "no rare literal for {missing:?}");
        assert!(matches!(
            cat.compiled().unwrap().finder,
            Finder::Literals { .. }
        ));
    }

    /// A pattern with a literal whose regex is too large to build: the literal search
    /// would take it, so `compile` builds every signature's own regex to refuse it by id.
    #[test]
    fn a_pattern_that_cannot_be_built_is_refused_by_its_id() {
        let mut signatures = Catalog::builtin().signatures.clone();
        let mut big = signatures[0].clone();
        big.id = "x-too-big".into();
        big.pattern = r"TCP Connection Failed(?:\w{2000}){2000}".into();
        assert!(crate::logs::prefilter::required_literals(&big.pattern).is_some());
        signatures.push(big);
        let err = Catalog::compile(signatures).err().expect("refused");
        assert!(err.starts_with("signature x-too-big: "), "{err}");
        assert!(Catalog::compile(Catalog::builtin().signatures.clone()).is_ok());
    }

    #[test]
    fn a_signature_is_found_by_its_shared_id_and_by_its_text_alike() {
        let catalog = Catalog::builtin();
        for (i, s) in catalog.signatures.iter().enumerate() {
            let shared = catalog.shared_id(i);
            assert!(std::ptr::eq(catalog.get(&shared).unwrap(), s));
            assert!(std::ptr::eq(catalog.get(&s.id.clone()).unwrap(), s));
            // A prefix at the shared id's address is another text.
            assert!(
                catalog
                    .get(&shared[..shared.len() - 1])
                    .is_none_or(|o| o.id != s.id)
            );
        }
        assert!(catalog.get("no-such-signature").is_none());
    }

    #[test]
    fn with_and_without_the_prefilter_the_same_hits() {
        let with = Catalog::builtin();
        let without = Catalog::indexed(
            with.signatures.clone(),
            OnceLock::from(Compiled::build(&with.signatures, false)),
        );
        assert!(matches!(
            without.compiled().unwrap().finder,
            Finder::Patterns { .. }
        ));
        let mut text = String::new();
        for (i, s) in with.signatures.iter().enumerate() {
            text.push_str(&format!(
                "routine line {i} with Detail=\"nothing\"\n{}\n",
                s.example
            ));
            // A line with a literal but not its pattern: looked at, nothing found.
            text.push_str("Level=\"INFO\" Detail=\"Unable to determine\" HTTP/1.1 \n");
            // Two signatures' lines as one: both found, whichever literal comes first.
            let next = &with.signatures[(i + 1) % with.signatures.len()].example;
            text.push_str(&format!("{} | {next}\n", s.example.replace('\n', " ")));
        }
        assert_eq!(with.scan(text.as_bytes()), without.scan(text.as_bytes()));
        assert!(with.scan(text.as_bytes()).len() >= with.signatures.len());
    }

    #[test]
    fn fields_come_from_named_groups_and_key_value_pairs() {
        let cat = Catalog::builtin();
        let text = b"2024-03-05T10:00:00+01:00 expc edgeconfigprovisioning: Level=\"INFO\" Detail=\"Failed to authenticate user against server\" Username= \" alice \" Server=\"x\"\n";
        let hits = cat.scan(text);
        let hit = hits
            .iter()
            .find(|h| cat.signatures[h.signature].id == "expc-uds-authentication-failed")
            .unwrap();
        assert_eq!(hit.fields.get("Username"), Some("alice"));
        let text = b"xwayc XCP_JABBERD[1]: Detail=\" Unable to connect to host '10.48.36.171', port 7400 :(111) Connection refused\"\n";
        let hit = &cat.scan(text)[0];
        assert_eq!(hit.fields.get("host"), Some("10.48.36.171"));
        assert_eq!(hit.fields.get("errno"), Some("111"));
    }

    #[test]
    fn a_signature_matches_only_lines_of_its_own_family_and_ports() {
        // A Jabber failure's wording inside an Expressway line is not the Jabber failure.
        let jabber_words = "ServiceDiscoveryHandlerResult return code FAILED_NO_SRV_RECORDS_FOUND";
        assert_eq!(
            ids(&format!(
                "2026-11-26 14:17:37,502 INFO [0x1] [x] [service-discovery] [y] - {jabber_words}\n"
            )),
            vec!["jabber-no-srv-records"]
        );
        assert!(ids(&format!("2024-03-05T10:06:00.000+01:00 expe tvcs: UTCTime=\"2024-03-05 09:06:00,000\" Module=\"x\" Detail=\"{jabber_words}\"\n")).is_empty());
        // Without a header (a pasted line) the family is unknown: it still matches.
        assert_eq!(
            ids(&format!("{jabber_words}\n")),
            vec!["jabber-no-srv-records"]
        );
        // The traversal zone's identity failure is on 7001; the same words for a 5062 peer
        // (a Webex hybrid call) are not the traversal zone.
        let line = |port: u16| {
            format!(
                "2017-06-13T13:31:38.760-05:00 vcse tvcs: Event=\"Outbound TLS Negotiation Error\" Service=\"SIP\" Dst-ip=\"198.51.100.5\" Dst-port=\"{port}\" Detail=\"Peer's TLS certificate identity was unacceptable\" Protocol=\"TLS\"\n"
            )
        };
        assert_eq!(
            ids(&line(7001)),
            vec!["traversal-tls-identity-unacceptable"]
        );
        // It is read by the generic recogniser instead (port 5062: SIP, a name mismatch).
        assert_eq!(
            ids(&line(5062)),
            vec!["generic-expressway-tls-negotiation-error"]
        );
    }

    #[test]
    fn a_catalog_names_its_family() {
        let mut sigs = Catalog::parse(BUILTIN).unwrap();
        sigs[0].log = "expresway".into();
        let err = Catalog::lazy(sigs).err().expect("refused");
        assert!(err.contains("expresway"), "{err}");
    }

    #[test]
    fn hits_in_a_sipmsg_block_belong_to_its_header_record_and_count_lines() {
        let cat = Catalog::builtin();
        let text = b"line one\n2016-04-19T17:09:13+10:00 expc tvcs: Module=\"network.sip\" Level=\"DEBUG\":  Action=\"Sent\"\n SIPMSG:\n |SIP/2.0 408 Request Timeout\n Warning: 399 10.0.30.2:5061 \"Request Timeout\"\n Content-Length: 0\nnext record\n";
        let hits = cat.scan(text);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].line, 5);
        let (s, e) = hits[0].record_range;
        let record = std::str::from_utf8(&text[s..e]).unwrap();
        assert!(
            record.starts_with("2016-04-19") && record.ends_with("Content-Length: 0"),
            "{record}"
        );
    }

    #[test]
    fn base64_path_segments_are_decoded_into_fields() {
        let cat = Catalog::builtin();
        let text = b"2024-03-05T10:02:11.120+01:00 expe traffic_server[2211]: Detail=\"Receive Request\" Txn-id=\"41\" Msg=\"GET /ZXhhbXBsZS5jb20/get_edge_config?service_name=_cisco-uds HTTP/1.1\"\n\
";
        let hits = cat.scan(text);
        let edge = hits
            .iter()
            .find(|h| cat.signatures[h.signature].id == "edge-config-request")
            .unwrap();
        assert_eq!(edge.fields.get("domain"), Some("example.com"));
        // A relayed route, as Jabber logs it, decodes the same way.
        assert_eq!(
            decode_b64("aHBjbC5jby5pbi9odHRwLzEwLjE1LjAuMzMvNjk3MA").as_deref(),
            Some("hpcl.co.in/http/10.15.0.33/6970")
        );
        // Jabber's own request line: the URL, and the internal route its path carries.
        let text = b"2016-03-01 10:00:00,001 INFO  [0x00002540] [etutils\\src\\http\\CurlHttpUtils.cpp(1087)] [csf.httpclient] [x] - *-----* Configuring request #101 GET https://vcse-test1.ucis.co.in:8443/aHBjbC5jby5pbi9odHRwLzEwLjE1LjAuMzMvNjk3MA/CiscoJabberSetup.msi\n";
        let hits = cat.scan(text);
        let request = hits
            .iter()
            .find(|h| cat.signatures[h.signature].id == "jabber-http-request")
            .unwrap();
        assert_eq!(
            request.fields.get("route"),
            Some("hpcl.co.in/http/10.15.0.33/6970")
        );
        assert!(
            request
                .fields
                .get("url")
                .unwrap()
                .starts_with("https://vcse-test1.ucis.co.in:8443/")
        );
        assert_eq!(
            decode_b64("ZeW50LXBhLmNvbQ"),
            None,
            "Cisco's own typo'd example is not text"
        );
    }

    #[test]
    fn a_bad_user_catalog_is_refused_with_a_reason() {
        let bad = "[[signature]]\nid='x'\nsource='s'\nlog='jabber'\nphase='sip'\nfault='provisioning.auth_failed'\nseverity='fault'\npattern='a'\nmeaning='m'\nfix='f'\nexample='a'\n";
        assert!(Catalog::parse(bad).unwrap_err().contains("not in phase"));
        let unnamed =
            bad.replace("fault='provisioning.auth_failed'", "fault=''") + "subject='user'\n";
        assert!(
            Catalog::parse(&unnamed)
                .unwrap_err()
                .contains("subject: user is neither")
        );
        assert!(Catalog::parse("nonsense = [").is_err());
    }

    #[test]
    fn a_record_states_its_direction_once_or_not_at_all() {
        use super::{Direction, record_direction};
        let d = |t: &str| record_direction(t.as_bytes());
        assert_eq!(
            d(r#"Event=" Inbound TLS Negotiation Error " Service="SIP""#),
            Some(Direction::Inbound)
        );
        assert_eq!(
            d(r#"Event="Outbound TLS Negotiation Error""#),
            Some(Direction::Outbound)
        );
        assert_eq!(
            d(r#"Module="network.http" Action="Received" Request-url="x""#),
            Some(Direction::Inbound)
        );
        assert_eq!(
            d(r#"Detail="Sending Response Code=408, Method=SERVICE""#),
            Some(Direction::Outbound)
        );
        // A record that says both (a summary and a message of another direction) says none.
        assert_eq!(
            d(r#"Action="Received" Detail="Sending Response Code=200""#),
            None
        );
        assert_eq!(d(r#"Detail="TCP Connection Failed""#), None);
    }

    #[test]
    fn a_signature_with_a_direction_skips_records_of_the_other() {
        // CUCM's 401 as Expressway-C receives it is the UDS authentication failure; the same
        // challenge header in a message the box sends is not CUCM answering it.
        let record = |action: &str| {
            format!(
                "2014-09-25T13:46:20-04:00 expc edgeconfigprovisioning UTCTime=\"2014-09-25 17:46:20,92\" Module=\"network.http.edgeconfigprovisioning\" Level=\"DEBUG\" Action=\"{action}\" HTTPMSG: |HTTP/1.1 401 Unauthorized WWW-Authenticate: Basic realm=\"Cisco Web Services Realm\"\n"
            )
        };
        assert!(ids(&record("Received")).contains(&"cucm-uds-401".to_string()));
        assert!(!ids(&record("Sent")).contains(&"cucm-uds-401".to_string()));
    }
}
