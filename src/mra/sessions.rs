//! Many sign-ins, one verdict: the users table, the focus a ticket gives (`--user`, `--at`),
//! and the rule that picks the session the verdict is about.
//!
//! The rule, in order:
//! 1. with a focus, the focused user's attempt nearest `--at` (else their latest); a user
//!    absent from the inputs, or present only far from `--at`, makes the verdict
//!    inconclusive and says so;
//! 2. the sign-in a client capture shows, when it failed and is its user's latest;
//! 3. the latest of the failures not followed by a later success of the same user (a box-level
//!    failure counts as followed when a later sign-in passed the same phase);
//! 4. no such failure: `ok` when some sign-in succeeded (the recovered ones said), else the
//!    last session's verdict (inconclusive).

use super::users::Who;
use crate::faults::Phase;
use crate::report::{Finding, Focus, Session, Severity, Status, UserRow, Verdict, population};
use std::collections::BTreeMap;

/// `--at` within this of an attempt picks it; farther, the user was not signing in then.
pub const FOCUS_WINDOW_NS: i64 = 15 * 60 * 1_000_000_000;

/// What the ticket is about, as given on the command line (times resolved to UTC).
#[derive(Clone, Debug, Default)]
pub struct FocusSpec {
    pub users: Vec<String>,
    pub at: Option<i64>,
    /// The end of the moment asked for: `at` itself, or the last nanosecond of a day.
    pub until: Option<i64>,
    /// How `at` was read (`09:50 read in UTC`), said in the focus summary.
    pub at_note: Option<String>,
    /// The report will draw no ladder: what they are drawn from is not kept for it.
    pub skip_ladders: bool,
}

impl FocusSpec {
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.at.is_none()
    }
}

pub fn who_of(s: &Session) -> Who {
    if let Some(u) = &s.user {
        return Who::User(u.clone());
    }
    if let Some(n) = &s.line {
        return Who::Line(n.clone());
    }
    match (s.client.parse(), &s.capture) {
        (Ok(ip), None) => Who::Client(ip),
        (Ok(ip), Some(capture)) => Who::ClientIn(ip, capture.clone()),
        (Err(_), _) => Who::Nobody,
    }
}

/// Sessions grouped by who, each group's indices in time order.
fn groups(sessions: &[Session]) -> BTreeMap<Who, Vec<usize>> {
    let mut by: BTreeMap<Who, Vec<usize>> = BTreeMap::new();
    for (i, s) in sessions.iter().enumerate() {
        by.entry(who_of(s)).or_default().push(i);
    }
    for list in by.values_mut() {
        list.sort_by_key(|&i| (sessions[i].start_ns, i));
    }
    by
}

/// Number each session within its who (1 = first attempt).
pub fn number_attempts(sessions: &mut [Session]) {
    for list in groups(sessions).values() {
        for (n, &i) in list.iter().enumerate() {
            sessions[i].attempt = n + 1;
        }
    }
}

fn failed(s: &Session) -> bool {
    s.verdict.status == Status::Failed
}

/// A box-level failure (no one named) a later sign-in got past: the phase it failed went ok.
fn got_past(sessions: &[Session], i: usize) -> bool {
    sessions
        .iter()
        .any(|s| s.start_ns > sessions[i].end_ns && passed(s, &sessions[i]))
}

/// `later` shows ok the phase `failure` failed. A captured sign-in counts only when it went
/// through Expressway-E: one inside the network finds `_cisco-uds` and CUCM, which says
/// nothing of MRA's discovery or of Expressway-E.
fn passed(later: &Session, failure: &Session) -> bool {
    if later.from_capture && !later.reached_edge {
        return false;
    }
    // Another deployment's sign-in (another service domain) says nothing of this one's boxes.
    if let (Some(a), Some(b)) = (&later.domain, &failure.domain)
        && !a.eq_ignore_ascii_case(b)
    {
        return false;
    }
    failure.verdict.phase.is_some_and(|phase| {
        later
            .phases
            .iter()
            .any(|p| p.phase == phase && p.status == Status::Ok)
    })
}

