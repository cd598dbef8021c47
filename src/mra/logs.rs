//! Log signatures into phases: a fault line decides its phase (the logs see inside the TLS
//! the capture cannot read); warnings and notes become findings; REGISTER and SERVICE trails
//! by Call-ID; a phase ok on a line that shows it worked.

use super::context::Ctx;
use super::context::PhaseState;
use crate::faults::Phase;
use crate::model::Tagged;
use crate::model::{EventKind, Role};
use crate::report::{Evidence, Finding, Severity, Status};
use std::borrow::Cow;

/// Evidence lines kept per phase from logs.
const MAX_LOG_EVIDENCE: usize = 4;
/// Lines of a REGISTER or SERVICE trail kept as its evidence.
const EVIDENCE_STEPS: usize = 6;
/// A log line belongs to a capture's attempt when within this margin of it (clock skew).
pub const MARGIN_NS: i64 = 120 * 1_000_000_000;

pub fn is_hit(t: &Tagged) -> bool {
    matches!(t.event.kind, EventKind::LogSignature { .. })
}

/// Whether a line's box, where a configuration dump states it, is the one its signature is
/// written by (`box` in the catalog): an Expressway-C failure read in Expressway-E's log is
/// some other event with the same words.
pub fn from_its_box(ctx: &Ctx<'_>, t: &Tagged) -> bool {
    let EventKind::LogSignature {
        signature, host, ..
    } = &t.event.kind
    else {
        return true;
    };
    let Some(want) = ctx.catalog.get(signature).and_then(|s| s.written_by) else {
        return true;
    };
    ctx.roles
        .stated(&ctx.inputs[t.input], host.as_deref())
        .is_none_or(|stated| stated == want)
}

/// The lines set aside because a dump says they come from the other box, said once.
pub fn other_box_finding(ctx: &Ctx<'_>, aside: &[&Tagged]) -> Option<Finding> {
    if aside.is_empty() {
        return None;
    }
    const SHOWN: usize = 3;
    let phase = match &aside[0].event.kind {
        EventKind::LogSignature { phase, .. } => *phase,
        _ => Phase::Discovery,
    };
    Some(Finding {
        severity: Severity::Info,
        id: "logs.other_box".into(),
        phase,
        summary: format!(
            "{} log line{} set aside: {} signature is written by the other Expressway than the one its configuration dump says wrote {}",
            aside.len(),
            if aside.len() == 1 { "" } else { "s" },
            if aside.len() == 1 {
                "its"
            } else {
                "each one's"
            },
            if aside.len() == 1 { "it" } else { "them" },
        ),
        evidence: aside
            .iter()
            .take(SHOWN)
            .map(|t| {
                let id = match &t.event.kind {
                    EventKind::LogSignature { signature, .. } => &signature[..],
                    _ => "",
                };
                ctx.evidence(t, format!("{id}: not this box's line"))
            })
            .collect(),
    })
}

/// Whether a hit's time can be compared with a capture's (UTC, or local time read in a zone).
pub fn placed_in_time(t: &Tagged) -> bool {
    matches!(&t.event.kind, EventKind::LogSignature { time_basis, .. } if time_basis.is_utc())
}

/// A SIP method whose requests are followed by Call-ID through the Expressways' logs.
struct Traced {
    /// As `Role::trail` names it for the lines of its trail.
    method: &'static str,
    /// Finding ids: a trail with its final response, a request never answered.
    trail: &'static str,
    unanswered: &'static str,
}

const TRACED: [Traced; 2] = [
    Traced {
        method: "REGISTER",
        trail: "sip.register_trail",
        unanswered: "sip.register_unanswered",
    },
    Traced {
        method: "SERVICE",
        trail: "sip.service_trail",
        unanswered: "sip.service_unanswered",
    },
];

/// What one line of a trail says: `received`, `sent`, `answered 200`, `got 408`.
pub(super) fn trail_step(role: Option<Role>, fields: &crate::model::Fields) -> Cow<'static, str> {
    let code = fields.get("code");
    let sending = fields.get("action") == Some("Sending");
    match (role, code) {
        (Some(Role::RegisterReceived), _) => "received".into(),
        (Some(Role::RegisterAccepted), _) => "answered 200".into(),
        (_, None) if sending => "sent".into(),
        (_, None) if fields.contains_key("action") => "received".into(),
        (_, None) => "answered an error".into(),
        (_, Some(code)) if fields.contains_key("action") && !sending => {
            format!("got {code}").into()
        }
        (_, Some(code)) => format!("answered {code}").into(),
    }
}

