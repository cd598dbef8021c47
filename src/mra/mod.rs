//! The MRA model: group a capture's events into sign-in attempts per client, assign them to
//! the five phases, give each phase a status, and name the likely fault with its evidence.
//!
//! This module only orchestrates: cut the inputs into sessions (a capture's attempts, then
//! log-only attempts), order them, pick the one the verdict is about, and gather findings.

mod attempt;
mod clock;
mod connection;
mod context;
mod cookie;
mod discovery;
mod drawing;
mod dumps;
mod edges;
mod eview;
mod files;
mod ladder;
mod log_session;
mod logs;
mod phases;
mod sessions;
mod split;
mod users;
mod verdict;

use crate::faults::Phase;
use crate::logs::signatures::Catalog;
use crate::model::{EventKind, Tagged};
use crate::report::{Finding, PhaseResult, Session, Severity, Status, Verdict};
use connection::Connection;
use context::Ctx;
use discovery::Transaction;
use drawing::{Drawer, Made};
pub use edges::EdgeSpec;
use log_session::{log_session, with_box_lines};
use rayon::prelude::*;
pub use sessions::FocusSpec;
use std::collections::{BTreeMap, BTreeSet};
use users::{LogAttempt, Who};

/// Everything the judge produces, before it is wrapped into the report.
pub struct Analysis {
    pub verdict: Verdict,
    pub phases: Vec<PhaseResult>,
    pub sessions: Vec<Session>,
    pub users: Vec<crate::report::UserRow>,
    pub focus: Option<crate::report::Focus>,
    pub findings: Vec<Finding>,
}

