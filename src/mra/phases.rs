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
    state: &mut PhaseState,
) {
    let Some((request, finals)) = last_registration(attempt, ctx.sip.of((client, attempt.input)))
    else {
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

/// The attempt's last registration: a client registers again under another Call-ID, and the
/// latest one says where the sign-in ended (not the greatest Call-ID). `sip`: the client's
/// messages ([`super::context::SipByClient`]).
fn last_registration<'a>(attempt: &Attempt, sip: &[&'a Tagged]) -> Option<Registration<'a>> {
    registers_of(attempt, sip)
        .into_values()
        .max_by_key(|(request, finals)| request.or(finals.first().copied()).map(|t| t.event.ts))
}

/// A REGISTER in clear and its final responses.
type Registration<'a> = (Option<&'a Tagged>, Vec<&'a Tagged>);

/// The client's REGISTERs in clear from the attempt's start to its next attempt's, by
/// Call-ID (a later attempt's 200 OK is not this one's).
fn registers_of<'a>(attempt: &Attempt, sip: &[&'a Tagged]) -> BTreeMap<String, Registration<'a>> {
    let mut registers: BTreeMap<String, Registration<'a>> = BTreeMap::new();
    let during = |t: &&Tagged| (attempt.start..attempt.until).contains(&t.event.ts);
    for t in sip.iter().copied().filter(during) {
        match &t.event.kind {
            EventKind::SipRequest(r) if r.method == "REGISTER" => {
                registers
                    .entry(r.call_id.clone().unwrap_or_default())
                    .or_default()
                    .0
                    .get_or_insert(t);
            }
            EventKind::SipResponse(r)
                if r.code >= 200 && r.cseq.as_deref().is_some_and(|s| s.ends_with("REGISTER")) =>
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Endpoint, Event, SipRequest, SipResponse, Transport};

    const CLIENT: &str = "10.0.0.5";

    fn ends() -> (Endpoint, Endpoint) {
        let end = |ip: &str, port| Endpoint {
            ip: ip.parse().unwrap(),
            port,
        };
        (end(CLIENT, 40000), end("198.51.100.7", 5060))
    }

    fn at(ts: i64, kind: EventKind) -> Tagged {
        Tagged {
            input: 0,
            event: Event { frame: 0, ts, kind },
        }
    }

    fn register(ts: i64, call_id: &str) -> Tagged {
        let (client, server) = ends();
        let kind = EventKind::SipRequest(Box::new(SipRequest {
            transport: Transport::Udp,
            stream: None,
            client,
            server,
            method: "REGISTER".into(),
            uri: "sip:example.com".into(),
            call_id: Some(call_id.into()),
            cseq: Some("1 REGISTER".into()),
        }));
        at(ts, kind)
    }

    fn answer(ts: i64, call_id: &str, code: u16) -> Tagged {
        let (client, server) = ends();
        let kind = EventKind::SipResponse(Box::new(SipResponse {
            transport: Transport::Udp,
            stream: None,
            client,
            server,
            code,
            reason: String::new(),
            call_id: Some(call_id.into()),
            cseq: Some("1 REGISTER".into()),
        }));
        at(ts, kind)
    }

    fn last_code(attempt: &Attempt, sip: &[Tagged]) -> Option<u16> {
        let sip: Vec<&Tagged> = sip.iter().collect();
        let (_, finals) = last_registration(attempt, &sip)?;
        finals.last().map(|t| match &t.event.kind {
            EventKind::SipResponse(r) => r.code,
            _ => 0,
        })
    }

    #[test]
    fn the_latest_registration_counts_not_the_greatest_call_id() {
        // Registered under "b…", then again under "a…", refused: the sign-in ended refused.
        let sip = [
            register(1, "b-1@10.0.0.5"),
            answer(2, "b-1@10.0.0.5", 200),
            register(3, "a-2@10.0.0.5"),
            answer(4, "a-2@10.0.0.5", 403),
        ];
        let attempt = Attempt {
            until: i64::MAX,
            ..Attempt::default()
        };
        assert_eq!(last_code(&attempt, &sip), Some(403));
    }

    #[test]
    fn a_later_attempts_registration_is_not_this_ones() {
        let sip = [
            register(1, "1-1@10.0.0.5"),
            answer(2, "1-1@10.0.0.5", 403),
            register(60, "2-1@10.0.0.5"),
            answer(61, "2-1@10.0.0.5", 200),
        ];
        let first = Attempt {
            until: 50,
            ..Attempt::default()
        };
        let second = Attempt {
            start: 50,
            until: i64::MAX,
            ..Attempt::default()
        };
        assert_eq!(last_code(&first, &sip), Some(403));
        assert_eq!(last_code(&second, &sip), Some(200));
    }
}
