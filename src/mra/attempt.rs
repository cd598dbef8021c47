//! One sign-in attempt a capture shows, judged: what it holds (lookups, targets, Expressway-E's
//! addresses, connections), discovery, the connection phases, the log lines of its time, the
//! ladder.

use super::connection::{Connection, Judgement};
use super::context::Ctx;
use super::context::MRA_PORTS;
use super::context::PhaseState;
use super::discovery::{
    CUP_PREFIX, EDGE_PREFIX, Transaction, UDS_PREFIX, discovery_phase, short, srv_domain,
};
use super::ladder::Drawing;
use super::phases::{connection_phase, inside_tls, sip_in_clear};
use super::split::Attempt;
use super::{clock, cookie, eview, ladder, logs, verdict};
use crate::faults::Phase;
use crate::model::EventKind;
use crate::model::Tagged;
use crate::report::{Evidence, Finding, Session, Severity, Status};
use std::collections::BTreeSet;
use std::net::IpAddr;

/// What one attempt holds, by kind.
struct Scope<'a> {
    srv: Vec<&'a Transaction<'a>>,
    edge_txs: Vec<&'a Transaction<'a>>,
    uds_txs: Vec<&'a Transaction<'a>>,
    cup_txs: Vec<&'a Transaction<'a>>,
    edge_targets: Vec<(u16, String)>,
    edge_lookups: Vec<&'a Transaction<'a>>,
    uds_lookups: Vec<&'a Transaction<'a>>,
    /// Expressway-E's addresses: looked up, sent as glue, reached by SNI, or (discovery
    /// cached) the MRA ports' servers.
    edge_ips: BTreeSet<IpAddr>,
    uds_ips: BTreeSet<IpAddr>,
    conns: Vec<&'a Connection<'a>>,
    /// Connections through an HTTP proxy whose tunnel goes to Expressway-E, by the client's
    /// end (the proxy's address is not Expressway-E's).
    edge_tunnels: BTreeSet<(usize, crate::model::Endpoint)>,
    domain: Option<String>,
    cached_discovery: bool,
    /// The attempt's client, the capture it is in, and when its next attempt starts.
    client: IpAddr,
    input: usize,
    until: i64,
}

impl Scope<'_> {
    /// Whether a connection reaches Expressway-E: directly to one of its addresses, or
    /// through a proxy's tunnel to it.
    fn reaches_edge(&self, c: &Connection<'_>) -> bool {
        match c.tunnel() {
            Some(_) => self.edge_tunnels.contains(&(c.input, c.client)),
            None => self.edge_ips.contains(&c.server.ip),
        }
    }
}