/// Judges the events into an [`Analysis`] and hands it to `then`, with what draws its
/// sessions' ladders (none is drawn while judging): the report is written while what the
/// ladders are drawn from is still at hand.
#[allow(clippy::too_many_arguments)]
pub fn analyze<R>(
    inputs: &[String],
    events: &[Tagged],
    catalog: &Catalog,
    anchors: &[crate::certs::AnchorSet],
    clock: &crate::certs::Clock<'_>,
    focus: &sessions::FocusSpec,
    edges: &[EdgeSpec],
    then: impl FnOnce(Analysis, &dyn crate::report::Ladders) -> R,
) -> R {
    let mut ctx = Ctx::new(inputs, events, catalog, anchors, edges);
    let mut txs = discovery::transactions(events);
    let mut conns = split::connections(events);
    // Expressway-E's own capture beside a client's: paired with it, not judged again.
    let edge_view: Vec<bool> = inputs
        .iter()
        .map(|n| eview::is_expressway_capture(n))
        .collect();
    let mut edge_conns = Vec::new();
    // Most runs hold no Expressway-E capture: their connections stay where they are.
    if edge_view.contains(&true) && conns.iter().any(|c| !edge_view[c.input]) {
        (edge_conns, conns) = conns.into_iter().partition(|c| edge_view[c.input]);
        txs.retain(|t| !edge_view[t.first().input]);
    }
    ctx.edges.resolve(&txs);
    for (i, t) in txs.iter().enumerate() {
        if matches!(t.qtype, 1 | 28) {
            ctx.address_lookups
                .entry((t.client, t.first().input))
                .or_default()
                .push(i);
        }
    }
    let (hits, other_box): (Vec<&Tagged>, Vec<&Tagged>) = events
        .iter()
        .filter(|t| logs::is_hit(t))
        .partition(|t| logs::from_its_box(&ctx, t));
    // Who each line is about does not depend on the logs' clocks: both at once.
    let ((between_logs, c_onto_e), whos) = rayon::join(
        || clock::between_logs(&ctx, &hits),
        || users::link(&ctx, &hits),
    );
    ctx.between_logs = c_onto_e;
    let ctx = ctx;
    let all_attempts = split::attempts(&txs, &conns, &ctx.edges);
    let captured = capture_sessions(&ctx, &all_attempts, &txs, &conns, &hits, &whos);
    let (unplaced, unplaced_whos): (Vec<&Tagged>, Vec<Who>) = hits
        .iter()
        .zip(&whos)
        .zip(&captured.used)
        .filter(|(_, u)| !**u)
        .map(|((t, w), _)| (*t, w.clone()))
        .unzip();
    // A server certificate from a bundle speaks for the sign-in only when no capture shows
    // the chain the clients got: none reached Expressway-E (a client inside the network
    // never sees it).
    let problems = if !captured.sessions.iter().any(|s| s.reached_edge) {
        files::problems(&ctx, clock)
    } else {
        Vec::new()
    };
    // A file judged as of today (no input holds a time) says nothing of a sign-in: a folder
    // of certificates is not a failed sign-in.
    let (problems, undated): (Vec<_>, Vec<_>) = problems.into_iter().partition(|p| p.dated);
    let log_attempts = users::attempts(&unplaced, &unplaced_whos);
    let (mut sessions, mut made) = (captured.sessions, captured.made);
    let lines_of = add_log_sessions(&ctx, &mut sessions, &mut made, &log_attempts, &problems);
    let order = in_time_order(&mut sessions);
    let lines_of: Vec<_> = order.iter().map(|&i| lines_of[i]).collect();
    let mut made = {
        let mut before: Vec<Option<Made<'_, '_>>> = made.into_iter().map(Some).collect();
        order
            .iter()
            .filter_map(|&i| before[i].take())
            .collect::<Vec<_>>()
    };
    sessions::number_attempts(&mut sessions);
    let mut about_boxes = dumps::findings(&ctx);
    about_boxes.extend(undated.into_iter().map(|p| Finding {
        severity: Severity::Warning,
        id: "certs.undated_file".into(),
        phase: Phase::Provisioning,
        summary: format!("{}: a file alone judges no sign-in", p.summary),
        evidence: vec![p.evidence],
    }));
    about_boxes.extend(eview::pairings(&ctx, &conns, &edge_conns));
    about_boxes.extend(edges::findings(&ctx, &conns, captured.attempts));
    about_boxes.extend(logs::other_box_finding(&ctx, &other_box));
    about_boxes.extend(between_logs);
    let mut users = sessions::table(&sessions);
    let mut pick = sessions::pick(&sessions, &users, focus);
    if pick.focus.is_some()
        && let Some(i) = pick.session
        && let Some((added, hits)) = with_box_lines(&ctx, &mut sessions, &lines_of, i)
        && let Some(f) = &mut pick.focus
    {
        f.summary.push_str(&added);
        users = sessions::table(&sessions);
        if let Made::Lines {
            hits: h, problems, ..
        } = &mut made[i]
        {
            *h = std::borrow::Cow::Owned(hits);
            *problems = &[];
        }
    }
    about_boxes.extend(pick.notes.iter().cloned());
    let mut verdict = sessions::verdict_of(&sessions, &users, &pick);
    if captured.skipped > 0 {
        about_boxes.push(Finding {
            severity: Severity::Warning,
            id: "sessions.limit".into(),
            phase: Phase::Discovery,
            summary: format!(
                "{} sign-in attempts in the capture: the latest {MAX_CAPTURE_ATTEMPTS} were judged, {} earlier ones were not",
                captured.skipped + captured.attempts,
                captured.skipped
            ),
            evidence: Vec::new(),
        });
        // What was not judged may have failed: never ok on part of the attempts.
        if let Some(v) = &mut verdict
            && v.status == Status::Ok
        {
            v.status = Status::Inconclusive;
            v.summary = format!(
                "{} · {} earlier attempts were not judged (too many to judge), so ok cannot be said for the capture",
                v.summary, captured.skipped
            )
            .into();
        }
    }
    let phases = match pick.session {
        Some(i) if pick.verdict.is_none() => sessions[i].phases.clone(),
        _ => unjudged_phases(sessions.is_empty()),
    };
    let analysis = Analysis {
        verdict: verdict.unwrap_or_else(no_sign_in),
        phases,
        findings: top_findings(about_boxes, &sessions, pick.session),
        sessions,
        users,
        focus: pick.focus,
    };
    // What only judging needed goes before the report is made and written.
    drop((lines_of, unplaced_whos, whos, other_box, edge_conns));
    if focus.skip_ladders {
        // Nothing will be drawn: what ladders are drawn from goes too.
        drop(made);
        drop((log_attempts, conns, txs, ctx));
        return then(analysis, &drawing::NoLadders);
    }
    let drawer = Drawer {
        ctx: &ctx,
        txs: &txs,
        conns: &conns,
        made,
    };
    then(analysis, &drawer)
}

