//! How far an Expressway's clock is from the capture's, estimated from connections both saw:
//! a get_edge_config request that Expressway-E logged with the client's source port, matched
//! to the capture's connection from that port; and how far Expressway-C's is from
//! Expressway-E's, from SIP requests both logged. Said as findings; an offset of a second or
//! more is also applied on the ladder ([`Shifts`]), which draws every step on one clock.
//! Evidence keeps the times as logged.

use super::connection::Connection;
use super::context::Ctx;
use crate::align::CHANCE;
use crate::faults::Phase;
use crate::model::Tagged;
use crate::model::{EventKind, Side};
use crate::report::{Finding, Severity};
use std::collections::{BTreeMap, HashMap};

/// A log line and a connection further apart than this are not the same request, whatever
/// the port (ports are reused).
const MAX_SKEW_NS: i64 = 3600 * 1_000_000_000;

/// Requests paired by timing agree to within this (network jitter between the two views).
const TIMING_WINDOW_NS: i64 = 250_000_000;

/// Offsets under this are what the network's delay and E's forwarding explain: the ladder
/// draws those lines as logged.
const APPLIED_FROM_NS: i64 = 1_000_000_000;

/// What the ladder adds to a log line's time to draw it on one clock: the capture's, else
/// Expressway-E's log's. Every estimate is kept; only those of a second or more are applied.
#[derive(Clone, Debug, Default)]
pub(crate) struct Shifts {
    /// The ladder's clock is a capture's (else Expressway-E's log's).
    capture: bool,
    /// Per log input matched to the capture: capture minus log.
    by_input: BTreeMap<usize, i64>,
    /// Per Expressway-C (its host name, else its input's name): E minus C, E's input and name.
    by_box: BTreeMap<String, (i64, usize, String)>,
}

/// One log line's correction, and onto which clock.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Shift {
    pub ns: i64,
    /// Whose log (its host name, else its input's name).
    pub who: String,
    pub onto: String,
    /// `onto` is the capture's clock.
    pub onto_capture: bool,
}

impl Shifts {
    /// The correction the ladder applies to this event: a log line of a log matched to the
    /// capture, or of an Expressway-C matched to Expressway-E (then with E's correction
    /// too, when E has one); none under a second.
    pub(crate) fn of(&self, ctx: &Ctx<'_>, t: &Tagged) -> Option<Shift> {
        self.estimate(ctx, t)
            .filter(|s| s.ns.abs() >= APPLIED_FROM_NS)
    }

    /// The ladder's clock is a capture's.
    pub(crate) fn capture(&self) -> bool {
        self.capture
    }

    /// Whether the inputs tell how far this log line's clock runs from the ladder's (an
    /// estimate, or it is the clock the others are drawn on).
    pub(crate) fn known(&self, ctx: &Ctx<'_>, t: &Tagged) -> bool {
        match self.estimate(ctx, t) {
            Some(shift) => shift.onto_capture || !self.capture,
            None => {
                let who = box_name(ctx, t);
                !self.capture && self.by_box.values().any(|(.., e)| *e == who)
            }
        }
    }

    fn estimate(&self, ctx: &Ctx<'_>, t: &Tagged) -> Option<Shift> {
        // Usually nothing to correct: no name is built for each of a bundle's lines then.
        if (self.by_input.is_empty() && self.by_box.is_empty())
            || !matches!(t.event.kind, EventKind::LogSignature { .. })
            || t.event.ts == crate::time::UNKNOWN
        {
            return None;
        }
        let who = box_name(ctx, t);
        if let Some(&ns) = self.by_input.get(&t.input) {
            return Some(Shift {
                ns,
                who,
                onto: "the capture's clock".into(),
                onto_capture: true,
            });
        }
        let (c_to_e, e_input, e_name) = self.by_box.get(&who)?;
        Some(match self.by_input.get(e_input) {
            Some(&e_to_capture) => Shift {
                ns: c_to_e + e_to_capture,
                who,
                onto: format!("the capture's clock (through {e_name}'s)"),
                onto_capture: true,
            },
            None => Shift {
                ns: *c_to_e,
                who,
                onto: format!("{e_name}'s clock"),
                onto_capture: false,
            },
        })
    }

