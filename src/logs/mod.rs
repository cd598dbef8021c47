//! A text log in, our events out: the grammar of the file, one `log_signature` event per
//! catalog hit with its line, time, host and fields.

pub mod catalog_file;
pub mod confirm;
pub mod edge_config;
pub mod fingerprints;
pub mod generic;
pub mod grammar;
pub mod identity;
pub mod prefilter;
pub mod signatures;
pub mod xconf;

use crate::model::{ArcStr, Event, EventKind};
use grammar::{Grammar, TimeBasis};
use signatures::Catalog;
use std::collections::BTreeMap;
use std::io::Read;

/// What one log held, for the report's `inputs[]`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct LogInfo {
    pub grammar: Grammar,
    pub lines: u64,
    pub hosts: Vec<String>,
    pub time_basis: TimeBasis,
    #[serde(serialize_with = "crate::time::serialize_opt_ns")]
    pub first_ts: Option<i64>,
    #[serde(serialize_with = "crate::time::serialize_opt_ns")]
    pub last_ts: Option<i64>,
    pub signatures: usize,
    /// The zone local times were read in: `--tz`'s, or the one inferred from a capture.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// The UTC offset an Expressway writes its header times in (minutes): where a ticket's
    /// local time is read when no `--tz` is given.
    #[serde(skip)]
    pub utc_offset_min: Option<i32>,
}

impl LogInfo {
    /// Nothing read yet: plain text, no time, no host.
    fn empty() -> Self {
        LogInfo {
            grammar: Grammar::Text,
            lines: 0,
            hosts: Vec::new(),
            time_basis: TimeBasis::Unknown,
            first_ts: None,
            last_ts: None,
            signatures: 0,
            utc_offset_min: None,
            zone: None,
        }
    }
}

pub struct Decoded {
    pub info: LogInfo,
    pub events: Vec<Event>,
    /// Bounds reached while reading (the cap on hits kept).
    pub anomalies: Vec<String>,
}

const EXCERPT: usize = 240;
/// Bytes scanned at a time: memory stays flat however large the log.
const CHUNK: usize = 8 << 20;
/// Chunks read from a reader (an archive member being inflated) are smaller: each is copied
/// into a buffer, and the few buffers in flight stay in cache.
const READ_CHUNK: usize = 2 << 20;

/// The longest text [`is_short_headerless_text`] decides on: one chunk, every byte of it
/// looked at for a dump.
pub const SHORT_TEXT: usize = DUMP_SNIFF;

/// Whether `text` is a short text that decoding would find to be no log: no Expressway or
/// Jabber header among its first lines and no configuration dump. Exactly what decoding
/// would say (a text this short is one chunk), without the catalog: a note found beside the
/// inputs need not build the catalog's matchers to be set aside.
pub fn is_short_headerless_text(text: &[u8]) -> bool {
    text.len() <= SHORT_TEXT && grammar::detect(text) == Grammar::Text && !is_dump(text)
}

/// Decode a whole log held in memory (or mapped from a file), in place, chunk by chunk.
pub fn decode(text: &[u8], catalog: &Catalog) -> Decoded {
    decode_slice(text, None, catalog)
}

/// As [`decode`], on every core: line-aligned chunks are scanned in parallel, a few per
/// core at a time, and merged in order (the result is the same whatever the thread count).
/// `release(n)` is told after each wave that the first `n` bytes will not be read again (a
/// mapped file gives those pages back, so memory stays flat).
pub fn decode_slice(text: &[u8], release: Option<&dyn Fn(usize)>, catalog: &Catalog) -> Decoded {
    use rayon::prelude::*;
    let mut scan = Scan::new();
    let wave = rayon::current_num_threads().max(1) * 2;
    let mut pos = 0;
    while pos < text.len() {
        // The next few chunk bounds only: finding one touches the pages around it, and pages
        // ahead of the wave would stay mapped (memory would grow with the file).
        let mut bounds = Vec::with_capacity(wave);
        while bounds.len() < wave && pos < text.len() {
            let window = &text[pos..(pos + CHUNK).min(text.len())];
            let cut = if pos + window.len() == text.len() {
                window.len()
            } else {
                chunk_boundary(window)
            };
            bounds.push((pos, pos + cut));
            pos += cut;
        }
        let parts: Vec<Part> = bounds
            .par_iter()
            .map(|&(a, b)| Part::scan(&text[a..b], a == 0, catalog))
            .collect();
        for part in parts {
            scan.absorb(part);
        }
        if let Some(release) = release {
            release(pos);
        }
    }
    scan.finish(catalog)
}