/// The sessions a capture shows, with the log lines that fall in each one's time.
struct Captured<'a, 't> {
    sessions: Vec<Session>,
    /// What made each session, to draw its ladder.
    made: Vec<Made<'a, 't>>,
    /// The capture's attempts (every one made a session).
    attempts: usize,
    /// Which log lines a capture session took.
    used: Vec<bool>,
    /// Attempts not judged, past [`MAX_CAPTURE_ATTEMPTS`].
    skipped: usize,
}

fn capture_sessions<'a, 't>(
    ctx: &Ctx<'_>,
    all: &'a std::collections::BTreeMap<split::Client, Vec<split::Attempt>>,
    txs: &[Transaction<'_>],
    conns: &[Connection<'_>],
    hits: &[&'t Tagged],
    whos: &[Who],
) -> Captured<'a, 't> {
    let mut used = vec![false; hits.len()];
    let last_attempt_start = all.values().flatten().map(|a| a.start).max();
    // Past MAX_CAPTURE_ATTEMPTS (a SYN flood from a million addresses), only the latest are
    // judged: each session costs memory, and the report is for a person.
    let total: usize = all.values().map(Vec::len).sum();
    let cutoff = if total > MAX_CAPTURE_ATTEMPTS {
        let mut starts: Vec<i64> = all.values().flatten().map(|a| a.start).collect();
        starts.sort_unstable();
        Some(starts[total - MAX_CAPTURE_ATTEMPTS])
    } else {
        None
    };
    // First, in order, which log lines go with which attempt (each line goes to one).
    // Lines by time, so that an attempt reads only those of its window, not every line of
    // a bundle beside the capture; lines without a UTC time go to the last attempt: they
    // cannot be placed.
    let mut timed: Vec<(i64, usize)> = Vec::new();
    let mut untimed: Vec<usize> = Vec::new();
    for (i, t) in hits.iter().enumerate() {
        if logs::placed_in_time(t) {
            timed.push((t.event.ts, i));
        } else {
            untimed.push(i);
        }
    }
    timed.sort_unstable();
    // The service domains each log's get_edge_config requests name: an attempt for another
    // domain is another deployment's sign-in, and that log's lines are not its own (a
    // capture beside another cluster's bundle took its users' faults for the capture's).
    let mut domains_of: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for t in hits {
        if let EventKind::LogSignature { fields, .. } = &t.event.kind
            && t.event.kind.role() == Some(crate::model::Role::SignInStart)
            && let Some(domain) = fields.get("domain")
        {
            domains_of
                .entry(t.input)
                .or_default()
                .insert(domain.trim_end_matches('.').to_ascii_lowercase());
        }
    }
    let mut skipped = 0;
    let mut chosen: Vec<Chosen<'_>> = Vec::new();
    for (&key, attempts) in all {
        let client = &key.0;
        let reach = reaches(attempts);
        for attempt in attempts {
            if cutoff.is_some_and(|c| attempt.start < c) || chosen.len() == MAX_CAPTURE_ATTEMPTS {
                skipped += 1;
                continue;
            }
            // Log lines in this attempt's time window, in their order; of the lines in the
            // windows of several of the client's attempts (retries seconds apart), those
            // nearer another one's time are that one's: a REGISTER refused after the retry
            // is not the refused 8443's before it.
            let first = timed.partition_point(|&(ts, _)| ts < attempt.start - logs::MARGIN_NS);
            let last = timed.partition_point(|&(ts, _)| ts <= attempt.end + logs::MARGIN_NS);
            let mut mine: Vec<usize> = timed[first..last]
                .iter()
                .filter(|&&(ts, _)| {
                    nearest_attempt(attempts, &reach, ts).is_none_or(|a| std::ptr::eq(a, attempt))
                })
                .map(|&(_, i)| i)
                .collect();
            if Some(attempt.start) == last_attempt_start {
                mine.extend(&untimed);
            }
            let sought: BTreeSet<String> = attempt
                .srv
                .iter()
                .filter_map(|&i| discovery::srv_domain(&txs[i].name))
                .map(|(_, d)| d.to_ascii_lowercase())
                .collect();
            let same_deployment = |input: usize| match domains_of.get(&input) {
                Some(named) if !sought.is_empty() => !named.is_disjoint(&sought),
                _ => true,
            };
            // A SIP line of another dialog than those the capture shows this client in
            // (decrypted, or in clear) is another client's, however near in time. (The
            // client's SIP is walked only when a line in the window names a Call-ID.)
            let dialogs = if mine.iter().any(|&i| call_id_of(hits[i]).is_some()) {
                dialogs_of(ctx, key, attempt)
            } else {
                BTreeSet::new()
            };
            let same_dialog = |i: usize| {
                dialogs.is_empty() || call_id_of(hits[i]).is_none_or(|id| dialogs.contains(id))
            };
            mine.retain(|&i| !used[i] && same_deployment(hits[i].input) && same_dialog(i));
            mine.sort_unstable();
            for &i in &mine {
                used[i] = true;
            }
            // Lines of several users in the window: the capture shows one sign-in. Keep the
            // user whose lines come nearest its start; the others make their own sessions.
            let ports: Vec<u16> = attempt
                .conns
                .iter()
                .map(|&i| conns[i].client.port)
                .collect();
            let tied = users::tied_by_port(hits, whos, &mine, &ports);
            let (kept, others) = users::one_user_near(hits, whos, &mine, attempt.start, tied);
            for &i in &others {
                used[i] = false;
            }
            let by_port = tied.is_some_and(|t| {
                kept.iter()
                    .any(|&i| matches!(&whos[i], Who::User(u) if u == t))
            });
            chosen.push(Chosen {
                client: *client,
                attempt,
                kept,
                others,
                by_port,
            });
        }
    }
    let kept: Vec<Vec<&'t Tagged>> = chosen
        .iter()
        .map(|c| c.kept.iter().map(|&i| hits[i]).collect())
        .collect();
    // Addresses that clients of more than one capture have: each session names its capture.
    let shared: BTreeSet<std::net::IpAddr> = all
        .keys()
        .zip(all.keys().skip(1))
        .filter(|(a, b)| a.0 == b.0)
        .map(|(a, _)| a.0)
        .collect();
    // Then every attempt is judged on its own: on all cores, collected in the same order.
    let sessions: Vec<Session> = chosen
        .par_iter()
        .zip(&kept)
        .enumerate()
        .map(|(i, (c, kept))| {
            let user = users::the_user(c.kept.iter().map(|&i| &whos[i]));
            let mut session = attempt::judge(
                ctx,
                i + 1,
                c.client,
                c.attempt,
                txs,
                conns,
                kept,
                ladder::Drawing::Skip,
            );
            session.user = user.clone();
            if shared.contains(&c.client) {
                session.capture = Some(ctx.inputs[c.attempt.input].clone());
            }
            if !c.others.is_empty() {
                session.findings.push(users::others_note(
                    ctx,
                    hits,
                    whos,
                    &c.others,
                    user.as_deref(),
                    c.by_port,
                ));
            }
            session
        })
        .collect();
    // What made each session, kept to draw its ladder when a report shows it.
    let made = chosen
        .iter()
        .zip(kept)
        .map(|(c, hits)| Made::Attempt {
            client: c.client,
            attempt: c.attempt,
            hits,
        })
        .collect();
    Captured {
        attempts: sessions.len(),
        sessions,
        made,
        used,
        skipped,
    }
}

/// How far each of a client's attempts (in time order) and those before it reach: the
/// latest end among them, so that a search back from a time stops where none reaches it.
fn reaches(attempts: &[split::Attempt]) -> Vec<i64> {
    attempts
        .iter()
        .scan(i64::MIN, |reach, a| {
            *reach = (*reach).max(a.end);
            Some(*reach)
        })
        .collect()
}

/// Of a client's attempts (in time order, `reach` from [`reaches`]) whose windows hold time
/// `ts`, the one nearest it: none inside its span, the later one on a tie (a retry inside a
/// long-lived connection's span is the more telling). Only the attempts that can hold `ts`
/// are looked at: those starting by its window's end, back to where none before reaches its
/// start (a flood of short retries is not walked; a long-lived attempt however far back is
/// found).
fn nearest_attempt<'a>(
    attempts: &'a [split::Attempt],
    reach: &[i64],
    ts: i64,
) -> Option<&'a split::Attempt> {
    let distance = |a: &split::Attempt| {
        if ts < a.start {
            a.start - ts
        } else {
            ts.saturating_sub(a.end).max(0)
        }
    };
    let end = attempts.partition_point(|a| a.start <= ts.saturating_add(logs::MARGIN_NS));
    let from = reach[..end].partition_point(|&r| r < ts.saturating_sub(logs::MARGIN_NS));
    attempts[from..end]
        .iter()
        .filter(|a| distance(a) <= logs::MARGIN_NS)
        .min_by_key(|a| (distance(a), std::cmp::Reverse(a.start)))
}

/// The SIP dialogs (Call-IDs) the capture shows `client` in during `attempt` (until its next
/// one): decrypted, or in clear.
fn dialogs_of<'a>(
    ctx: &Ctx<'a>,
    client: split::Client,
    attempt: &split::Attempt,
) -> BTreeSet<&'a str> {
    ctx.sip
        .of(client)
        .iter()
        .filter(|t| (attempt.start..attempt.until).contains(&t.event.ts))
        .filter_map(|t| match &t.event.kind {
            EventKind::SipRequest(r) => r.call_id.as_deref(),
            EventKind::SipResponse(r) => r.call_id.as_deref(),
            _ => None,
        })
        .collect()
}

