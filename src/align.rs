//! Local log times (Jabber writes them without an offset) placed beside the captures' UTC:
//! the offset is inferred from events both saw — a DNS answer the log names, a connection a
//! request URL names, the XMPP `<starttls/>` —, rounded to the quarter hour time zones are
//! made of, and applied, with a finding that says so. What is left over (the two clocks' own
//! difference) is shown, never applied. A log with nothing in common with the capture takes
//! the zone of a log from the same archive or folder, or stays as it was.

use crate::decoded::Decoded;
use crate::faults::Phase;
use crate::input::container;
use crate::logs::grammar::TimeBasis;
use crate::model::{Event, EventKind};
use crate::report::{Evidence, Filter, Finding, Pointer, Severity, Stamp};
use std::collections::HashMap;

const SECOND: i64 = 1_000_000_000;
/// Events paired across the two clocks agree to within this (log latency, retries).
const WINDOW_NS: i64 = 2 * SECOND;
const QUARTER_HOUR_NS: i64 = 900 * SECOND;
/// Zones run from UTC−12:00 to UTC+14:00.
const ZONE_MIN_NS: i64 = -12 * 3600 * SECOND;
const ZONE_MAX_NS: i64 = 14 * 3600 * SECOND;
/// Pairs looked at, at most: a long log against a long capture should not go quadratic.
const MAX_PAIRS: usize = 50_000;
/// Pairs shown as evidence.
const SHOWN: usize = 3;

/// What identifies one happening in both sources.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    /// A DNS lookup of this name (lower case, no final dot).
    Dns(String),
    /// A connection to this host name or address and port.
    Connect(String, u16),
    /// The client's XMPP `<starttls/>`.
    StartTls,
    /// A get_edge_config request for this domain (its base64 path segment), as the client
    /// logged it and as Expressway-E logged receiving it.
    EdgeConfig(String),
}

/// One such happening: in which input, which event, when (as that input tells it).
#[derive(Clone, Debug)]
struct Mark {
    key: Key,
    ts: i64,
    input: usize,
    event: usize,
}

/// What a capture shows, or an Expressway's log in UTC, that a client log may name too.
fn reference_marks(decoded: &[Decoded]) -> Vec<Mark> {
    let mut marks = Vec::new();
    for (input, d) in decoded.iter().enumerate() {
        for (event, e) in d.events.iter().enumerate() {
            if let EventKind::LogSignature {
                fields,
                time_basis: TimeBasis::Utc,
                ..
            } = &e.kind
                && e.kind.role() == Some(crate::model::Role::SignInStart)
                && let Some(domain) = fields.get("domain_b64")
            {
                marks.push(Mark {
                    key: Key::EdgeConfig(domain.trim_end_matches('=').to_string()),
                    ts: e.ts,
                    input,
                    event,
                });
            }
        }
        if d.input.capture.is_none() {
            continue;
        }
        // A connection's start (its first SYN), then its server name from the ClientHello.
        let mut starts: HashMap<u64, usize> = HashMap::new();
        for (event, e) in d.events.iter().enumerate() {
            let mark = |key| Mark {
                key,
                ts: e.ts,
                input,
                event,
            };
            match &e.kind {
                EventKind::DnsResponse { name, .. } => marks.push(mark(Key::Dns(dns_key(name)))),
                EventKind::TcpSyn {
                    stream,
                    server,
                    retransmission: false,
                    ..
                } if !starts.contains_key(stream) => {
                    starts.insert(*stream, marks.len());
                    marks.push(mark(Key::Connect(server.ip.to_string(), server.port)));
                }
                EventKind::TlsClientHello {
                    stream,
                    sni: Some(sni),
                    ..
                } => {
                    if let Some(&at) = starts.get(stream)
                        && let Key::Connect(_, port) = marks[at].key
                    {
                        let start = marks[at].clone();
                        marks.push(Mark {
                            key: Key::Connect(sni.to_ascii_lowercase(), port),
                            ..start
                        });
                    }
                }
                EventKind::XmppStartTls { .. } => marks.push(mark(Key::StartTls)),
                _ => {}
            }
        }
    }
    marks
}

