//! The MRA model: group a capture's events into sign-in attempts per client, assign them to
//! the five phases, give each phase a status, and name the likely fault with its evidence.

mod attempt;
mod clock;
pub mod connection;
mod cookie;
pub mod discovery;
mod dumps;
mod eview;
mod files;
mod ladder;
mod logs;
mod phases;
mod sessions;
mod users;
mod verdict;

use crate::faults::Phase;
use crate::logs::signatures::Catalog;
use crate::model::EventKind;
use crate::report::{Evidence, Finding, PhaseResult, Session, Severity, Status, Verdict};
use connection::Connection;
use discovery::{CUP_PREFIX, Transaction, srv_domain};
pub use sessions::FocusSpec;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use users::Who;

pub use crate::model::Tagged;

pub(crate) const MRA_PORTS: [u16; 3] = [8443, 5222, 5061];

/// Everything the judge produces, before it is wrapped into the report.
pub struct Analysis {
    pub verdict: Verdict,
    pub phases: Vec<PhaseResult>,
    pub sessions: Vec<Session>,
    pub users: Vec<crate::report::UserRow>,
    pub focus: Option<crate::report::Focus>,
    pub findings: Vec<Finding>,
}

pub fn analyze(
    inputs: &[String],
    events: &[Tagged],
    catalog: &Catalog,
    anchors: &[crate::certs::AnchorSet],
    clock: &crate::certs::Clock<'_>,
    focus: &sessions::FocusSpec,
) -> Analysis {
    let mut ctx = Ctx {
        inputs,
        catalog,
        events,
        sip: events
            .iter()
            .filter(|t| {
                matches!(
                    t.event.kind,
                    EventKind::SipRequest { .. } | EventKind::SipResponse { .. }
                )
            })
            .collect(),
        edge_requests: events
            .iter()
            .filter(|t| t.event.kind.role() == Some(crate::model::Role::SignInStart))
            .collect(),
        server_file: None,
        anchors,
        dumps: events
            .iter()
            .filter(|t| matches!(t.event.kind, EventKind::ExpresswayDump { .. }))
            .collect(),
        roles: dumps::Roles::default(),
    };
    ctx.roles = dumps::Roles::from_dumps(inputs, ctx.dumps.iter().copied());
    ctx.server_file = files::server_certificate(&ctx);
    let mut txs = discovery::transactions(events);
    let mut conns = connections(events);
    // Expressway-E's own capture beside a client's: paired with it, not judged again.
    let edge_view: Vec<bool> = inputs
        .iter()
        .map(|n| eview::is_expressway_capture(n))
        .collect();
    let mut edge_conns = Vec::new();
    if conns.iter().any(|c| !edge_view[c.input]) {
        (edge_conns, conns) = conns.into_iter().partition(|c| edge_view[c.input]);
        txs.retain(|t| !edge_view[t.first().input]);
    }
    let hits: Vec<&Tagged> = events.iter().filter(|t| logs::is_hit(t)).collect();
    let whos = users::link(&ctx, &hits);
    let mut used = vec![false; hits.len()];
    let all = attempts(&txs, &conns);
    let last_attempt_start = all.values().flatten().map(|a| a.start).max();
    let mut sessions = Vec::new();
    for (client, attempts) in &all {
        for attempt in attempts {
            // Log lines in this attempt's time window (lines without a UTC time go to the
            // last attempt: they cannot be placed).
            let mut mine: Vec<usize> = Vec::new();
            for (i, t) in hits.iter().enumerate() {
                let inside = if logs::placed_in_time(t) {
                    t.event.ts >= attempt.start - logs::MARGIN_NS
                        && t.event.ts <= attempt.end + logs::MARGIN_NS
                } else {
                    Some(attempt.start) == last_attempt_start
                };
                if inside && !used[i] {
                    used[i] = true;
                    mine.push(i);
                }
            }
            // Lines of several users in the window: the capture shows one sign-in. Keep the
            // user whose lines come nearest its start; the others make their own sessions.
            let (kept, others) = users::one_user_near(&hits, &whos, &mine, attempt.start);
            for &i in &others {
                used[i] = false;
            }
            let user = users::the_user(kept.iter().map(|&i| &whos[i]));
            let kept: Vec<&Tagged> = kept.into_iter().map(|i| hits[i]).collect();
            let id = sessions.len() + 1;
            let mut session = attempt::judge(&ctx, id, *client, attempt, &txs, &conns, &kept);
            session.user = user.clone();
            if !others.is_empty() {
                session.findings.push(users::others_note(
                    &ctx,
                    &hits,
                    &whos,
                    &others,
                    user.as_deref(),
                ));
            }
            sessions.push(session);
        }
    }
    let (unplaced, unplaced_whos): (Vec<&Tagged>, Vec<Who>) = hits
        .iter()
        .zip(&whos)
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|((t, w), _)| (*t, w.clone()))
        .unzip();
    // A server certificate from a bundle speaks for the sign-in only when no capture shows
    // the chain the clients got.
    let problems = if all.is_empty() {
        files::problems(&ctx, clock)
    } else {
        Vec::new()
    };
    let log_attempts = users::attempts(&unplaced, &unplaced_whos);
    if log_attempts.is_empty() && !problems.is_empty() {
        sessions.push(log_session(
            &ctx,
            sessions.len() + 1,
            &[],
            &problems,
            &Who::Nobody,
        ));
    }
    // The certificate file problems concern every user: with the last lines of no one in
    // particular, else the last attempt's.
    let with_problems = log_attempts
        .iter()
        .rposition(|a| a.who == Who::Nobody)
        .or(log_attempts.len().checked_sub(1));
    // The log lines of each log-only session, by its place before sorting: a focused attempt
    // is judged again with the box-level lines of its time.
    let mut lines_of: Vec<Option<&users::LogAttempt<'_>>> = vec![None; sessions.len()];
    for (n, attempt) in log_attempts.iter().enumerate() {
        let mine: &[files::FileProblem] = if Some(n) == with_problems {
            &problems
        } else {
            &[]
        };
        sessions.push(log_session(
            &ctx,
            sessions.len() + 1,
            &attempt.hits,
            mine,
            &attempt.who,
        ));
        lines_of.push(Some(attempt));
    }
    let mut order: Vec<usize> = (0..sessions.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&sessions[a], &sessions[b]);
        a.start_ns.cmp(&b.start_ns).then(a.client.cmp(&b.client))
    });
    let mut slots: Vec<Option<Session>> = sessions.into_iter().map(Some).collect();
    let mut sessions: Vec<Session> = order
        .iter()
        .map(|&i| slots[i].take().expect("each session once"))
        .collect();
    let lines_of: Vec<Option<&users::LogAttempt<'_>>> =
        order.iter().map(|&i| lines_of[i]).collect();
    for (i, s) in sessions.iter_mut().enumerate() {
        s.id = i + 1;
    }
    sessions::number_attempts(&mut sessions);
    let mut about_boxes = dumps::findings(&ctx);
    about_boxes.extend(eview::pairings(&ctx, &conns, &edge_conns));
    about_boxes.extend(clock::between_logs(&ctx, &hits));
    let mut users = sessions::table(&sessions);
    let mut pick = sessions::pick(&sessions, &users, focus);
    if pick.focus.is_some()
        && let Some(i) = pick.session
        && let Some(added) = with_box_lines(&ctx, &mut sessions, &lines_of, i)
        && let Some(f) = &mut pick.focus
    {
        f.summary.push_str(&added);
        users = sessions::table(&sessions);
    }
    about_boxes.extend(pick.notes.iter().cloned());
    let verdict = sessions::verdict_of(&sessions, &users, &pick);
    let phases = match pick.session {
        Some(i) if pick.verdict.is_none() => sessions[i].phases.clone(),
        _ => Phase::ALL
            .iter()
            .map(|&phase| PhaseResult {
                phase,
                status: Status::NotObserved,
                summary: if sessions.is_empty() {
                    "no MRA traffic in the inputs".into()
                } else {
                    "not judged: the focus found no sign-in".into()
                },
                evidence: Vec::new(),
            })
            .collect(),
    };
    Analysis {
        verdict: verdict.unwrap_or_else(|| Verdict {
            status: Status::Inconclusive,
            phase: None,
            fault: None,
            summary: "no MRA sign-in found: no SRV lookup for _collab-edge/_cisco-uds and no connection to 8443, 5222 or 5061".into(),
            fix: None,
            evidence: Vec::new(),
            session: None,
        }),
        phases,
        // A busy cluster's routine notes (thousands of healthy sign-ins) stay in their
        // sessions; the top level keeps faults and warnings, and every note of the verdict's.
        findings: about_boxes
            .into_iter()
            .chain(sessions.iter().flat_map(|s| {
                let all = sessions.len() <= crate::report::SESSIONS_SHOWN
                    || pick.session.is_some_and(|i| sessions[i].id == s.id);
                s.findings
                    .iter()
                    .filter(move |f| all || f.severity != Severity::Info)
                    .cloned()
            }))
            .collect(),
        sessions,
        users,
        focus: pick.focus,
    }
}