/// How one who fared: its latest failure not followed by a success (an attempt that ended
/// inconclusive proves nothing), or the failure a later success recovered from.
struct Outcome {
    /// The unrecovered failure's session.
    failing: Option<usize>,
    /// The fault a later success (or, about no one, a later sign-in past that phase)
    /// recovered from.
    recovered_from: Option<String>,
}

fn outcome(sessions: &[Session], who: &Who, list: &[usize]) -> Outcome {
    let Some(pos) = list.iter().rposition(|&i| failed(&sessions[i])) else {
        return Outcome {
            failing: None,
            recovered_from: None,
        };
    };
    let failure = list[pos];
    // A later attempt that worked, or that got past the phase this one failed (a retry
    // through the port a reset refused, its own outcome still inside TLS).
    let later_ok = list[pos + 1..].iter().any(|&i| {
        sessions[i].verdict.status == Status::Ok || passed(&sessions[i], &sessions[failure])
    });
    let recovered = later_ok || (*who == Who::Nobody && got_past(sessions, failure));
    Outcome {
        failing: (!recovered).then_some(failure),
        recovered_from: recovered
            .then(|| sessions[failure].verdict.fault.clone())
            .flatten(),
    }
}

/// The users table: one row per who, failing ones first, then recovered, then the rest; in
/// each, the latest first.
pub fn table(sessions: &[Session]) -> Vec<UserRow> {
    let mut rows: Vec<(u8, i64, UserRow)> = groups(sessions)
        .into_iter()
        .map(|(who, list)| {
            let last = &sessions[*list.last().expect("a group has a session")];
            let o = outcome(sessions, &who, &list);
            let rank = match (&o.failing, &o.recovered_from) {
                (Some(_), _) => 0,
                (None, Some(_)) => 1,
                _ => 2,
            };
            let first = &sessions[list[0]];
            let row = UserRow {
                who: who.label(),
                kind: who.kind(),
                attempts: list.len(),
                sessions: list.iter().map(|&i| sessions[i].id).collect(),
                last_result: last.verdict.status,
                failing: o.failing.is_some(),
                fault: o.failing.map_or(last.verdict.fault.clone(), |i| {
                    sessions[i].verdict.fault.clone()
                }),
                recovered_from: o.recovered_from,
                first: first.start.clone(),
                last: last.end.clone(),
            };
            let when = o.failing.map_or(last.start_ns, |i| sessions[i].start_ns);
            (rank, when, row)
        })
        .collect();
    rows.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(b.1.cmp(&a.1))
            .then(a.2.who.cmp(&b.2.who))
    });
    rows.into_iter().map(|(.., row)| row).collect()
}

/// The session the verdict is about, and how it was chosen.
pub struct Pick {
    pub session: Option<usize>,
    /// Replaces the session's verdict when the focus could not be met.
    pub verdict: Option<Verdict>,
    pub focus: Option<Focus>,
    pub notes: Vec<Finding>,
}

/// How far a session is from the moment `at..=until` (0 when they overlap).
fn away(s: &Session, at: i64, until: i64) -> u64 {
    if s.start_ns == crate::time::UNKNOWN {
        return u64::MAX;
    }
    if until < s.start_ns {
        s.start_ns.abs_diff(until)
    } else if at > s.end_ns {
        at.abs_diff(s.end_ns)
    } else {
        0
    }
}

/// Whether a `--user` value names this who: a user id, a JID or e-mail-like id, an AOR (by
/// its user part), a directory number, a client address.
fn matches(who: &Who, wanted: &str) -> bool {
    let key = super::users::user_from(wanted);
    match who {
        Who::User(u) => key.as_deref() == Some(u.as_str()),
        Who::Line(n) => key.as_deref() == Some(n.as_str()),
        Who::Client(ip) | Who::ClientIn(ip, _) => wanted.trim().parse().ok() == Some(*ip),
        Who::Nobody => false,
    }
}