/// What a log line with local time names that a capture or Expressway-E's log may show.
fn log_marks(d: &Decoded, input: usize) -> Vec<Mark> {
    let mut marks = Vec::new();
    for (event, e) in d.events.iter().enumerate() {
        let EventKind::LogSignature {
            fields,
            time_basis: TimeBasis::LocalNoOffset,
            ..
        } = &e.kind
        else {
            continue;
        };
        let mut keys = Vec::new();
        if let Some(name) = fields.get("name") {
            keys.push(Key::Dns(dns_key(name)));
        }
        // A request's start, not its outcome (a status or an error ends it, later).
        if let Some(url) = fields.get("url")
            && !fields.contains_key("status")
            && !fields.contains_key("curl_message")
        {
            keys.extend(url_target(url).map(|(host, port)| Key::Connect(host, port)));
            keys.extend(edge_config_domain(url).map(Key::EdgeConfig));
        }
        if e.kind.role() == Some(crate::model::Role::StarttlsSent) {
            keys.push(Key::StartTls);
        }
        marks.extend(keys.into_iter().map(|key| Mark {
            key,
            ts: e.ts,
            input,
            event,
        }));
    }
    marks
}

/// `ZXhhbXBsZS5jb20` from `https://expe:8443/ZXhhbXBsZS5jb20/get_edge_config?…`.
fn edge_config_domain(url: &str) -> Option<String> {
    let path = url.split_once("://")?.1.split_once('/')?.1;
    let (domain, rest) = path.split_once('/')?;
    rest.starts_with("get_edge_config")
        .then(|| domain.trim_end_matches('=').to_string())
}

fn dns_key(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// `https://host:8443/path` → (`host`, 8443); the scheme's port when none is written.
pub(crate) fn url_target(url: &str) -> Option<(String, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(p) => p.parse().ok()?,
        None if scheme.eq_ignore_ascii_case("https") => 443,
        None if scheme.eq_ignore_ascii_case("http") => 80,
        None => return None,
    };
    (!host.is_empty()).then(|| (host.to_ascii_lowercase(), port))
}

/// The zone offset found for one log, with the pairs that show it.
struct Inferred {
    /// Log time minus UTC, a whole number of quarter hours.
    zone_ns: i64,
    /// What is left: the log's clock minus the capture's, once the zone is taken off.
    residual_ns: i64,
    /// (log mark, capture mark) indexes, one per log mark that agreed, in log order.
    pairs: Vec<(usize, usize)>,
}

/// A key other clients share: the capture or Expressway-E's log holds it more than this many
/// times as often as the client's log does (plus [`SHARED_KEY_SLACK`] retries). A busy
/// Expressway-E logs thousands of get_edge_config requests for the client's domain; a log
/// mark of such a key meets one of them at any offset, and would name any zone.
const SHARED_KEY_RATIO: usize = 4;
const SHARED_KEY_SLACK: usize = 4;