    /// These and the other's, this one's winning where both correct the same log.
    pub(crate) fn with(&self, other: &Shifts) -> Shifts {
        let mut all = other.clone();
        all.capture |= self.capture;
        all.by_input.extend(&self.by_input);
        all.by_box.extend(self.by_box.clone());
        all
    }
}

/// A log line's box: its host name, else its input's name.
pub(crate) fn box_name(ctx: &Ctx<'_>, t: &Tagged) -> String {
    box_name_of(ctx, t).to_string()
}

/// [`box_name`] borrowed from the line or the inputs.
fn box_name_of<'a>(ctx: &'a Ctx<'_>, t: &'a Tagged) -> &'a str {
    match &t.event.kind {
        EventKind::LogSignature {
            host: Some(host), ..
        } => host,
        _ => &ctx.inputs[t.input],
    }
}

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

/// The get_edge_config requests Expressway logged with a time, indexed by time and by the
/// client port logged: an attempt reads only the lines of its connections' ports and the
/// hours around them, not every line of a bundle (a busy capture beside a day's bundle
/// compared every attempt with every line).
pub(crate) struct EdgeRequests<'a> {
    /// In the events' order.
    lines: Vec<&'a Tagged>,
    /// (time, position in `lines`), sorted.
    by_time: Vec<(i64, usize)>,
    /// Per client port logged (`Src-port`), its lines as (time, position), sorted.
    by_port: HashMap<u16, Vec<(i64, usize)>>,
    /// Per log input, how many it logged: one request alone on each side pairs by time.
    per_input: BTreeMap<usize, usize>,
}

impl<'a> EdgeRequests<'a> {
    pub(crate) fn new(events: &'a [Tagged]) -> Self {
        let lines: Vec<&Tagged> = events
            .iter()
            .filter(|t| t.event.kind.role() == Some(crate::model::Role::SignInStart))
            .filter(|t| {
                matches!(t.event.kind, EventKind::LogSignature { .. })
                    && t.event.ts != crate::time::UNKNOWN
            })
            .collect();
        let mut by_time: Vec<(i64, usize)> = Vec::with_capacity(lines.len());
        let mut by_port: HashMap<u16, Vec<(i64, usize)>> = HashMap::new();
        let mut per_input = BTreeMap::new();
        for (i, t) in lines.iter().enumerate() {
            by_time.push((t.event.ts, i));
            *per_input.entry(t.input).or_default() += 1;
            if let EventKind::LogSignature { fields, .. } = &t.event.kind
                && let Some(port) = fields.get("Src-port").and_then(|p| p.parse::<u16>().ok())
            {
                by_port.entry(port).or_default().push((t.event.ts, i));
            }
        }
        by_time.sort_unstable();
        for marks in by_port.values_mut() {
            marks.sort_unstable();
        }
        EdgeRequests {
            lines,
            by_time,
            by_port,
            per_input,
        }
    }

    /// Per log input, how many lines are timed from `lo` to `hi`.
    fn count_between(&self, lo: i64, hi: i64) -> BTreeMap<usize, usize> {
        let first = self.by_time.partition_point(|&(t, _)| t < lo);
        let last = self.by_time.partition_point(|&(t, _)| t <= hi);
        let mut counts = BTreeMap::new();
        for &(_, i) in &self.by_time[first..last] {
            *counts.entry(self.lines[i].input).or_default() += 1;
        }
        counts
    }