fn inconclusive(summary: String) -> Verdict {
    Verdict {
        status: Status::Inconclusive,
        phase: None,
        fault: None,
        summary: summary.into(),
        fix: None,
        evidence: Vec::new(),
        session: None,
    }
}

pub fn pick(sessions: &[Session], rows: &[UserRow], focus: &FocusSpec) -> Pick {
    if !focus.is_empty() {
        return pick_focused(sessions, focus);
    }
    let by = groups(sessions);
    let latest_failures: Vec<usize> = by
        .iter()
        .filter_map(|(who, list)| outcome(sessions, who, list).failing)
        .collect();
    let captured = latest_failures
        .iter()
        .copied()
        .filter(|&i| sessions[i].from_capture)
        .max_by_key(|&i| (sessions[i].start_ns, i));
    let latest = latest_failures
        .iter()
        .copied()
        .max_by_key(|&i| (sessions[i].start_ns, i));
    let chosen = captured.or(latest);
    let mut notes = Vec::new();
    if by.len() >= 2 {
        notes.push(users_note(sessions, rows, chosen));
    }
    match chosen {
        Some(i) => Pick {
            session: Some(i),
            verdict: None,
            focus: None,
            notes,
        },
        None => {
            // Nothing failing: the latest sign-in that worked, else the last session.
            let ok = (0..sessions.len())
                .filter(|&i| sessions[i].verdict.status == Status::Ok)
                .max_by_key(|&i| (sessions[i].start_ns, i));
            Pick {
                session: ok.or(sessions.len().checked_sub(1)),
                verdict: None,
                focus: None,
                notes,
            }
        }
    }
}

fn pick_focused(sessions: &[Session], focus: &FocusSpec) -> Pick {
    let by = groups(sessions);
    let at_text = focus.at.map(|at| {
        let mut t = crate::time::format_ns(at);
        // A day is said as its span, not its first instant.
        if let Some(until) = focus.until.filter(|&u| u > at) {
            t = format!("{t} – {}", crate::time::format_ns(until.saturating_add(1)));
        }
        if let Some(note) = &focus.at_note {
            t.push_str(&format!(" ({note})"));
        }
        t
    });
    let found = focused(sessions, focus, &by, at_text.as_deref().unwrap_or_default());
    let report = Focus {
        users: focus.users.clone(),
        at: at_text,
        session: found.shown.map(|i| sessions[i].id),
        summary: found.summary.clone(),
    };
    Pick {
        session: found.shown.filter(|_| found.settled),
        verdict: (!found.settled).then(|| inconclusive(found.summary)),
        focus: Some(report),
        notes: Vec::new(),
    }
}

/// What a focus found: the session it shows, whether that session is the verdict's (else
/// the verdict is inconclusive), and the sentence that says so.
struct Found {
    shown: Option<usize>,
    settled: bool,
    summary: String,
}