/// REGISTERs and SERVICEs followed by Call-ID through every Expressway whose log holds them
/// (E, then C, then the answers back): one note per Call-ID with its path and final
/// response, and a warning for one that was received but never answered in these logs.
/// `ordered`: the sign-in's lines in the order they happened.
fn trails(ctx: &Ctx<'_>, ordered: &[&&Tagged], findings: &mut Vec<Finding>) {
    const SHOWN: usize = 20;
    for traced in &TRACED {
        let (order, trails) = by_call_id(ordered, traced.method);
        for (n, call_id) in order.iter().enumerate() {
            let trail = Trail::of(ctx, &trails[call_id]);
            // An answered trail past the first few is only counted: nothing to write.
            let (severity, id, unanswered) = match trail.answered {
                None => (
                    Severity::Warning,
                    traced.unanswered,
                    ", and no final response in these logs (CUCM or the next hop never answered, or the logs end first)",
                ),
                Some(_) if n < SHOWN => (Severity::Info, traced.trail, ""),
                Some(_) => continue,
            };
            let evidence = trail
                .steps
                .iter()
                .zip(&trail.labels)
                .take(EVIDENCE_STEPS)
                .map(|(t, step)| ctx.evidence(t, step.clone()))
                .collect();
            let method = traced.method;
            let (path, aor) = (
                trail.path(),
                trail.aor.map_or(String::new(), |a| format!(", {a}")),
            );
            findings.push(Finding {
                severity,
                id: id.into(),
                phase: Phase::Sip,
                summary: format!("{method} {call_id}{aor}: {path}{unanswered}"),
                evidence,
            });
        }
        if order.len() > SHOWN {
            findings.push(Finding {
                severity: Severity::Info,
                id: traced.trail.into(),
                phase: Phase::Sip,
                summary: format!(
                    "{} more {} Call-IDs not listed (the first {SHOWN} are)",
                    order.len() - SHOWN,
                    traced.method
                ),
                evidence: Vec::new(),
            });
        }
    }
}

/// The lines in the order they happened: an Expressway-C whose clock is known to run apart
/// from E's is read on E's clock.
fn in_time_order<'a, 'b>(ctx: &Ctx<'_>, hits: &'b [&'a Tagged]) -> Vec<&'b &'a Tagged> {
    let mut ordered: Vec<(i64, &&Tagged)> =
        hits.iter().map(|t| (on_one_clock(ctx, t), t)).collect();
    ordered.sort_by_key(|(at, t)| (*at, t.input));
    ordered.into_iter().map(|(_, t)| t).collect()
}

/// A line's time on Expressway-E's clock.
fn on_one_clock(ctx: &Ctx<'_>, t: &Tagged) -> i64 {
    t.event
        .ts
        .saturating_add(ctx.between_logs.of(ctx, t).map_or(0, |s| s.ns))
}

/// The lines of a traced method's trails by Call-ID, and the Call-IDs in order of first line.
fn by_call_id<'a>(
    ordered: &[&&'a Tagged],
    method: &str,
) -> (
    Vec<&'a str>,
    std::collections::BTreeMap<&'a str, Vec<&'a Tagged>>,
) {
    let mut trails: std::collections::BTreeMap<&str, Vec<&Tagged>> = Default::default();
    let mut order: Vec<&str> = Vec::new();
    for t in ordered {
        let t: &'a Tagged = t;
        let EventKind::LogSignature { fields, role, .. } = &t.event.kind else {
            continue;
        };
        if role.and_then(Role::trail) != Some(method) {
            continue;
        }
        if let Some(id) = fields.get("call_id") {
            if !trails.contains_key(id) {
                order.push(id);
            }
            trails.entry(id).or_default().push(t);
        }
    }
    (order, trails)
}

/// One Call-ID's trail: each hop once, in order of its first time, with how often it recurs
/// (a registration refreshed for hours is one trail, not hundreds of steps).
struct Trail<'a, 'b> {
    steps: &'b [&'a Tagged],
    /// The first lines as `host what at time`, for the evidence.
    labels: Vec<String>,
    /// (host, what, how many times, first time, last time).
    hops: Vec<(&'a str, Cow<'static, str>, usize, i64, i64)>,
    aor: Option<&'a str>,
    /// The last final response (`answered 200`, `got 408`).
    answered: Option<String>,
    /// The clock corrections its times took, as said after the path.
    moved: std::collections::BTreeSet<String>,
}

