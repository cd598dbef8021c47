//! What every judging step reads: the inputs, the catalog, the events with the subsets
//! looked at more than once, and the state of one phase as it is built up.

use super::dumps;
use crate::intern::Interner;
use crate::logs::signatures::Catalog;
use crate::model::{EventKind, Tagged};
use crate::report::{Evidence, Filter, Pointer, Stamp, Status};
use std::sync::{Arc, Mutex, PoisonError};

/// The ports of an MRA sign-in on Expressway-E: HTTPS, XMPP, SIP over TLS.
pub(crate) const MRA_PORTS: [u16; 3] = [8443, 5222, 5061];

pub(crate) struct Ctx<'a> {
    pub(crate) inputs: &'a [String],
    /// The same names, shared by every evidence that points into them.
    pub(crate) names: Vec<Arc<str>>,
    pub(crate) catalog: &'a Catalog,
    pub(crate) events: &'a [Tagged],
    /// The SIP requests and responses among `events`, by client: an attempt reads its
    /// client's, not every one (a capture of desk phones registering in clear holds
    /// thousands).
    pub(crate) sip: SipByClient<'a>,
    /// The get_edge_config requests Expressway logged, for the clock offset of each attempt.
    pub(crate) edge_requests: super::clock::EdgeRequests<'a>,
    /// Expressway-E's server certificate from a file, for chains TLS 1.3 hides.
    pub(crate) server_file: Option<(&'a Tagged, &'a [crate::model::SharedCert])>,
    /// Trust anchors, for a chain the client rejected without saying why.
    pub(crate) anchors: &'a [crate::certs::AnchorSet],
    /// The Expressways' configuration and status dumps among `events`, looked at once.
    pub(crate) dumps: Vec<&'a Tagged>,
    /// Which Expressway is E and which is C, as their dumps say.
    pub(crate) roles: dumps::Roles,
    /// Expressway-E as `--edge` and E's configuration name it.
    pub(crate) edges: super::edges::Edges,
    /// How far Expressway-C's log runs from Expressway-E's, for the ladders.
    pub(crate) between_logs: super::clock::Shifts,
    /// What is written about each certificate chain, made once.
    pub(crate) chain_words: super::connection::ChainWords,
    /// Per client, its A and AAAA lookups: indices into the transactions, in their order.
    pub(crate) address_lookups: std::collections::BTreeMap<super::split::Client, Vec<usize>>,
    /// The sentences said of many sessions, held once.
    pub(crate) texts: Texts,
}

/// SIP requests and responses by client (its address in one input), each client's in event
/// order.
#[derive(Default)]
pub(crate) struct SipByClient<'a>(std::collections::HashMap<super::split::Client, Vec<&'a Tagged>>);

impl<'a> SipByClient<'a> {
    fn new(events: &'a [Tagged]) -> Self {
        let mut by: std::collections::HashMap<_, Vec<&Tagged>> = Default::default();
        for t in events {
            let client = match &t.event.kind {
                EventKind::SipRequest(r) => r.client.ip,
                EventKind::SipResponse(r) => r.client.ip,
                _ => continue,
            };
            by.entry((client, t.input)).or_default().push(t);
        }
        SipByClient(by)
    }

    /// The client's SIP messages, in event order.
    pub(crate) fn of(&self, client: super::split::Client) -> &[&'a Tagged] {
        self.0.get(&client).map_or(&[], Vec::as_slice)
    }
}

/// Texts said of many sessions (a phase's summary, an evidence's note, a fix), held once:
/// at 100 MiB of a busy capture, 458 sessions held 5,145 notes of 19 different texts and
/// 2,912 summaries of 28. Sessions are judged on every core, hence the lock.
#[derive(Default)]
pub(crate) struct Texts(Mutex<Interner>);