fn focused(
    sessions: &[Session],
    focus: &FocusSpec,
    by: &BTreeMap<Who, Vec<usize>>,
    at_text: &str,
) -> Found {
    let mut candidates: Vec<usize> = if focus.users.is_empty() {
        (0..sessions.len()).collect()
    } else {
        by.iter()
            .filter(|(who, _)| focus.users.iter().any(|u| matches(who, u)))
            .flat_map(|(_, list)| list.iter().copied())
            .collect()
    };
    if candidates.is_empty() {
        let summary = not_found(by, &focus.users);
        return Found {
            shown: None,
            settled: false,
            summary,
        };
    }
    candidates.sort_by_key(|&i| (sessions[i].start_ns, i));
    let who_text = if focus.users.is_empty() {
        "the sign-in".to_string()
    } else {
        focus.users.join(", ")
    };
    let Some(at) = focus.at else {
        // One name for several (an address two captures' machines share): their latest
        // sign-ins are judged as without focus, an unrecovered failure first.
        let matched: Vec<(&Who, &Vec<usize>)> = by
            .iter()
            .filter(|(who, _)| focus.users.iter().any(|u| matches(who, u)))
            .collect();
        let failing = matched
            .iter()
            .filter_map(|(who, list)| outcome(sessions, who, list).failing)
            .max_by_key(|&i| (sessions[i].start_ns, i));
        let i = match failing {
            Some(i) if matched.len() > 1 => i,
            _ => *candidates.last().expect("not empty"),
        };
        let summary = if matched.len() > 1 {
            let names: Vec<String> = matched.iter().map(|(who, _)| who.label()).collect();
            format!(
                "{who_text} names {} ({}): {} attempt(s); the verdict is {}, session {}",
                matched.len(),
                names.join("; "),
                candidates.len(),
                if failing.is_some() {
                    "the latest failure not followed by a success"
                } else {
                    "the latest"
                },
                sessions[i].id
            )
        } else {
            format!(
                "{who_text}: {} attempt(s); the verdict is the latest, session {}",
                candidates.len(),
                sessions[i].id
            )
        };
        return Found {
            shown: Some(i),
            settled: true,
            summary,
        };
    };
    let until = focus.until.unwrap_or(at).max(at);
    // Nearest to `at`; among equals (inside, or as near), a failed one, then the latest.
    let i = candidates
        .iter()
        .copied()
        .min_by_key(|&i| {
            (
                away(&sessions[i], at, until),
                !failed(&sessions[i]),
                std::cmp::Reverse(i),
            )
        })
        .expect("not empty");
    let gap = away(&sessions[i], at, until);
    let s = &sessions[i];
    if gap > FOCUS_WINDOW_NS as u64 {
        let summary = format!(
            "{who_text}: no sign-in within 15 min of {at_text}; the nearest is session {} ({} – {}, {} away{})",
            s.id,
            s.start,
            s.end,
            crate::time::format_duration_ns(gap),
            match &s.verdict.fault {
                Some(f) => format!(", {f}"),
                None => format!(", {}", s.verdict.status.name()),
            }
        );
        return Found {
            shown: Some(i),
            settled: false,
            summary,
        };
    }
    let summary = format!(
        "{who_text} at {at_text}: session {} ({} – {}), attempt {} of {}",
        s.id,
        s.start,
        s.end,
        s.attempt,
        by.get(&who_of(s)).map_or(1, Vec::len),
    );
    Found {
        shown: Some(i),
        settled: true,
        summary,
    }
}

/// Who the focus asked for is not in the inputs: say so, with the closest names there are.
fn not_found(by: &BTreeMap<Who, Vec<usize>>, users: &[String]) -> String {
    let mut names: Vec<(usize, String)> = by
        .keys()
        .filter(|w| matches!(w, Who::User(_) | Who::Line(_)))
        .map(|w| {
            let label = match w {
                Who::Line(n) => n.clone(),
                _ => w.label(),
            };
            let d = users
                .iter()
                .map(|u| {
                    crate::text::edit_distance(
                        &super::users::user_from(u).unwrap_or_default(),
                        &label,
                    )
                })
                .min()
                .unwrap_or(usize::MAX);
            (d, label)
        })
        .collect();
    names.sort();
    let closest: Vec<String> = names.into_iter().take(5).map(|(_, n)| n).collect();
    let summary = format!(
        "{} does not appear in these inputs ({} users and lines do){}",
        users.join(", "),
        by.keys()
            .filter(|w| matches!(w, Who::User(_) | Who::Line(_)))
            .count(),
        if closest.is_empty() {
            String::new()
        } else {
            format!("; the closest names: {}", closest.join(", "))
        }
    );
    summary
}

