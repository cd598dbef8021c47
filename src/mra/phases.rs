//! Phases 2–5 from the connections to Expressway-E: a phase is ok if one got through, else
//! the fault of the last one that failed; SIP in clear (REGISTER and its answer) refines SIP.

use super::connection::{Connection, Inside, Judgement};
use super::context::Ctx;
use super::context::PhaseState;
use super::split::Attempt;
use crate::faults::Phase;
use crate::model::EventKind;
use crate::model::Tagged;
use crate::report::{Evidence, Finding, Severity, Status};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// A phase carried by connections to Expressway-E: the fault of the last one that failed
/// unless one got through TLS; then not observed, its outcome being inside TLS (a later
/// step, a decrypted answer or a log line may still prove it). Earlier failures before a
/// success are a failover warning.
pub(super) fn connection_phase(
    ctx: &Ctx<'_>,
    phase: Phase,
    mine: &[&(&Connection<'_>, Judgement<'_>)],
    findings: &mut Vec<Finding>,
) -> PhaseState {
    if mine.is_empty() {
        return PhaseState::new(Status::NotObserved, "no connection in the capture");
    }
    // Through TLS: the one whose decrypted answer worked, else the last one refused inside,
    // else the first.
    // What each one's decrypted records say, read once.
    let mut through: Vec<_> = mine
        .iter()
        .filter(|(_, j)| matches!(j, Judgement::Ok { .. }))
        .map(|judged| (*judged, judged.0.inside(phase)))
        .collect();
    let chosen = through
        .iter()
        .position(|(_, inside)| matches!(inside, Some(Inside::Worked { .. })))
        .or_else(|| {
            through
                .iter()
                .rposition(|(_, inside)| matches!(inside, Some(Inside::Refused { .. })))
        })
        .or((!through.is_empty()).then_some(0));
    let (ok, inside) = match chosen {
        Some(i) => {
            let (judged, inside) = through.swap_remove(i);
            (Some(judged), inside)
        }
        None => (None, None),
    };
    let failures: Vec<_> = mine
        .iter()
        .filter(|(_, j)| matches!(j, Judgement::Failed { .. }))
        .collect();
    if let Some((
        c,
        Judgement::Ok {
            summary,
            evidence,
            warnings,
        },
    )) = ok
    {
        let mut state = PhaseState::new(Status::NotObserved, summary.clone());
        state.encrypted = true;
        state.evidence = evidence
            .iter()
            .map(|(t, n)| ctx.evidence(t, n.clone()))
            .collect();
        for (id, text, t) in warnings {
            findings.push(Finding {
                severity: Severity::Warning,
                id: format!("{}.{id}", phase.name()),
                phase,
                summary: text.clone(),
                evidence: vec![ctx.evidence(t, text.clone())],
            });
        }
        failover(ctx, phase, c, &failures, &mut state, findings);
        settle_inside(ctx, inside, &mut state);
        return state;
    }
    if let Some((
        _,
        Judgement::Failed {
            problem,
            summary,
            evidence,
            advice,
        },
    )) = failures.last()
    {
        let mut state = PhaseState::new(Status::Failed, summary.clone());
        state.problem = Some(problem.to_string());
        if let Some((meaning, fix)) = advice {
            state.meaning = Some(meaning.to_string());
            state.fix = Some(fix.to_string());
        }
        state.evidence = evidence
            .iter()
            .map(|(t, n)| ctx.evidence(t, n.clone()))
            .collect();
        if failures.len() > 1 {
            state.summary = format!(
                "{summary} · {} connection attempts, all failed",
                failures.len()
            );
        }
        return state;
    }
    let (_, j) = mine.last().expect("not empty");
    let Judgement::Inconclusive { summary, evidence } = j else {
        unreachable!("ok and failed handled above")
    };
    let mut state = PhaseState::new(Status::Inconclusive, summary.clone());
    state.evidence = evidence
        .iter()
        .map(|(t, n)| ctx.evidence(t, n.clone()))
        .collect();
    state
}

/// A key log showed what the connection said: its phase is ok or failed on that answer.
fn settle_inside(ctx: &Ctx<'_>, inside: Option<Inside<'_>>, state: &mut PhaseState) {
    match inside {
        None => {}
        Some(Inside::Worked { at, what }) => {
            state.status = Status::Ok;
            state.encrypted = false;
            state.summary = format!("{} · {what}", state.summary);
            state.evidence.push(ctx.evidence(at, what));
        }
        Some(Inside::Refused {
            at,
            request,
            problem,
            what,
        }) => {
            state.status = Status::Failed;
            state.encrypted = false;
            state.problem = Some(problem.to_string());
            state.summary = format!("{} · {what}", state.summary);
            // What was said first, then the connection it was said on.
            let mut said = Vec::new();
            if let Some(r) = request {
                let asked = match &r.event.kind {
                    EventKind::HttpRequest {
                        method, path, auth, ..
                    } => format!(
                        "{method} {path}{} (decrypted)",
                        auth.as_deref().map_or(String::new(), |a| format!(", {a}"))
                    ),
                    _ => "the request".into(),
                };
                said.push(ctx.evidence(r, asked));
            }
            said.push(ctx.evidence(at, what));
            state.evidence.splice(0..0, said);
        }
    }
}

