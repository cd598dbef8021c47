//! Sessions from log lines and certificate files alone: no capture shows these sign-ins.

use super::context::{Ctx, PhaseState};
use super::files::FileProblem;
use super::ladder::Drawing;
use super::users::{LogAttempt, Who};
use super::{cookie, ladder, logs, verdict};
use crate::faults::Phase;
use crate::model::{EventKind, Tagged};
use crate::report::{Evidence, Finding, LadderStep, Party, Session, Severity, Status};
use std::collections::BTreeSet;

/// A session from log lines and certificate files alone.
pub(super) fn log_session(
    ctx: &Ctx<'_>,
    id: usize,
    hits: &[&Tagged],
    problems: &[FileProblem],
    who: &Who,
    drawing: Drawing,
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
    apply_file_problems(problems, &mut states, &mut findings);
    let ladder = match drawing {
        Drawing::Skip => ladder::Drawn::default(),
        Drawing::Draw => {
            let mut ladder = ladder::build(
                ctx,
                &[],
                &[],
                &[],
                hits,
                &ladder::Places {
                    edge_ips: &BTreeSet::new(),
                    shifts: &ctx.between_logs,
                },
                &states,
            );
            ladder.steps.extend(problems.iter().map(file_note));
            ladder.steps.sort_by_key(|step| step.axis_ns);
            ladder
        }
    };
    let times: Vec<i64> = hits
        .iter()
        .map(|t| t.event.ts)
        .chain(problems.iter().map(|f| f.at))
        .filter(|&ts| ts != crate::time::UNKNOWN)
        .collect();
    let domain = hits.iter().find_map(|t| match &t.event.kind {
        EventKind::LogSignature { fields, .. } => fields.get("domain").map(str::to_string),
        _ => None,
    });
    let frame = verdict::Frame {
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
        from_capture: false,
        reached_edge: false,
        // Lines of a log without a zone that nothing placed: their times stay local.
        local_time: !hits.is_empty()
            && hits.iter().all(|t| {
                matches!(
                    t.event.kind,
                    EventKind::LogSignature {
                        time_basis: crate::time::TimeBasis::LocalNoOffset,
                        ..
                    }
                )
            }),
    };
    verdict::finish(&ctx.texts, frame, states, findings)
}

/// Expressway-E's certificate outside its validity fails provisioning (clients reject it
/// on 8443); Expressway-C's is a warning about the traversal zone.
fn apply_file_problems(
    problems: &[FileProblem],
    states: &mut [PhaseState],
    findings: &mut Vec<Finding>,
) {
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
}

/// A certificate file as a note on the box it belongs to, at the time it was judged.
fn file_note(f: &FileProblem) -> LadderStep {
    let party = if f.expressway_c {
        Party::ExpresswayC
    } else {
        Party::ExpresswayE
    };
    LadderStep {
        ts: f.evidence.ts,
        axis_ns: f.at,
        shift_ns: None,
        from: party,
        to: party,
        label: "server certificate outside its validity".into(),
        failed: true,
        input: f.evidence.input.clone(),
        frame: None,
        line: None,
    }
}

/// A focused attempt from logs, judged again with the lines about no one (a box's failed
/// link, an alarm) that failed in its time: what broke beside the user's own lines. Says
/// what was added, for the focus summary, and the lines it was judged on (its ladder is
/// drawn from them).
pub(super) fn with_box_lines<'t>(
    ctx: &Ctx<'_>,
    sessions: &mut [Session],
    lines_of: &[Option<&LogAttempt<'t>>],
    i: usize,
) -> Option<(String, Vec<&'t Tagged>)> {
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
    sessions[i] = log_session(ctx, id, &hits, &[], &own.who, Drawing::Skip);
    sessions[i].attempt = attempt;
    Some((
        format!(
            "; judged with the Expressway lines about no one in its time: {}",
            added.join(", ")
        ),
        hits,
    ))
}
