//! From five phase states to a session: statuses that follow from earlier phases, the
//! verdict (first failed phase, else inconclusive, else ok) and its fault finding.

use super::context::{PhaseState, Texts};
use crate::faults::{Phase, fix_for, meaning_for};
use crate::report::{Finding, PhaseResult, Session, Severity, Status, Verdict};

/// What identifies a session besides its phases.
pub struct Frame {
    pub id: usize,
    pub client: String,
    /// The user the session's log lines are about, when they say.
    pub user: Option<String>,
    /// A directory number no line ties to a user.
    pub line: Option<String>,
    pub domain: Option<String>,
    pub start: i64,
    pub end: i64,
    /// The client signed in on-premises (`_cisco-uds` answered and CUCM was reachable).
    pub inside: bool,
    pub ladder: super::ladder::Drawn,
    pub from_capture: bool,
    /// A captured attempt that connected to Expressway-E.
    pub reached_edge: bool,
    /// The times are local ones no zone places (a Jabber log alone).
    pub local_time: bool,
}

pub fn finish(
    texts: &Texts,
    frame: Frame,
    mut states: Vec<PhaseState>,
    mut findings: Vec<Finding>,
) -> Session {
    let inside = frame.inside;
    let basis = if frame.local_time {
        crate::time::TimeBasis::LocalNoOffset
    } else {
        crate::time::TimeBasis::Utc
    };
    let format = |ns| crate::time::format_on(ns, basis);
    // Statuses of phases without evidence follow from the phases before them.
    let mut earlier_failed = false;
    for (i, state) in states.iter_mut().enumerate() {
        let phase = Phase::ALL[i];
        if state.status == Status::NotObserved && inside && phase != Phase::Discovery {
            state.summary = "client is inside the network: not through MRA".into();
        } else if state.status == Status::NotObserved && earlier_failed && !state.encrypted {
            state.status = Status::NotReached;
            state.summary = "not reached".into();
        }
        if state.status == Status::Failed {
            earlier_failed = true;
        }
    }
    if frame.from_capture
        && (states[1].status == Status::Ok || states[1].hidden())
        && nothing_after(&states[2..4])
    {
        findings.push(Finding {
            severity: Severity::Info,
            id: "provisioning.no_follow_up".into(),
            phase: Phase::Provisioning,
            summary: "provisioning completed but no connection to 5222 (XMPP) or 5061 (SIP) followed in the capture".into(),
            evidence: states[1].evidence.clone(),
        });
    }
    let phases: Vec<PhaseResult> = states
        .iter()
        .enumerate()
        .map(|(i, s)| PhaseResult {
            phase: Phase::ALL[i],
            status: s.status,
            summary: texts.get(&s.summary),
            evidence: s.evidence.clone(),
        })
        .collect();
    let verdict = verdict(&states, inside, frame.from_capture, &mut findings, texts);
    Session {
        id: frame.id,
        client: frame.client,
        capture: None,
        user: frame.user,
        line: frame.line,
        attempt: 1,
        domain: frame.domain,
        start: format(frame.start),
        end: format(frame.end),
        start_ns: frame.start,
        end_ns: frame.end,
        verdict,
        phases,
        findings,
        ladder: frame.ladder.steps,
        ladder_omitted: frame.ladder.omitted,
        ladder_clock: frame.ladder.clock,
        from_capture: frame.from_capture,
        reached_edge: frame.reached_edge,
        local_time: frame.local_time,
    }
}

/// The session's verdict: the first failed phase; else the first inconclusive one; else
/// inconclusive when the inputs stop before the sign-in could show its outcome; else ok
/// when a phase is.
fn verdict(
    states: &[PhaseState],
    inside: bool,
    from_capture: bool,
    findings: &mut Vec<Finding>,
    texts: &Texts,
) -> Verdict {
    if let Some((i, s)) = states
        .iter()
        .enumerate()
        .find(|(_, s)| s.status == Status::Failed)
    {
        return failed(Phase::ALL[i], s, findings, texts);
    }
    let quiet = |status, phase, summary: String, evidence| Verdict {
        status,
        phase,
        fault: None,
        summary: texts.get(&summary),
        fix: None,
        evidence,
        session: None,
    };
    if let Some((i, s)) = states
        .iter()
        .enumerate()
        .find(|(_, s)| s.status == Status::Inconclusive)
    {
        let phase = Phase::ALL[i];
        let summary = format!(
            "no fault observed, but {} is inconclusive: {}",
            phase.name(),
            s.summary
        );
        return quiet(
            Status::Inconclusive,
            Some(phase),
            summary,
            s.evidence.clone(),
        );
    }
    // Discovery alone says nothing about the sign-in: the capture stops before it.
    if !inside
        && states[0].status == Status::Ok
        && states[1..].iter().all(|s| s.status == Status::NotObserved)
    {
        let summary =
            "discovery succeeded, but the capture shows no connection to Expressway-E after it"
                .to_string();
        return quiet(
            Status::Inconclusive,
            Some(Phase::Provisioning),
            summary,
            states[0].evidence.clone(),
        );
    }
    // TLS to 8443 worked, then nothing: the answer inside TLS (get_edge_config) decided.
    if !inside
        && (states[1].status == Status::Ok || states[1].hidden())
        && nothing_after(&states[2..])
    {
        let summary = if from_capture {
            "provisioning's TLS succeeded, but the client never connected to XMPP or SIP: the get_edge_config answer inside TLS was probably an error (401, 403, 502); the Expressway logs will say"
        } else {
            "the edge configuration was served, but these logs show no REGISTER after it: the client stopped, or the logs end or leave out its next steps"
        }
        .to_string();
        return quiet(
            Status::Inconclusive,
            Some(Phase::Provisioning),
            summary,
            states[1].evidence.clone(),
        );
    }
    // A phase the client got through TLS for, its outcome inside: not a fault, not ok.
    let hidden: Vec<usize> = (0..states.len()).filter(|&i| states[i].hidden()).collect();
    if let Some(&first) = hidden.first() {
        let names: Vec<&str> = hidden.iter().map(|&i| Phase::ALL[i].name()).collect();
        let summary = format!(
            "no fault observed, but whether {} succeeded is said inside TLS, which the capture cannot read: the Expressway logs of that time tell",
            names.join(" and ")
        );
        return quiet(
            Status::Inconclusive,
            Some(Phase::ALL[first]),
            summary,
            states[first].evidence.clone(),
        );
    }
    if states.iter().any(|s| s.status == Status::Ok) {
        return quiet(Status::Ok, None, "no fault observed".into(), Vec::new());
    }
    quiet(
        Status::Inconclusive,
        None,
        "no phase of the sign-in could be settled from the inputs".into(),
        Vec::new(),
    )
}