pub(crate) struct Ctx<'a> {
    inputs: &'a [String],
    catalog: &'a Catalog,
    events: &'a [Tagged],
    /// The SIP requests and responses among `events`, looked at once per attempt.
    sip: Vec<&'a Tagged>,
    /// The get_edge_config requests Expressway logged, for the clock offset of each attempt.
    edge_requests: Vec<&'a Tagged>,
    /// Expressway-E's server certificate from a file, for chains TLS 1.3 hides.
    server_file: Option<(&'a Tagged, &'a [crate::model::CertSummary])>,
    /// Trust anchors, for a chain the client rejected without saying why.
    anchors: &'a [crate::certs::AnchorSet],
    /// The Expressways' configuration and status dumps among `events`, looked at once.
    dumps: Vec<&'a Tagged>,
    /// Which Expressway is E and which is C, as their dumps say.
    roles: dumps::Roles,
}

impl Ctx<'_> {
    pub(crate) fn evidence(&self, t: &Tagged, note: impl Into<String>) -> Evidence {
        let input = self.inputs[t.input].clone();
        let ts = crate::time::format_ns(t.event.ts);
        if let EventKind::LogSignature { line, excerpt, .. } = &t.event.kind {
            return Evidence {
                input,
                frame: None,
                line: Some(*line),
                ts,
                filter: None,
                note: note.into(),
                excerpt: Some(excerpt.clone()),
            };
        }
        if let EventKind::CertificateFile { .. } = &t.event.kind {
            return Evidence {
                input,
                frame: None,
                line: None,
                ts,
                filter: None,
                note: note.into(),
                excerpt: None,
            };
        }
        let filter = match (&t.event.kind, t.event.kind.stream()) {
            (_, Some(s)) => format!("tcp.stream eq {s}"),
            (EventKind::DnsQuery { name, .. } | EventKind::DnsResponse { name, .. }, None) => {
                format!("dns.qry.name == \"{name}\"")
            }
            _ => format!("frame.number == {}", t.event.frame),
        };
        Evidence {
            input,
            frame: Some(t.event.frame),
            line: None,
            ts,
            filter: Some(filter),
            note: note.into(),
            excerpt: None,
        }
    }
}