impl<'a, 'b> Trail<'a, 'b> {
    fn of(ctx: &Ctx<'_>, steps: &'b [&'a Tagged]) -> Self {
        let mut trail = Trail {
            steps,
            labels: Vec::new(),
            hops: Vec::new(),
            aor: None,
            answered: None,
            moved: Default::default(),
        };
        for (i, t) in steps.iter().enumerate() {
            let EventKind::LogSignature { fields, host, .. } = &t.event.kind else {
                unreachable!("only log lines are kept")
            };
            trail.aor = trail.aor.or(fields.get("aor"));
            let what = trail_step(t.event.kind.role(), fields);
            if what.starts_with("answered") || what.starts_with("got") {
                trail.answered = Some(what.to_string());
            }
            let host = host.as_deref().unwrap_or("?");
            if i < EVIDENCE_STEPS {
                trail.labels.push(format!(
                    "{host} {what} at {}",
                    crate::time::format_clock_ms(t.event.ts)
                ));
            }
            // The path is told on one clock; the evidence keeps the logged times.
            let shift = ctx.between_logs.of(ctx, t);
            let ts = t
                .event
                .ts
                .saturating_add(shift.as_ref().map_or(0, |s| s.ns));
            if let Some(s) = shift {
                trail.moved.insert(format!(
                    "{}'s times {} onto {}",
                    s.who,
                    crate::time::signed_secs(s.ns),
                    s.onto
                ));
            }
            // (A host name has no space: host and what are one hop's words as well.)
            match trail
                .hops
                .iter_mut()
                .find(|(h, w, ..)| *h == host && *w == what)
            {
                Some((.., n, _, last)) => {
                    *n += 1;
                    *last = ts;
                }
                None => trail.hops.push((host, what, 1, ts, ts)),
            }
        }
        trail
    }

    /// `expe received at 10:00:01.000 → expc sent ×3 (10:00:01.000–10:20:01.000) → …`
    fn path(&self) -> String {
        let path: Vec<String> = self
            .hops
            .iter()
            .map(|(host, what, n, first, last)| match n {
                1 => format!("{host} {what} at {}", crate::time::format_clock_ms(*first)),
                n => format!(
                    "{host} {what} ×{n} ({}–{})",
                    crate::time::format_clock_ms(*first),
                    crate::time::format_clock_ms(*last)
                ),
            })
            .collect();
        let mut path = path.join(" → ");
        if !self.moved.is_empty() {
            let moved: Vec<&str> = self.moved.iter().map(String::as_str).collect();
            path.push_str(&format!(" ({})", moved.join("; ")));
        }
        path
    }
}

/// What one matched line means for its sign-in, as the catalog says, refined by context.
/// Borrowed from the catalog where it can be: it is worked out for every line, and kept for
/// few.
struct LineMeaning<'c> {
    phase: Phase,
    fault: Option<Cow<'c, str>>,
    meaning: Cow<'c, str>,
    fix: Option<Cow<'c, str>>,
}

fn meaning_of<'c>(
    ctx: &Ctx<'c>,
    signature: &str,
    phase: Phase,
    fault: Option<&'c str>,
    reading: Option<&str>,
    last_request: Option<Role>,
) -> LineMeaning<'c> {
    let sig = ctx.catalog.get(signature);
    let mut line = LineMeaning {
        phase,
        fault: fault.map(Cow::Borrowed),
        meaning: sig.map_or(Cow::Borrowed(""), |s| Cow::Borrowed(s.meaning.as_str())),
        fix: sig.map(|s| Cow::Borrowed(s.fix.as_str())),
    };
    // A generic line that names a fault says the fault's meaning, with what it read.
    if sig.is_some_and(|s| s.generic.is_some())
        && let Some(id) = fault
    {
        let meaning = crate::faults::meaning_for(id).unwrap_or(id);
        line.meaning = match reading {
            Some(r) => Cow::Owned(format!("{meaning} ({r})")),
            None => Cow::Borrowed(meaning),
        };
        line.fix = crate::faults::fix_for(id).map(Cow::Borrowed);
    }
    // A 403 that answers a voicemail request is the allow list, not the MRA domain.
    if line.fault.as_deref() == Some("provisioning.domain_not_enabled")
        && last_request == Some(Role::VoicemailRequest)
    {
        let id = "voicemail.forbidden";
        line.phase = Phase::Voicemail;
        line.fault = Some(Cow::Borrowed(id));
        line.meaning = Cow::Owned(format!(
            "{} (the 403 answers the client's voicemail request, after its edge configuration was served)",
            crate::faults::meaning_for(id).unwrap_or(id)
        ));
        line.fix = crate::faults::fix_for(id).map(Cow::Borrowed);
    }
    line
}

