//! The ladder of one session: every observed message or connection step, in time order, as an
//! arrow between the parties (client, DNS, Expressway-E, Expressway-C, internal servers), and
//! every log line as a note on the box that wrote it. Steps that prove the failure are marked.
//! One time axis: a log whose clock is known to run apart is moved onto the capture's (or
//! Expressway-E's) clock, and the ladder says so.

use super::clock::{Shift, Shifts};
use super::connection::Connection;
use super::context::Ctx;
use super::context::PhaseState;
use super::discovery::Transaction;
use crate::model::Tagged;
use crate::model::{DnsRecord, EventKind, Side, alert_name, rcode_name, tls_version_name};
use crate::report::{LadderStep, Party, Status};
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::sync::Arc;

/// Steps drawn per session; a busy capture says how many more there were.
pub const MAX_STEPS: usize = 200;

/// How a step can be failed: by itself (a reset, a fatal alert), when a failed phase cites it
/// (an answer, a certificate, an unanswered SYN), or never (requests and context).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    Bad,
    Citable,
    CitableCertificate,
    Plain,
}

fn is_certificate_problem(problem: &str) -> bool {
    matches!(
        problem,
        "tls_untrusted" | "tls_name_mismatch" | "tls_expired"
    )
}

/// Whether a session's judging draws its ladder: only when a report that shows it is written
/// (`super::drawing`), not while every session is judged.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Drawing {
    Skip,
    Draw,
}

/// Where the servers of this attempt sit on the ladder, and the logs' clock corrections.
pub struct Places<'a> {
    pub edge_ips: &'a BTreeSet<IpAddr>,
    pub shifts: &'a Shifts,
}

/// A session's ladder as drawn.
#[derive(Default)]
pub struct Drawn {
    pub steps: Vec<LadderStep>,
    /// Steps past [`MAX_STEPS`].
    pub omitted: usize,
    /// The clock corrections applied, one sentence each.
    pub clock: Vec<String>,
}

impl Places<'_> {
    fn server(&self, ip: IpAddr) -> Party {
        if self.edge_ips.contains(&ip) {
            Party::ExpresswayE
        } else {
            Party::Internal
        }
    }
}