fn connections(events: &[Tagged]) -> Vec<Connection<'_>> {
    let mut by_stream: BTreeMap<(usize, u64), Vec<&Tagged>> = BTreeMap::new();
    for t in events {
        if let Some(s) = t.event.kind.stream() {
            by_stream.entry((t.input, s)).or_default().push(t);
        }
    }
    events
        .iter()
        .filter_map(|t| match &t.event.kind {
            EventKind::TcpConnection {
                stream,
                client,
                server,
                ..
            } => Some(Connection {
                input: t.input,
                stream: *stream,
                client: *client,
                server: *server,
                start_ts: t.event.ts,
                summary: t,
                events: by_stream.remove(&(t.input, *stream)).unwrap_or_default(),
            }),
            _ => None,
        })
        .collect()
}

/// One sign-in attempt: its SRV lookups and connections, by index.
#[derive(Default)]
struct Attempt {
    srv: Vec<usize>,
    conns: Vec<usize>,
    start: i64,
    end: i64,
}

/// Split each client's MRA activity into attempts: a new SRV lookup after connections have
/// been made starts a new attempt.
fn attempts(txs: &[Transaction<'_>], conns: &[Connection<'_>]) -> BTreeMap<IpAddr, Vec<Attempt>> {
    enum Item {
        Srv(usize),
        Conn(usize),
    }
    // When an item's activity ends: the DNS answer, or the connection's last packet.
    let end_of = |item: &Item| match item {
        Item::Srv(i) => txs[*i].decisive().event.ts,
        Item::Conn(i) => match conns[*i].summary.event.kind {
            EventKind::TcpConnection { last_ts, .. } => last_ts,
            _ => conns[*i].start_ts,
        },
    };
    let mut items: BTreeMap<IpAddr, Vec<(i64, Item)>> = BTreeMap::new();
    let mut srv_targets: BTreeSet<String> = BTreeSet::new();
    for (i, tx) in txs.iter().enumerate() {
        if let Some((prefix, _)) = srv_domain(&tx.name) {
            items
                .entry(tx.client)
                .or_default()
                .push((tx.ts, Item::Srv(i)));
            if prefix != CUP_PREFIX {
                srv_targets.extend(tx.srv().into_iter().map(|s| s.3));
            }
        }
    }
    let target_ips: BTreeSet<IpAddr> = txs
        .iter()
        .filter(|t| srv_targets.contains(&t.name))
        .flat_map(|t| t.addresses())
        .collect();
    for (i, c) in conns.iter().enumerate() {
        if MRA_PORTS.contains(&c.server.port) || target_ips.contains(&c.server.ip) {
            items
                .entry(c.client.ip)
                .or_default()
                .push((c.start_ts, Item::Conn(i)));
        }
    }
    let mut out = BTreeMap::new();
    for (client, mut list) in items {
        list.sort_by_key(|(ts, _)| *ts);
        let mut attempts: Vec<Attempt> = Vec::new();
        let mut current = Attempt::default();
        for (ts, item) in list {
            let end = end_of(&item).max(ts);
            let empty = current.srv.is_empty() && current.conns.is_empty();
            if empty {
                current.start = ts;
            }
            match item {
                Item::Srv(i) => {
                    if !current.conns.is_empty() {
                        attempts.push(std::mem::take(&mut current));
                        current.start = ts;
                    }
                    current.srv.push(i);
                }
                Item::Conn(i) => current.conns.push(i),
            }
            current.end = current.end.max(end);
        }
        attempts.push(current);
        out.insert(client, attempts);
    }
    out
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
        }
    }
}