/// The Call-ID a log line names.
fn call_id_of(t: &Tagged) -> Option<&str> {
    match &t.event.kind {
        EventKind::LogSignature { fields, .. } => fields.get("call_id"),
        _ => None,
    }
}

/// An attempt a capture shows, with the log lines (indices into the hits) it keeps and those
/// of other users in its window.
struct Chosen<'a> {
    client: std::net::IpAddr,
    attempt: &'a split::Attempt,
    kept: Vec<usize>,
    others: Vec<usize>,
    /// The kept user's line was logged from one of the attempt's client ports.
    by_port: bool,
}

/// The most sign-in attempts a capture has judged (the latest ones).
const MAX_CAPTURE_ATTEMPTS: usize = 20_000;

/// One session per attempt from logs alone. The certificate file problems concern every
/// user: they go with the last lines of no one in particular, else the last attempt's, else
/// a session of their own. Returns, for every session, the log lines it was made from (a
/// focused attempt is judged again with the box-level lines of its time).
fn add_log_sessions<'a, 'b>(
    ctx: &Ctx<'_>,
    sessions: &mut Vec<Session>,
    made: &mut Vec<Made<'b, 'a>>,
    log_attempts: &'b [LogAttempt<'a>],
    problems: &'b [files::FileProblem],
) -> Vec<Option<&'b LogAttempt<'a>>> {
    if log_attempts.is_empty() && !problems.is_empty() {
        sessions.push(log_session(
            ctx,
            sessions.len() + 1,
            &[],
            problems,
            &Who::Nobody,
            ladder::Drawing::Skip,
        ));
        made.push(Made::Lines {
            hits: Default::default(),
            problems,
            who: std::borrow::Cow::Owned(Who::Nobody),
        });
    }
    let with_problems = log_attempts
        .iter()
        .rposition(|a| a.who == Who::Nobody)
        .or(log_attempts.len().checked_sub(1));
    let mut lines_of = vec![None; sessions.len()];
    // Each attempt judged on its own, on every core, collected in order.
    let first_id = sessions.len() + 1;
    let mine = |n: usize| -> &'b [files::FileProblem] {
        if Some(n) == with_problems {
            problems
        } else {
            &[]
        }
    };
    let judged: Vec<Session> = log_attempts
        .par_iter()
        .enumerate()
        .map(|(n, attempt)| {
            log_session(
                ctx,
                first_id + n,
                &attempt.hits,
                mine(n),
                &attempt.who,
                ladder::Drawing::Skip,
            )
        })
        .collect();
    sessions.extend(judged);
    made.extend(
        log_attempts
            .iter()
            .enumerate()
            .map(|(n, attempt)| Made::Lines {
                hits: std::borrow::Cow::Borrowed(&attempt.hits[..]),
                problems: mine(n),
                who: std::borrow::Cow::Borrowed(&attempt.who),
            }),
    );
    lines_of.extend(log_attempts.iter().map(Some));
    lines_of
}