/// The offset most log marks agree on (within [`WINDOW_NS`]), rounded to the quarter hour;
/// log marks of keys others share ([`SHARED_KEY_RATIO`]) are not used.
fn infer(logs: &[Mark], captures: &[Mark]) -> Option<Inferred> {
    let mut in_logs: HashMap<&Key, usize> = HashMap::new();
    for m in logs {
        *in_logs.entry(&m.key).or_default() += 1;
    }
    let mut in_captures: HashMap<&Key, usize> = HashMap::new();
    for m in captures {
        *in_captures.entry(&m.key).or_default() += 1;
    }
    let usable: Vec<usize> = (0..logs.len())
        .filter(|&l| {
            let key = &logs[l].key;
            in_captures.get(key).copied().unwrap_or(0)
                <= SHARED_KEY_RATIO * in_logs[key] + SHARED_KEY_SLACK
        })
        .collect();
    let log_keys: Vec<(&Key, i64)> = usable.iter().map(|&l| (&logs[l].key, logs[l].ts)).collect();
    let capture_keys: Vec<(&Key, i64)> = captures.iter().map(|m| (&m.key, m.ts)).collect();
    let reach = ZONE_MIN_NS - QUARTER_HOUR_NS..=ZONE_MAX_NS + QUARTER_HOUR_NS;
    let chosen: Vec<(usize, usize, i64)> =
        agreeing_pairs(&log_keys, &capture_keys, WINDOW_NS, reach)
            .into_iter()
            .map(|(l, c, delta)| (usable[l], c, delta))
            .collect();
    let mut deltas: Vec<i64> = chosen.iter().map(|p| p.2).collect();
    deltas.sort_unstable();
    let offset = *deltas.get(deltas.len() / 2)?;
    let zone_ns = (offset as f64 / QUARTER_HOUR_NS as f64).round() as i64 * QUARTER_HOUR_NS;
    if !(ZONE_MIN_NS..=ZONE_MAX_NS).contains(&zone_ns) {
        return None;
    }
    Some(Inferred {
        zone_ns,
        residual_ns: offset - zone_ns,
        pairs: chosen.into_iter().map(|(l, c, _)| (l, c)).collect(),
    })
}

/// Pairings by timing that chance would make this often or more are not said: a busy
/// Expressway's log or capture holds thousands of other clients' requests, some of which
/// share a spacing with the capture's.
pub(crate) const CHANCE: f64 = 0.01;

/// The client ports a request can come from: the narrowest common ephemeral range
/// (Windows and macOS, 49152 to 65535), so that a collision is never underrated.
const EPHEMERAL_PORTS: f64 = 16_384.0;

/// Whether another client's request from one of `ports` client ports, among `near` requests
/// logged around them, would be rare.
pub(crate) fn collision_rare(near: usize, ports: usize) -> bool {
    ports as f64 * near as f64 / EPHEMERAL_PORTS < CHANCE
}

/// How many capture marks found a log mark in [`agreeing_pairs`]' answer: what
/// [`chance_agreeing`] weighs (several log marks can meet one capture mark).
pub(crate) fn capture_marks_agreeing(pairs: &[(usize, usize, i64)]) -> usize {
    pairs
        .iter()
        .map(|&(_, c, _)| c)
        .collect::<std::collections::BTreeSet<_>>()
        .len()
}

/// The least time log marks are taken to be spread over: two or three marks tell their
/// spacing against the minutes around a sign-in, not against their own spread. Short: a
/// busy log's marks are taken at their own density (five hundred in five minutes).
const MIN_SPREAD_NS: i64 = 120 * 1_000_000_000;

/// How many offsets would, by chance, have `agreeing` of the capture's `marks` each meet one
/// of `logged` log marks to within `window`, were the log marks spread at random over
/// `spread` (theirs, at least two minutes): the offsets tried (a window at a time), times
/// the ways to choose the agreeing marks, times the chance that each meets a log mark.
pub(crate) fn chance_agreeing(
    logged: usize,
    spread: i64,
    marks: usize,
    agreeing: usize,
    window: i64,
) -> f64 {
    let span = spread.max(MIN_SPREAD_NS).max(window) as f64;
    let hit = (logged as f64 * window as f64 / span).min(1.0);
    let offsets = span / window as f64;
    let ways = (0..agreeing.min(marks)).fold(1.0, |w, i| w * (marks - i) as f64 / (i + 1) as f64);
    offsets * ways * hit.powi(agreeing as i32)
}