/// Decode a log from a reader, in line-aligned chunks (never splitting a SIPMSG/HTTPMSG
/// block), so a gigabyte log needs no more than a few chunks of memory. With more than one
/// thread, the reader (an archive being inflated) fills the next chunks while other threads
/// scan the ones before; the parts are absorbed in order, so the result is the same.
pub fn decode_reader(reader: &mut dyn Read, catalog: &Catalog) -> std::io::Result<Decoded> {
    let scanners = rayon::current_num_threads().max(1);
    let mut scan = Scan::new();
    if scanners == 1 {
        let mut chunks = Chunks::new(reader);
        let mut buf = Vec::new();
        let mut first = true;
        while let Some(len) = chunks.next_chunk(&mut buf)? {
            scan.absorb(Part::scan(&buf[..len], first, catalog));
            first = false;
        }
        return Ok(scan.finish(catalog));
    }
    let mut chunks = Chunks::new(reader);
    // At most `scanners` chunks wait, and as many are scanned: memory stays bounded however
    // fast the reader is.
    let (to_scan, queue) = std::sync::mpsc::sync_channel::<(usize, Vec<u8>, usize)>(scanners);
    let queue = std::sync::Mutex::new(queue);
    let (done, parts) = std::sync::mpsc::channel::<(usize, Part)>();
    // Scanned buffers come back to be filled again: their pages are already mapped and
    // their bytes initialised, so reading into them costs neither page faults nor a memset
    // (a fresh 9 MiB buffer per chunk cost both, about 5% of a bundle's time).
    let (recycle, spare) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::scope(|s| {
        let mut running = Vec::with_capacity(scanners);
        for _ in 0..scanners {
            let (queue, done, recycle) = (&queue, done.clone(), recycle.clone());
            running.push(s.spawn(move || {
                loop {
                    let next = queue.lock().map(|q| q.recv());
                    let Ok(Ok((n, chunk, len))) = next else {
                        return;
                    };
                    let part = Part::scan(&chunk[..len], n == 0, catalog);
                    let _ = recycle.send(chunk);
                    if done.send((n, part)).is_err() {
                        return;
                    }
                }
            }));
        }
        drop(done);
        drop(recycle);
        let mut sent = 0usize;
        let mut waiting: BTreeMap<usize, Part> = BTreeMap::new();
        let mut absorbed = 0usize;
        let mut take = |(n, part): (usize, Part), scan: &mut Scan| {
            waiting.insert(n, part);
            while let Some(part) = waiting.remove(&absorbed) {
                scan.absorb(part);
                absorbed += 1;
            }
        };
        let read = loop {
            let mut buf = spare.try_recv().unwrap_or_default();
            match chunks.next_chunk(&mut buf) {
                Ok(Some(len)) => {
                    if to_scan.send((sent, buf, len)).is_err() {
                        break Ok(());
                    }
                    sent += 1;
                    // Absorb what is ready, so finished parts do not pile up.
                    while let Ok(part) = parts.try_recv() {
                        take(part, &mut scan);
                    }
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        drop(to_scan);
        for part in parts.iter() {
            take(part, &mut scan);
        }
        // Joined, not only waited for: the scope waits for the scanners' closures, and a
        // thread's thread-locals are freed after its closure, as it ends (a fuzz run's leak
        // check between two inputs found them still held). A scanner's panic goes on up.
        for scanner in running {
            if let Err(panic) = scanner.join() {
                std::panic::resume_unwind(panic);
            }
        }
        read.map(|()| scan.finish(catalog))
    })
}

/// A reader cut into line-aligned chunks of about [`CHUNK`] bytes.
struct Chunks<'r> {
    reader: &'r mut dyn Read,
    /// Bytes read past the last cut.
    rest: Vec<u8>,
    eof: bool,
}

impl<'r> Chunks<'r> {
    fn new(reader: &'r mut dyn Read) -> Self {
        Chunks {
            reader,
            rest: Vec::new(),
            eof: false,
        }
    }

    /// Fills `buf` (a buffer handed back after scanning, or a new one) with the next chunk:
    /// its length, the chunk being `buf[..len]`; `None` at the end. The buffer's bytes stay
    /// initialised past `len`, so the next fill reads straight into them.
    fn next_chunk(&mut self, buf: &mut Vec<u8>) -> std::io::Result<Option<usize>> {
        if self.eof && self.rest.is_empty() {
            return Ok(None);
        }
        // The carried-over tail is shorter than the chunk it was cut from: new bytes follow.
        let want = self.rest.len().max(READ_CHUNK);
        if buf.len() < want {
            buf.resize(want, 0);
        }
        buf[..self.rest.len()].copy_from_slice(&self.rest);
        let mut filled = self.rest.len();
        while !self.eof && filled < want {
            match self.reader.read(&mut buf[filled..want]) {
                Ok(0) => self.eof = true,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let cut = if self.eof {
            filled
        } else {
            chunk_boundary(&buf[..filled])
        };
        self.rest.clear();
        self.rest.extend_from_slice(&buf[cut..filled]);
        Ok(Some(cut))
    }
}

/// What one chunk (whole lines, whole records) holds, its line numbers counted from 1.
struct Part {
    grammar: Grammar,
    /// The first line header with a time, among the chunk's first lines.
    first: Option<grammar::Header>,
    /// The UTC offset the first Expressway headers are written in (minutes).
    offset: Option<i32>,
    last_ts: Option<i64>,
    lines: u64,
    ends_with_newline: Option<bool>,
    info: LogInfo,
    events: Vec<Event>,
    /// Configuration or status dump entries, their lines counted within the chunk.
    dump: Vec<xconf::Entry>,
}

impl Part {
    /// `first`: the log's first chunk, the only one whose head `Scan::absorb` reads (the
    /// log's grammar, zone and first time); the others skip it.
    fn scan(part: &[u8], first: bool, catalog: &Catalog) -> Part {
        let mut info = LogInfo::empty();
        let mut events = Vec::new();
        let lines = scan_part(part, 0, catalog, &mut info, &mut events);
        let head = || part.split(|&c| c == b'\n').take(50);
        Part {
            grammar: if first {
                grammar::detect(part)
            } else {
                Grammar::Text
            },
            first: first
                .then(|| head().map(grammar::header).find(|h| h.ts.is_some()))
                .flatten(),
            offset: first
                .then(|| head().find_map(grammar::header_offset))
                .flatten(),
            last_ts: part
                .rsplit(|&c| c == b'\n')
                .take(50)
                .find_map(|l| grammar::header(l).ts),
            lines,
            ends_with_newline: (!part.is_empty()).then(|| part.ends_with(b"\n")),
            info,
            events,
            // A dump shows itself in its first lines: a log's chunks are not searched twice.
            dump: if is_dump(&part[..part.len().min(DUMP_SNIFF)]) {
                xconf::entries(part, 1)
            } else {
                Vec::new()
            },
        }
    }
}

/// Bytes of a chunk looked at for configuration or status dump lines.
const DUMP_SNIFF: usize = 64 << 10;

fn is_dump(head: &[u8]) -> bool {
    memchr::memmem::find(head, b"*c xConfiguration ").is_some()
        || head.starts_with(b"*s ")
        || memchr::memmem::find(head, b"\n*s ").is_some()
}

/// The state of one log's scan across its chunks, absorbed in order.
struct Scan {
    info: LogInfo,
    events: Vec<Event>,
    lines_before: u64,
    first: bool,
    ends_with_newline: bool,
    /// The line of the first hit not kept, once the limit on hits was reached.
    capped_at: Option<u64>,
    dump: Vec<xconf::Entry>,
}

impl Scan {
    fn new() -> Self {
        Scan {
            info: LogInfo::empty(),
            events: Vec::new(),
            lines_before: 0,
            first: true,
            ends_with_newline: true,
            capped_at: None,
            dump: Vec::new(),
        }
    }

    fn absorb(&mut self, mut part: Part) {
        let info = &mut self.info;
        if self.first {
            self.first = false;
            info.grammar = part.grammar;
            info.utc_offset_min = part.offset;
            if let Some(h) = part.first {
                info.first_ts = h.ts;
                info.time_basis = h.basis;
                info.hosts.extend(h.host);
            }
        }
        if part.last_ts.is_some() {
            info.last_ts = part.last_ts;
        }
        // The catalog's cap on hits holds over the whole log, in log order.
        let room = crate::limits::get()
            .log_hits
            .saturating_sub(self.events.len());
        if part.events.len() > room
            && self.capped_at.is_none()
            && let Some(EventKind::LogSignature { line, .. }) =
                part.events.get(room).map(|e| &e.kind)
        {
            self.capped_at = Some(line + self.lines_before);
        }
        part.events.truncate(room);
        info.signatures += part.events.len();
        for host in part.info.hosts {
            if !info.hosts.contains(&host) {
                info.hosts.push(host);
            }
        }
        for e in &mut part.events {
            if let EventKind::LogSignature { line, .. } = &mut e.kind {
                *line += self.lines_before;
            }
        }
        self.events.append(&mut part.events);
        for mut entry in part.dump {
            entry.line += self.lines_before;
            self.dump.push(entry);
        }
        self.lines_before += part.lines;
        if let Some(nl) = part.ends_with_newline {
            self.ends_with_newline = nl;
        }
    }

    fn finish(mut self, catalog: &Catalog) -> Decoded {
        join_requests(catalog, &mut self.events);
        self.info.signatures = self.events.len();
        self.info.lines = self.lines_before + u64::from(!self.ends_with_newline);
        if let Some(first) = self.dump.first() {
            let s = xconf::summarize(&self.dump);
            if self.info.grammar == Grammar::Text {
                self.info.grammar = Grammar::ExpresswayDump;
            }
            self.info.hosts.extend(s.host.clone());
            self.events.push(Event {
                frame: 0,
                ts: crate::time::UNKNOWN,
                kind: EventKind::ExpresswayDump(Box::new(crate::model::ExpresswayDump {
                    line: first.line,
                    host: s.host,
                    domain: s.domain,
                    role: s.role,
                    role_line: s.role_line,
                    version: s.version,
                    zones: s.zones,
                    unified_cm: s.unified_cm,
                    addresses: s.addresses,
                })),
            });
        }
        self.info.hosts.sort();
        self.info.hosts.dedup();
        let anomalies = self
            .capped_at
            .map(|line| {
                format!(
                    "more than {} signature hits: from line {line} on, further hits were not kept",
                    crate::limits::get().log_hits
                )
            })
            .into_iter()
            .collect();
        Decoded {
            info: self.info,
            events: self.events,
            anomalies,
        }
    }
}

/// Lines of one Jabber HTTP request joined (see [`generic::join_requests`]): the line that
/// names the URL takes the cause from the line that names the request only, is read again,
/// and the other line drops out.
fn join_requests(catalog: &Catalog, events: &mut Vec<Event>) {
    let http: Vec<usize> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| match &e.kind {
            EventKind::LogSignature {
                signature, fields, ..
            } => {
                fields.contains_key("request")
                    && catalog.get(signature).and_then(|s| s.generic)
                        == Some(generic::Generic::HttpOutcome)
            }
            _ => false,
        })
        .map(|(i, _)| i)
        .collect();
    if http.is_empty() {
        return;
    }
    let mut items: Vec<(usize, std::collections::BTreeMap<String, String>)> = http
        .iter()
        .map(|&i| match &events[i].kind {
            EventKind::LogSignature { line, fields, .. } => (*line as usize, fields.to_map()),
            _ => unreachable!("filtered above"),
        })
        .collect();
    let merged = generic::join_requests(&mut items);
    let mut drop = vec![false; events.len()];
    for (k, &i) in http.iter().enumerate() {
        if merged[k].is_some() {
            drop[i] = true;
            continue;
        }
        if !merged.contains(&Some(k)) {
            continue;
        }
        if let EventKind::LogSignature {
            signature,
            phase,
            fault,
            severity,
            fields,
            ..
        } = &mut events[i].kind
            && let Some(sig) = catalog.get(signature)
        {
            let mut joined = std::mem::take(&mut items[k].1);
            joined.remove("reading");
            let r = generic::read(generic::Generic::HttpOutcome, &joined, sig.phase);
            joined.insert("reading".into(), r.why);
            (*phase, *severity, *fields) = (r.phase, r.severity, joined.into());
            *fault = r.fault.map(ArcStr::from);
        }
    }
    // An outcome line with no cause of its own says nothing a specific fault line of the
    // same request does not say better.
    let specific_faults: Vec<(&str, u64)> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::LogSignature {
                signature,
                fields,
                severity: crate::model::Severity::Fault,
                line,
                ..
            } if catalog.get(signature).is_some_and(|s| s.generic.is_none()) => {
                Some((fields.get("request")?, *line))
            }
            _ => None,
        })
        .collect();
    let mut cause_less = Vec::new();
    for &i in &http {
        if let EventKind::LogSignature {
            fields,
            fault: None,
            line: here,
            ..
        } = &events[i].kind
            && let Some(request) = fields.get("request")
            && specific_faults.iter().any(|(r, line)| {
                *r == request && line.abs_diff(*here) <= generic::SAME_REQUEST_LINES
            })
        {
            cause_less.push(i);
        }
    }
    for i in cause_less {
        drop[i] = true;
    }
    let mut i = 0;
    events.retain(|_| {
        i += 1;
        !drop[i - 1]
    });
}

/// Where to cut a full buffer: after the last line break that starts a new record.
fn chunk_boundary(buf: &[u8]) -> usize {
    let mut end = buf.len();
    while let Some(i) = memchr::memrchr(b'\n', &buf[..end]) {
        if may_continue(&buf[i + 1..]) {
            end = i;
        } else {
            return i + 1;
        }
    }
    buf.len() // one record longer than the buffer: cut it anyway
}

/// Whether the line at the start of `rest` may continue the record before it, by the rule
/// that widens a hit to its record (`signatures::is_continuation`: an indented line, or a
/// block's marker on a line of its own, `HTTPMSG:`): it does, or it is cut off by the
/// buffer's end too soon to tell (nothing of it yet, or `HTTPM`).
fn may_continue(rest: &[u8]) -> bool {
    let end = memchr::memchr(b'\n', rest);
    let line = &rest[..end.unwrap_or(rest.len())];
    signatures::is_continuation(line)
        || end.is_none()
            && signatures::BLOCK_MARKERS
                .iter()
                .any(|m| m.starts_with(line))
}

/// The first [`EXCERPT`] characters of a line, `…` after them when it is longer.
fn excerpt_of(line: &str) -> String {
    match line.char_indices().nth(EXCERPT) {
        None => line.to_owned(),
        Some((cut, _)) => ellipsis(&line[..cut]),
    }
}

/// `head…`, built without the formatting machinery (a bundle cuts thousands of lines).
fn ellipsis(head: &str) -> String {
    let mut cut = String::with_capacity(head.len() + '…'.len_utf8());
    cut.push_str(head);
    cut.push('…');
    cut
}

/// [`excerpt_of`] a line's bytes read as text (bad UTF-8 replaced) and trimmed. Of a long
/// line only the head it can show is converted: a bundle's lines run to kilobytes.
fn line_excerpt(bytes: &[u8]) -> String {
    // Room for the excerpt of a mostly ASCII line; one whose head holds too few characters
    // is converted whole, below.
    const HEAD: usize = EXCERPT + 16;
    // The validation with an ASCII fast path first: most lines are ASCII.
    let text = |bytes| match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    };
    if bytes.len() > HEAD {
        let head = text(&bytes[..HEAD]);
        let head = head.trim_start();
        if let Some((cut, _)) = head.char_indices().nth(EXCERPT) {
            // The head's last character may stand for a sequence it cut: not relied on. A
            // visible character after the cut, before it, means the whole line is longer
            // than the excerpt once trimmed.
            let mut after = head[cut..].chars();
            after.next_back();
            if after.any(|c| !c.is_whitespace()) {
                return ellipsis(&head[..cut]);
            }
        }
    }
    excerpt_of(text(bytes).trim())
}