/// Sessions by start time (then client), numbered again in that order; returns each one's
/// position before, for what follows them (their log lines, what made them). Sorted in
/// place: a busy capture's twenty thousand sessions are 8 MB, and a sorted copy beside them
/// was the run's peak.
fn in_time_order(sessions: &mut [Session]) -> Vec<usize> {
    // The position before sorting breaks ties, so the unstable sort keeps their order.
    for (i, s) in sessions.iter_mut().enumerate() {
        s.id = i;
    }
    sessions
        .sort_unstable_by(|a, b| (a.start_ns, &a.client, a.id).cmp(&(b.start_ns, &b.client, b.id)));
    let before = sessions.iter().map(|s| s.id).collect();
    for (i, s) in sessions.iter_mut().enumerate() {
        s.id = i + 1;
    }
    before
}

/// The phases when no session is the verdict's: none judged, and why.
fn unjudged_phases(no_sessions: bool) -> Vec<PhaseResult> {
    Phase::ALL
        .iter()
        .map(|&phase| PhaseResult {
            phase,
            status: Status::NotObserved,
            summary: if no_sessions {
                "no MRA traffic in the inputs".into()
            } else {
                "not judged: the focus found no sign-in".into()
            },
            evidence: Vec::new(),
        })
        .collect()
}

