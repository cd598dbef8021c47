//! Cut a capture's events into TCP connections and, per client, into sign-in attempts.

use super::connection::Connection;
use super::context::MRA_PORTS;
use super::discovery::{CUP_PREFIX, Transaction, srv_domain};
use super::edges::Edges;
use crate::model::{EventKind, Tagged};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
type HashMap<K, V> = foldhash::HashMap<K, V>;

pub(super) fn connections(events: &[Tagged]) -> Vec<Connection<'_>> {
    // Counted first, so that each connection's list holds exactly its events: grown one at a
    // time in a B-tree, the lists of a busy 4 GiB capture held 4 MiB more at its peak.
    let mut counts: HashMap<(usize, u64), usize> = HashMap::default();
    for t in events {
        if let Some(s) = t.event.kind.stream() {
            *counts.entry((t.input, s)).or_default() += 1;
        }
    }
    let mut by_stream: HashMap<(usize, u64), Vec<&Tagged>> = counts
        .into_iter()
        .map(|(stream, n)| (stream, Vec::with_capacity(n)))
        .collect();
    for t in events {
        if let Some(s) = t.event.kind.stream()
            && let Some(list) = by_stream.get_mut(&(t.input, s))
        {
            list.push(t);
        }
    }
    events
        .iter()
        .filter_map(|t| match &t.event.kind {
            EventKind::TcpConnection {
                stream,
                client,
                server,
                ..
            } => Some(Connection {
                input: t.input,
                client: *client,
                server: *server,
                start_ts: t.event.ts,
                summary: t,
                events: by_stream.remove(&(t.input, *stream)).unwrap_or_default(),
            }),
            _ => None,
        })
        .collect()
}

/// A client: its address in one capture. Two captures recorded at once may hold two machines
/// behind two NATs with the same private address (two users' laptops at home on
/// 192.168.1.10): one's failure is not the other's retry.
pub(crate) type Client = (IpAddr, usize);

/// One sign-in attempt: its SRV lookups and connections, by index.
#[derive(Default)]
pub(crate) struct Attempt {
    /// The capture it was seen in.
    pub input: usize,
    pub srv: Vec<usize>,
    pub conns: Vec<usize>,
    pub start: i64,
    pub end: i64,
    /// When the client's next attempt starts (`i64::MAX` for its last): what the client
    /// sends in clear until then belongs to this one.
    pub until: i64,
}

