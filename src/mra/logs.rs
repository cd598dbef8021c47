//! Log signatures into phases: a fault line decides its phase (the logs see inside the TLS
//! the capture cannot read); warnings and notes become findings. Also the log-only session,
//! when no capture shows the sign-in.

use super::context::Ctx;
use super::context::PhaseState;
use crate::faults::Phase;
use crate::model::Tagged;
use crate::model::{EventKind, Role};
use crate::report::{Finding, Severity, Status};

/// Evidence lines kept per phase from logs.
const MAX_LOG_EVIDENCE: usize = 4;
/// A log line belongs to a capture's attempt when within this margin of it (clock skew).
pub const MARGIN_NS: i64 = 120 * 1_000_000_000;

pub fn is_hit(t: &Tagged) -> bool {
    matches!(t.event.kind, EventKind::LogSignature { .. })
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
pub(super) fn trail_step(
    role: Option<Role>,
    fields: &std::collections::BTreeMap<String, String>,
) -> String {
    let code = fields.get("code").map(String::as_str);
    let sending = fields.get("action").map(String::as_str) == Some("Sending");
    match (role, code) {
        (Some(Role::RegisterReceived), _) => "received".into(),
        (Some(Role::RegisterAccepted), _) => "answered 200".into(),
        (_, None) if sending => "sent".into(),
        (_, None) if fields.contains_key("action") => "received".into(),
        (_, None) => "answered an error".into(),
        (_, Some(code)) if fields.contains_key("action") && !sending => format!("got {code}"),
        (_, Some(code)) => format!("answered {code}"),
    }
}

/// REGISTERs and SERVICEs followed by Call-ID through every Expressway whose log holds them
/// (E, then C, then the answers back): one note per Call-ID with its path and final
/// response, and a warning for one that was received but never answered in these logs.
fn trails(ctx: &Ctx<'_>, hits: &[&Tagged], findings: &mut Vec<Finding>) {
    const SHOWN: usize = 20;
    let mut ordered: Vec<&&Tagged> = hits.iter().collect();
    ordered.sort_by_key(|t| (t.event.ts, t.input));
    for traced in &TRACED {
        let mut trails: std::collections::BTreeMap<&str, Vec<&Tagged>> = Default::default();
        let mut order: Vec<&str> = Vec::new();
        for t in &ordered {
            let EventKind::LogSignature { fields, role, .. } = &t.event.kind else {
                continue;
            };
            if role.and_then(Role::trail) != Some(traced.method) {
                continue;
            }
            if let Some(id) = fields.get("call_id") {
                if !trails.contains_key(id.as_str()) {
                    order.push(id);
                }
                trails.entry(id).or_default().push(t);
            }
        }
        for (n, call_id) in order.iter().enumerate() {
            let steps = &trails[call_id];
            let mut aor = None;
            let mut answered = None;
            // Each hop once, in order of its first time, with how often it recurs (a
            // registration refreshed for hours is one trail, not hundreds of steps).
            let mut hops: Vec<(String, usize, i64, i64)> = Vec::new();
            let mut labels: Vec<String> = Vec::new();
            for t in steps {
                let EventKind::LogSignature { fields, host, .. } = &t.event.kind else {
                    unreachable!("only log lines are kept")
                };
                aor = aor.or(fields.get("aor"));
                let what = trail_step(t.event.kind.role(), fields);
                if what.starts_with("answered") || what.starts_with("got") {
                    answered = Some(what.clone());
                }
                let hop = format!("{} {what}", host.as_deref().unwrap_or("?"));
                let ts = t.event.ts;
                labels.push(format!("{hop} at {}", crate::time::format_clock_ms(ts)));
                match hops.iter_mut().find(|(h, ..)| *h == hop) {
                    Some((_, n, _, last)) => {
                        *n += 1;
                        *last = ts;
                    }
                    None => hops.push((hop, 1, ts, ts)),
                }
            }
            let path: Vec<String> = hops
                .iter()
                .map(|(hop, n, first, last)| match n {
                    1 => format!("{hop} at {}", crate::time::format_clock_ms(*first)),
                    n => format!(
                        "{hop} ×{n} ({}–{})",
                        crate::time::format_clock_ms(*first),
                        crate::time::format_clock_ms(*last)
                    ),
                })
                .collect();
            let aor = aor.map_or(String::new(), |a| format!(", {a}"));
            let evidence = steps
                .iter()
                .zip(&labels)
                .take(6)
                .map(|(t, step)| ctx.evidence(t, step.clone()))
                .collect();
            let method = traced.method;
            match answered {
                None => findings.push(Finding {
                    severity: Severity::Warning,
                    id: traced.unanswered.into(),
                    phase: Phase::Sip,
                    summary: format!(
                        "{method} {call_id}{aor}: {}, and no final response in these logs (CUCM or the next hop never answered, or the logs end first)",
                        path.join(" → ")
                    ),
                    evidence,
                }),
                Some(_) if n < SHOWN => findings.push(Finding {
                    severity: Severity::Info,
                    id: traced.trail.into(),
                    phase: Phase::Sip,
                    summary: format!("{method} {call_id}{aor}: {}", path.join(" → ")),
                    evidence,
                }),
                Some(_) => {}
            }
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

pub fn apply(
    ctx: &Ctx<'_>,
    hits: &[&Tagged],
    states: &mut [PhaseState],
    findings: &mut Vec<Finding>,
) {
    let mut noted: Vec<(String, usize, Vec<crate::report::Evidence>)> = Vec::new();
    let mut meanings: Vec<(String, Severity, Phase, String)> = Vec::new();
    let mut ordered: Vec<&&Tagged> = hits.iter().collect();
    ordered.sort_by_key(|t| (t.event.ts, t.input));
    // The HTTP request an error answers: the nearest one before it in this sign-in.
    let mut last_request: Option<Role> = None;
    for t in &ordered {
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
        let sig = ctx.catalog.get(signature);
        let mut meaning = sig.map_or(String::new(), |s| s.meaning.clone());
        let mut fix = sig.map(|s| s.fix.clone());
        let (mut phase, mut fault) = (*phase, fault.clone());
        // A 403 that answers a voicemail request is the allow list, not the MRA domain.
        if fault.as_deref() == Some("provisioning.domain_not_enabled")
            && last_request == Some(Role::VoicemailRequest)
        {
            let id = "voicemail.forbidden";
            (phase, fault) = (Phase::Voicemail, Some(id.to_string()));
            meaning = format!(
                "{} (the 403 answers the client's voicemail request, after its edge configuration was served)",
                crate::faults::meaning_for(id).unwrap_or(id)
            );
            fix = crate::faults::fix_for(id).map(str::to_string);
        }
        let (phase, fault) = (&phase, &fault);
        let details: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let note = if details.is_empty() {
            signature.clone()
        } else {
            format!("{signature} ({})", details.join(", "))
        };
        let state = &mut states[Phase::ALL.iter().position(|p| p == phase).expect("a phase")];
        match (severity, fault) {
            (Severity::Fault, Some(fault)) => {
                let problem = fault.split_once('.').map(|(_, p)| p.to_string());
                // A generic handshake failure (from the capture or a log) gives way to a
                // line that names the certificate problem.
                let sharper = state.problem.as_deref() == Some("tls_handshake_failed")
                    && problem
                        .as_deref()
                        .is_some_and(|p| p.starts_with("tls_") && p != "tls_handshake_failed");
                if state.status != Status::Failed || sharper {
                    let seen = if state.status == Status::Ok {
                        " (the TLS connection in the capture succeeded: the failure is inside it)"
                    } else {
                        ""
                    };
                    state.status = Status::Failed;
                    state.problem = problem;
                    state.summary = format!("{meaning}{seen}");
                    state.meaning = Some(meaning.clone());
                    state.fix = fix.clone();
                }
                // Log lines first, then what the capture showed of the same phase.
                let from_logs = state.evidence.iter().filter(|e| e.line.is_some()).count();
                if from_logs < MAX_LOG_EVIDENCE {
                    state.evidence.insert(from_logs, ctx.evidence(t, note));
                }
            }
            _ => {
                // One finding per signature, however many lines repeat it.
                let ev = ctx.evidence(t, note);
                match noted.iter_mut().find(|(id, ..)| id == signature) {
                    Some((_, count, evidence)) => {
                        *count += 1;
                        if evidence.len() < MAX_LOG_EVIDENCE {
                            evidence.push(ev);
                        }
                    }
                    None => noted.push((signature.clone(), 1, vec![ev])),
                }
                if !meanings.iter().any(|(id, ..)| id == signature) {
                    meanings.push((signature.clone(), *severity, *phase, meaning));
                }
            }
        }
    }
    // The home node CUCM named, against the Unified CM servers Expressway-C's dump lists.
    let provisioning = &mut states[1];
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
    // What did not happen: an edge configuration was fetched, yet no REGISTER reached the
    // Expressway whose log holds that request.
    let role_of = |id: &str| ctx.catalog.get(id).and_then(|s| s.role);
    let noted_as = |role: Role| noted.iter().find(|(n, ..)| role_of(n) == Some(role));
    // (Not when provisioning or XMPP already failed: the client had no reason to register.)
    if let Some((_, _, evidence)) = noted_as(Role::SignInStart)
        && noted_as(Role::RegisterReceived).is_none()
        && states[1..=3].iter().all(|s| s.status != Status::Failed)
    {
        let evidence = evidence.clone();
        findings.push(Finding {
            severity: Severity::Warning,
            id: "sip.no_register_after_edge_config".into(),
            phase: Phase::Sip,
            summary: "the client fetched its edge configuration, but no REGISTER reached the Expressway in these logs".into(),
            evidence,
        });
    }
    trails(ctx, hits, findings);
    // A phase no line failed and no evidence settled is ok on a line that shows it worked: a
    // REGISTER answered 200 (none left unanswered), an edge configuration answered.
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
        let i = Phase::ALL
            .iter()
            .position(|p| *p == phase)
            .expect("a phase");
        if states[i].status == Status::NotObserved
            && allowed
            && let Some((_, count, evidence)) = noted_as(role)
        {
            let lines = if *count > 1 {
                format!(" ({count} lines)")
            } else {
                String::new()
            };
            states[i] = PhaseState::new(Status::Ok, format!("{what}{lines}"));
            states[i].evidence = evidence.clone();
        }
    }
    for ((id, count, evidence), (_, severity, phase, meaning)) in noted.into_iter().zip(meanings) {
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