fn no_sign_in() -> Verdict {
    Verdict {
        status: Status::Inconclusive,
        phase: None,
        fault: None,
        summary: "no MRA sign-in found: no SRV lookup for _collab-edge/_cisco-uds and no connection to 8443, 5222 or 5061".into(),
        fix: None,
        evidence: Vec::new(),
        session: None,
    }
}

/// A busy cluster's routine notes (thousands of healthy sign-ins) stay in their sessions;
/// the top level keeps faults and warnings, and every note of the verdict's.
fn top_findings(
    about_boxes: Vec<Finding>,
    sessions: &[Session],
    picked: Option<usize>,
) -> Vec<Finding> {
    about_boxes
        .into_iter()
        .chain(sessions.iter().flat_map(|s| {
            let all = sessions.len() <= crate::report::SESSIONS_SHOWN
                || picked.is_some_and(|i| sessions[i].id == s.id);
            s.findings
                .iter()
                .filter(move |f| all || f.severity != Severity::Info)
                .cloned()
        }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    fn attempt(start: i64, end: i64) -> split::Attempt {
        split::Attempt {
            start: start * S,
            end: end * S,
            ..Default::default()
        }
    }

    #[test]
    fn a_log_line_goes_to_the_nearest_of_the_clients_attempts() {
        // A refused 8443 at 100 s, its retry at 101 s signing in until 102 s.
        let attempts = [attempt(100, 100), attempt(101, 102)];
        let reach = reaches(&attempts);
        let nearest = |ts: i64| nearest_attempt(&attempts, &reach, ts).map(|a| a.start / S);
        // A REGISTER refused 20 s later is the retry's, not the refused attempt's.
        assert_eq!(nearest(122 * S), Some(101));
        // Lines before the first, and inside each span, are that attempt's.
        assert_eq!(nearest(40 * S), Some(100));
        assert_eq!(nearest(100 * S), Some(100));
        assert_eq!(nearest(101 * S + S / 2), Some(101));
        // Past the margin, no attempt's.
        assert_eq!(nearest(102 * S + logs::MARGIN_NS + 1), None);
        // Inside a long-lived attempt's span, a retry that also holds the time is nearer.
        let long = [attempt(0, 3600), attempt(1800, 1801)];
        assert_eq!(
            nearest_attempt(&long, &reaches(&long), 1800 * S).map(|a| a.start / S),
            Some(1800)
        );
    }

    /// A long-lived attempt followed by many short retries: a line in the long one's span,
    /// minutes from every retry, is the long one's however many retries came between; a line
    /// a later retry also holds is that retry's.
    #[test]
    fn a_long_lived_attempt_is_found_behind_many_retries() {
        let mut attempts = vec![attempt(0, 3600)];
        attempts.extend((0..8).map(|n| attempt(600 + 10 * n, 601 + 10 * n)));
        attempts.push(attempt(3000, 3001));
        let reach = reaches(&attempts);
        let nearest = |ts: i64| nearest_attempt(&attempts, &reach, ts).map(|a| a.start / S);
        assert_eq!(nearest(2000 * S), Some(0));
        assert_eq!(nearest(3000 * S), Some(3000));
        assert_eq!(nearest(670 * S), Some(670));
        // Past the long one's end and every retry's margin: no attempt's.
        assert_eq!(nearest(3600 * S + logs::MARGIN_NS + 1), None);
    }
}