/// How many users' latest sign-ins failed, which recovered, and whose the verdict is.
fn users_note(sessions: &[Session], rows: &[UserRow], chosen: Option<usize>) -> Finding {
    let failing: Vec<&UserRow> = rows.iter().filter(|r| r.failing).collect();
    let recovered: Vec<&UserRow> = rows.iter().filter(|r| r.recovered_from.is_some()).collect();
    const LISTED: usize = 20;
    let list = |rows: &[&UserRow], what: &dyn Fn(&UserRow) -> String| {
        let mut each: Vec<String> = rows.iter().take(LISTED).map(|r| what(r)).collect();
        if rows.len() > LISTED {
            each.push(format!("and {} more", rows.len() - LISTED));
        }
        each.join(", ")
    };
    let mut summary = format!(
        "{} in these inputs, {} failing",
        population(rows),
        failing.len()
    );
    if !failing.is_empty() {
        summary.push_str(&format!(
            ": {}",
            list(&failing, &|r| format!(
                "{} ({})",
                r.who,
                r.fault.as_deref().unwrap_or("failed")
            ))
        ));
    }
    if !recovered.is_empty() {
        summary.push_str(&format!(
            "; {} recovered: {}",
            recovered.len(),
            list(&recovered, &|r| format!(
                "{} (after {})",
                r.who,
                r.recovered_from.as_deref().unwrap_or("a failure")
            ))
        ));
    }
    if let Some(i) = chosen {
        let s = &sessions[i];
        summary.push_str(&format!(
            "; the verdict is {}'s, {}",
            who_of(s).label(),
            if s.from_capture {
                "the sign-in the capture shows"
            } else {
                "the latest failure not followed by a success"
            }
        ));
    }
    Finding {
        severity: if failing.is_empty() {
            Severity::Info
        } else {
            Severity::Warning
        },
        id: "sessions.users".into(),
        phase: Phase::Provisioning,
        summary,
        evidence: failing
            .iter()
            .filter_map(|r| {
                let id = *r.sessions.last()?;
                sessions
                    .iter()
                    .find(|s| s.id == id)?
                    .verdict
                    .evidence
                    .first()
                    .cloned()
            })
            .take(6)
            .collect(),
    }
}

