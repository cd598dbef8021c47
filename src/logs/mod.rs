//! A text log in, our events out: the grammar of the file, one `log_signature` event per
//! catalog hit with its line, time, host and fields.

pub mod grammar;
pub mod signatures;

use crate::model::{Event, EventKind};
use grammar::{Grammar, TimeBasis};
use signatures::Catalog;

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

pub fn decode(text: &[u8], catalog: &Catalog) -> Decoded {
    let grammar = grammar::detect(text);
    let lines = memchr::memchr_iter(b'\n', text).count() as u64
        + u64::from(!text.is_empty() && !text.ends_with(b"\n"));
    let mut hosts: Vec<String> = Vec::new();
    let mut basis = TimeBasis::Unknown;
    let (mut first_ts, mut last_ts) = (None, None);
    // The span of the file: its first and last timed lines.
    for line in text.split(|&c| c == b'\n').take(50) {
        let h = grammar::header(line);
        if let Some(ts) = h.ts {
            first_ts = Some(ts);
            basis = h.basis;
            if let Some(host) = h.host {
                hosts.push(host);
            }
            break;
        }
    }
    for line in text.rsplit(|&c| c == b'\n').take(50) {
        if let Some(ts) = grammar::header(line).ts {
            last_ts = Some(ts);
            break;
        }
    }
    let mut events = Vec::new();
    let hits = catalog.scan(text);
    for hit in &hits {
        let sig = &catalog.signatures[hit.signature];
        let record = &text[hit.record_range.0..hit.record_range.1];
        let h = grammar::header(record);
        if let Some(host) = &h.host
            && !hosts.contains(host)
        {
            hosts.push(host.clone());
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
                line: hit.line,
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
    hosts.sort();
    hosts.dedup();
    Decoded {
        info: LogInfo {
            grammar,
            lines,
            hosts,
            time_basis: basis,
            first_ts,
            last_ts,
            signatures: hits.len(),
        },
        events,
    }
}