/// A fault line fails its phase (or sharpens a generic handshake failure) and is evidence.
fn fail_phase(
    ctx: &Ctx<'_>,
    t: &Tagged,
    line: &LineMeaning,
    note: impl FnOnce() -> String,
    state: &mut PhaseState,
) {
    let fault = line.fault.as_deref().expect("a fault line");
    let problem = fault.split_once('.').map(|(_, p)| p.to_string());
    // A generic handshake failure (from the capture or a log) gives way to a line that
    // names the certificate problem.
    let sharper = state.problem.as_deref() == Some("tls_handshake_failed")
        && problem
            .as_deref()
            .is_some_and(|p| p.starts_with("tls_") && p != "tls_handshake_failed");
    if state.status != Status::Failed || sharper {
        let seen = if state.status == Status::Ok || state.hidden() {
            " (the TLS connection in the capture succeeded: the failure is inside it)"
        } else {
            ""
        };
        state.status = Status::Failed;
        state.problem = problem;
        state.summary = format!("{}{seen}", line.meaning);
        state.meaning = Some(line.meaning.to_string());
        state.fix = line.fix.as_deref().map(str::to_string);
    }
    // Log lines first, then what the capture showed of the same phase.
    let from_logs = state.evidence.iter().filter(|e| e.line.is_some()).count();
    if from_logs < MAX_LOG_EVIDENCE {
        state.evidence.insert(from_logs, ctx.evidence(t, note()));
    }
}

/// Lines that are not faults: one finding per signature, however many lines repeat it.
#[derive(Default)]
struct Noted {
    /// (signature, lines, evidence, severity, phase, meaning), in order of first line.
    by_signature: Vec<(String, usize, Vec<Evidence>, Severity, Phase, String)>,
}

impl Noted {
    /// `ev` is made only when kept: most lines of a busy log repeat a signature already
    /// shown often enough.
    fn add(
        &mut self,
        signature: &str,
        ev: impl FnOnce() -> Evidence,
        severity: Severity,
        line: LineMeaning,
    ) {
        match self.by_signature.iter_mut().find(|n| n.0 == signature) {
            Some((_, count, evidence, ..)) => {
                *count += 1;
                if evidence.len() < MAX_LOG_EVIDENCE {
                    evidence.push(ev());
                }
            }
            None => self.by_signature.push((
                signature.to_string(),
                1,
                vec![ev()],
                severity,
                line.phase,
                line.meaning.into_owned(),
            )),
        }
    }

    /// The lines count and evidence of the first signature with this role.
    fn with_role(&self, ctx: &Ctx<'_>, role: Role) -> Option<(usize, &Vec<Evidence>)> {
        self.by_signature
            .iter()
            .find(|n| ctx.catalog.get(&n.0).and_then(|s| s.role) == Some(role))
            .map(|n| (n.1, &n.2))
    }

    fn into_findings(self, findings: &mut Vec<Finding>) {
        for (id, count, evidence, severity, phase, meaning) in self.by_signature {
            let summary = if count > 1 {
                format!("{meaning} ({count} lines)")
            } else {
                meaning
            };
            findings.push(Finding {
                severity,
                id,
                phase,
                summary,
                evidence,
            });
        }
    }
}

pub fn apply(
    ctx: &Ctx<'_>,
    hits: &[&Tagged],
    states: &mut [PhaseState],
    findings: &mut Vec<Finding>,
) {
    let mut noted = Noted::default();
    let ordered = in_time_order(ctx, hits);
    // Specific lines first: a generic reading of the same failure never outranks them.
    let is_generic = |t: &&&Tagged| match &t.event.kind {
        EventKind::LogSignature { signature, .. } => ctx
            .catalog
            .get(signature)
            .is_some_and(|s| s.generic.is_some()),
        _ => false,
    };
    let (generic, specific): (Vec<&&Tagged>, Vec<&&Tagged>) =
        ordered.iter().copied().partition(is_generic);
    // The HTTP request an error answers: the nearest one before it in this sign-in.
    let mut last_request: Option<Role> = None;
    for t in specific.into_iter().chain(generic) {
        let EventKind::LogSignature {
            signature,
            phase,
            fault,
            severity,
            fields,
            ..
        } = &t.event.kind
        else {
            continue;
        };
        // The HTTP requests whose error answers are told apart by what they answer.
        if let Some(r @ (Role::SignInStart | Role::VoicemailRequest)) = t.event.kind.role() {
            last_request = Some(r);
        }
        let line = meaning_of(
            ctx,
            signature,
            *phase,
            fault.as_deref(),
            fields.get("reading"),
            last_request,
        );
        let note = || note_of(signature, fields);
        if *severity == Severity::Fault && line.fault.is_some() {
            let state = &mut states[phase_index(line.phase)];
            fail_phase(ctx, t, &line, note, state);
        } else {
            noted.add(signature, || ctx.evidence(t, note()), *severity, line);
        }
    }
    home_node(ctx, &ordered, &mut states[1]);
    // What did not happen: an edge configuration was fetched, yet no REGISTER reached the
    // Expressway whose log holds that request. (Not when provisioning or XMPP already
    // failed: the client had no reason to register.)
    if let Some((_, evidence)) = noted.with_role(ctx, Role::SignInStart)
        && noted.with_role(ctx, Role::RegisterReceived).is_none()
        && states[1..=3].iter().all(|s| s.status != Status::Failed)
    {
        findings.push(Finding {
            severity: Severity::Warning,
            id: "sip.no_register_after_edge_config".into(),
            phase: Phase::Sip,
            summary: "the client fetched its edge configuration, but no REGISTER reached the Expressway in these logs".into(),
            evidence: evidence.clone(),
        });
    }
    trails(ctx, &ordered, findings);
    ok_from_lines(ctx, &noted, states, findings);
    noted.into_findings(findings);
}