/// What a phase's TLS connection hides: the answer that says whether it worked.
pub(super) fn inside_tls(phase: Phase) -> &'static str {
    match phase {
        Phase::Provisioning => {
            "the get_edge_config answer is encrypted: the Expressway logs of that time tell whether it was served"
        }
        Phase::Xmpp => {
            "the XMPP login (SASL) is encrypted: the Expressway logs of that time tell whether it succeeded"
        }
        Phase::Sip => {
            "the REGISTER's answer is encrypted: the Expressway logs of that time tell whether it was accepted"
        }
        Phase::Voicemail | Phase::Discovery => {
            "the answer is encrypted: the Expressway logs of that time tell"
        }
    }
}

/// Failures before the connection that got through: a failover to another Expressway-E,
/// or a retry of the same one. A warning, and a note on the phase's summary.
fn failover(
    ctx: &Ctx<'_>,
    phase: Phase,
    c: &Connection<'_>,
    failures: &[&&(&Connection<'_>, Judgement<'_>)],
    state: &mut PhaseState,
    findings: &mut Vec<Finding>,
) {
    let earlier: Vec<_> = failures
        .iter()
        .filter(|(f, _)| f.start_ts < c.start_ts)
        .collect();
    if earlier.is_empty() {
        return;
    }
    let mut ev = Vec::new();
    let mut what = Vec::new();
    for (f, j) in &earlier {
        if let Judgement::Failed {
            problem,
            summary,
            evidence,
            ..
        } = j
        {
            what.push(format!("{} ({problem}: {summary})", f.server));
            ev.extend(evidence.iter().map(|(t, n)| ctx.evidence(t, n.clone())));
        }
    }
    // Another Expressway-E after a failure is a failover; the same one again, a retry.
    let word = if earlier.iter().any(|(f, _)| f.server.ip != c.server.ip) {
        "failover"
    } else {
        "retry"
    };
    let text = format!(
        "{word}: {} failed before {} succeeded",
        what.join("; "),
        c.server
    );
    state.summary = format!(
        "{} · after {word} from {}",
        state.summary,
        earlier
            .iter()
            .map(|(f, _)| f.server.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    findings.push(Finding {
        severity: Severity::Warning,
        id: format!("{}.{word}", phase.name()),
        phase,
        summary: text,
        evidence: ev,
    });
}

/// REGISTERs visible in clear (SIP over UDP/TCP 5060) refine the SIP phase.
pub(super) fn sip_in_clear(
    ctx: &Ctx<'_>,
    client: IpAddr,
    attempt: &Attempt,
    sip: &[&Tagged],
    state: &mut PhaseState,
) {
    let registers = registers_of(client, attempt, sip);
    let Some((_, (request, finals))) = registers.iter().next_back() else {
        return;
    };
    let code_of = |t: &Tagged| match &t.event.kind {
        EventKind::SipResponse(r) => (r.code, r.reason.clone()),
        _ => (0, String::new()),
    };
    let ok = finals.iter().find(|t| (200..300).contains(&code_of(t).0));
    // SIP over TLS read with a key log says so.
    let how = match request.map(|t| &t.event.kind) {
        Some(EventKind::SipRequest(r)) if r.transport == crate::model::Transport::Tls => {
            " (decrypted)"
        }
        _ => "",
    };
    let mut evidence: Vec<Evidence> = request
        .iter()
        .map(|t| ctx.evidence(t, format!("REGISTER{how}")))
        .collect();
    if let Some(t) = ok {
        evidence.push(ctx.evidence(t, format!("200 OK to REGISTER{how}")));
        *state = PhaseState {
            status: Status::Ok,
            summary: format!("REGISTER answered 200 OK{how}"),
            problem: None,
            evidence,
            meaning: None,
            fix: None,
            encrypted: false,
        };
    } else if let Some(t) = finals.last() {
        let (code, reason) = code_of(t);
        evidence.push(ctx.evidence(t, format!("final response {code} {reason}{how}")));
        *state = PhaseState {
            status: Status::Failed,
            summary: format!("REGISTER rejected: {code} {reason}{how}"),
            problem: Some("register_rejected".into()),
            evidence,
            meaning: None,
            fix: None,
            encrypted: false,
        };
    } else if state.status == Status::NotObserved {
        *state = PhaseState {
            status: Status::Inconclusive,
            summary: "REGISTER sent, no final response in the capture".into(),
            problem: None,
            evidence,
            meaning: None,
            fix: None,
            encrypted: false,
        };
    }
}

/// A REGISTER in clear and its final responses.
type Registration<'a> = (Option<&'a Tagged>, Vec<&'a Tagged>);

/// The client's REGISTERs in clear since the attempt's start, by Call-ID.
fn registers_of<'a>(
    client: IpAddr,
    attempt: &Attempt,
    sip: &[&'a Tagged],
) -> BTreeMap<String, Registration<'a>> {
    let mut registers: BTreeMap<String, Registration<'a>> = BTreeMap::new();
    for t in sip.iter().copied().filter(|t| t.event.ts >= attempt.start) {
        match &t.event.kind {
            EventKind::SipRequest(r) if r.client.ip == client && r.method == "REGISTER" => {
                registers
                    .entry(r.call_id.clone().unwrap_or_default())
                    .or_default()
                    .0
                    .get_or_insert(t);
            }
            EventKind::SipResponse(r)
                if r.client.ip == client
                    && r.code >= 200
                    && r.cseq.as_deref().is_some_and(|s| s.ends_with("REGISTER")) =>
            {
                registers
                    .entry(r.call_id.clone().unwrap_or_default())
                    .or_default()
                    .1
                    .push(t);
            }
            _ => {}
        }
    }
    registers
}
