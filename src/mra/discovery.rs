//! Phase 1: the client's DNS. Pair queries with answers, then read the SRV lookups for
//! `_collab-edge._tls`, `_cisco-uds._tcp` and `_cuplogin._tcp` and the target lookups.

use super::connection::{Connection, Judgement};
use super::context::Ctx;
use super::context::PhaseState;
use crate::model::Tagged;
use crate::model::{DnsRecord, Endpoint, EventKind, Transport, rcode_name};
use crate::report::Status;
use std::borrow::Cow;
use std::collections::BTreeSet;
/// Keys are addresses, ports, ids and names from the capture: a fast hash (a hostile
/// capture can make one run slower, nothing more); never iterated, so no order leaks out.
type HashMap<K, V> = foldhash::HashMap<K, V>;
use std::net::IpAddr;

pub const EDGE_PREFIX: &str = "_collab-edge._tls.";
pub const UDS_PREFIX: &str = "_cisco-uds._tcp.";
pub const CUP_PREFIX: &str = "_cuplogin._tcp.";

/// A DNS question and what came back for it.
pub struct Transaction<'a> {
    pub client: IpAddr,
    /// The question's name in lower case: the event's own text unless it had capitals.
    pub name: Cow<'a, str>,
    pub qtype: u16,
    pub ts: i64,
    pub query: Option<&'a Tagged>,
    pub response: Option<&'a Tagged>,
    pub icmp: Option<&'a Tagged>,
}

