//! A text log in, our events out: the grammar of the file, one `log_signature` event per
//! catalog hit with its line, time, host and fields.

pub mod edge_config;
pub mod grammar;
pub mod prefilter;
pub mod signatures;

use crate::model::{Event, EventKind};
use grammar::{Grammar, TimeBasis};
use signatures::Catalog;
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
}

pub struct Decoded {
    pub info: LogInfo,
    pub events: Vec<Event>,
}

const EXCERPT: usize = 240;
/// Signature events kept per log (a log where every line matches is not a diagnosis).
pub const MAX_HITS: usize = 100_000;

/// Bytes scanned at a time: memory stays flat however large the log.
const CHUNK: usize = 8 << 20;

/// Decode a whole log held in memory.
pub fn decode(text: &[u8], catalog: &Catalog) -> Decoded {
    decode_reader(&mut &text[..], catalog).expect("reading from memory cannot fail")
}

/// Decode a log from a reader, in line-aligned chunks (never splitting a SIPMSG/HTTPMSG
/// block), so a gigabyte log needs no more than a few chunks of memory.
pub fn decode_reader(reader: &mut dyn Read, catalog: &Catalog) -> std::io::Result<Decoded> {
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + (CHUNK >> 3));
    let mut lines_before = 0u64;
    let mut info = LogInfo {
        grammar: Grammar::Text,
        lines: 0,
        hosts: Vec::new(),
        time_basis: TimeBasis::Unknown,
        first_ts: None,
        last_ts: None,
        signatures: 0,
    };
    let mut events = Vec::new();
    let mut first = true;
    let mut ends_with_newline = true;
    loop {
        let want = CHUNK.saturating_sub(buf.len()) as u64;
        let got = (&mut *reader).take(want).read_to_end(&mut buf)?;
        let eof = (got as u64) < want;
        let cut = if eof { buf.len() } else { chunk_boundary(&buf) };
        let part = &buf[..cut];
        if first {
            first = false;
            info.grammar = grammar::detect(part);
            if let Some(h) = part
                .split(|&c| c == b'\n')
                .take(50)
                .map(grammar::header)
                .find(|h| h.ts.is_some())
            {
                info.first_ts = h.ts;
                info.time_basis = h.basis;
                info.hosts.extend(h.host);
            }
        }
        if let Some(ts) = part
            .rsplit(|&c| c == b'\n')
            .take(50)
            .find_map(|l| grammar::header(l).ts)
        {
            info.last_ts = Some(ts);
        }
        scan_part(part, lines_before, catalog, &mut info, &mut events);
        lines_before += memchr::memchr_iter(b'\n', part).count() as u64;
        if !part.is_empty() {
            ends_with_newline = part.ends_with(b"\n");
        }
        buf.drain(..cut);
        if eof && buf.is_empty() {
            break;
        }
    }
    info.lines = lines_before + u64::from(!ends_with_newline);
    info.hosts.sort();
    info.hosts.dedup();
    Ok(Decoded { info, events })
}

/// Where to cut a full buffer: after the last line break that starts a new record.
fn chunk_boundary(buf: &[u8]) -> usize {
    let mut end = buf.len();
    while let Some(i) = memchr::memrchr(b'\n', &buf[..end]) {
        match buf.get(i + 1) {
            Some(b' ' | b'|' | b'\t') => end = i,
            _ => return i + 1,
        }
    }
    buf.len() // one record longer than the buffer: cut it anyway
}

fn scan_part(
    text: &[u8],
    lines_before: u64,
    catalog: &Catalog,
    info: &mut LogInfo,
    events: &mut Vec<Event>,
) {
    let hits = catalog.scan_at_most(text, MAX_HITS.saturating_sub(events.len()));
    info.signatures += hits.len();
    for hit in &hits {
        let sig = &catalog.signatures[hit.signature];
        let record = &text[hit.record_range.0..hit.record_range.1];
        let h = grammar::header(record);
        if let Some(host) = &h.host
            && !info.hosts.contains(host)
        {
            info.hosts.push(host.clone());
        }
        let line = String::from_utf8_lossy(&text[hit.line_range.0..hit.line_range.1]);
        let mut excerpt: String = line.trim().chars().take(EXCERPT).collect();
        if line.trim().chars().count() > EXCERPT {
            excerpt.push('…');
        }
        events.push(Event {
            frame: 0,
            ts: h.ts.unwrap_or(crate::time::UNKNOWN),
            kind: EventKind::LogSignature {
                line: lines_before + hit.line,
                signature: sig.id.clone(),
                phase: sig.phase,
                fault: (!sig.fault.is_empty()).then(|| sig.fault.clone()),
                severity: sig.severity,
                time_basis: h.basis,
                host: h.host,
                fields: hit.fields.clone(),
                excerpt,
            },
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::log::{LogSpec, write_log};

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
                        .position(|s| &s.id == signature)
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

    #[test]
    fn a_chunk_never_ends_inside_a_continuation_block() {
        let buf = b"head 1\n SIPMSG:\n |x\nhead 2\n |y\n |z";
        assert_eq!(chunk_boundary(buf), 20);
    }
}