fn scope<'a>(
    txs: &'a [Transaction<'a>],
    conns: &'a [Connection<'a>],
    client: IpAddr,
    attempt: &Attempt,
    ctx: &Ctx<'_>,
) -> Scope<'a> {
    let edges = &ctx.edges;
    let srv: Vec<&Transaction<'_>> = attempt.srv.iter().map(|&i| &txs[i]).collect();
    let of = |prefix: &str| -> Vec<&'a Transaction<'a>> {
        srv.iter()
            .copied()
            .filter(|t| t.name.starts_with(prefix))
            .collect()
    };
    let (edge_txs, uds_txs, cup_txs) = (of(EDGE_PREFIX), of(UDS_PREFIX), of(CUP_PREFIX));
    let mut domain = srv.iter().find_map(|t| srv_domain(&t.name).map(|(_, d)| d));
    // Targets and their addresses, looked up by this client during the attempt.
    let targets_of = |list: &[&Transaction<'_>]| -> Vec<(u16, String)> {
        let mut v: Vec<(u16, String)> = list
            .iter()
            .flat_map(|t| t.srv())
            .map(|(_, _, port, target)| (port, target))
            .collect();
        v.dedup();
        v
    };
    let edge_targets = targets_of(&edge_txs);
    let uds_targets = targets_of(&uds_txs);
    // This client's address lookups only (an index: a busy capture has thousands of
    // attempts and of lookups).
    let mine: &[usize] = ctx
        .address_lookups
        .get(&(client, attempt.input))
        .map_or(&[], Vec::as_slice);
    let lookups = |names: &[(u16, String)]| -> Vec<&'a Transaction<'a>> {
        mine.iter()
            .map(|&i| &txs[i])
            .filter(|t| t.ts >= attempt.start && names.iter().any(|(_, n)| *n == t.name))
            .collect()
    };
    let edge_lookups = lookups(&edge_targets);
    let uds_lookups = lookups(&uds_targets);
    let mut edge_ips: BTreeSet<IpAddr> = edge_lookups.iter().flat_map(|t| t.addresses()).collect();
    // Addresses sent as glue with the SRV answer count as looked up.
    let target_names: Vec<String> = edge_targets.iter().map(|(_, t)| t.clone()).collect();
    edge_ips.extend(edge_txs.iter().flat_map(|t| t.glue(&target_names)));
    let uds_ips: BTreeSet<IpAddr> = uds_lookups.iter().flat_map(|t| t.addresses()).collect();
    let attempt_conns: Vec<&Connection<'_>> = attempt.conns.iter().map(|&i| &conns[i]).collect();
    // A target reached without a visible A lookup (cached address): recognise it by SNI.
    for c in attempt_conns.iter().filter(|c| c.tunnel().is_none()) {
        if let Some(sni) = c.sni()
            && edge_targets
                .iter()
                .any(|(_, t)| t.eq_ignore_ascii_case(&sni))
        {
            edge_ips.insert(c.server.ip);
        }
    }
    // Servers `--edge` or Expressway-E's configuration names.
    edge_ips.extend(
        attempt_conns
            .iter()
            .filter(|c| c.tunnel().is_none() && edges.named(c).is_some())
            .map(|c| c.server.ip),
    );
    let cached_discovery = edge_txs.is_empty() && uds_txs.is_empty();
    if edge_ips.is_empty() && cached_discovery {
        edge_ips = attempt_conns
            .iter()
            .filter(|c| c.tunnel().is_none() && MRA_PORTS.contains(&c.server.port))
            .map(|c| c.server.ip)
            .collect();
    }
    // Tunnels through a proxy to a target discovery named (or, discovery cached, to an MRA
    // port), or to a host `--edge` names.
    let edge_tunnels = attempt_conns
        .iter()
        .filter(|c| {
            c.tunnel().is_some_and(|(_, host, port)| {
                edge_targets
                    .iter()
                    .any(|(_, t)| t.eq_ignore_ascii_case(host))
                    || host
                        .parse::<IpAddr>()
                        .is_ok_and(|ip| edge_ips.contains(&ip))
                    || edges.names.contains_key(host)
                    || (cached_discovery && MRA_PORTS.contains(&port))
            })
        })
        .map(|c| (c.input, c.client))
        .collect();
    if domain.is_none() {
        domain = attempt_conns
            .iter()
            .find_map(|c| c.sni())
            .and_then(|s| s.split_once('.').map(|(_, d)| d.to_string()));
    }
    Scope {
        srv,
        edge_txs,
        uds_txs,
        cup_txs,
        edge_targets,
        edge_lookups,
        uds_lookups,
        edge_ips,
        uds_ips,
        conns: attempt_conns,
        edge_tunnels,
        domain,
        cached_discovery,
        client,
        input: attempt.input,
        until: attempt.until,
    }
}

type Judged<'a> = (&'a Connection<'a>, Judgement<'a>);