impl<'a> Transaction<'a> {
    pub fn first(&self) -> &'a Tagged {
        self.query
            .or(self.response)
            .or(self.icmp)
            .expect("a transaction has at least one event")
    }

    /// The event that settles the question: the answer, else the ICMP error, else the query.
    pub fn decisive(&self) -> &'a Tagged {
        self.response.or(self.icmp).unwrap_or_else(|| self.first())
    }

    pub fn rcode(&self) -> Option<u8> {
        match self.response.map(|t| &t.event.kind) {
            Some(EventKind::DnsResponse { rcode, .. }) => Some(*rcode),
            _ => None,
        }
    }

    pub fn answers(&self) -> &'a [DnsRecord] {
        match self.response.map(|t| &t.event.kind) {
            Some(EventKind::DnsResponse { answers, .. }) => answers,
            _ => &[],
        }
    }

    pub fn srv(&self) -> Vec<(u16, u16, u16, String)> {
        let mut v: Vec<_> = self
            .answers()
            .iter()
            .filter_map(|r| match r {
                DnsRecord::Srv {
                    priority,
                    weight,
                    port,
                    target,
                    ..
                } => Some((*priority, *weight, *port, target.to_ascii_lowercase())),
                _ => None,
            })
            .collect();
        v.sort();
        v
    }

    pub fn addresses(&self) -> Vec<IpAddr> {
        self.answers()
            .iter()
            .filter_map(|r| match r {
                DnsRecord::A { addr, .. } | DnsRecord::Aaaa { addr, .. } => Some(*addr),
                _ => None,
            })
            .collect()
    }

    /// Addresses for `names` given in the additional section (glue beside an SRV answer).
    pub fn glue(&self, names: &[String]) -> Vec<IpAddr> {
        let additional: &[DnsRecord] = match self.response.map(|t| &t.event.kind) {
            Some(EventKind::DnsResponse { additional, .. }) => additional,
            _ => &[],
        };
        additional
            .iter()
            .filter_map(|r| match r {
                DnsRecord::A { name, addr } | DnsRecord::Aaaa { name, addr }
                    if names
                        .iter()
                        .any(|n| n.eq_ignore_ascii_case(name.trim_end_matches('.'))) =>
                {
                    Some(*addr)
                }
                _ => None,
            })
            .collect()
    }

    /// Outcome in a few words: `NXDOMAIN`, `no answer`, `→ expe.example.com:8443`…
    pub fn outcome(&self) -> String {
        if self.response.is_none() {
            return if self.icmp.is_some() {
                "no answer (ICMP unreachable)".into()
            } else {
                "no answer".into()
            };
        }
        let srv = self.srv();
        if !srv.is_empty() {
            return srv
                .iter()
                .map(|(_, _, port, target)| format!("→ {target}:{port}"))
                .collect::<Vec<_>>()
                .join(", ");
        }
        let addrs = self.addresses();
        if !addrs.is_empty() {
            return format!(
                "→ {}",
                addrs
                    .iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        match self.rcode() {
            Some(0) => "NOERROR, no records".into(),
            Some(r) => rcode_name(r),
            None => "?".into(),
        }
    }
}

/// Pair every query with its response (same client, server, id and name).
pub fn transactions(events: &[Tagged]) -> Vec<Transaction<'_>> {
    let mut out: Vec<Transaction<'_>> = Vec::new();
    // Keyed by the name as the event holds it (copied only when it has capitals): a busy
    // capture's hundred thousand questions made this map's keys a copy of every name.
    let mut open: HashMap<(usize, Endpoint, Endpoint, u16, Cow<'_, str>), usize> =
        HashMap::default();
    let mut by_flow: HashMap<(usize, Endpoint, Endpoint), usize> = HashMap::default();
    for t in events {
        match &t.event.kind {
            EventKind::DnsQuery {
                client,
                server,
                id,
                name,
                qtype,
                ..
            } => {
                let key = (t.input, *client, *server, *id, lower(name));
                if let Some(&i) = open.get(&key)
                    && out[i].response.is_none()
                {
                    continue; // a retransmission of the same question
                }
                out.push(Transaction {
                    client: client.ip,
                    name: key.4.clone(),
                    qtype: *qtype,
                    ts: t.event.ts,
                    query: Some(t),
                    response: None,
                    icmp: None,
                });
                open.insert(key, out.len() - 1);
                by_flow.insert((t.input, *client, *server), out.len() - 1);
            }
            EventKind::DnsResponse {
                client,
                server,
                id,
                name,
                qtype,
                ..
            } => {
                let key = (t.input, *client, *server, *id, lower(name));
                match open.get(&key) {
                    Some(&i) if out[i].response.is_none() => out[i].response = Some(t),
                    Some(_) => {} // duplicate answer
                    None => out.push(Transaction {
                        client: client.ip,
                        name: key.4,
                        qtype: *qtype,
                        ts: t.event.ts,
                        query: None,
                        response: Some(t),
                        icmp: None,
                    }),
                }
            }
            EventKind::IcmpUnreachable {
                transport: Transport::Udp,
                client,
                server,
                ..
            } if server.port == 53 => {
                if let Some(&i) = by_flow.get(&(t.input, *client, *server))
                    && out[i].response.is_none()
                {
                    out[i].icmp = Some(t);
                }
            }
            _ => {}
        }
    }
    out
}

/// A DNS name in lower case, borrowed when it already is.
fn lower(name: &str) -> Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

/// The service domain of an MRA SRV name, if it is one.
pub fn srv_domain(name: &str) -> Option<(&'static str, String)> {
    for prefix in [EDGE_PREFIX, UDS_PREFIX, CUP_PREFIX] {
        if let Some(d) = name.strip_prefix(prefix) {
            return Some((prefix, d.trim_end_matches('.').to_string()));
        }
    }
    None
}

pub(super) fn short(name: &str) -> &str {
    srv_domain(name)
        .map(|(p, _)| p.trim_end_matches('.'))
        .unwrap_or(name)
}

/// The discovery phase of one attempt: SRV answers, target lookups, and the failures.
pub(super) fn discovery_phase(
    ctx: &Ctx<'_>,
    edge_txs: &[&Transaction<'_>],
    uds_txs: &[&Transaction<'_>],
    edge_lookups: &[&Transaction<'_>],
    edge_targets: &[(u16, String)],
    edge_ips: &BTreeSet<IpAddr>,
    judged: &[(&Connection<'_>, Judgement<'_>)],
) -> PhaseState {
    let uds_note = uds_txs
        .last()
        .map(|t| format!("{} {} · ", short(&t.name), t.outcome()))
        .unwrap_or_default();
    if edge_txs.is_empty() {
        return if uds_txs.is_empty() {
            PhaseState::new(
                Status::NotObserved,
                "no SRV lookup in the capture (cached discovery or manual settings)",
            )
        } else {
            PhaseState::new(
                Status::Inconclusive,
                format!("{uds_note}no _collab-edge lookup in the capture"),
            )
        };
    }
    if let Some(answered) = edge_txs.iter().find(|t| !t.srv().is_empty()) {
        let mut state = PhaseState::new(Status::Ok, String::new());
        state.evidence.push(ctx.evidence(
            answered.response.expect("answered"),
            format!("{} answered {}", answered.name, answered.outcome()),
        ));
        let addrs: Vec<String> = edge_ips.iter().map(|a| a.to_string()).collect();
        let targets = edge_targets
            .iter()
            .map(|(p, t)| format!("{t}:{p}"))
            .collect::<Vec<_>>()
            .join(", ");
        let reached = judged.iter().any(|(c, _)| edge_ips.contains(&c.server.ip));
        if addrs.is_empty() && !reached && !edge_lookups.is_empty() {
            let last = edge_lookups.last().expect("not empty");
            state.status = Status::Failed;
            state.problem = Some("edge_host_unresolved".into());
            state.summary = format!(
                "{uds_note}_collab-edge._tls → {targets} · {} {}",
                last.name,
                last.outcome()
            );
            for l in edge_lookups {
                state.evidence.push(
                    ctx.evidence(l.decisive(), format!("{} lookup: {}", l.name, l.outcome())),
                );
            }
            return state;
        }
        let addr_note = if addrs.is_empty() {
            String::new()
        } else {
            format!(" ({})", addrs.join(", "))
        };
        state.summary = format!("{uds_note}_collab-edge._tls → {targets}{addr_note}");
        return state;
    }
    srv_failed(ctx, edge_txs, uds_txs, &uds_note)
}

/// No `_collab-edge` lookup was answered with records: no answer, NXDOMAIN or an empty
/// answer (the record is missing), or a DNS error.
fn srv_failed(
    ctx: &Ctx<'_>,
    edge_txs: &[&Transaction<'_>],
    uds_txs: &[&Transaction<'_>],
    uds_note: &str,
) -> PhaseState {
    let last = edge_txs.last().expect("not empty");
    let problem = match last.rcode() {
        None => "dns_unanswered",
        Some(0 | 3) => "collab_edge_missing",
        Some(_) => "dns_error",
    };
    let mut state = PhaseState::new(
        Status::Failed,
        format!("{uds_note}_collab-edge._tls {}", last.outcome()),
    );
    state.problem = Some(problem.into());
    for t in edge_txs.iter().chain(uds_txs.iter()) {
        state
            .evidence
            .push(ctx.evidence(t.decisive(), format!("{}: {}", t.name, t.outcome())));
    }
    state
}
