//! How far an Expressway's clock is from the capture's, estimated from connections both saw:
//! a get_edge_config request that Expressway-E logged with the client's source port, matched
//! to the capture's connection from that port. Shown as a finding, never applied: log lines
//! are still placed by their own times.

use super::connection::Connection;
use super::context::Ctx;
use crate::faults::Phase;
use crate::model::Tagged;
use crate::model::{EventKind, Side};
use crate::report::{Finding, Severity};
use std::collections::BTreeMap;

/// A log line and a connection further apart than this are not the same request, whatever
/// the port (ports are reused).
const MAX_SKEW_NS: i64 = 3600 * 1_000_000_000;

/// Requests paired by timing agree to within this (network jitter between the two views).
const TIMING_WINDOW_NS: i64 = 250_000_000;

/// How a log's requests were paired with the capture's connections.
#[derive(Clone, Copy, PartialEq)]
enum Matched {
    /// By the client's source port, which Expressway-E logged.
    Port,
    /// By the spacing of the requests: the port was translated on the way (NAT).
    Timing,
}

/// Per log input.
type ByLog<T> = BTreeMap<usize, Vec<T>>;

/// A logged request paired with the capture's connection: (log minus capture, line, connection).
type Paired<'a, 'c> = (i64, &'a Tagged, &'c Connection<'a>);

/// One finding per Expressway log with matched requests: the median offset, log minus capture.
pub fn offsets<'a>(ctx: &Ctx<'a>, conns: &[&Connection<'a>]) -> Vec<Finding> {
    let (mut pairs, lines) = by_port(ctx, conns);
    let mut how: BTreeMap<usize, Matched> = pairs.keys().map(|&i| (i, Matched::Port)).collect();
    // Logs whose ports match nothing (a NAT translated them): pair by the requests' spacing.
    let edge: Vec<&Connection<'_>> = conns
        .iter()
        .copied()
        .filter(|c| c.server.port == 8443)
        .collect();
    for (input, logged) in &lines {
        if pairs.contains_key(input) || edge.is_empty() {
            continue;
        }
        if let Some(found) = by_timing(logged, &edge) {
            pairs.insert(*input, found);
            how.insert(*input, Matched::Timing);
        }
    }
    pairs
        .into_iter()
        .map(|(input, found)| offset_finding(ctx, input, found, how[&input]))
        .collect()
}

/// Per log input, the requests paired by the client's source port Expressway-E logged, and
/// every request line with a time.
fn by_port<'a, 'c>(
    ctx: &Ctx<'a>,
    conns: &[&'c Connection<'a>],
) -> (ByLog<Paired<'a, 'c>>, ByLog<&'a Tagged>) {
    let mut pairs: BTreeMap<usize, Vec<Paired<'a, 'c>>> = BTreeMap::new();
    let mut lines: BTreeMap<usize, Vec<&Tagged>> = BTreeMap::new();
    for &line in &ctx.edge_requests {
        let EventKind::LogSignature { fields, .. } = &line.event.kind else {
            continue;
        };
        if line.event.ts == crate::time::UNKNOWN {
            continue;
        }
        lines.entry(line.input).or_default().push(line);
        let Some(port) = fields.get("Src-port").and_then(|p| p.parse::<u16>().ok()) else {
            continue;
        };
        let matched: Vec<&Connection<'_>> = conns
            .iter()
            .copied()
            .filter(|c| c.client.port == port)
            .filter(|c| (line.event.ts - request_of(c).event.ts).abs() < MAX_SKEW_NS)
            .collect();
        // Two connections from the same port within the hour: not one request to pair.
        if let [conn] = matched[..] {
            pairs.entry(line.input).or_default().push((
                line.event.ts - request_of(conn).event.ts,
                line,
                conn,
            ));
        }
    }
    (pairs, lines)
}

/// A log's requests paired with the capture's connections to 8443 by their spacing.
fn by_timing<'a, 'c>(
    logged: &[&'a Tagged],
    edge: &[&'c Connection<'a>],
) -> Option<Vec<Paired<'a, 'c>>> {
    let log_marks: Vec<((), i64)> = logged.iter().map(|t| ((), t.event.ts)).collect();
    let capture_marks: Vec<((), i64)> = edge.iter().map(|c| ((), request_of(c).event.ts)).collect();
    let chosen = crate::align::agreeing_pairs(
        &log_marks,
        &capture_marks,
        TIMING_WINDOW_NS,
        -MAX_SKEW_NS..=MAX_SKEW_NS,
    );
    // One request on each side pairs by time alone; more must agree on their spacing.
    let alone = logged.len() == 1 && edge.len() == 1;
    (chosen.len() >= 2 || (chosen.len() == 1 && alone)).then(|| {
        chosen
            .into_iter()
            .map(|(l, c, delta)| (delta, logged[l], edge[c]))
            .collect()
    })
}

fn offset_finding(
    ctx: &Ctx<'_>,
    input: usize,
    mut found: Vec<Paired<'_, '_>>,
    matched: Matched,
) -> Finding {
    found.sort_by_key(|(offset, ..)| *offset);
    let median = found[found.len() / 2].0;
    let host = found
        .iter()
        .find_map(|(_, line, _)| match &line.event.kind {
            EventKind::LogSignature { host, .. } => host.clone(),
            _ => None,
        });
    let who = host.unwrap_or_else(|| ctx.inputs[input].clone());
    found.sort_by_key(|(_, line, _)| line.event.ts);
    let evidence = found
        .iter()
        .take(3)
        .flat_map(|(offset, line, conn)| {
            [
                ctx.evidence(request_of(conn), "the client's request, in the capture"),
                ctx.evidence(
                    line,
                    format!(
                        "the same request in {who}'s log, {} from the capture",
                        crate::time::signed_secs(*offset)
                    ),
                ),
            ]
        })
        .collect();
    let n = found.len();
    let plural = if n == 1 { "" } else { "s" };
    let how = match matched {
        Matched::Port => {
            format!("{n} get_edge_config request{plural} matched by the client's port")
        }
        Matched::Timing => {
            let seen_as = found.first().and_then(|(_, line, conn)| {
                let EventKind::LogSignature { fields, .. } = &line.event.kind else {
                    return None;
                };
                Some(format!(
                    ", {} reached it as {}:{}",
                    conn.client,
                    fields.get("Src-ip")?,
                    fields.get("Src-port")?
                ))
            });
            format!(
                "{n} get_edge_config request{plural} matched by {}: the client's address was translated on the way{}",
                if n == 1 {
                    "time alone"
                } else {
                    "their spacing"
                },
                seen_as.unwrap_or_default()
            )
        }
    };
    Finding {
        severity: Severity::Info,
        id: "clock.offset".into(),
        phase: Phase::Provisioning,
        summary: format!(
            "{who}'s log runs {} from the capture's clock ({how}); log times are shown as logged, not corrected",
            crate::time::signed_secs(median),
        ),
        evidence,
    }
}

/// A request both Expressways logged: C's time minus E's, E's line, C's line.
type BothLogged<'a> = (i64, &'a Tagged, &'a Tagged);

/// How far Expressway-C's log runs from Expressway-E's, from the SIP requests (REGISTER,
/// SERVICE) both logged under one Call-ID: C's first sight of each minus E's, the forwarding
/// time included. Shown, never applied.
pub fn between_logs(ctx: &Ctx<'_>, hits: &[&Tagged]) -> Vec<Finding> {
    let seen = first_sight(ctx, hits);
    let name = |t: &Tagged| match &t.event.kind {
        EventKind::LogSignature {
            host: Some(host), ..
        } => host.clone(),
        _ => ctx.inputs[t.input].clone(),
    };
    // Per pair of boxes (a cluster has several of each): the requests both logged.
    let mut by_boxes: BTreeMap<(String, String), Vec<BothLogged<'_>>> = BTreeMap::new();
    for &(e, c) in seen.values() {
        if let (Some(e), Some(c)) = (e, c)
            && (c.event.ts - e.event.ts).abs() < MAX_SKEW_NS
        {
            by_boxes
                .entry((name(e), name(c)))
                .or_default()
                .push((c.event.ts - e.event.ts, e, c));
        }
    }
    by_boxes
        .into_iter()
        .map(|((e_name, c_name), pairs)| boxes_finding(ctx, &e_name, &c_name, pairs))
        .collect()
}

/// Per Call-ID, the first request line Expressway-E and Expressway-C each logged (UTC times).
fn first_sight<'a>(
    ctx: &Ctx<'_>,
    hits: &[&'a Tagged],
) -> BTreeMap<&'a str, (Option<&'a Tagged>, Option<&'a Tagged>)> {
    use crate::report::Party;
    let mut seen: BTreeMap<&str, (Option<&Tagged>, Option<&Tagged>)> = BTreeMap::new();
    for &t in hits {
        let EventKind::LogSignature {
            fields,
            host,
            time_basis,
            ..
        } = &t.event.kind
        else {
            continue;
        };
        if t.event
            .kind
            .role()
            .and_then(crate::model::Role::trail)
            .is_none()
            || !time_basis.is_utc()
        {
            continue;
        }
        let step = super::logs::trail_step(t.event.kind.role(), fields);
        let (Some(call_id), true) = (fields.get("call_id"), step == "received" || step == "sent")
        else {
            continue;
        };
        let entry = seen.entry(call_id).or_default();
        let slot = match ctx.roles.of(&ctx.inputs[t.input], host.as_deref()) {
            Party::ExpresswayE => &mut entry.0,
            Party::ExpresswayC => &mut entry.1,
            _ => continue,
        };
        if slot.is_none_or(|s| s.event.ts > t.event.ts) {
            *slot = Some(t);
        }
    }
    seen
}

fn boxes_finding(
    ctx: &Ctx<'_>,
    e_name: &str,
    c_name: &str,
    mut pairs: Vec<BothLogged<'_>>,
) -> Finding {
    pairs.sort_by_key(|(delta, ..)| *delta);
    let median = pairs[pairs.len() / 2].0;
    let n = pairs.len();
    pairs.sort_by_key(|(_, e, _)| e.event.ts);
    let evidence = pairs
        .iter()
        .take(2)
        .flat_map(|(delta, e, c)| {
            [
                ctx.evidence(e, format!("{e_name} (Expressway-E) logs the request")),
                ctx.evidence(
                    c,
                    format!(
                        "{c_name} (Expressway-C) logs it {}",
                        crate::time::signed_secs(*delta)
                    ),
                ),
            ]
        })
        .collect();
    Finding {
        severity: Severity::Info,
        id: "clock.between_logs".into(),
        phase: Phase::Sip,
        summary: format!(
            "{c_name}'s log runs {} from {e_name}'s ({n} SIP request{} both logged under one Call-ID, E's forwarding time included); log times are shown as logged, not corrected",
            crate::time::signed_secs(median),
            if n == 1 { "" } else { "s" }
        ),
        evidence,
    }
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