/// Split each client's MRA activity into attempts: a new SRV lookup after connections have
/// been made starts a new attempt.
pub(super) fn attempts(
    txs: &[Transaction<'_>],
    conns: &[Connection<'_>],
    edges: &Edges,
) -> BTreeMap<Client, Vec<Attempt>> {
    enum Item {
        Srv(usize),
        Conn(usize),
    }
    // When an item's activity ends: the DNS answer, or the connection's last packet.
    let end_of = |item: &Item| match item {
        Item::Srv(i) => txs[*i].decisive().event.ts,
        Item::Conn(i) => match conns[*i].summary.event.kind {
            EventKind::TcpConnection { last_ts, .. } => last_ts,
            _ => conns[*i].start_ts,
        },
    };
    let mut items: BTreeMap<Client, Vec<(i64, Item)>> = BTreeMap::new();
    let mut srv_targets: BTreeSet<String> = BTreeSet::new();
    for (i, tx) in txs.iter().enumerate() {
        if let Some((prefix, _)) = srv_domain(&tx.name) {
            items
                .entry((tx.client, tx.first().input))
                .or_default()
                .push((tx.ts, Item::Srv(i)));
            if prefix != CUP_PREFIX {
                srv_targets.extend(tx.srv().into_iter().map(|s| s.3));
            }
        }
    }
    let normal = |name: &str| name.trim_end_matches('.').to_ascii_lowercase();
    let is_target = |name: &str| srv_targets.contains(&normal(name));
    let target_ips: BTreeSet<IpAddr> = txs
        .iter()
        .filter(|t| is_target(&t.name))
        .flat_map(|t| t.addresses())
        .collect();
    // Once SRV answers name Expressway-E, a connection on an MRA port that shows it is for
    // another server is another application's (a home Wi-Fi controller's 8443): to the
    // address of a name the client looked up, or naming a host in its ClientHello, that is
    // no SRV target and not in a target's domain (an Expressway-E peer the edge
    // configuration names, `expe2.example.com` beside `expe1.example.com`, stays).
    let target_domains: Vec<String> = srv_targets
        .iter()
        .map(|t| format!(".{}", t.split_once('.').map_or(t.as_str(), |(_, d)| d)))
        .collect();
    let foreign = |name: &str| {
        let name = normal(name);
        !srv_targets.contains(&name) && !target_domains.iter().any(|d| name.ends_with(d.as_str()))
    };
    let other_ips: BTreeSet<IpAddr> = txs
        .iter()
        .filter(|t| !srv_targets.is_empty() && srv_domain(&t.name).is_none() && foreign(&t.name))
        .flat_map(|t| t.addresses())
        .filter(|ip| !target_ips.contains(ip))
        .collect();
    let another_servers = |c: &Connection<'_>| {
        !srv_targets.is_empty()
            && !target_ips.contains(&c.server.ip)
            && (other_ips.contains(&c.server.ip) || c.sni().is_some_and(|sni| foreign(&sni)))
    };
    for (i, c) in conns.iter().enumerate() {
        // Through a proxy, the tunnel's target is what the client meant to reach.
        let tunnel_to_target = c.tunnel().is_some_and(|(_, host, _)| is_target(host));
        if (MRA_PORTS.contains(&c.port()) && !another_servers(c))
            || target_ips.contains(&c.server.ip)
            || tunnel_to_target
            || edges.counts(c)
        {
            items
                .entry((c.client.ip, c.input))
                .or_default()
                .push((c.start_ts, Item::Conn(i)));
        }
    }
    let mut out = BTreeMap::new();
    for (client, mut list) in items {
        list.sort_by_key(|(ts, _)| *ts);
        let mut attempts: Vec<Attempt> = Vec::new();
        let mut current = Attempt {
            input: client.1,
            ..Attempt::default()
        };
        for (ts, item) in list {
            let end = end_of(&item).max(ts);
            let empty = current.srv.is_empty() && current.conns.is_empty();
            if empty {
                current.start = ts;
            }
            match item {
                Item::Srv(i) => {
                    if !current.conns.is_empty() {
                        attempts.push(std::mem::take(&mut current));
                        current.input = client.1;
                        current.start = ts;
                    }
                    current.srv.push(i);
                }
                Item::Conn(i) => current.conns.push(i),
            }
            current.end = current.end.max(end);
        }
        attempts.push(current);
        let starts: Vec<i64> = attempts.iter().skip(1).map(|a| a.start).collect();
        for (a, until) in attempts
            .iter_mut()
            .zip(starts.into_iter().chain([i64::MAX]))
        {
            a.until = until;
        }
        out.insert(client, attempts);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DnsRecord, Endpoint, Event, TcpOutcome, Transport};

    const S: i64 = 1_000_000_000;
    const CLIENT: &str = "10.0.0.5";
    const EDGE: &str = "198.51.100.7";

    fn at(ip: &str, port: u16) -> Endpoint {
        Endpoint {
            ip: ip.parse().unwrap(),
            port,
        }
    }

    fn tagged(frame: u64, ts: i64, kind: EventKind) -> Tagged {
        Tagged {
            input: 0,
            event: Event { frame, ts, kind },
        }
    }

    fn answer(frame: u64, ts: i64, id: u16, name: &str, qtype: u16, record: DnsRecord) -> Tagged {
        tagged(
            frame,
            ts,
            EventKind::DnsResponse {
                transport: Transport::Udp,
                client: at(CLIENT, 50000 + id),
                server: at("10.0.0.1", 53),
                id,
                name: name.into(),
                qtype,
                rcode: 0,
                truncated: false,
                answers: Box::new([record]),
                additional: Default::default(),
            },
        )
    }

    /// The answer to an SRV lookup naming `expe.example.com:8443`.
    fn srv_answer(frame: u64, ts: i64, id: u16) -> Tagged {
        let name = "_collab-edge._tls.example.com";
        let srv = DnsRecord::Srv {
            name: name.into(),
            priority: 10,
            weight: 10,
            port: 8443,
            target: "expe.example.com".into(),
        };
        answer(frame, ts, id, name, 33, srv)
    }

    fn a_answer(frame: u64, ts: i64, id: u16, addr: &str) -> Tagged {
        a_answer_for(frame, ts, id, "expe.example.com", addr)
    }

    fn a_answer_for(frame: u64, ts: i64, id: u16, name: &str, addr: &str) -> Tagged {
        let a = DnsRecord::A {
            name: name.into(),
            addr: addr.parse().unwrap(),
        };
        answer(frame, ts, id, name, 1, a)
    }

    fn connection(frame: u64, ts: i64, stream: u64, server: Endpoint, last_ts: i64) -> Tagged {
        tagged(
            frame,
            ts,
            EventKind::TcpConnection {
                stream,
                client: at(CLIENT, 40000 + stream as u16),
                server,
                outcome: TcpOutcome::Established,
                syn_count: 1,
                first_rst: None,
                first_fin: None,
                bytes_client: 100,
                bytes_server: 100,
                last_frame: frame + 5,
                last_ts,
                icmp: None,
            },
        )
    }

    fn cut(events: &[Tagged]) -> Vec<(i64, i64, usize, usize)> {
        let txs = super::super::discovery::transactions(events);
        let conns = connections(events);
        let all = attempts(&txs, &conns, &Edges::default());
        let client: IpAddr = CLIENT.parse().unwrap();
        all[&(client, 0)]
            .iter()
            .map(|a| (a.start / S, a.end / S, a.srv.len(), a.conns.len()))
            .collect()
    }

    #[test]
    fn a_new_srv_lookup_after_connections_starts_a_new_attempt() {
        let events = [
            srv_answer(1, 0, 1),
            connection(2, S, 0, at(EDGE, 8443), 5 * S),
            connection(3, 2 * S, 1, at(EDGE, 5222), 9 * S),
            srv_answer(4, 60 * S, 2),
            connection(5, 61 * S, 2, at(EDGE, 8443), 62 * S),
        ];
        // Each attempt ends with its last connection's last packet.
        assert_eq!(cut(&events), vec![(0, 9, 1, 2), (60, 62, 1, 1)]);
    }

    #[test]
    fn lookups_before_any_connection_stay_in_one_attempt() {
        let events = [
            srv_answer(1, 0, 1),
            srv_answer(2, S, 2),
            connection(3, 2 * S, 0, at(EDGE, 8443), 3 * S),
        ];
        assert_eq!(cut(&events), vec![(0, 3, 2, 1)]);
    }

    #[test]
    fn a_connection_counts_on_an_mra_port_or_to_an_srv_target_address() {
        let events = [
            srv_answer(1, 0, 1),
            a_answer(2, S / 2, 3, "203.0.113.9"),
            // 443 to the SRV target's address: Expressway-E on a non-default port.
            connection(3, S, 0, at("203.0.113.9", 443), 2 * S),
            // 443 elsewhere: the user's browser, not the sign-in.
            connection(4, S, 1, at("192.0.2.80", 443), 30 * S),
        ];
        assert_eq!(cut(&events), vec![(0, 2, 1, 1)]);
    }

    #[test]
    fn an_mra_port_of_another_named_server_is_not_the_sign_in() {
        let controller = "192.0.2.44";
        let events = [
            srv_answer(1, 0, 1),
            // The laptop's Wi-Fi controller on 8443, looked up by its own name.
            a_answer_for(2, S / 2, 3, "unifi.home.example", controller),
            connection(3, S, 0, at(controller, 8443), 2 * S),
            connection(4, 2 * S, 1, at(EDGE, 8443), 3 * S),
        ];
        assert_eq!(cut(&events), vec![(0, 3, 1, 1)]);
        // An Expressway-E peer the edge configuration names, in the target's domain, is it.
        let peer = [
            srv_answer(1, 0, 1),
            a_answer_for(2, S / 2, 3, "expe2.example.com", controller),
            connection(3, S, 0, at(controller, 5061), 2 * S),
            connection(4, 2 * S, 1, at(EDGE, 8443), 3 * S),
        ];
        assert_eq!(cut(&peer), vec![(0, 3, 1, 2)]);
        // Without SRV answers naming Expressway-E, every 8443 may be it (cached discovery).
        let cached = [
            a_answer_for(2, S / 2, 3, "unifi.home.example", controller),
            connection(3, S, 0, at(controller, 8443), 2 * S),
            connection(4, 2 * S, 1, at(EDGE, 8443), 3 * S),
        ];
        assert_eq!(cut(&cached), vec![(1, 3, 0, 2)]);
    }
}