/// All steps of the attempt, ordered on one clock, capped at [`MAX_STEPS`].
pub fn build<'t>(
    ctx: &Ctx<'_>,
    txs: &[&Transaction<'t>],
    conns: &[&Connection<'t>],
    udp_sip: &[&'t Tagged],
    hits: &[&'t Tagged],
    places: &Places<'_>,
    states: &[PhaseState],
) -> Drawn {
    let mut raw = dns_steps(txs);
    // A connection's (or a datagram's) step between the client and the server it went to.
    let mut push_step = |t: &'t Tagged, server: Party, port: u16, stage: Stage| {
        if let Some((from_client, label, mark)) = connection_step(&t.event.kind, port) {
            let mark = stage.mark(&t.event.kind, mark);
            let (from, to) = if from_client {
                (Party::Client, server)
            } else {
                (server, Party::Client)
            };
            raw.push((t, from, to, label, mark));
        }
    };
    for c in conns {
        let server = places.server(c.server.ip);
        let mut stage = Stage::default();
        for t in &c.events {
            push_step(t, server, c.server.port, stage);
            stage.after(&t.event.kind);
        }
    }
    for t in udp_sip {
        let server = match &t.event.kind {
            EventKind::SipRequest(r) => r.server,
            EventKind::SipResponse(r) => r.server,
            _ => continue,
        };
        push_step(t, places.server(server.ip), 5060, Stage::default());
    }
    raw.extend(log_steps(ctx, hits));
    let mut raw: Vec<(RawStep<'_>, Option<Shift>)> = raw
        .into_iter()
        .map(|step| {
            let shift = places.shifts.of(ctx, step.0);
            (step, shift)
        })
        .collect();
    raw.sort_by_key(|((t, ..), shift)| {
        let axis = t
            .event
            .ts
            .saturating_add(shift.as_ref().map_or(0, |s| s.ns));
        (axis, t.input, t.event.frame, line_of(t))
    });
    let total = raw.len();
    raw.truncate(MAX_STEPS);
    let clock = clock_notes(ctx, places.shifts, &raw);
    Drawn {
        steps: drawn(ctx, raw, states),
        omitted: total.saturating_sub(MAX_STEPS),
        clock,
    }
}

/// What the ladder says of its clock: each correction applied, and, beside them, the logs
/// drawn as logged because nothing told how far their clocks run.
fn clock_notes(
    ctx: &Ctx<'_>,
    shifts: &Shifts,
    raw: &[(RawStep<'_>, Option<Shift>)],
) -> Vec<String> {
    let mut applied: Vec<&Shift> = raw.iter().filter_map(|(_, s)| s.as_ref()).collect();
    applied.sort_by(|a, b| (&a.who, a.ns).cmp(&(&b.who, b.ns)));
    applied.dedup();
    let captured = raw
        .iter()
        .any(|((t, ..), _)| !matches!(t.event.kind, EventKind::LogSignature { .. }));
    // Beside a capture's steps or a corrected log, a log whose clock nothing tells.
    let unknown: BTreeSet<String> = if captured || !applied.is_empty() {
        raw.iter()
            .filter(|((t, ..), _)| {
                matches!(t.event.kind, EventKind::LogSignature { .. }) && !shifts.known(ctx, t)
            })
            .map(|((t, ..), _)| super::clock::box_name(ctx, t))
            .collect()
    } else {
        BTreeSet::new()
    };
    let mut notes: Vec<String> = applied
        .iter()
        .map(|s| {
            format!(
                "{}'s lines are drawn {} onto {} (the evidence keeps their logged times)",
                s.who,
                crate::time::signed_secs(s.ns),
                s.onto
            )
        })
        .collect();
    notes.extend(unknown.into_iter().map(|who| {
        format!(
            "{who}'s lines are drawn as logged: nothing in the inputs tells how far its clock runs from {}",
            if shifts.capture() { "the capture's" } else { "the others'" }
        )
    }));
    notes
}

/// A step before it is drawn: the event, from, to, label, how it can be failed.
type RawStep<'t> = (&'t Tagged, Party, Party, String, Mark);

/// How far a connection got when a step was seen: what is a failure before the handshake
/// completed (a fatal alert, a reset) only ends a session after it, and stream features
/// inside TLS rightly offer no STARTTLS.
#[derive(Clone, Copy, Default)]
struct Stage {
    handshake_done: bool,
    inside_tls: bool,
}

impl Stage {
    fn after(&mut self, kind: &EventKind) {
        match kind {
            EventKind::TlsHandshakeDone { .. } => self.handshake_done = true,
            EventKind::XmppProceed { .. } => self.inside_tls = true,
            _ => {}
        }
    }

    fn mark(self, kind: &EventKind, mark: Mark) -> Mark {
        match kind {
            EventKind::XmppFeatures { .. } if self.inside_tls => Mark::Plain,
            EventKind::TlsAlert { .. } | EventKind::TcpRst { .. }
                if self.handshake_done && mark == Mark::Bad =>
            {
                Mark::Citable
            }
            _ => mark,
        }
    }
}

/// Each DNS query, answer and ICMP error once.
fn dns_steps<'t>(txs: &[&Transaction<'t>]) -> Vec<RawStep<'t>> {
    let mut raw = Vec::new();
    let mut seen: BTreeSet<(usize, u64)> = BTreeSet::new();
    for tx in txs {
        for t in [tx.query, tx.response, tx.icmp].into_iter().flatten() {
            if seen.insert((t.input, t.event.frame))
                && let Some((from, to, label, bad)) = dns_step(&t.event.kind)
            {
                raw.push((t, from, to, label, bad));
            }
        }
    }
    raw
}

/// Log lines: a message a line says was received or sent is an arrow between the boxes it
/// passed (client → Expressway-E → Expressway-C → CUCM and back), drawn on the box that
/// logged it; any other line is a note on that box (a Jabber log's on the client).
fn log_steps<'t>(ctx: &Ctx<'_>, hits: &[&'t Tagged]) -> Vec<RawStep<'t>> {
    let mut raw = Vec::new();
    for t in hits {
        if let EventKind::LogSignature {
            signature,
            severity,
            host,
            role,
            ..
        } = &t.event.kind
        {
            let log = ctx.catalog.get(signature);
            let party = match log.map(|s| s.log.as_str()) {
                Some("jabber") => Party::Client,
                _ => ctx.roles.of(&ctx.inputs[t.input], host.as_deref()),
            };
            let mark = if *severity == crate::report::Severity::Fault {
                Mark::Bad
            } else {
                Mark::Plain
            };
            let direction = log.and_then(|s| s.direction);
            let (from, to, what) = match log_flow(party, *role, direction) {
                Some((from, to, what)) => (from, to, format!("{what} ({signature})")),
                None => (party, party, signature.to_string()),
            };
            raw.push((*t, from, to, what, mark));
        }
    }
    raw
}

/// The message a log line records, as (from, to, what), from the box that wrote it (`at`):
/// what it received came from its neighbour on the client's side (for Expressway-C, a
/// CUCM answer from the inside), what it sent goes back toward the client or on inward.
fn log_flow(
    at: Party,
    role: Option<crate::model::Role>,
    direction: Option<crate::logs::signatures::Direction>,
) -> Option<(Party, Party, &'static str)> {
    use crate::logs::signatures::Direction;
    use crate::model::Role;
    use Party::{Client, ExpresswayC as C, ExpresswayE as E, Internal};
    // The box before it on the client's side.
    let outer = match at {
        E => Client,
        C => E,
        _ => return None,
    };
    Some(match (role, direction) {
        (Some(Role::SignInStart), _) => (outer, at, "get_edge_config"),
        (Some(Role::EdgeConfigServed), _) => (at, outer, "edge configuration"),
        (Some(Role::VoicemailRequest), _) => (outer, at, "voicemail request"),
        (Some(Role::RegisterReceived), _) => (outer, at, "REGISTER"),
        (Some(Role::RegisterAccepted), _) => (at, outer, "REGISTER 200 OK"),
        (Some(Role::RegisterRejected), _) => (at, outer, "REGISTER refused"),
        (Some(Role::ServiceRequest), _) => (E, C, "SERVICE"),
        (Some(Role::ServiceAnswered), _) => (C, E, "SERVICE answered"),
        (Some(Role::CookieSet), _) if at == E => (E, Client, "X-Auth cookie"),
        (None, Some(Direction::Inbound)) if at == C => (Internal, C, "answer from CUCM"),
        (None, Some(Direction::Outbound)) if at == C => (C, E, "traversal connection"),
        _ => return None,
    })
}

/// The steps as drawn, failed where they fail by themselves or a failed phase cites them.
fn drawn(
    ctx: &Ctx<'_>,
    raw: Vec<(RawStep<'_>, Option<Shift>)>,
    states: &[PhaseState],
) -> Vec<LadderStep> {
    // Frames and lines the failed phases cite are the failed steps; a certificate only when
    // the failure is about it (a chain cited as context of a later failure is not).
    let cited_by = |cert: bool| -> BTreeSet<(Arc<str>, Option<u64>, Option<u64>)> {
        states
            .iter()
            .filter(|s| s.status == Status::Failed)
            .filter(|s| !cert || s.problem.as_deref().is_some_and(is_certificate_problem))
            .flat_map(|s| &s.evidence)
            .map(|e| (e.input.clone(), e.frame, e.line))
            .collect()
    };
    let (cited, cited_cert) = (cited_by(false), cited_by(true));
    raw.into_iter()
        .map(|((t, from, to, label, mark), shift)| {
            let at = ctx.place(t);
            let key = (at.input.clone(), at.frame, at.line);
            let failed = match mark {
                Mark::Bad => true,
                Mark::Citable => cited.contains(&key),
                Mark::CitableCertificate => cited_cert.contains(&key),
                Mark::Plain => false,
            };
            let shift_ns = shift.map(|s| s.ns);
            LadderStep {
                ts: at.ts,
                axis_ns: t.event.ts.saturating_add(shift_ns.unwrap_or(0)),
                shift_ns,
                from,
                to,
                label: ctx.texts.get(&label),
                failed,
                input: at.input,
                frame: at.frame,
                line: at.line,
            }
        })
        .collect()
}

/// E or C as the host name says it by the usual conventions (`expc01`, `exp-e`, `vcs-c`,
/// `expressway-e2`), else an Expressway of unknown role.
pub(crate) fn expressway_role(host: Option<&str>) -> Party {
    let Some(host) = host else {
        return Party::Expressway;
    };
    // Lowered only when it has capitals: this runs for every line of a bundle.
    let first = host.split('.').next().unwrap_or_default();
    let lowered;
    let label = if first.bytes().any(|b| b.is_ascii_uppercase()) {
        lowered = first.to_ascii_lowercase();
        lowered.as_str()
    } else {
        first
    };
    for stem in ["expressway", "exp", "vcs"] {
        // A byte walk, not `match_indices`: its searcher costs more to set up than a host
        // name takes to walk, on every line of a bundle. (ASCII stems start at char
        // boundaries.)
        let starts =
            (0..label.len()).filter(|&at| label.as_bytes()[at..].starts_with(stem.as_bytes()));
        for at in starts {
            // The stem starts the label or follows a separator, so `myexpc` does not count.
            if at > 0 && !label[..at].ends_with(['-', '_']) {
                continue;
            }
            let rest = label[at + stem.len()..].trim_start_matches(['-', '_']);
            let mut chars = rest.chars();
            let role = chars.next();
            let next = chars.next();
            if next.is_none_or(|c| c.is_ascii_digit() || c == '-' || c == '_') {
                match role {
                    Some('e') => return Party::ExpresswayE,
                    Some('c') => return Party::ExpresswayC,
                    _ => {}
                }
            }
        }
    }
    Party::Expressway
}

fn line_of(t: &Tagged) -> u64 {
    match &t.event.kind {
        EventKind::LogSignature { line, .. } => *line,
        _ => 0,
    }
}

fn qtype_name(q: u16) -> String {
    match q {
        1 => "A".into(),
        28 => "AAAA".into(),
        33 => "SRV".into(),
        other => format!("type {other}"),
    }
}

fn record_text(r: &DnsRecord) -> String {
    match r {
        DnsRecord::Srv { port, target, .. } => format!("{target}:{port}"),
        DnsRecord::A { addr, .. } | DnsRecord::Aaaa { addr, .. } => addr.to_string(),
        DnsRecord::Cname { target, .. } => format!("CNAME {target}"),
        DnsRecord::Other { rtype, .. } => format!("type {rtype}"),
    }
}

/// A DNS event as (from, to, label, mark).
fn dns_step(kind: &EventKind) -> Option<(Party, Party, String, Mark)> {
    match kind {
        EventKind::DnsQuery { name, qtype, .. } => Some((
            Party::Client,
            Party::Dns,
            format!("{} {name}?", qtype_name(*qtype)),
            Mark::Citable,
        )),
        EventKind::DnsResponse { rcode, answers, .. } => {
            let text = if *rcode != 0 {
                rcode_name(*rcode)
            } else if answers.is_empty() {
                "no answer".into()
            } else {
                let mut parts: Vec<String> = answers.iter().take(2).map(record_text).collect();
                if answers.len() > 2 {
                    parts.push(format!("+{}", answers.len() - 2));
                }
                parts.join(", ")
            };
            Some((Party::Dns, Party::Client, text, Mark::Citable))
        }
        EventKind::IcmpUnreachable { reason, .. } => Some((
            Party::Dns,
            Party::Client,
            format!("ICMP {reason}"),
            Mark::Bad,
        )),
        _ => None,
    }
}

/// A connection event as (sent by the client?, label, mark).
fn connection_step(kind: &EventKind, port: u16) -> Option<(bool, String, Mark)> {
    tcp_step(kind, port)
        .or_else(|| tls_step(kind))
        .or_else(|| xmpp_step(kind))
        .or_else(|| sip_step(kind))
        .or_else(|| decrypted_step(kind))
}

/// What a key log let us read inside TLS: HTTP on 8443, the XMPP login.
fn decrypted_step(kind: &EventKind) -> Option<(bool, String, Mark)> {
    Some(match kind {
        EventKind::HttpRequest { method, path, .. } => {
            let path = path.split('?').next().unwrap_or(path);
            let last = path.rsplit('/').next().unwrap_or(path);
            (true, format!("{method} …/{last}"), Mark::Plain)
        }
        EventKind::HttpResponse { code, reason, .. } => {
            let mark = if *code >= 400 {
                Mark::Citable
            } else {
                Mark::Plain
            };
            (false, format!("{code} {reason}"), mark)
        }
        EventKind::XmppAuth {
            success, condition, ..
        } => match (success, condition) {
            (true, _) => (false, "SASL success".into(), Mark::Plain),
            (false, Some(c)) => (false, format!("SASL failure {c}"), Mark::Citable),
            (false, None) => (false, "SASL failure".into(), Mark::Citable),
        },
        _ => return None,
    })
}

fn tcp_step(kind: &EventKind, port: u16) -> Option<(bool, String, Mark)> {
    use Mark::{Bad, Citable, Plain};
    Some(match kind {
        EventKind::TcpSyn { retransmission, .. } => {
            let again = if *retransmission { " (again)" } else { "" };
            (true, format!("SYN :{port}{again}"), Citable)
        }
        EventKind::TcpSynAck { .. } => (false, "SYN-ACK".into(), Plain),
        EventKind::TcpRst { from, .. } => (by_client(from), "RST".into(), Bad),
        EventKind::TcpFin { from, .. } => (by_client(from), "FIN".into(), Citable),
        EventKind::IcmpUnreachable { reason, .. } => (false, format!("ICMP {reason}"), Bad),
        EventKind::ProxyConnect { host, port, .. } => {
            (true, format!("CONNECT {host}:{port}"), Citable)
        }
        EventKind::ProxyAnswer { code, reason, .. } => (
            false,
            format!("{code} {reason}"),
            if (200..300).contains(code) {
                Plain
            } else {
                Bad
            },
        ),
        _ => return None,
    })
}

fn by_client(side: &Side) -> bool {
    *side == Side::Client
}

fn tls_step(kind: &EventKind) -> Option<(bool, String, Mark)> {
    use Mark::{Bad, Citable, Plain};
    Some(match kind {
        EventKind::TlsClientHello { sni, .. } => {
            let label = match sni {
                Some(s) => format!("ClientHello SNI {s}"),
                None => "ClientHello (no SNI)".into(),
            };
            (true, label, Plain)
        }
        EventKind::TlsServerHello { version, .. } => (
            false,
            format!("ServerHello {}", tls_version_name(*version)),
            Plain,
        ),
        EventKind::TlsHelloRetryRequest { .. } => (false, "HelloRetryRequest".into(), Plain),
        EventKind::TlsCertificate { chain, from, .. } => {
            let label = match chain.first() {
                Some(leaf) => format!("Certificate {}", super::connection::short_name(leaf)),
                None => "Certificate (empty)".into(),
            };
            (by_client(from), label, Mark::CitableCertificate)
        }
        EventKind::TlsAlert {
            from,
            level,
            description,
            ..
        } => {
            let mark = if *level == 2 { Bad } else { Citable };
            (
                by_client(from),
                format!("Alert {}", alert_name(*description)),
                mark,
            )
        }
        EventKind::TlsEncryptedAlert { from, .. } => {
            (by_client(from), "encrypted alert".into(), Citable)
        }
        EventKind::TlsHandshakeDone { version, .. } => (
            true,
            format!("handshake done ({})", tls_version_name(*version)),
            Plain,
        ),
        EventKind::TlsApplicationData { from, .. } => {
            let label = if by_client(from) {
                "request (encrypted)"
            } else {
                "response (encrypted)"
            };
            (by_client(from), label.into(), Plain)
        }
        _ => return None,
    })
}

fn xmpp_step(kind: &EventKind) -> Option<(bool, String, Mark)> {
    use Mark::{Bad, Plain};
    Some(match kind {
        EventKind::XmppStreamOpen { from, to, .. } => {
            let label = match to {
                Some(to) => format!("<stream to={to}>"),
                None => "<stream>".into(),
            };
            (by_client(from), label, Plain)
        }
        EventKind::XmppFeatures { starttls: true, .. } => {
            (false, "features: starttls".into(), Plain)
        }
        EventKind::XmppFeatures {
            starttls: false, ..
        } => (false, "features without starttls".into(), Bad),
        EventKind::XmppStartTls { .. } => (true, "<starttls/>".into(), Plain),
        EventKind::XmppProceed { .. } => (false, "<proceed/>".into(), Plain),
        EventKind::XmppFailure { .. } => (false, "<failure/>".into(), Bad),
        EventKind::XmppStreamError {
            from, condition, ..
        } => (by_client(from), format!("stream error {condition}"), Bad),
        _ => return None,
    })
}

fn sip_step(kind: &EventKind) -> Option<(bool, String, Mark)> {
    Some(match kind {
        EventKind::SipRequest(r) => (true, r.method.clone(), Mark::Plain),
        // A 401/407 is the usual digest challenge, not a failure by itself.
        EventKind::SipResponse(r) => {
            let (code, reason) = (r.code, &r.reason);
            let mark = if code >= 400 && code != 401 && code != 407 {
                Mark::Bad
            } else {
                Mark::Citable
            };
            (false, format!("{code} {reason}"), mark)
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressway_role_from_usual_host_names() {
        for (host, party) in [
            ("expc", Party::ExpresswayC),
            ("expe01.example.com", Party::ExpresswayE),
            ("exp-e-2", Party::ExpresswayE),
            ("VCS-C", Party::ExpresswayC),
            ("lon-expressway_c1", Party::ExpresswayC),
            ("expressway", Party::Expressway),
            ("myexpc", Party::Expressway),
            ("expert", Party::Expressway),
            ("vcsedge", Party::Expressway),
        ] {
            assert_eq!(expressway_role(Some(host)), party, "{host}");
        }
        assert_eq!(expressway_role(None), Party::Expressway);
    }
}