    /// The lines timed from `lo` to `hi`, in the events' order.
    fn between(&self, lo: i64, hi: i64) -> Vec<&'a Tagged> {
        let first = self.by_time.partition_point(|&(t, _)| t < lo);
        let last = self.by_time.partition_point(|&(t, _)| t <= hi);
        let mut at: Vec<usize> = self.by_time[first..last].iter().map(|&(_, i)| i).collect();
        at.sort_unstable();
        at.into_iter().map(|i| self.lines[i]).collect()
    }
}

/// One finding per Expressway log with matched requests: the median offset, log minus
/// capture; and the corrections the ladder applies.
pub fn offsets<'a>(ctx: &Ctx<'a>, conns: &[&Connection<'a>]) -> (Vec<Finding>, Shifts) {
    let mut shifts = Shifts {
        capture: true,
        ..Shifts::default()
    };
    // Each connection's request time, found once.
    let requests: Vec<(i64, &Connection<'a>)> =
        conns.iter().map(|&c| (request_of(c).event.ts, c)).collect();
    let mut pairs = by_port(&ctx.edge_requests, &requests);
    if let (false, Some(earliest), Some(latest)) = (
        pairs.is_empty(),
        requests.iter().map(|r| r.0).min(),
        requests.iter().map(|r| r.0).max(),
    ) {
        let near = ctx.edge_requests.count_between(
            earliest.saturating_sub(MAX_SKEW_NS),
            latest.saturating_add(MAX_SKEW_NS),
        );
        pairs.retain(|input, found| {
            ports_tell(found, near.get(input).copied().unwrap_or(0), requests.len())
        });
    }
    let mut how: BTreeMap<usize, Matched> = pairs.keys().map(|&i| (i, Matched::Port)).collect();
    // Logs whose ports match nothing (a NAT translated them): pair by the requests' spacing,
    // with the lines of the hours around them (no line pairs further than the skew).
    let edge: Vec<(i64, &Connection<'_>)> = requests
        .iter()
        .copied()
        .filter(|(_, c)| c.server.port == 8443)
        .collect();
    let (Some(earliest), Some(latest)) = (
        edge.iter().map(|r| r.0).min(),
        edge.iter().map(|r| r.0).max(),
    ) else {
        return (findings(ctx, pairs, &how, &mut shifts), shifts);
    };
    let mut lines: ByLog<&Tagged> = BTreeMap::new();
    for line in ctx.edge_requests.between(
        earliest.saturating_sub(MAX_SKEW_NS),
        latest.saturating_add(MAX_SKEW_NS),
    ) {
        lines.entry(line.input).or_default().push(line);
    }
    for (input, logged) in &lines {
        if pairs.contains_key(input) {
            continue;
        }
        let alone = ctx.edge_requests.per_input[input] == 1 && edge.len() == 1;
        if let Some(found) = by_timing(logged, &edge, alone) {
            pairs.insert(*input, found);
            how.insert(*input, Matched::Timing);
        }
    }
    (findings(ctx, pairs, &how, &mut shifts), shifts)
}

/// A finding per log paired, its offset kept for the ladder.
fn findings(
    ctx: &Ctx<'_>,
    pairs: ByLog<Paired<'_, '_>>,
    how: &BTreeMap<usize, Matched>,
    shifts: &mut Shifts,
) -> Vec<Finding> {
    pairs
        .into_iter()
        .map(|(input, found)| {
            let (finding, median) = offset_finding(ctx, input, found, how[&input]);
            shifts.by_input.insert(input, -median);
            finding
        })
        .collect()
}

/// What a clock finding says of the ladder.
fn on_the_ladder(offset: i64, onto: &str) -> String {
    if offset.abs() >= APPLIED_FROM_NS {
        format!(
            "the ladder draws its lines {} onto {onto}; evidence keeps the logged times",
            crate::time::signed_secs(-offset)
        )
    } else {
        "under a second: the ladder draws its lines as logged".into()
    }
}

/// Per log input, the requests paired by the client's source port Expressway-E logged, in
/// the events' order: a line pairs with the one connection from its port within the skew.
fn by_port<'a, 'c>(
    logged: &EdgeRequests<'a>,
    requests: &[(i64, &'c Connection<'a>)],
) -> ByLog<Paired<'a, 'c>> {
    // (line, request) for every line from a request's port within the skew of it.
    let mut near: Vec<(usize, usize)> = Vec::new();
    for (r, &(ts, c)) in requests.iter().enumerate() {
        let Some(marks) = logged.by_port.get(&c.client.port) else {
            continue;
        };
        let first = marks.partition_point(|&(t, _)| t <= ts - MAX_SKEW_NS);
        near.extend(
            marks[first..]
                .iter()
                .take_while(|&&(t, _)| t < ts + MAX_SKEW_NS)
                .map(|&(_, l)| (l, r)),
        );
    }
    near.sort_unstable();
    let mut pairs: ByLog<Paired<'a, 'c>> = BTreeMap::new();
    // Two connections from the same port within the hour: not one request to pair.
    for same_line in near.chunk_by(|a, b| a.0 == b.0) {
        if let [(l, r)] = same_line {
            let (line, (ts, conn)) = (logged.lines[*l], requests[*r]);
            pairs
                .entry(line.input)
                .or_default()
                .push((line.event.ts - ts, line, conn));
        }
    }
    pairs
}

/// A log's requests paired with the capture's connections to 8443 by their spacing; `alone`:
/// the log and the capture hold one request each, which pair by time alone. `logged` are the
/// log's requests in the hours around the capture's.
fn by_timing<'a, 'c>(
    logged: &[&'a Tagged],
    edge: &[(i64, &'c Connection<'a>)],
    alone: bool,
) -> Option<Vec<Paired<'a, 'c>>> {
    let times = logged.iter().map(|t| t.event.ts);
    let spread = times.clone().max().unwrap_or(0) - times.min().unwrap_or(0);
    let telling = |agreeing: usize| {
        crate::align::chance_agreeing(logged.len(), spread, edge.len(), agreeing, TIMING_WINDOW_NS)
            < CHANCE
    };
    // A busy log's requests agree with any spacing somewhere in the hours around it: when
    // even all of the capture's agreeing would not tell, they are not compared.
    if !alone && !telling(edge.len()) {
        return None;
    }
    let log_marks: Vec<((), i64)> = logged.iter().map(|t| ((), t.event.ts)).collect();
    let capture_marks: Vec<((), i64)> = edge.iter().map(|&(ts, _)| ((), ts)).collect();
    let chosen = crate::align::agreeing_pairs(
        &log_marks,
        &capture_marks,
        TIMING_WINDOW_NS,
        -MAX_SKEW_NS..=MAX_SKEW_NS,
    );
    // More than one of the capture's requests must agree on their spacing, and more than
    // chance would.
    let agreeing = crate::align::capture_marks_agreeing(&chosen);
    let paired = (agreeing >= 2 && telling(agreeing)) || (chosen.len() == 1 && alone);
    paired.then(|| {
        chosen
            .into_iter()
            .map(|(l, c, delta)| (delta, logged[l], edge[c].1))
            .collect()
    })
}

/// Whether a log's requests paired by port tell its clock: yes when another client's request
/// from one of the `conns` ports among the `near` requests logged in the hours around them
/// would be rare; else only when two or more pairs agree on the offset (a collision's offset
/// is anything within the skew), and then those are kept.
fn ports_tell(found: &mut Vec<Paired<'_, '_>>, near: usize, conns: usize) -> bool {
    if crate::align::collision_rare(near, conns) {
        return true;
    }
    let offsets: Vec<i64> = found.iter().map(|p| p.0).collect();
    let mut keep = agreeing_with_median(&offsets).into_iter();
    found.retain(|_| keep.next().unwrap_or(false));
    found.len() >= 2
}

/// Which offsets lie within the timing window of their median.
fn agreeing_with_median(offsets: &[i64]) -> Vec<bool> {
    let mut sorted = offsets.to_vec();
    sorted.sort_unstable();
    let Some(&median) = sorted.get(sorted.len() / 2) else {
        return Vec::new();
    };
    offsets
        .iter()
        .map(|o| (o - median).abs() <= TIMING_WINDOW_NS)
        .collect()
}

/// The finding, and the median offset (log minus capture).
fn offset_finding(
    ctx: &Ctx<'_>,
    input: usize,
    mut found: Vec<Paired<'_, '_>>,
    matched: Matched,
) -> (Finding, i64) {
    found.sort_by_key(|(offset, ..)| *offset);
    let median = found[found.len() / 2].0;
    let host = found
        .iter()
        .find_map(|(_, line, _)| match &line.event.kind {
            EventKind::LogSignature { host, .. } => host.as_deref().map(str::to_string),
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
    let finding = Finding {
        severity: Severity::Info,
        id: "clock.offset".into(),
        phase: Phase::Provisioning,
        summary: format!(
            "{who}'s log runs {} from the capture's clock ({how}); {}",
            crate::time::signed_secs(median),
            on_the_ladder(median, "the capture's clock")
        ),
        evidence,
    };
    (finding, median)
}

/// A message both Expressways logged: C's time minus E's, E's line, C's line.
type BothLogged<'a> = (i64, &'a Tagged, &'a Tagged);

/// What both boxes logged of one Call-ID: the request on its way in, its answer on its way
/// out.
#[derive(Default)]
struct BothWays<'a> {
    requests: Vec<BothLogged<'a>>,
    answers: Vec<BothLogged<'a>>,
}

/// How far Expressway-C's log runs from Expressway-E's, from the SIP requests (REGISTER,
/// SERVICE) both logged under one Call-ID, and their answers. A request reaches C after E
/// (C minus E = offset + the way in), an answer E after C (offset − the way out): with both,
/// their mean cancels the network's delay, as NTP does; with requests alone it stays in.
/// Also the corrections the ladder applies to C's lines.
pub fn between_logs(ctx: &Ctx<'_>, hits: &[&Tagged]) -> (Vec<Finding>, Shifts) {
    let seen = first_sight(ctx, hits);
    // Per pair of boxes (a cluster has several of each).
    let mut by_boxes: BTreeMap<(&str, &str), BothWays<'_>> = BTreeMap::new();
    for sight in seen.values() {
        for (e, c, answer) in [
            (sight.e_request, sight.c_request, false),
            (sight.e_answer, sight.c_answer, true),
        ] {
            if let (Some(e), Some(c)) = (e, c)
                && (c.event.ts - e.event.ts).abs() < MAX_SKEW_NS
            {
                let both = by_boxes
                    .entry((box_name_of(ctx, e), box_name_of(ctx, c)))
                    .or_default();
                let list = if answer {
                    &mut both.answers
                } else {
                    &mut both.requests
                };
                list.push((c.event.ts - e.event.ts, e, c));
            }
        }
    }
    let mut shifts = Shifts::default();
    let findings = by_boxes
        .into_iter()
        .filter(|(_, both)| !both.requests.is_empty())
        .map(|((e_name, c_name), both)| {
            let (finding, offset, e_input) = boxes_finding(ctx, e_name, c_name, both);
            // A C seen beside two E's (a cluster) takes the first; both say so as findings.
            shifts.by_box.entry(c_name.to_string()).or_insert((
                -offset,
                e_input,
                e_name.to_string(),
            ));
            finding
        })
        .collect();
    (findings, shifts)
}

/// Per Call-ID, the first request line and the first answer line Expressway-E and
/// Expressway-C each logged (UTC times).
#[derive(Default)]
struct Sight<'a> {
    e_request: Option<&'a Tagged>,
    c_request: Option<&'a Tagged>,
    e_answer: Option<&'a Tagged>,
    c_answer: Option<&'a Tagged>,
}

fn first_sight<'a>(ctx: &Ctx<'_>, hits: &[&'a Tagged]) -> BTreeMap<&'a str, Sight<'a>> {
    use crate::report::Party;
    let mut seen: BTreeMap<&str, Sight<'_>> = BTreeMap::new();
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
        let Some(call_id) = fields.get("call_id") else {
            continue;
        };
        let step = super::logs::trail_step(t.event.kind.role(), fields);
        let request = step == "received" || step == "sent";
        let answer = step.starts_with("answered") || step.starts_with("got");
        if !request && !answer {
            continue;
        }
        let sight = seen.entry(call_id).or_default();
        let slot = match (ctx.roles.of(&ctx.inputs[t.input], host.as_deref()), request) {
            (Party::ExpresswayE, true) => &mut sight.e_request,
            (Party::ExpresswayC, true) => &mut sight.c_request,
            (Party::ExpresswayE, false) => &mut sight.e_answer,
            (Party::ExpresswayC, false) => &mut sight.c_answer,
            _ => continue,
        };
        if slot.is_none_or(|s| s.event.ts > t.event.ts) {
            *slot = Some(t);
        }
    }
    seen
}

fn median(deltas: &mut [BothLogged<'_>]) -> i64 {
    deltas.sort_by_key(|(delta, ..)| *delta);
    deltas[deltas.len() / 2].0
}

/// The finding, the offset (C minus E) and E's input.
fn boxes_finding(
    ctx: &Ctx<'_>,
    e_name: &str,
    c_name: &str,
    mut both: BothWays<'_>,
) -> (Finding, i64, usize) {
    let inward = median(&mut both.requests);
    let e_input = both.requests[both.requests.len() / 2].1.input;
    let (n, m) = (both.requests.len(), both.answers.len());
    let plural = |k: usize| if k == 1 { "" } else { "s" };
    let (offset, how) = if m == 0 {
        (
            inward,
            format!(
                "{n} SIP request{} both logged under one Call-ID, E's forwarding time included",
                plural(n)
            ),
        )
    } else {
        let outward = median(&mut both.answers);
        (
            (inward + outward) / 2,
            format!(
                "{n} SIP request{} and {m} answer{} both logged under one Call-ID: {} on the way in, {} on the way out, the network's delay cancelled between the two",
                plural(n),
                plural(m),
                crate::time::signed_secs(inward),
                crate::time::signed_secs(outward)
            ),
        )
    };
    let mut shown: Vec<(&str, BothLogged<'_>)> = both
        .requests
        .iter()
        .map(|p| ("the request", *p))
        .chain(both.answers.iter().map(|p| ("the answer", *p)))
        .collect();
    shown.sort_by_key(|(_, (_, e, _))| e.event.ts);
    let evidence = shown
        .iter()
        .take(2)
        .flat_map(|(what, (delta, e, c))| {
            [
                ctx.evidence(e, format!("{e_name} (Expressway-E) logs {what}")),
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
    let finding = Finding {
        severity: Severity::Info,
        id: "clock.between_logs".into(),
        phase: Phase::Sip,
        summary: format!(
            "{c_name}'s log runs {} from {e_name}'s ({how}); {}",
            crate::time::signed_secs(offset),
            on_the_ladder(offset, &format!("{e_name}'s clock"))
        ),
        evidence,
    };
    (finding, offset, e_input)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_pairs_in_a_busy_log_keep_those_that_agree() {
        let s = 1_000_000_000;
        assert_eq!(
            agreeing_with_median(&[-502 * s, 3 * s, 3 * s + s / 10, 900 * s]),
            [false, true, true, false]
        );
        assert_eq!(agreeing_with_median(&[7 * s]), [true]);
        assert_eq!(agreeing_with_median(&[-40 * s, 1900 * s]), [false, true]);
        assert!(agreeing_with_median(&[]).is_empty());
    }
}
