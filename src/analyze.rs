//! The pipeline: inputs → decode (in parallel, one task per input) → judge → one `Report`.

use crate::input::{self, Kind};
use crate::model::{Event, EventKind};
use crate::mra::{self, Tagged};
use crate::report::{InputReport, Report, SCHEMA, Tool};
use rayon::prelude::*;
use std::path::PathBuf;

pub struct Decoded {
    pub input: InputReport,
    pub events: Vec<Event>,
}

/// Decode every input; results come back in input order whatever the thread count.
pub fn decode_inputs(paths: &[PathBuf]) -> Vec<Decoded> {
    let files = input::expand(paths);
    files
        .par_iter()
        .map(|(path, err)| decode_one(path, err.clone()))
        .collect()
}

fn decode_one(path: &std::path::Path, err: Option<String>) -> Decoded {
    let display = path.display().to_string();
    let failed = |kind: &str, error: String| Decoded {
        input: InputReport {
            path: display.clone(),
            kind: kind.into(),
            capture: None,
            events: 0,
            anomalies: Vec::new(),
            error: Some(error),
        },
        events: Vec::new(),
    };
    if let Some(e) = err {
        return failed("unreadable", e);
    }
    let (kind, reader) = match input::open(path) {
        Ok(x) => x,
        Err(e) => return failed("unreadable", format!("cannot open: {e}")),
    };
    if kind == Kind::Unknown {
        return Decoded {
            input: InputReport {
                path: display,
                kind: "unrecognized".into(),
                capture: None,
                events: 0,
                anomalies: Vec::new(),
                error: None,
            },
            events: Vec::new(),
        };
    }
    let decoded = crate::capture::decode(reader);
    let anomalies = decoded
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Anomaly {
                what,
                detail,
                offset,
                ..
            } if what == "capture_file"
                || what == "snaplen_truncation"
                || what == "unsupported_link_type" =>
            {
                Some(match offset {
                    Some(o) => format!("{detail} (at byte offset {o})"),
                    None => detail.clone(),
                })
            }
            _ => None,
        })
        .collect();
    Decoded {
        input: InputReport {
            path: display,
            kind: "capture".into(),
            events: decoded.events.len(),
            capture: Some(decoded.info),
            anomalies,
            error: None,
        },
        events: decoded.events,
    }
}

/// Judge decoded inputs into the report.
pub fn report(decoded: Vec<Decoded>) -> Report {
    let names: Vec<String> = decoded.iter().map(|d| d.input.path.clone()).collect();
    let mut inputs = Vec::new();
    let mut tagged = Vec::new();
    for (i, d) in decoded.into_iter().enumerate() {
        inputs.push(d.input);
        tagged.extend(d.events.into_iter().map(|event| Tagged { input: i, event }));
    }
    let analysis = mra::analyze(&names, &tagged);
    Report {
        schema: SCHEMA,
        tool: Tool {
            name: "mradiag",
            version: env!("CARGO_PKG_VERSION"),
        },
        inputs,
        verdict: analysis.verdict,
        phases: analysis.phases,
        sessions: analysis.sessions,
        findings: analysis.findings,
    }
}

/// True when at least one input could be read.
pub fn any_readable(decoded: &[Decoded]) -> bool {
    decoded
        .iter()
        .any(|d| d.input.error.is_none() && d.input.capture.is_some())
}