/// A focused attempt from logs, judged again with the lines about no one (a box's failed
/// link, an alarm) that failed in its time: what broke beside the user's own lines. Says
/// what was added, for the focus summary.
fn with_box_lines(
    ctx: &Ctx<'_>,
    sessions: &mut [Session],
    lines_of: &[Option<&users::LogAttempt<'_>>],
    i: usize,
) -> Option<String> {
    let own = lines_of[i]?;
    let (lo, hi) = (
        sessions[i].start_ns.saturating_sub(logs::MARGIN_NS),
        sessions[i].end_ns.saturating_add(logs::MARGIN_NS),
    );
    let mut hits = own.hits.clone();
    let mut added = Vec::new();
    for (j, s) in sessions.iter().enumerate() {
        if j == i || s.verdict.status != Status::Failed || s.end_ns < lo || s.start_ns > hi {
            continue;
        }
        if let Some(box_lines) = lines_of[j].filter(|a| a.who == Who::Nobody) {
            hits.extend(box_lines.hits.iter().copied().filter(|t| {
                t.event.ts != crate::time::UNKNOWN && lo <= t.event.ts && t.event.ts <= hi
            }));
            added.push(format!(
                "{} (session {})",
                s.verdict.fault.as_deref().unwrap_or("a failure"),
                s.id
            ));
        }
    }
    if added.is_empty() {
        return None;
    }
    hits.sort_by_key(|t| (t.event.ts, t.input));
    let (id, attempt) = (sessions[i].id, sessions[i].attempt);
    sessions[i] = log_session(ctx, id, &hits, &[], &own.who);
    sessions[i].attempt = attempt;
    Some(format!(
        "; judged with the Expressway lines about no one in its time: {}",
        added.join(", ")
    ))
}

/// A session from log lines and certificate files alone (no capture shows this sign-in).
fn log_session(
    ctx: &Ctx<'_>,
    id: usize,
    hits: &[&Tagged],
    problems: &[files::FileProblem],
    who: &Who,
) -> Session {
    let mut states: Vec<PhaseState> = Phase::ALL
        .iter()
        .map(|_| PhaseState::new(Status::NotObserved, "nothing in the logs"))
        .collect();
    let mut findings = Vec::new();
    logs::apply(ctx, hits, &mut states, &mut findings);
    let used_names: Vec<(String, Evidence)> = cookie::requested_hosts(hits)
        .into_iter()
        .map(|(host, t)| {
            let note = format!("the client's request to {host}");
            (host, ctx.evidence(t, note))
        })
        .collect();
    cookie::check(ctx, &used_names, hits, &mut states[1]);
    for f in problems {
        if f.expressway_c {
            findings.push(Finding {
                severity: Severity::Warning,
                id: "certificate.expressway_c_outside_validity".into(),
                phase: Phase::Sip,
                summary: format!(
                    "{}: Expressway-E rejects it on the traversal zone (SIP, XMPP, provisioning relay)",
                    f.summary
                ),
                evidence: vec![f.evidence.clone()],
            });
            continue;
        }
        let state = &mut states[1];
        if state.status != Status::Failed {
            *state = PhaseState::new(
                Status::Failed,
                format!("{}: clients reject it on 8443", f.summary),
            );
            state.problem = Some("tls_expired".into());
        }
        state.evidence.push(f.evidence.clone());
    }
    let (mut ladder, ladder_omitted) = ladder::build(
        ctx,
        &[],
        &[],
        &[],
        hits,
        &ladder::Places {
            edge_ips: &BTreeSet::new(),
        },
        &states,
    );
    // The certificate files, as notes on the box they belong to, at the time judged.
    for f in problems {
        let party = if f.expressway_c {
            crate::report::Party::ExpresswayC
        } else {
            crate::report::Party::ExpresswayE
        };
        ladder.push(crate::report::LadderStep {
            ts: f.evidence.ts.clone(),
            from: party,
            to: party,
            label: "server certificate outside its validity".into(),
            failed: true,
            input: f.evidence.input.clone(),
            frame: None,
            line: None,
        });
    }
    ladder.sort_by(|a, b| a.ts.cmp(&b.ts));
    let times: Vec<i64> = hits
        .iter()
        .map(|t| t.event.ts)
        .chain(problems.iter().map(|f| f.at))
        .filter(|&ts| ts != crate::time::UNKNOWN)
        .collect();
    let domain = hits.iter().find_map(|t| match &t.event.kind {
        EventKind::LogSignature { fields, .. } => fields.get("domain").cloned(),
        _ => None,
    });
    verdict::finish(
        verdict::Frame {
            id,
            client: match who {
                Who::Client(ip) => ip.to_string(),
                _ => "(from logs)".into(),
            },
            user: match who {
                Who::User(user) => Some(user.clone()),
                _ => None,
            },
            line: match who {
                Who::Line(n) => Some(n.clone()),
                _ => None,
            },
            domain,
            start: times.iter().copied().min().unwrap_or(crate::time::UNKNOWN),
            end: times.iter().copied().max().unwrap_or(crate::time::UNKNOWN),
            inside: false,
            ladder,
            ladder_omitted,
            from_capture: false,
        },
        states,
        findings,
    )
}