/// No connection and no line for these phases (not even one whose outcome is encrypted).
fn nothing_after(states: &[PhaseState]) -> bool {
    states
        .iter()
        .all(|s| s.status == Status::NotObserved && !s.encrypted)
}

/// A failed phase: its fault, with the catalog's meaning and fix unless a log line gave
/// sharper ones; the fault finding goes first.
fn failed(phase: Phase, s: &PhaseState, findings: &mut Vec<Finding>, texts: &Texts) -> Verdict {
    let fault = format!(
        "{}.{}",
        phase.name(),
        s.problem.as_deref().unwrap_or("failed")
    );
    findings.insert(
        0,
        Finding {
            severity: Severity::Fault,
            id: fault.clone(),
            phase,
            summary: s.summary.clone(),
            evidence: s.evidence.clone(),
        },
    );
    Verdict {
        status: Status::Failed,
        phase: Some(phase),
        fix: s
            .fix
            .as_deref()
            .or_else(|| fix_for(&fault))
            .map(|f| texts.get(f)),
        summary: texts.get(
            s.meaning
                .as_deref()
                .unwrap_or_else(|| meaning_for(&fault).unwrap_or("failed")),
        ),
        fault: Some(fault),
        evidence: s.evidence.clone(),
        session: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn states(statuses: [Status; 5]) -> Vec<PhaseState> {
        statuses
            .iter()
            .map(|&s| PhaseState::new(s, format!("{} here", s.name())))
            .collect()
    }

    use Status::{Failed, Inconclusive, NotObserved, Ok};

    #[test]
    fn the_first_failed_phase_is_the_verdict_and_its_fault_finding_comes_first() {
        let mut s = states([Ok, Ok, Inconclusive, Failed, Failed]);
        s[3].problem = Some("register_rejected".into());
        let mut findings = vec![Finding {
            severity: Severity::Info,
            id: "a.note".into(),
            phase: Phase::Sip,
            summary: String::new(),
            evidence: Vec::new(),
        }];
        let v = verdict(&s, false, true, &mut findings, &Texts::default());
        assert_eq!(v.status, Failed);
        assert_eq!(v.phase, Some(Phase::Sip));
        assert_eq!(v.fault.as_deref(), Some("sip.register_rejected"));
        assert!(v.fix.is_some(), "the catalog's fix for a known fault");
        assert_eq!(findings[0].id, "sip.register_rejected");
        assert_eq!(findings[0].severity, Severity::Fault);
    }

    #[test]
    fn an_inconclusive_phase_outranks_ok() {
        let v = verdict(
            &states([Ok, Ok, Inconclusive, Ok, NotObserved]),
            false,
            true,
            &mut Vec::new(),
            &Texts::default(),
        );
        assert_eq!((v.status, v.phase), (Inconclusive, Some(Phase::Xmpp)));
    }

    #[test]
    fn inputs_that_stop_before_the_outcome_are_never_ok() {
        let nothing_after =
            |s| verdict(&states(s), false, true, &mut Vec::new(), &Texts::default());
        // Discovery alone: no connection to Expressway-E after it.
        let v = nothing_after([Ok, NotObserved, NotObserved, NotObserved, NotObserved]);
        assert_eq!(
            (v.status, v.phase),
            (Inconclusive, Some(Phase::Provisioning))
        );
        // TLS to 8443 and nothing after: the answer inside TLS decided.
        let v = nothing_after([Ok, Ok, NotObserved, NotObserved, NotObserved]);
        assert_eq!(
            (v.status, v.phase),
            (Inconclusive, Some(Phase::Provisioning))
        );
        assert!(v.summary.contains("inside TLS"), "{}", v.summary);
        // Nothing settled at all.
        let v = nothing_after([NotObserved; 5]);
        assert_eq!((v.status, v.phase), (Inconclusive, None));
    }

    #[test]
    fn a_sign_in_that_got_through_is_ok() {
        let v = verdict(
            &states([Ok, Ok, Ok, Ok, NotObserved]),
            false,
            true,
            &mut Vec::new(),
            &Texts::default(),
        );
        assert_eq!((v.status, v.fault), (Ok, None));
        // Inside the network, discovery's answer and a CUCM reached is the whole story.
        let v = verdict(
            &states([Ok, NotObserved, NotObserved, NotObserved, NotObserved]),
            true,
            true,
            &mut Vec::new(),
            &Texts::default(),
        );
        assert_eq!(v.status, Ok);
    }
}