/// `signature (key=value, …)`, or the signature alone when the line gave no fields.
fn note_of(signature: &str, fields: &crate::model::Fields) -> String {
    use std::fmt::Write;
    let mut note = String::from(signature);
    for (i, (k, v)) in fields.iter().enumerate() {
        let _ = write!(note, "{}{k}={v}", if i == 0 { " (" } else { ", " });
    }
    if !fields.is_empty() {
        note.push(')');
    }
    note
}

fn phase_index(phase: Phase) -> usize {
    Phase::ALL
        .iter()
        .position(|p| *p == phase)
        .expect("a phase")
}

/// The home node CUCM named, against the Unified CM servers Expressway-C's dump lists.
fn home_node(ctx: &Ctx<'_>, ordered: &[&&Tagged], provisioning: &mut PhaseState) {
    if provisioning.problem.as_deref() == Some("home_cluster_unknown")
        && let Some(node) = ordered.iter().find_map(|t| match &t.event.kind {
            EventKind::LogSignature {
                fields,
                role: Some(Role::HomeCucmUnknown),
                ..
            } => fields.get("Node"),
            _ => None,
        })
        && let Some((text, evidence)) = super::dumps::home_node_check(ctx, node)
    {
        provisioning.summary.push_str(&text);
        if let Some(meaning) = &mut provisioning.meaning {
            meaning.push_str(&text);
        }
        provisioning.evidence.push(evidence);
    }
}

/// A phase no line failed and no evidence settled is ok on a line that shows it worked: a
/// REGISTER answered 200 (none left unanswered), an edge configuration answered.
fn ok_from_lines(ctx: &Ctx<'_>, noted: &Noted, states: &mut [PhaseState], findings: &[Finding]) {
    let unanswered = findings.iter().any(|f| f.id == "sip.register_unanswered");
    let worked: [(Phase, Role, &str, bool); 2] = [
        (
            Phase::Sip,
            Role::RegisterAccepted,
            "REGISTER accepted (200 OK)",
            !unanswered,
        ),
        (
            Phase::Provisioning,
            Role::EdgeConfigServed,
            "Expressway-C answered get_edge_config with the edge configuration",
            true,
        ),
    ];
    for (phase, role, what, allowed) in worked {
        let i = phase_index(phase);
        if states[i].status == Status::NotObserved
            && allowed
            && let Some((count, evidence)) = noted.with_role(ctx, role)
        {
            let lines = if count > 1 {
                format!(" ({count} lines)")
            } else {
                String::new()
            };
            // The capture's view of the phase (the TLS connection) stays as evidence.
            let seen = std::mem::take(&mut states[i].evidence);
            states[i] = PhaseState::new(Status::Ok, format!("{what}{lines}"));
            states[i].evidence = evidence.clone();
            states[i].evidence.extend(seen);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::note_of;

    #[test]
    fn a_note_lists_the_fields_after_the_signature() {
        let mut fields = std::collections::BTreeMap::new();
        assert_eq!(
            note_of("sip-register-received", &fields.clone().into()),
            "sip-register-received"
        );
        fields.insert("call_id".to_string(), "a@b".to_string());
        fields.insert("aor".to_string(), "sip:u@x".to_string());
        assert_eq!(
            note_of("sip-register-received", &fields.clone().into()),
            "sip-register-received (aor=sip:u@x, call_id=a@b)"
        );
    }
}