impl Texts {
    pub(crate) fn get(&self, text: &str) -> Arc<str> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(text)
    }
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(
        inputs: &'a [String],
        events: &'a [Tagged],
        catalog: &'a Catalog,
        anchors: &'a [crate::certs::AnchorSet],
        edges: &[super::edges::EdgeSpec],
    ) -> Self {
        let dumps: Vec<&Tagged> = events
            .iter()
            .filter(|t| matches!(t.event.kind, EventKind::ExpresswayDump(_)))
            .collect();
        let roles = dumps::Roles::from_dumps(inputs, dumps.iter().copied());
        let edges = super::edges::Edges::new(edges, inputs, &dumps, &roles);
        let mut ctx = Ctx {
            inputs,
            names: inputs.iter().map(|i| Arc::from(i.as_str())).collect(),
            catalog,
            events,
            sip: SipByClient::new(events),
            edge_requests: super::clock::EdgeRequests::new(events),
            server_file: None,
            anchors,
            roles,
            edges,
            dumps,
            between_logs: super::clock::Shifts::default(),
            address_lookups: Default::default(),
            chain_words: Default::default(),
            texts: Texts::default(),
        };
        ctx.server_file = super::files::server_certificate(&ctx);
        ctx
    }

    pub(crate) fn evidence(&self, t: &Tagged, note: impl AsRef<str>) -> Evidence {
        let at = self.place(t);
        let (filter, excerpt) = match &t.event.kind {
            EventKind::LogSignature { excerpt, .. } => (None, Some(excerpt.clone())),
            EventKind::CertificateFile { .. } => (None, None),
            kind => (
                Some(match (kind, kind.stream()) {
                    (_, Some(s)) => Filter::Stream(s),
                    (
                        EventKind::DnsQuery { name, .. } | EventKind::DnsResponse { name, .. },
                        None,
                    ) => Filter::DnsName(name.clone()),
                    _ => Filter::Frame(t.event.frame),
                }),
                None,
            ),
        };
        Evidence::new(Pointer {
            input: at.input,
            frame: at.frame,
            line: at.line,
            ts: at.ts,
            filter,
            note: self.texts.get(note.as_ref()),
            excerpt,
        })
    }

    /// Where an event is: its input, frame or line, and time as the input gave it (what a
    /// ladder step needs of its evidence, without making one).
    pub(crate) fn place(&self, t: &Tagged) -> Place {
        let input = self.names[t.input].clone();
        match &t.event.kind {
            EventKind::LogSignature {
                line, time_basis, ..
            } => Place {
                input,
                frame: None,
                line: Some(*line),
                ts: Stamp {
                    ns: t.event.ts,
                    basis: *time_basis,
                },
            },
            EventKind::CertificateFile { .. } => Place {
                input,
                frame: None,
                line: None,
                ts: Stamp::utc(t.event.ts),
            },
            _ => Place {
                input,
                frame: Some(t.event.frame),
                line: None,
                ts: Stamp::utc(t.event.ts),
            },
        }
    }
}

/// Where an event is in its input.
pub(crate) struct Place {
    pub input: Arc<str>,
    pub frame: Option<u64>,
    pub line: Option<u64>,
    pub ts: Stamp,
}

/// The failure or success of one phase, built up as connections are judged.
pub(crate) struct PhaseState {
    pub status: Status,
    pub summary: String,
    /// The problem part of the fault id (`tls_untrusted`), when failed.
    pub problem: Option<String>,
    pub evidence: Vec<Evidence>,
    /// A more specific meaning and fix than the catalog's (from a log signature).
    pub meaning: Option<String>,
    pub fix: Option<String>,
    /// The client got through TLS, but whether the phase succeeded is said inside it, which
    /// the capture cannot read (status `not_observed`, the summary says what is missing).
    pub encrypted: bool,
}

impl PhaseState {
    pub(crate) fn new(status: Status, summary: impl Into<String>) -> Self {
        PhaseState {
            status,
            summary: summary.into(),
            problem: None,
            evidence: Vec::new(),
            meaning: None,
            fix: None,
            encrypted: false,
        }
    }

    /// Attempted, and the outcome hidden inside TLS: not ok, and not missing either.
    pub(crate) fn hidden(&self) -> bool {
        self.encrypted && self.status == Status::NotObserved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sentence_said_by_two_sessions_is_held_once() {
        let texts = Texts::default();
        let a = texts.get("handshake completed");
        let b = texts.get(&String::from("handshake completed"));
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &texts.get("handshake failed")));
    }
}
