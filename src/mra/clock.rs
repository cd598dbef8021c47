//! How far an Expressway's clock is from the capture's, estimated from connections both saw:
//! a get_edge_config request that Expressway-E logged with the client's source port, matched
//! to the capture's connection from that port. Shown as a finding, never applied: log lines
//! are still placed by their own times.

use super::connection::Connection;
use super::{Ctx, Tagged};
use crate::faults::Phase;
use crate::model::{EventKind, Side};
use crate::report::{Finding, Severity};
use std::collections::BTreeMap;

/// A log line and a connection further apart than this are not the same request, whatever
/// the port (ports are reused).
const MAX_SKEW_NS: i64 = 3600 * 1_000_000_000;

/// One finding per Expressway log with matched requests: the median offset, log minus capture.
pub fn offsets(ctx: &Ctx<'_>, conns: &[&Connection<'_>]) -> Vec<Finding> {
    // Per log input: (offset, the line, the connection's request event).
    let mut pairs: BTreeMap<usize, Vec<(i64, &Tagged, &Tagged)>> = BTreeMap::new();
    for &line in &ctx.edge_requests {
        let EventKind::LogSignature { fields, .. } = &line.event.kind else {
            continue;
        };
        if line.event.ts == crate::time::UNKNOWN {
            continue;
        }
        let Some(port) = fields.get("Src-port").and_then(|p| p.parse::<u16>().ok()) else {
            continue;
        };
        let matched: Vec<&Tagged> = conns
            .iter()
            .filter(|c| c.client.port == port)
            .map(|c| request_of(c))
            .filter(|r| (line.event.ts - r.event.ts).abs() < MAX_SKEW_NS)
            .collect();
        // Two connections from the same port within the hour: not one request to pair.
        if let [request] = matched[..] {
            pairs.entry(line.input).or_default().push((
                line.event.ts - request.event.ts,
                line,
                request,
            ));
        }
    }
    pairs
        .into_iter()
        .map(|(input, mut found)| {
            found.sort_by_key(|(offset, ..)| *offset);
            let median = found[found.len() / 2].0;
            let host = found.iter().find_map(|(_, line, _)| match &line.event.kind {
                EventKind::LogSignature { host, .. } => host.clone(),
                _ => None,
            });
            let who = host.unwrap_or_else(|| ctx.inputs[input].clone());
            let evidence = found
                .iter()
                .take(3)
                .flat_map(|(offset, line, request)| {
                    [
                        ctx.evidence(request, "the client's request, in the capture"),
                        ctx.evidence(
                            line,
                            format!(
                                "the same request in {who}'s log, {} from the capture",
                                signed_secs(*offset)
                            ),
                        ),
                    ]
                })
                .collect();
            Finding {
                severity: Severity::Info,
                id: "clock.offset".into(),
                phase: Phase::Provisioning,
                summary: format!(
                    "{who}'s log runs {} from the capture's clock ({} get_edge_config request{} matched by the client's port); log times are shown as logged, not corrected",
                    signed_secs(median),
                    found.len(),
                    if found.len() == 1 { "" } else { "s" }
                ),
                evidence,
            }
        })
        .collect()
}

/// When the client sent its request: its first encrypted record, else the end of the
/// handshake, else the connection's start.
fn request_of<'a>(c: &Connection<'a>) -> &'a Tagged {
    c.events
        .iter()
        .copied()
        .find(|t| {
            matches!(
                t.event.kind,
                EventKind::TlsApplicationData {
                    from: Side::Client,
                    ..
                }
            )
        })
        .or_else(|| {
            c.events
                .iter()
                .copied()
                .find(|t| matches!(t.event.kind, EventKind::TlsHandshakeDone { .. }))
        })
        .unwrap_or(c.summary)
}

/// `+3.214 s`, `-0.050 s`.
fn signed_secs(ns: i64) -> String {
    let sign = if ns < 0 { '-' } else { '+' };
    let abs = ns.unsigned_abs();
    format!(
        "{sign}{}.{:03} s",
        abs / 1_000_000_000,
        abs % 1_000_000_000 / 1_000_000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_read_with_their_sign() {
        assert_eq!(signed_secs(3_214_000_000), "+3.214 s");
        assert_eq!(signed_secs(-50_000_000), "-0.050 s");
        assert_eq!(signed_secs(0), "+0.000 s");
    }
}