/// The verdict of the picked session, worded for a case of several users.
pub fn verdict_of(sessions: &[Session], rows: &[UserRow], pick: &Pick) -> Option<Verdict> {
    if let Some(v) = &pick.verdict {
        return Some(v.clone());
    }
    let s = &sessions[pick.session?];
    let mut v = s.verdict.clone();
    v.session = Some(s.id);
    if rows.len() >= 2 || pick.focus.is_some() {
        let failing = rows.iter().filter(|r| r.failing).count();
        let who = who_of(s);
        v.summary = match (v.status, pick.focus.is_some()) {
            (_, true) | (Status::Failed, _) => format!("{}: {}", who.label(), v.summary).into(),
            (Status::Ok, false) => {
                let recovered = rows.iter().filter(|r| r.recovered_from.is_some()).count();
                // An ok beside sign-ins the inputs cannot settle says how many: "ok" is
                // about those that could be judged.
                let unsettled = rows
                    .iter()
                    .filter(|r| r.last_result == Status::Inconclusive)
                    .count();
                let mut counts = population(rows);
                if recovered > 0 {
                    counts.push_str(&format!(", {recovered} recovered after a failure"));
                }
                if unsettled > 0 {
                    counts.push_str(&format!(
                        ", {unsettled} whose latest sign-in is inconclusive"
                    ));
                }
                format!("no user's latest sign-in failed ({counts})").into()
            }
            _ => v.summary,
        };
        if v.status == Status::Failed && pick.focus.is_none() && rows.len() >= 2 {
            v.summary = format!("{} [{failing} failing; {}]", v.summary, population(rows)).into();
        }
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::PhaseResult;

    const MIN: i64 = 60 * 1_000_000_000;

    /// A session of `who` from `start` minutes for two minutes; `fault` = failed in its phase.
    fn session(id: usize, who: &str, start: i64, fault: Option<&str>) -> Session {
        let phase = fault.map(|f| {
            Phase::ALL
                .into_iter()
                .find(|p| f.starts_with(p.name()))
                .expect("a phase")
        });
        let verdict = Verdict {
            status: if fault.is_some() {
                Status::Failed
            } else {
                Status::Ok
            },
            phase,
            fault: fault.map(str::to_string),
            summary: fault.unwrap_or("no fault observed").into(),
            fix: None,
            evidence: Vec::new(),
            session: None,
        };
        Session {
            id,
            client: "(from logs)".into(),
            capture: None,
            user: (!who.is_empty()).then(|| who.to_string()),
            line: None,
            attempt: 1,
            domain: None,
            start: crate::time::format_ns(start * MIN),
            end: crate::time::format_ns(start * MIN + 2 * MIN),
            start_ns: start * MIN,
            end_ns: start * MIN + 2 * MIN,
            phases: Phase::ALL
                .iter()
                .map(|&p| PhaseResult {
                    phase: p,
                    status: match phase {
                        Some(f) if f == p => Status::Failed,
                        _ if fault.is_none() => Status::Ok,
                        _ => Status::NotObserved,
                    },
                    summary: "".into(),
                    evidence: Vec::new(),
                })
                .collect(),
            verdict,
            findings: Vec::new(),
            ladder: Vec::new(),
            ladder_omitted: 0,
            ladder_clock: Vec::new(),
            from_capture: false,
            reached_edge: false,
            local_time: false,
        }
    }

    fn verdict(sessions: &[Session], focus: &FocusSpec) -> (Verdict, Vec<UserRow>) {
        let rows = table(sessions);
        let pick = pick(sessions, &rows, focus);
        (verdict_of(sessions, &rows, &pick).expect("a verdict"), rows)
    }

    #[test]
    fn an_unrecovered_failure_outranks_a_later_recovered_one() {
        let sessions = vec![
            session(1, "bob", 0, Some("provisioning.auth_failed")),
            session(2, "alice", 30, Some("sip.register_rejected")),
            session(3, "alice", 40, None),
            session(4, "carol", 50, None),
        ];
        let (v, rows) = verdict(&sessions, &FocusSpec::default());
        assert_eq!(v.fault.as_deref(), Some("provisioning.auth_failed"));
        assert!(v.summary.starts_with("bob: "), "{}", v.summary);
        assert_eq!(v.session, Some(1));
        let alice = rows.iter().find(|r| r.who == "alice").unwrap();
        assert_eq!(
            alice.recovered_from.as_deref(),
            Some("sip.register_rejected")
        );
        assert_eq!(rows[0].who, "bob", "failing rows first");
    }

    #[test]
    fn a_focus_on_an_address_two_captures_share_takes_the_failure_not_the_latest() {
        let in_capture = |id, start, fault, capture: &str| {
            let mut s = session(id, "", start, fault);
            s.client = "10.77.0.2".into();
            s.capture = Some(capture.into());
            s
        };
        // Bob's laptop is refused, then Alice's, at the same private address, signs in.
        let sessions = vec![
            in_capture(1, 0, Some("provisioning.tcp_refused"), "bob.pcap"),
            in_capture(2, 1, None, "alice.pcap"),
        ];
        let focus = FocusSpec {
            users: vec!["10.77.0.2".into()],
            ..Default::default()
        };
        let (v, _) = verdict(&sessions, &focus);
        assert_eq!(v.fault.as_deref(), Some("provisioning.tcp_refused"));
        assert_eq!(v.session, Some(1));
    }

    #[test]
    fn a_sign_in_inside_the_network_gets_past_no_mra_failure() {
        // A Jabber log: no _collab-edge record (no user named); then a client inside the
        // office whose discovery (_cisco-uds) went fine, never meeting Expressway-E.
        let mut inside = session(2, "", 10, None);
        inside.client = "10.77.0.2".into();
        inside.from_capture = true;
        let sessions = vec![
            session(1, "", 0, Some("discovery.collab_edge_missing")),
            inside,
        ];
        let (v, _) = verdict(&sessions, &FocusSpec::default());
        assert_eq!(v.fault.as_deref(), Some("discovery.collab_edge_missing"));
        // The same sign-in through Expressway-E does get past it.
        let mut through = sessions;
        through[1].reached_edge = true;
        let (v, _) = verdict(&through, &FocusSpec::default());
        assert_eq!(v.status, Status::Ok);
    }

    #[test]
    fn another_domains_sign_in_gets_past_no_failure() {
        // Expressway-C of uc.example.org refused on 7400 (no user named); a later sign-in of
        // example.com, another deployment, went through.
        let mut failure = session(1, "", 0, Some("xmpp.backend_unreachable"));
        failure.domain = Some("uc.example.org".into());
        let mut other = session(2, "alice", 10, None);
        other.domain = Some("example.com".into());
        let sessions = vec![failure, other];
        let (v, _) = verdict(&sessions, &FocusSpec::default());
        assert_eq!(v.fault.as_deref(), Some("xmpp.backend_unreachable"));
        let mut same = sessions;
        same[1].domain = Some("UC.example.org".into());
        let (v, _) = verdict(&same, &FocusSpec::default());
        assert_eq!(v.status, Status::Ok);
    }

    #[test]
    fn an_ok_beside_unsettled_sign_ins_counts_them() {
        let mut unsettled = session(2, "bob", 10, None);
        unsettled.verdict.status = Status::Inconclusive;
        let sessions = vec![session(1, "alice", 0, None), unsettled];
        let (v, _) = verdict(&sessions, &FocusSpec::default());
        assert_eq!(v.status, Status::Ok);
        assert!(
            v.summary
                .ends_with("(2 users, 1 whose latest sign-in is inconclusive)"),
            "{}",
            v.summary
        );
    }

    #[test]
    fn ok_only_when_no_latest_attempt_failed_and_recoveries_are_said() {
        let sessions = vec![
            session(1, "alice", 0, Some("provisioning.auth_failed")),
            session(2, "alice", 5, None),
            session(3, "bob", 10, None),
        ];
        let (v, _) = verdict(&sessions, &FocusSpec::default());
        assert_eq!(v.status, Status::Ok);
        assert!(
            v.summary.contains("1 recovered after a failure"),
            "{}",
            v.summary
        );
        // The latest of two failures of one user, neither followed by a success.
        let sessions = vec![
            session(1, "alice", 0, Some("provisioning.auth_failed")),
            session(2, "alice", 5, Some("sip.register_rejected")),
            session(3, "bob", 10, None),
        ];
        let (v, _) = verdict(&sessions, &FocusSpec::default());
        assert_eq!(v.fault.as_deref(), Some("sip.register_rejected"));
    }

    #[test]
    fn an_inconclusive_attempt_after_a_failure_recovers_nothing() {
        let mut unsettled = session(2, "alice", 10, None);
        unsettled.verdict.status = Status::Inconclusive;
        for p in &mut unsettled.phases {
            p.status = Status::NotObserved;
        }
        let sessions = vec![
            session(1, "alice", 0, Some("provisioning.auth_failed")),
            unsettled,
            session(3, "bob", 20, None),
        ];
        let (v, rows) = verdict(&sessions, &FocusSpec::default());
        assert_eq!(
            v.fault.as_deref(),
            Some("provisioning.auth_failed"),
            "{}",
            v.summary
        );
        let alice = rows.iter().find(|r| r.who == "alice").unwrap();
        assert!(alice.failing && alice.recovered_from.is_none(), "{alice:?}");
        assert_eq!(alice.last_result, Status::Inconclusive);
    }

    #[test]
    fn a_retry_past_the_failed_phase_recovers_it_though_its_own_end_is_unsettled() {
        let mut retry = session(2, "alice", 10, None);
        retry.verdict.status = Status::Inconclusive;
        retry.verdict.phase = Some(Phase::Xmpp);
        for p in &mut retry.phases {
            if p.phase != Phase::Discovery && p.phase != Phase::Provisioning {
                p.status = Status::NotObserved;
            }
        }
        let sessions = vec![
            session(1, "alice", 0, Some("provisioning.tcp_refused")),
            retry,
        ];
        let (v, rows) = verdict(&sessions, &FocusSpec::default());
        assert_eq!(v.status, Status::Inconclusive, "{}", v.summary);
        let alice = rows.iter().find(|r| r.who == "alice").unwrap();
        assert!(!alice.failing, "{alice:?}");
        assert_eq!(
            alice.recovered_from.as_deref(),
            Some("provisioning.tcp_refused")
        );
    }

    #[test]
    fn a_box_level_failure_later_sign_ins_got_past_is_recovered() {
        let sessions = vec![
            session(1, "", 0, Some("provisioning.next_hop_failed")),
            session(2, "alice", 10, None),
        ];
        let (v, rows) = verdict(&sessions, &FocusSpec::default());
        assert_eq!(v.status, Status::Ok, "{}", v.summary);
        let none = rows.iter().find(|r| r.kind == "none").unwrap();
        assert_eq!(
            none.recovered_from.as_deref(),
            Some("provisioning.next_hop_failed")
        );
        // Nothing got past it: it stays failing.
        let sessions = vec![
            session(1, "", 20, Some("provisioning.next_hop_failed")),
            session(2, "alice", 10, None),
        ];
        let (v, _) = verdict(&sessions, &FocusSpec::default());
        assert_eq!(v.fault.as_deref(), Some("provisioning.next_hop_failed"));
    }

    #[test]
    fn focus_picks_the_attempt_nearest_the_time_or_says_why_not() {
        let sessions = vec![
            session(1, "alice", 0, Some("provisioning.auth_failed")),
            session(2, "alice", 60, None),
            session(3, "bob", 61, Some("sip.register_rejected")),
        ];
        let at = |min: i64| FocusSpec {
            users: vec!["alice@example.com".into()],
            at: Some(min * MIN),
            until: Some(min * MIN),
            at_note: None,
            skip_ladders: false,
        };
        let (v, _) = verdict(&sessions, &at(1));
        assert_eq!(v.fault.as_deref(), Some("provisioning.auth_failed"));
        let (v, _) = verdict(&sessions, &at(59));
        assert_eq!(v.status, Status::Ok, "{}", v.summary);
        let (v, _) = verdict(&sessions, &at(200));
        assert_eq!(v.status, Status::Inconclusive);
        assert!(
            v.summary.contains("no sign-in within 15 min"),
            "{}",
            v.summary
        );
        // Without a time, the user's latest.
        let latest = FocusSpec {
            users: vec!["alice".into()],
            ..Default::default()
        };
        assert_eq!(verdict(&sessions, &latest).0.session, Some(2));
    }

    #[test]
    fn closest_names_by_edit_distance() {
        use crate::text::edit_distance as distance;
        assert_eq!(distance("jdoe", "jdoe"), 0);
        assert_eq!(distance("jdoe", "jdoes"), 1);
        assert_eq!(distance("jdoe", "jode"), 2);
        assert_eq!(distance("", "abc"), 3);
    }

    #[test]
    fn a_user_is_matched_by_id_jid_mail_and_aor() {
        let who = Who::User("jdoe".into());
        for v in [
            "jdoe",
            "JDoe",
            "jdoe@example.com",
            "sip:jdoe@example.com",
            "jdoe@example.com/jabber_1",
        ] {
            assert!(matches(&who, v), "{v}");
        }
        assert!(!matches(&who, "jdoe2"));
        assert!(matches(
            &Who::Line("40117".into()),
            "sip:40117@cucm.example.local"
        ));
        assert!(matches(
            &Who::Client("198.51.100.7".parse().unwrap()),
            "198.51.100.7"
        ));
        assert!(!matches(&Who::Nobody, ""));
    }
}