/// Log marks paired with capture marks of the same key at the offset (log time minus capture
/// time, within `reach`) most log marks agree on to within `window`: one pair per log mark
/// (the one nearest that offset), as (log index, capture index, offset), in log order. The
/// first such window wins, so the answer depends on nothing but the inputs.
pub(crate) fn agreeing_pairs<K: Eq + std::hash::Hash>(
    logs: &[(K, i64)],
    captures: &[(K, i64)],
    window: i64,
    reach: std::ops::RangeInclusive<i64>,
) -> Vec<(usize, usize, i64)> {
    // Each key's capture marks by time: a log mark looks only at those its reach allows,
    // not at every mark of its key (a log and a capture years apart paired nothing, after
    // comparing everything with everything).
    let mut by_key: HashMap<&K, Vec<(i64, usize)>> = HashMap::new();
    for (i, (key, ts)) in captures.iter().enumerate() {
        by_key.entry(key).or_default().push((*ts, i));
    }
    for marks in by_key.values_mut() {
        marks.sort_unstable();
    }
    let mut pairs: Vec<(i64, usize, usize)> = Vec::new();
    let mut in_reach: Vec<usize> = Vec::new();
    'logs: for (l, (key, ts)) in logs.iter().enumerate() {
        let Some(marks) = by_key.get(key) else {
            continue;
        };
        // delta = ts - capture time lies in reach: capture time in [ts - end, ts - start].
        let lo = ts.saturating_sub(*reach.end());
        let hi = ts.saturating_sub(*reach.start());
        let first = marks.partition_point(|&(t, _)| t < lo);
        let last = marks.partition_point(|&(t, _)| t <= hi);
        // In capture order, as they were always taken (the cap keeps the same pairs).
        in_reach.clear();
        in_reach.extend(marks[first..last].iter().map(|&(_, c)| c));
        in_reach.sort_unstable();
        for &c in &in_reach {
            pairs.push((ts - captures[c].1, l, c));
            if pairs.len() == MAX_PAIRS {
                break 'logs;
            }
        }
    }
    pairs.sort_unstable();
    let mut count = vec![0u32; logs.len()];
    let (mut distinct, mut best, mut start) = (0usize, (0usize, 0usize, 0usize), 0usize);
    for end in 0..pairs.len() {
        if count[pairs[end].1] == 0 {
            distinct += 1;
        }
        count[pairs[end].1] += 1;
        while pairs[end].0 - pairs[start].0 > window {
            count[pairs[start].1] -= 1;
            if count[pairs[start].1] == 0 {
                distinct -= 1;
            }
            start += 1;
        }
        if distinct > best.0 {
            best = (distinct, start, end);
        }
    }
    if best.0 == 0 {
        return Vec::new();
    }
    let in_window = &pairs[best.1..=best.2];
    let centre = in_window[in_window.len() / 2].0;
    let mut chosen: Vec<(usize, usize, i64)> = Vec::new();
    let mut place: HashMap<usize, usize> = HashMap::new();
    for &(delta, l, c) in in_window {
        match place.get(&l) {
            Some(&i) if (delta - centre).abs() < (chosen[i].2 - centre).abs() => {
                chosen[i] = (l, c, delta)
            }
            Some(_) => {}
            None => {
                place.insert(l, chosen.len());
                chosen.push((l, c, delta));
            }
        }
    }
    chosen.sort_by_key(|p| p.0);
    chosen
}