/// Judge one attempt a capture shows, with the log lines of its time.
#[allow(clippy::too_many_arguments)]
pub(super) fn judge(
    ctx: &Ctx<'_>,
    id: usize,
    client: IpAddr,
    attempt: &Attempt,
    txs: &[Transaction<'_>],
    conns: &[Connection<'_>],
    hits: &[&Tagged],
    drawing: Drawing,
) -> Session {
    let mut findings: Vec<Finding> = Vec::new();
    let s = scope(txs, conns, client, attempt, ctx);
    // Judge every connection once.
    let judged: Vec<Judged<'_>> = s
        .conns
        .iter()
        .map(|c| (*c, c.judge(ctx.anchors, ctx.server_file, &ctx.chain_words)))
        .collect();
    let uds_conns: Vec<&Judged<'_>> = judged
        .iter()
        .filter(|(c, _)| s.uds_ips.contains(&c.server.ip))
        .collect();
    let inside = uds_conns
        .iter()
        .any(|(_, j)| matches!(j, Judgement::Ok { .. }));
    let disc = discovery(ctx, &s, &judged, &uds_conns, inside, &mut findings);
    let mut states = connection_states(ctx, &s, disc, &judged, &mut findings);
    sip_in_clear(ctx, client, attempt, &mut states[3]);
    logs::apply(ctx, hits, &mut states, &mut findings);
    cookie::check(ctx, &names_used(ctx, &s, hits), hits, &mut states[1]);
    let (offsets, to_capture) = clock::offsets(ctx, &s.conns);
    findings.extend(offsets);
    let ladder = match drawing {
        Drawing::Skip => ladder::Drawn::default(),
        Drawing::Draw => ladder::build(
            ctx,
            &s.srv
                .iter()
                .chain(&s.edge_lookups)
                .chain(&s.uds_lookups)
                .copied()
                .collect::<Vec<&Transaction<'_>>>(),
            &s.conns,
            &sip_in_clear_of(ctx, client, attempt),
            hits,
            &ladder::Places {
                edge_ips: &s.edge_ips,
                shifts: &to_capture.with(&ctx.between_logs),
            },
            &states,
        ),
    };
    let reached_edge = !inside && s.conns.iter().any(|c| s.reaches_edge(c));
    verdict::finish(
        &ctx.texts,
        verdict::Frame {
            id,
            client: client.to_string(),
            user: None,
            line: None,
            domain: s.domain,
            start: attempt.start,
            end: attempt.end,
            inside,
            ladder,
            from_capture: true,
            reached_edge,
            local_time: false,
        },
        states,
        findings,
    )
}

/// Discovery: the SRV lookups' phase, Expressway-E's own capture that never sees them, an
/// internal record answered outside (or a client inside the network), cached discovery.
fn discovery(
    ctx: &Ctx<'_>,
    s: &Scope<'_>,
    judged: &[Judged<'_>],
    uds_conns: &[&Judged<'_>],
    inside: bool,
    findings: &mut Vec<Finding>,
) -> PhaseState {
    let mut disc = discovery_phase(
        ctx,
        &s.edge_txs,
        &s.uds_txs,
        &s.edge_lookups,
        &s.edge_targets,
        &s.edge_ips,
        judged,
    );
    // Expressway-E's own capture never sees the client's DNS.
    if disc.status == Status::NotObserved
        && s.cached_discovery
        && !judged.is_empty()
        && judged
            .iter()
            .all(|(c, _)| eview::is_expressway_capture(&ctx.inputs[c.input]))
    {
        disc.summary =
            "not visible from Expressway-E's own capture (the client's DNS does not reach it)"
                .into();
    }
    if let Some(uds) = s.uds_txs.iter().find(|t| !t.srv().is_empty()) {
        disc = uds_answered(ctx, uds, uds_conns, inside, findings);
    }
    for cup in s.cup_txs.iter().filter(|t| !t.srv().is_empty()) {
        findings.push(Finding {
            severity: Severity::Warning,
            id: "discovery.cuplogin_exposed".into(),
            phase: Phase::Discovery,
            summary: format!(
                "{} answered {}: an internal record visible to this client",
                cup.name,
                cup.outcome()
            ),
            evidence: vec![ctx.evidence(
                cup.response.expect("answered"),
                "internal SRV record answered",
            )],
        });
    }
    if s.cached_discovery {
        findings.push(Finding {
            severity: Severity::Info,
            id: "discovery.not_in_capture".into(),
            phase: Phase::Discovery,
            summary: "no SRV lookup in the capture: the client used cached discovery results (or manual settings)".into(),
            evidence: Vec::new(),
        });
    }
    if let Some(finding) = edges_named(ctx, s) {
        findings.push(finding);
    }
    disc
}

/// Which of the attempt's servers were taken for Expressway-E because `--edge` or E's
/// configuration names them (not because discovery pointed at them), and where.
fn edges_named(ctx: &Ctx<'_>, s: &Scope<'_>) -> Option<Finding> {
    let mut named: Vec<(String, &str, &Connection<'_>)> = Vec::new();
    for c in &s.conns {
        let Some(source) = ctx.edges.named(c) else {
            continue;
        };
        let server = c.server.to_string();
        if !named.iter().any(|(n, ..)| *n == server) {
            named.push((server, source, c));
        }
    }
    if named.is_empty() {
        return None;
    }
    let list: Vec<String> = named
        .iter()
        .map(|(server, source, _)| format!("{server} ({source})"))
        .collect();
    Some(Finding {
        severity: Severity::Info,
        id: "discovery.edge_given".into(),
        phase: Phase::Discovery,
        summary: format!(
            "taken for Expressway-E as named, not as discovered: {}",
            list.join(", ")
        ),
        evidence: named
            .iter()
            .map(|(server, source, c)| {
                ctx.evidence(
                    c.summary,
                    format!("{server}: Expressway-E as {source} names it"),
                )
            })
            .collect(),
    })
}

/// `_cisco-uds` answered: the client is inside the network (it then reached CUCM), else an
/// internal record leaks outside and the client tries CUCM instead of Expressway.
fn uds_answered(
    ctx: &Ctx<'_>,
    uds: &Transaction<'_>,
    uds_conns: &[&Judged<'_>],
    inside: bool,
    findings: &mut Vec<Finding>,
) -> PhaseState {
    let target = uds.srv().first().map(|s| s.3.clone()).unwrap_or_default();
    if inside {
        let mut disc = PhaseState::new(
            Status::Ok,
            format!(
                "{} {} · the client reached it: it is inside the network and signs in to CUCM directly, not through MRA",
                short(&uds.name),
                uds.outcome()
            ),
        );
        disc.evidence.push(ctx.evidence(
            uds.response.expect("answered"),
            format!("{} answered {}", uds.name, uds.outcome()),
        ));
        findings.push(Finding {
            severity: Severity::Info,
            id: "discovery.client_inside_network".into(),
            phase: Phase::Discovery,
            summary: format!("_cisco-uds answered and {target} was reachable: this client signs in on-premises, MRA is not used"),
            evidence: disc.evidence.clone(),
        });
        return disc;
    }
    let mut ev = vec![ctx.evidence(
        uds.response.expect("answered"),
        format!(
            "{} answered {} outside the network",
            uds.name,
            uds.outcome()
        ),
    )];
    if let Some((
        _,
        Judgement::Failed { evidence, .. } | Judgement::Inconclusive { evidence, .. },
    )) = uds_conns.last()
    {
        ev.extend(evidence.iter().map(|(t, n)| ctx.evidence(t, n.clone())));
    }
    PhaseState {
        status: Status::Failed,
        summary: format!(
            "{} {} · the client then tries CUCM directly instead of Expressway",
            short(&uds.name),
            uds.outcome()
        ),
        problem: Some("internal_records_exposed".into()),
        evidence: ev,
        meaning: None,
        fix: None,
        encrypted: false,
    }
}

/// Phases 2–5 from the connections to Expressway-E: 8443 before XMPP or SIP started is
/// provisioning, after it voicemail; 5222 XMPP; 5061 (5060) SIP.
fn connection_states(
    ctx: &Ctx<'_>,
    s: &Scope<'_>,
    discovery: PhaseState,
    judged: &[Judged<'_>],
    findings: &mut Vec<Finding>,
) -> Vec<PhaseState> {
    let first_of = |port: u16| {
        s.conns
            .iter()
            .filter(|c| c.port() == port && s.reaches_edge(c))
            .map(|c| c.start_ts)
            .min()
    };
    let later_start = [first_of(5222), first_of(5061), first_of(5060)]
        .into_iter()
        .flatten()
        .min();
    let edge_port = s.edge_targets.first().map(|(p, _)| *p).unwrap_or(8443);
    // A port `--edge` gives that is not XMPP's or SIP's is where Expressway-E serves HTTPS.
    let https_port = |p: u16| {
        p == edge_port
            || p == 8443
            || (ctx.edges.ports.contains(&p) && !matches!(p, 5222 | 5061 | 5060))
    };
    let phase_of = |c: &Connection<'_>| -> Option<Phase> {
        if !s.reaches_edge(c) {
            return None;
        }
        match c.port() {
            p if https_port(p) => {
                if later_start.is_some_and(|t| c.start_ts > t) {
                    Some(Phase::Voicemail)
                } else {
                    Some(Phase::Provisioning)
                }
            }
            5222 => Some(Phase::Xmpp),
            5061 | 5060 => Some(Phase::Sip),
            _ => None,
        }
    };
    let mut states: Vec<PhaseState> = vec![discovery];
    for phase in [
        Phase::Provisioning,
        Phase::Xmpp,
        Phase::Sip,
        Phase::Voicemail,
    ] {
        let mine: Vec<&Judged<'_>> = judged
            .iter()
            .filter(|(c, _)| phase_of(c) == Some(phase))
            .collect();
        states.push(connection_phase(ctx, phase, &mine, findings));
    }
    edge_config_followed(ctx, s, later_start, &mut states[1]);
    for (state, phase) in states.iter_mut().zip(Phase::ALL) {
        if state.hidden() {
            state.summary = format!("{} · {}", state.summary, inside_tls(phase));
        }
    }
    states
}

/// Provisioning through TLS is proven by what follows it: the client connects to XMPP or
/// SIP (or sends SIP in clear) only with the edge configuration it asked for.
fn edge_config_followed(
    ctx: &Ctx<'_>,
    s: &Scope<'_>,
    later_start: Option<i64>,
    provisioning: &mut PhaseState,
) {
    if !provisioning.hidden() {
        return;
    }
    let connection = later_start.and_then(|t| {
        s.conns
            .iter()
            .find(|c| c.start_ts == t && s.reaches_edge(c))
            .map(|c| {
                let mut server = c.server;
                server.port = c.port();
                (c.summary, server)
            })
    });
    // SIP over UDP has no connection: the client's first request to Expressway-E in clear,
    // before its next attempt (another client's, or a later attempt's, proves nothing here).
    let after = s.conns.iter().map(|c| c.start_ts).min().unwrap_or(i64::MIN);
    let datagram = ctx
        .sip
        .of((s.client, s.input))
        .iter()
        .find_map(|t| match &t.event.kind {
            EventKind::SipRequest(r)
                if r.stream.is_none()
                    && t.event.ts > after
                    && t.event.ts < s.until
                    && s.edge_ips.contains(&r.server.ip) =>
            {
                Some((*t, r.server))
            }
            _ => None,
        });
    let next = match (connection, datagram) {
        (Some(c), Some(d)) => Some(if d.0.event.ts < c.0.event.ts { d } else { c }),
        (c, d) => c.or(d),
    };
    let Some((event, server)) = next else {
        return;
    };
    let service = if server.port == 5222 { "XMPP" } else { "SIP" };
    provisioning.summary = format!(
        "{} · the edge configuration was served: the client then connected to {service} ({}), which only that configuration tells it",
        provisioning.summary, server.port
    );
    provisioning.status = Status::Ok;
    provisioning.encrypted = false;
    provisioning.evidence.push(ctx.evidence(
        event,
        format!("the client's next step, to {service} on {server}"),
    ));
}

/// The names the client reached Expressway-E by: the SRV targets, the hosts it requested.
fn names_used(ctx: &Ctx<'_>, s: &Scope<'_>, hits: &[&Tagged]) -> Vec<(String, Evidence)> {
    let mut used: Vec<(String, Evidence)> = s
        .edge_txs
        .iter()
        .flat_map(|t| {
            t.srv().into_iter().map(move |(.., target)| {
                let answer = t.decisive();
                (
                    target.clone(),
                    ctx.evidence(answer, format!("the _collab-edge SRV target {target}")),
                )
            })
        })
        .collect();
    used.extend(cookie::requested_hosts(hits).into_iter().map(|(host, t)| {
        let note = format!("the client's request to {host}");
        (host, ctx.evidence(t, note))
    }));
    used
}

/// The client's SIP over UDP in the attempt's time (no TCP stream ties it to a connection).
fn sip_in_clear_of<'a>(ctx: &Ctx<'a>, client: IpAddr, attempt: &Attempt) -> Vec<&'a Tagged> {
    ctx.sip
        .of((client, attempt.input))
        .iter()
        .copied()
        .filter(|t| t.event.ts >= attempt.start && t.event.ts <= attempt.end)
        .filter(|t| match &t.event.kind {
            EventKind::SipRequest(r) => r.stream.is_none(),
            EventKind::SipResponse(r) => r.stream.is_none(),
            _ => false,
        })
        .collect()
}