/// The shared copy of a line's host: a part of a log names one box, or a few.
fn shared_host(hosts: &mut Vec<ArcStr>, host: String) -> ArcStr {
    if let Some(known) = hosts.iter().find(|h| h.as_str() == host) {
        return known.clone();
    }
    let shared = ArcStr::from(host);
    // A hostile log could name a new host on every line: past a few, each is its own.
    if hosts.len() < 16 {
        hosts.push(shared.clone());
    }
    shared
}

/// Scans `text` into `events`; returns its count of line breaks (counted on from the last
/// hit, whose line the scan already knows: one pass over the text, not two).
fn scan_part(
    text: &[u8],
    lines_before: u64,
    catalog: &Catalog,
    info: &mut LogInfo,
    events: &mut Vec<Event>,
) -> u64 {
    // One more than the cap, so that `Scan::absorb`, which applies it over the whole log, sees
    // that it was reached.
    let room = crate::limits::get().log_hits.saturating_sub(events.len());
    let hits = catalog.scan_at_most(text, room.saturating_add(1));
    info.signatures += hits.len();
    let (lines_to, counted_from) = hits.last().map_or((0, 0), |h| (h.line - 1, h.line_range.0));
    let lines = lines_to + memchr::memchr_iter(b'\n', &text[counted_from..]).count() as u64;
    let mut hosts = Vec::new();
    for hit in hits {
        let sig = &catalog.signatures[hit.signature];
        let mut fields = hit.fields;
        let (phase, fault, severity) = match sig.generic {
            Some(kind) => {
                let r = generic::read(kind, &fields, sig.phase);
                fields.insert("reading", r.why);
                (r.phase, r.fault.map(ArcStr::from), r.severity)
            }
            None => (sig.phase, catalog.shared_fault(hit.signature), sig.severity),
        };
        let record = &text[hit.record_range.0..hit.record_range.1];
        let h = grammar::header(record);
        if let Some(host) = &h.host
            && !info.hosts.contains(host)
        {
            info.hosts.push(host.clone());
        }
        let excerpt = line_excerpt(&text[hit.line_range.0..hit.line_range.1]);
        events.push(Event {
            frame: 0,
            ts: h.ts.unwrap_or(crate::time::UNKNOWN),
            kind: EventKind::LogSignature {
                line: lines_before + hit.line,
                signature: catalog.shared_id(hit.signature),
                phase,
                fault,
                severity,
                time_basis: h.basis,
                host: h.host.map(|h| shared_host(&mut hosts, h)),
                fields: fields.into(),
                excerpt: excerpt.into(),
                role: sig.role,
            },
        });
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::log::{LogSpec, write_log};

    #[test]
    fn a_short_text_is_called_headerless_exactly_when_decoding_finds_no_log() {
        let cat = Catalog::builtin();
        let texts: [&[u8]; 6] = [
            b"Ticket 123: user cannot sign in from home since Monday.\nCalled twice.\n",
            b"2026-11-26T14:17:39.100+00:00 expe traffic_server[1]: Detail=\"Sending Response\" Status=\"403\"\n",
            b"2026-11-26 14:17:39,100 INFO [0x00000c94] [vices\\impl\\DiscoveryHandlerImpl.cpp(668)] [service-discovery] [x] - return code FAILED_NO_SRV_RECORDS_FOUND\n",
            b"*c xConfiguration SystemUnit Name: \"expe1\"\n*c xConfiguration Zones Zone 1 Name: \"Traversal\"\n",
            b"some notes\n*s SystemUnit Software Version: \"X14.3\"\n",
            b"",
        ];
        for text in texts {
            let decoded = decode(text, cat);
            assert_eq!(
                is_short_headerless_text(text),
                decoded.info.grammar == Grammar::Text,
                "{}",
                String::from_utf8_lossy(text)
            );
        }
        // Both answers are among them: a note, and an Expressway line and a dump.
        assert!(is_short_headerless_text(texts[0]));
        assert!(!is_short_headerless_text(texts[1]) && !is_short_headerless_text(texts[3]));
        let long = b"notes without a header\n".repeat(SHORT_TEXT);
        assert!(
            !is_short_headerless_text(&long),
            "too long to decide from its head"
        );
    }

    #[test]
    fn chunked_decoding_equals_whole_buffer_scanning() {
        let cat = Catalog::builtin();
        let mut text = Vec::new();
        write_log(
            LogSpec {
                size_bytes: 20 << 20,
                seed: 5,
                plant_every: 500,
            },
            cat,
            &mut text,
        )
        .unwrap();
        let decoded = decode(&text, cat);
        let whole: Vec<(usize, u64)> = cat
            .scan(&text)
            .iter()
            .map(|h| (h.signature, h.line))
            .collect();
        let chunked: Vec<(usize, u64)> = decoded
            .events
            .iter()
            .map(|e| match &e.kind {
                EventKind::LogSignature {
                    line, signature, ..
                } => (
                    cat.signatures
                        .iter()
                        .position(|s| *s.id == **signature)
                        .unwrap(),
                    *line,
                ),
                _ => unreachable!(),
            })
            .collect();
        assert!(text.len() > 2 * CHUNK);
        assert_eq!(chunked, whole);
        assert_eq!(
            decoded.info.lines,
            memchr::memchr_iter(b'\n', &text).count() as u64
        );
    }

    /// A log read from a stream (an archive's member) is scanned on other threads while the
    /// next chunks are read: the same events, lines and times as the whole buffer's, on one
    /// thread, two or three.
    #[test]
    fn a_stream_scanned_on_several_threads_equals_the_whole_buffer() {
        let cat = Catalog::builtin();
        let mut text = Vec::new();
        write_log(
            LogSpec {
                size_bytes: 30 << 20,
                seed: 8,
                plant_every: 300,
            },
            cat,
            &mut text,
        )
        .unwrap();
        assert!(text.len() > 3 * CHUNK);
        let whole = decode(&text, cat);
        let as_json = |d: &Decoded| {
            (
                serde_json::to_string(&d.events).unwrap(),
                serde_json::to_string(&d.info).unwrap(),
                d.anomalies.clone(),
            )
        };
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            // Read in odd pieces, as an inflater hands them out.
            let mut reader = std::io::BufReader::with_capacity(70_001, &text[..]);
            let streamed = pool.install(|| decode_reader(&mut reader, cat)).unwrap();
            assert_eq!(as_json(&streamed), as_json(&whole), "{threads} threads");
        }
    }

    #[test]
    fn an_interrupted_read_is_retried_and_a_failed_one_reported() {
        /// Interrupted on every other call; after `fail_after` bytes, a hard error.
        struct Flaky<'a> {
            text: &'a [u8],
            calls: usize,
            fail_after: usize,
            given: usize,
        }
        impl Read for Flaky<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                self.calls += 1;
                if self.calls.is_multiple_of(2) {
                    return Err(std::io::ErrorKind::Interrupted.into());
                }
                if self.given >= self.fail_after {
                    return Err(std::io::Error::other("inflate: corrupt deflate stream"));
                }
                let n = out.len().min(self.text.len()).min(1 << 20);
                out[..n].copy_from_slice(&self.text[..n]);
                self.text = &self.text[n..];
                self.given += n;
                Ok(n)
            }
        }
        let cat = Catalog::builtin();
        let mut text = Vec::new();
        write_log(
            LogSpec {
                size_bytes: 12 << 20,
                seed: 3,
                plant_every: 200,
            },
            cat,
            &mut text,
        )
        .unwrap();
        let whole = serde_json::to_string(&decode(&text, cat).events).unwrap();
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut flaky = Flaky {
                text: &text,
                calls: 0,
                fail_after: usize::MAX,
                given: 0,
            };
            let read = pool.install(|| decode_reader(&mut flaky, cat)).unwrap();
            assert_eq!(serde_json::to_string(&read.events).unwrap(), whole);
            let mut broken = Flaky {
                text: &text,
                calls: 0,
                fail_after: 3 << 20,
                given: 0,
            };
            let err = pool.install(|| decode_reader(&mut broken, cat)).err();
            assert!(
                err.is_some_and(|e| e.to_string().contains("corrupt")),
                "{threads} threads"
            );
        }
    }

    #[test]
    fn an_excerpt_is_cut_after_its_characters_not_its_bytes() {
        assert_eq!(excerpt_of("short"), "short");
        let exact = "é".repeat(EXCERPT);
        assert_eq!(excerpt_of(&exact), exact);
        let long = format!("{exact}x");
        assert_eq!(excerpt_of(&long), format!("{exact}…"));
    }

    #[test]
    fn a_long_line_excerpt_reads_only_its_head_and_equals_the_whole_lines() {
        use proptest::prelude::*;
        // Pieces that make the cases that matter: blanks at either end, characters of 1-4
        // bytes, bad and cut sequences, around the excerpt's length.
        let piece = prop::sample::select(vec![
            &b"a"[..],
            b" ",
            b"\t",
            "é".as_bytes(),
            "→".as_bytes(),
            "𝄞".as_bytes(),
            "\u{2003}".as_bytes(), // an em space: whitespace beyond ASCII
            b"\xff",
            b"\xe2\x86",
            b"\xf0\x9d",
        ]);
        let runs = prop::collection::vec((piece, 1usize..400), 1..6);
        proptest!(ProptestConfig::with_cases(3000), |(runs in runs)| {
            let line: Vec<u8> = runs.iter().flat_map(|(p, n)| p.repeat(*n)).collect();
            prop_assert_eq!(
                line_excerpt(&line),
                excerpt_of(String::from_utf8_lossy(&line).trim())
            );
        });
    }

    #[test]
    fn a_chunk_never_ends_inside_a_continuation_block() {
        let buf = b"head 1\n SIPMSG:\n |x\nhead 2\n |y\n |z";
        assert_eq!(chunk_boundary(buf), 20);
        // S9 writes the block's marker at the start of its own line.
        let buf = b"head 1\nhead 2\nHTTPMSG:\n|HTTP/1.1 200 OK\n Content-Type: text/xml";
        assert_eq!(chunk_boundary(buf), 7);
        // Too little of the next line to tell: nothing of it, or the start of a marker.
        assert_eq!(chunk_boundary(b"head 1\nhead 2\n"), 7);
        assert_eq!(chunk_boundary(b"head 1\nhead 2\nHTTPM"), 7);
        assert_eq!(chunk_boundary(b"head 1\nhead 2\nSIP"), 7);
        assert_eq!(chunk_boundary(b"head 1\nhead 2\nH2026"), 14);
    }

    #[test]
    fn records_written_as_s9_writes_them_keep_their_header_wherever_the_chunks_fall() {
        // The marker on a line of its own, as in the 3,000-user bundle where a cut before it
        // left the response's hit without a time, a host or its Txn-id.
        let mut text = String::new();
        let mut n = 0;
        while text.len() < 3 * READ_CHUNK + 12345 {
            let pad = "x".repeat(n % 997);
            text.push_str(&format!(
                "2026-11-26T05:51:18.587-05:00 mra-core-a traffic_server[2030]: UTCTime=\"2026-11-26 10:51:18,587\" Module=\"network.http.trafficserver\" Level=\"DEBUG\": Detail=\"Sending Response\" Txn-id=\"{n}\" Dst-ip=\"10.0.10.2\" Dst-port=\"35203\"\n\
                 HTTPMSG:\n|HTTP/1.1 200 OK\n Content-Type: text/xml\n \n \
                 <getEdgeConfigResponse version=\"1.0\"><serviceConfig><service><name>_cisco-uds</name><server><port>8443</port><address>cucm-pub.example.local{pad}</address></server></service></serviceConfig></getEdgeConfigResponse>\n |\n"
            ));
            n += 1;
        }
        let cat = Catalog::builtin();
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut reader = text.as_bytes();
            let read = pool.install(|| decode_reader(&mut reader, cat)).unwrap();
            let txns: Vec<String> = read
                .events
                .iter()
                .filter_map(|e| match &e.kind {
                    EventKind::LogSignature {
                        fields,
                        host,
                        time_basis,
                        ..
                    } => {
                        assert!(
                            host.is_some() && *time_basis != TimeBasis::Unknown,
                            "{threads} threads: {e:?}"
                        );
                        fields.get("Txn-id").map(str::to_string)
                    }
                    _ => None,
                })
                .collect();
            let want: Vec<String> = (0..n).map(|i| i.to_string()).collect();
            assert_eq!(txns, want, "{threads} threads");
        }
    }

    #[test]
    fn wherever_a_chunk_is_cut_no_record_is_split() {
        use proptest::prelude::*;
        // Records as Expressway writes them: a header line, then none or some continuation
        // lines, S21's (indented) or S9's (the marker on its own line, then `|` lines).
        let record = prop::sample::select(vec![
            &b"2026-11-26T05:51:18.587-05:00 e tvcs: Detail=\"x\"\n"[..],
            b"2026-11-26T05:51:18.587-05:00 e tvcs: Detail=\"Sending Response\"\nHTTPMSG:\n|HTTP/1.1 200 OK\n Content-Type: text/xml\n \n <getEdgeConfigResponse/>\n |\n",
            b"2026-11-26T05:51:18.587-05:00 e tvcs: Event=\"x\"\n SIPMSG:\n |REGISTER sip:a SIP/2.0\n |\n",
            b"2026-11-26T05:51:18.587-05:00 e tvcs: Event=\"x\"\nSIPMSG:\n|SIP/2.0 200 OK\n",
            b"\n",
            b"HTTPMSGS are not this\n",
        ]);
        proptest!(ProptestConfig::with_cases(2000), |(records in prop::collection::vec(record, 1..8), at in any::<prop::sample::Index>())| {
            let text = records.concat();
            let filled = at.index(text.len()) + 1;
            let cut = chunk_boundary(&text[..filled]);
            prop_assert!(cut <= filled);
            if cut < filled {
                // A cut at a line's start, before a line that is not a continuation.
                prop_assert!(cut > 0 && text[cut - 1] == b'\n');
                let next = &text[cut..];
                let line = &next[..memchr::memchr(b'\n', next).unwrap_or(next.len())];
                prop_assert!(!signatures::is_continuation(line), "cut before {:?}", String::from_utf8_lossy(line));
            }
        });
    }
}