/// `UTC-05:00`, `UTC+05:45`.
pub fn zone_name(zone_ns: i64) -> String {
    let sign = if zone_ns < 0 { '-' } else { '+' };
    let minutes = zone_ns.unsigned_abs() / SECOND as u64 / 60;
    format!("UTC{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Read every log whose times are local without an offset in the zone its shared events
/// with the captures show (or a sibling's); one finding per log so placed.
pub fn align_local_logs(decoded: &mut [Decoded]) -> Vec<Finding> {
    let local: Vec<usize> = (0..decoded.len())
        .filter(|&i| {
            decoded[i]
                .input
                .log
                .as_ref()
                .is_some_and(|l| l.time_basis == TimeBasis::LocalNoOffset)
        })
        .collect();
    // Most runs hold no such log: a large capture's events are not walked for nothing.
    if local.is_empty() {
        return Vec::new();
    }
    let captures = reference_marks(decoded);
    if captures.is_empty() {
        return Vec::new();
    }
    let mut zones: Vec<(usize, i64)> = Vec::new();
    let mut findings = Vec::new();
    for &i in &local {
        let logs = log_marks(&decoded[i], i);
        let Some(found) = infer(&logs, &captures) else {
            continue;
        };
        let log_name = decoded[i].input.path.clone();
        let evidence = found
            .pairs
            .iter()
            .take(SHOWN)
            .flat_map(|&(l, c)| {
                let (log, capture) = (&logs[l], &captures[c]);
                let delta = log.ts - capture.ts - found.zone_ns;
                [
                    capture_evidence(decoded, capture),
                    log_evidence(
                        decoded,
                        log,
                        found.zone_ns,
                        format!(
                            "the same in the client's log, {} from {}",
                            crate::time::signed_secs(delta),
                            if decoded[capture.input].input.capture.is_some() {
                                "the capture"
                            } else {
                                "Expressway-E's log"
                            }
                        ),
                    ),
                ]
            })
            .collect();
        let phase = match &decoded[i].events[logs[found.pairs[0].0].event].kind {
            EventKind::LogSignature { phase, .. } => *phase,
            _ => Phase::Discovery,
        };
        let mut lines: Vec<usize> = found.pairs.iter().map(|&(l, _)| logs[l].event).collect();
        lines.dedup();
        let n = lines.len();
        let from_log = |c: usize| decoded[captures[c].input].input.capture.is_none();
        let (by_log, by_capture) = (
            found.pairs.iter().any(|&(_, c)| from_log(c)),
            found.pairs.iter().any(|&(_, c)| !from_log(c)),
        );
        let with = match (by_capture, by_log) {
            (true, true) => "the capture and Expressway-E's log",
            (false, true) => "Expressway-E's log",
            _ => "the capture",
        };
        let mut kinds: Vec<&str> = Vec::new();
        for &(l, _) in &found.pairs {
            let kind = match logs[l].key {
                Key::Dns(_) => "DNS answers",
                Key::Connect(..) => "connections",
                Key::StartTls => "<starttls/>",
                Key::EdgeConfig(_) => "get_edge_config requests",
            };
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        findings.push(Finding {
            severity: Severity::Info,
            id: "clock.local_zone".into(),
            phase,
            summary: format!(
                "{log_name} writes local time without an offset: read as {}, from {n} line{} it shares with {with} ({}); once the zone is taken off it runs {} from {with} (not corrected). Give --tz to choose the zone yourself",
                zone_name(found.zone_ns),
                if n == 1 { "" } else { "s" },
                kinds.join(", "),
                crate::time::signed_secs(found.residual_ns),
            ),
            evidence,
        });
        zones.push((i, found.zone_ns));
    }
    // Logs with nothing in common with the captures: a sibling's zone (rotated files of one
    // problem report were written by one machine).
    let mut inherited = Vec::new();
    for &i in &local {
        if zones.iter().any(|&(z, _)| z == i) {
            continue;
        }
        let here = container(&decoded[i].input.path);
        if let Some(&(from, zone)) = zones
            .iter()
            .find(|&&(z, _)| container(&decoded[z].input.path) == here)
        {
            findings.push(Finding {
                severity: Severity::Info,
                id: "clock.local_zone".into(),
                phase: Phase::Discovery,
                summary: format!(
                    "{} writes local time without an offset and shares no event with the capture: read as {}, like {} beside it",
                    decoded[i].input.path,
                    zone_name(zone),
                    decoded[from].input.path
                ),
                evidence: Vec::new(),
            });
            inherited.push((i, zone));
        }
    }
    for (i, zone) in zones.into_iter().chain(inherited) {
        apply(&mut decoded[i], zone);
    }
    findings
}

/// Shift a log's local times by its zone to UTC, and say how they were placed.
fn apply(d: &mut Decoded, zone_ns: i64) {
    for e in &mut d.events {
        if let EventKind::LogSignature { time_basis, .. } = &mut e.kind
            && *time_basis == TimeBasis::LocalNoOffset
        {
            e.ts -= zone_ns;
            *time_basis = TimeBasis::LocalAligned;
        }
    }
    if let Some(info) = &mut d.input.log {
        info.first_ts = info.first_ts.map(|t| t - zone_ns);
        info.last_ts = info.last_ts.map(|t| t - zone_ns);
        info.time_basis = TimeBasis::LocalAligned;
        info.zone = Some(zone_name(zone_ns));
    }
}

fn capture_evidence(decoded: &[Decoded], m: &Mark) -> Evidence {
    let e: &Event = &decoded[m.input].events[m.event];
    if let EventKind::LogSignature { line, excerpt, .. } = &e.kind {
        return Evidence::new(Pointer {
            input: decoded[m.input].input.path.as_str().into(),
            frame: None,
            line: Some(*line),
            ts: Stamp::utc(e.ts),
            filter: None,
            note: "the request, in Expressway-E's log".into(),
            excerpt: Some(excerpt[..].into()),
        });
    }
    let (filter, note) = match (&m.key, e.kind.stream()) {
        (Key::Dns(name), _) => (
            Filter::DnsName(name.as_str().into()),
            format!("the answer to {name}, in the capture"),
        ),
        (Key::Connect(host, port), Some(s)) => (
            Filter::Stream(s),
            format!("the connection to {host}:{port}, in the capture"),
        ),
        (_, stream) => (
            stream.map_or(Filter::Frame(e.frame), Filter::Stream),
            "the client's <starttls/>, in the capture".to_string(),
        ),
    };
    Evidence::new(Pointer {
        input: decoded[m.input].input.path.as_str().into(),
        frame: Some(e.frame),
        line: None,
        ts: Stamp::utc(e.ts),
        filter: Some(filter),
        note: note.into(),
        excerpt: None,
    })
}

/// A log line's evidence, its time already shifted by the zone.
fn log_evidence(decoded: &[Decoded], m: &Mark, zone_ns: i64, note: String) -> Evidence {
    let e = &decoded[m.input].events[m.event];
    let (line, excerpt) = match &e.kind {
        EventKind::LogSignature { line, excerpt, .. } => (Some(*line), Some(excerpt[..].into())),
        _ => (None, None),
    };
    Evidence::new(Pointer {
        input: decoded[m.input].input.path.as_str().into(),
        frame: None,
        line,
        ts: Stamp::utc(e.ts - zone_ns),
        filter: None,
        note: note.into(),
        excerpt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_tells_alone_only_where_collisions_are_rare() {
        assert!(collision_rare(3, 3));
        assert!(collision_rare(40, 4));
        assert!(!collision_rare(100, 3));
        assert!(!collision_rare(1000, 1));
    }

    #[test]
    fn a_spacing_tells_in_a_quiet_log_and_not_in_a_busy_one() {
        const S: i64 = 1_000_000_000;
        const W: i64 = S / 4;
        let hours = 2 * 3600 * S;
        let chance =
            |logged, spread, marks, agreeing| chance_agreeing(logged, spread, marks, agreeing, W);
        // The client's own two or three requests, alone in the hours around them, or a few
        // seconds apart in a short log.
        assert!(chance(2, hours, 2, 2) < CHANCE);
        assert!(chance(3, hours, 3, 3) < CHANCE);
        assert!(chance(2, 5 * S, 2, 2) < CHANCE);
        // A busy Expressway-E: a thousand other requests in those hours match any two...
        assert!(chance(1000, hours, 2, 2) >= CHANCE);
        assert!(chance(1000, hours, 4, 4) >= CHANCE);
        // ... but not five at once.
        assert!(chance(1000, hours, 5, 5) < CHANCE);
        // Three hundred in a ten-minute diagnostic log, or five hundred in five minutes of
        // Expressway-E's capture, are denser: four agreeing, or all ten, is chance.
        assert!(chance(300, 600 * S, 4, 4) >= CHANCE);
        assert!(chance(511, 284 * S, 10, 10) >= CHANCE);
        // Fewer agreeing than the capture made tell less.
        assert!(chance(3, hours, 6, 2) > chance(3, hours, 6, 3));
        // So dense that every window holds a mark: nothing tells.
        assert!(chance(1_000_000, hours, 8, 8) >= CHANCE);
    }

    fn mark(key: Key, secs: i64) -> Mark {
        Mark {
            key,
            ts: secs * SECOND,
            input: 0,
            event: 0,
        }
    }

    #[test]
    fn an_edge_config_url_names_its_domain() {
        assert_eq!(
            edge_config_domain(
                "https://expe.example.com:8443/ZXhhbXBsZS5jb20/get_edge_config?service_name=_cisco-uds"
            )
            .as_deref(),
            Some("ZXhhbXBsZS5jb20")
        );
        assert_eq!(
            edge_config_domain("https://expe:8443/ZXhhbXBsZS5jb20vaHR0cHM/cucm-uds/user/alice"),
            None
        );
    }

    #[test]
    fn urls_name_their_host_and_port() {
        assert_eq!(
            url_target("https://expe.example.com:8443/ZXhh/get_edge_config"),
            Some(("expe.example.com".into(), 8443))
        );
        assert_eq!(
            url_target("http://10.106.108.146:6970/CiscoJabberSetup.msi"),
            Some(("10.106.108.146".into(), 6970))
        );
        assert_eq!(
            url_target("https://Host.Example.com/x"),
            Some(("host.example.com".into(), 443))
        );
        assert_eq!(
            url_target("https://[fd77::10]:8443/"),
            Some(("fd77::10".into(), 8443))
        );
        assert_eq!(url_target("ftp://host/"), None);
        assert_eq!(url_target("https://host:port/"), None);
    }

    #[test]
    fn the_offset_most_marks_agree_on_wins_rounded_to_the_quarter_hour() {
        let dns = || Key::Dns("_collab-edge._tls.example.com".into());
        let edge = || Key::Connect("expe.example.com".into(), 8443);
        // The capture: two lookups (a retry 30 s later) and one connection, in UTC.
        let captures = [mark(dns(), 1000), mark(dns(), 1030), mark(edge(), 1001)];
        // The log, five hours behind UTC, its clock 0.2 s off the capture's.
        let h5 = 5 * 3600;
        let logs = [
            mark(dns(), 1000 - h5),
            mark(dns(), 1030 - h5),
            mark(edge(), 1001 - h5),
        ];
        let found = infer(&logs, &captures).unwrap();
        assert_eq!(found.zone_ns, -h5 * SECOND);
        assert_eq!(found.residual_ns, 0);
        assert_eq!(found.pairs, vec![(0, 0), (1, 1), (2, 2)]);
        assert_eq!(zone_name(found.zone_ns), "UTC-05:00");
        assert_eq!(zone_name(20_700 * SECOND), "UTC+05:45");
    }

    #[test]
    fn clocks_apart_by_seconds_keep_the_zone_and_show_the_rest() {
        let key = || Key::StartTls;
        let logs = [mark(key(), 3600 + 3)];
        let found = infer(&logs, &[mark(key(), 0)]).unwrap();
        assert_eq!(found.zone_ns, 3600 * SECOND);
        assert_eq!(found.residual_ns, 3 * SECOND);
        assert_eq!(crate::time::signed_secs(found.residual_ns), "+3.000 s");
    }

    #[test]
    fn requests_pair_by_their_spacing_when_nothing_names_them() {
        // The capture's requests at 0, 1.2 and 5 s, plus one from an unrelated minute; the
        // log's 2.5 s later (its clock) with 20 ms of jitter.
        let ms = 1_000_000;
        let captures = [((), 0), ((), 1200 * ms), ((), 5000 * ms), ((), 60_000 * ms)];
        let logs = [((), 2500 * ms), ((), 3720 * ms), ((), 7490 * ms)];
        let pairs = agreeing_pairs(&logs, &captures, 250 * ms, -3600 * SECOND..=3600 * SECOND);
        assert_eq!(
            pairs,
            vec![(0, 0, 2500 * ms), (1, 1, 2520 * ms), (2, 2, 2490 * ms)]
        );
        // Spaced differently: no more than one request agrees on any offset.
        let apart = [((), 2500 * ms), ((), 6000 * ms)];
        assert_eq!(
            agreeing_pairs(
                &apart,
                &captures[..2],
                250 * ms,
                -3600 * SECOND..=3600 * SECOND
            )
            .len(),
            1
        );
    }

    #[test]
    fn a_key_a_busy_expressway_logs_for_everyone_names_no_zone() {
        let edge = || Key::EdgeConfig("dWMuZXhhbXBsZS5vcmc".into());
        // Expressway-E's log: 2,000 users' requests for the domain over eight hours.
        let captures: Vec<Mark> = (0..2000).map(|i| mark(edge(), i * 14)).collect();
        // The client's log: two requests, whatever its zone.
        let logs = [mark(edge(), 5 * 3600 + 7), mark(edge(), 5 * 3600 + 9)];
        assert!(infer(&logs, &captures).is_none());
        // As often in both (one client's day): it pairs.
        let captures: Vec<Mark> = (0..6).map(|i| mark(edge(), i * 3600)).collect();
        let logs: Vec<Mark> = (0..6).map(|i| mark(edge(), i * 3600 - 3 * 3600)).collect();
        assert_eq!(infer(&logs, &captures).unwrap().zone_ns, -3 * 3600 * SECOND);
    }

    #[test]
    fn nothing_shared_or_no_zone_on_earth_infers_nothing() {
        let logs = [mark(Key::Dns("a.example".into()), 0)];
        assert!(infer(&logs, &[mark(Key::Dns("b.example".into()), 0)]).is_none());
        // Twenty hours apart: no zone is that far from UTC.
        assert!(infer(&logs, &[mark(Key::Dns("a.example".into()), 20 * 3600)]).is_none());
    }

    /// 100,000 log marks and 300,000 capture marks of one key, years apart: nothing pairs,
    /// and finding that out looks at no mark out of reach (it compared all 3·10¹⁰ before;
    /// the bench records the time).
    #[test]
    fn marks_years_apart_pair_nothing_without_comparing_them_all() {
        let year = 365 * 24 * 3600 * SECOND;
        let logs: Vec<(u8, i64)> = (0..100_000).map(|i| (1, i as i64 * SECOND)).collect();
        let captures: Vec<(u8, i64)> = (0..300_000)
            .map(|i| (1, 5 * year + i as i64 * SECOND))
            .collect();
        let reach = ZONE_MIN_NS - QUARTER_HOUR_NS..=ZONE_MAX_NS + QUARTER_HOUR_NS;
        assert!(agreeing_pairs(&logs, &captures, WINDOW_NS, reach.clone()).is_empty());
        // And marks within reach still pair: capture marks an hour before the log's (ten
        // days apart, so each has one partner).
        let apart: Vec<(u8, i64)> = (0..10).map(|i| (1, i * 10 * 24 * 3600 * SECOND)).collect();
        let near: Vec<(u8, i64)> = apart.iter().map(|&(k, t)| (k, t - 3600 * SECOND)).collect();
        let pairs = agreeing_pairs(&apart, &near, WINDOW_NS, reach);
        assert_eq!(pairs.len(), 10);
        assert!(pairs.iter().all(|p| p.2 == 3600 * SECOND), "{pairs:?}");
    }
}
