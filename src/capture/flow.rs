//! TCP connection tracking: Wireshark-compatible `tcp.stream` numbering, client/server
//! orientation, connection outcome (answered, unanswered, refused, reset, closed), and the
//! hand-off of reassembled bytes to the protocol found by content.

use super::reassembly::Reassembler;
use crate::model::{Endpoint, EventKind, Side, TcpOutcome, Transport, Unreachable};
use crate::proto::http::{self, HttpDirection};
use crate::proto::keylog::KeyLog;
use crate::proto::proxy;
use crate::proto::sip::{self, SipStreamDirection};
use crate::proto::tls::{self, TlsStream};
use crate::proto::xmpp::{self, XmppStream};
use crate::proto::{Emit, dns};
use std::sync::Arc;

use super::packet::{TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, TcpSegment};

/// Ports whose owner is the server when a connection's SYN was not captured.
const SERVER_PORTS: [u16; 9] = [53, 443, 5060, 5061, 5222, 5269, 7400, 8443, 7001];

#[derive(Default)]
enum App {
    #[default]
    Unknown,
    /// First bytes too few to tell the protocol (a head cut in small TCP segments): each
    /// side's, held until they tell it (at most [`SNIFF_MAX`]).
    Undecided(Box<[Vec<u8>; 2]>),
    /// TLS, and the protocol its decrypted records carry (unknown without keys).
    Tls(Box<TlsStream>, Box<App>),
    Http([HttpDirection; 2]),
    /// An HTTP proxy's CONNECT handshake, before the tunnel opens.
    Proxy(Box<[proxy::HeadReader; 2]>),
    Xmpp(XmppStream),
    Sip([SipStreamDirection; 2]),
    Dns([Vec<u8>; 2]),
    Opaque,
    /// A conversation that ended before its payload (a proxy refused the tunnel): nothing
    /// after it is decoded, not even TLS found by its ClientHello.
    Ended,
}

struct Conn {
    stream: u64,
    client: Endpoint,
    server: Endpoint,
    first_frame: u64,
    first_ts: i64,
    last_frame: u64,
    last_ts: i64,
    /// Counted up to 65,535 (a flood of retransmitted SYNs stops there).
    syn_count: u16,
    client_isn: Option<u32>,
    syn_ack: bool,
    first_rst: Option<Side>,
    first_fin: Option<Side>,
    /// Why an ICMP destination-unreachable came back for this connection, if one did.
    icmp: Option<Unreachable>,
    bytes: [u64; 2],
    /// Where each side's data ends: the sequence number of its FIN.
    fin_at: [Option<u32>; 2],
    /// What decoding a conversation needs, let go once both sides closed it with nothing
    /// left behind a hole: a busy capture holds tens of thousands of finished connections.
    live: Option<Box<Live>>,
}

/// A connection's decoding state: each direction's reassembly and the protocol found.
#[derive(Default)]
struct Live {
    reassembly: [Reassembler; 2],
    app: App,
}

impl Conn {
    fn side_of(&self, src: Endpoint) -> Side {
        if src == self.client {
            Side::Client
        } else {
            Side::Server
        }
    }

    fn closed(&self) -> bool {
        self.first_rst.is_some() || self.first_fin.is_some()
    }
}

#[derive(Default)]
pub struct FlowTable {
    /// foldhash: several times faster than SipHash on this hot path, and seeded per process,
    /// so a crafted capture cannot aim at its collisions.
    by_key: foldhash::HashMap<(Endpoint, Endpoint), usize>,
    /// The connection of the previous segment, and its key.
    last: Option<((Endpoint, Endpoint), usize)>,
    conns: Vec<Conn>,
    /// Connections seen after the limit on flows was reached (not followed).
    pub untracked: u64,
    /// TLS secrets: connections whose handshake they cover are decrypted.
    pub keys: Option<Arc<KeyLog>>,
    /// Out-of-order bytes waiting behind holes, every connection together.
    held: usize,
}

/// Out-of-order bytes held at once in a capture, every connection together: past it, the
/// connection that adds more gives up on its hole (thousands of connections each holding
/// their own cap would otherwise add up to gigabytes).
pub const MAX_HELD_OUT_OF_ORDER: usize = 64 << 20;

fn key(a: Endpoint, b: Endpoint) -> (Endpoint, Endpoint) {
    if a <= b { (a, b) } else { (b, a) }
}

impl FlowTable {
    pub fn with_keys(keys: Option<Arc<KeyLog>>) -> Self {
        FlowTable {
            keys,
            ..Default::default()
        }
    }

    pub fn on_segment(
        &mut self,
        src: Endpoint,
        dst: Endpoint,
        seg: &TcpSegment<&[u8]>,
        payload_ok: bool,
        out: &mut Emit<'_>,
    ) {
        let syn = seg.flags & TCP_SYN != 0;
        let ack = seg.flags & TCP_ACK != 0;
        let k = key(src, dst);
        // Bulk transfers come in runs of one connection's packets: the last lookup first.
        let existing = match self.last {
            Some((last, i)) if last == k => Some(i),
            _ => self.by_key.get(&k).copied(),
        };
        let reuse = match existing {
            // A new SYN on a finished conversation with a different ISN starts a new stream,
            // as Wireshark numbers them.
            Some(i) => {
                let c = &self.conns[i];
                syn && !ack && c.closed() && c.client_isn.is_some_and(|isn| isn != seg.seq)
            }
            None => true,
        };
        // The limit is looked up for new connections only, not on every segment.
        if reuse && self.conns.len() >= crate::limits::get().flows {
            if self.untracked == 0 {
                let detail = format!(
                    "more than {} TCP connections: later ones are not followed",
                    self.conns.len()
                );
                out.anomaly("flow_limit", detail, None);
            }
            self.untracked += 1;
            return;
        }
        let index = if reuse {
            let (client, server) = orient(src, dst, seg.flags);
            let stream = self.conns.len() as u64;
            self.conns.push(Conn {
                stream,
                client,
                server,
                first_frame: out.frame,
                first_ts: out.ts,
                last_frame: out.frame,
                last_ts: out.ts,
                syn_count: 0,
                client_isn: None,
                syn_ack: false,
                first_rst: None,
                first_fin: None,
                icmp: None,
                bytes: [0, 0],
                fin_at: [None; 2],
                live: Some(Box::default()),
            });
            self.by_key.insert(k, self.conns.len() - 1);
            self.conns.len() - 1
        } else {
            existing.expect("checked")
        };
        self.last = Some((k, index));
        let conn = &mut self.conns[index];
        conn.last_frame = out.frame;
        conn.last_ts = out.ts;
        let side = conn.side_of(src);
        let stream = conn.stream;
        if syn && !ack {
            let retransmission = conn.syn_count > 0;
            conn.syn_count = conn.syn_count.saturating_add(1);
            conn.client_isn.get_or_insert(seg.seq);
            if let Some(live) = &mut conn.live {
                live.reassembly[0].start_at(seg.seq.wrapping_add(1));
            }
            out.push(EventKind::TcpSyn {
                stream,
                client: conn.client,
                server: conn.server,
                retransmission,
            });
        } else if syn && ack {
            out.push(EventKind::TcpSynAck {
                stream,
                retransmission: conn.syn_ack,
            });
            conn.syn_ack = true;
            if let Some(live) = &mut conn.live {
                live.reassembly[1].start_at(seg.seq.wrapping_add(1));
            }
        }
        if seg.flags & TCP_RST != 0 {
            conn.first_rst.get_or_insert(side);
            out.push(EventKind::TcpRst { stream, from: side });
        }
        let fin = seg.flags & TCP_FIN != 0;
        if fin && conn.first_fin.is_none() {
            conn.first_fin = Some(side);
            out.push(EventKind::TcpFin { stream, from: side });
        }
        if fin {
            conn.fin_at[side as usize]
                .get_or_insert(seg.seq.wrapping_add(seg.payload.len() as u32));
        }
        if !seg.payload.is_empty() && !syn && payload_ok {
            conn.bytes[side as usize] += seg.payload.len() as u64;
            let Conn {
                live: Some(live),
                client,
                server,
                ..
            } = conn
            else {
                return;
            };
            let Live { reassembly, app } = &mut **live;
            let ends = Ends {
                stream,
                client: *client,
                server: *server,
                keys: self.keys.as_ref(),
                inside_tls: false,
            };
            let r = &mut reassembly[side as usize];
            let before = r.pending_bytes();
            let mut skipped = r.push(seg.seq, out.frame, seg.payload, &mut |_, bytes| {
                feed_app(app, &ends, side, bytes, out);
            });
            if self.held + r.pending_bytes() - before > MAX_HELD_OUT_OF_ORDER {
                skipped += r.give_up(out.frame, &mut |_, bytes| {
                    feed_app(app, &ends, side, bytes, out);
                });
            }
            self.held = self.held + r.pending_bytes() - before;
            if skipped > 0 {
                out.anomaly(
                    "tcp_gap",
                    format!("{skipped} bytes from the {side:?} never arrived; decoding resumed after the hole"),
                    Some(stream),
                );
                if matches!(
                    app,
                    App::Tls(..)
                        | App::Http(_)
                        | App::Proxy(_)
                        | App::Xmpp(_)
                        | App::Dns(_)
                        | App::Undecided(_)
                ) {
                    *app = App::Opaque;
                }
            }
        }
        // Once both sides' data has all arrived up to their FINs (a segment reordered behind
        // a FIN still comes first), nothing more belongs to the conversation: its state is let
        // go, and what still comes is counted, not decoded.
        let conn = &mut self.conns[index];
        if let ([Some(client_end), Some(server_end)], Some(live)) = (conn.fin_at, &conn.live)
            && live.reassembly[0].complete_to(client_end)
            && live.reassembly[1].complete_to(server_end)
        {
            conn.live = None;
        }
    }

    /// Record an ICMP unreachable quoting a connection's packet; returns its stream.
    pub fn on_icmp(
        &mut self,
        client: Endpoint,
        server: Endpoint,
        reason: Unreachable,
    ) -> Option<u64> {
        let &i = self.by_key.get(&key(client, server))?;
        let conn = &mut self.conns[i];
        conn.icmp.get_or_insert(reason);
        Some(conn.stream)
    }

    /// One summary event per connection, at its first frame, and anomalies for holes left.
    pub fn finish(self, events: &mut Vec<crate::model::Event>) {
        for c in self.conns {
            let outcome = if c.syn_ack || c.syn_count == 0 {
                TcpOutcome::Established
            } else if c.first_rst == Some(Side::Server) {
                TcpOutcome::Refused
            } else if c.icmp.is_some() {
                TcpOutcome::IcmpUnreachable
            } else {
                TcpOutcome::Unanswered
            };
            let pending = c.live.as_ref().map(|l| &l.reassembly);
            for (side, r) in [Side::Client, Side::Server]
                .into_iter()
                .zip(pending.into_iter().flatten())
            {
                if r.pending_bytes() > 0 {
                    events.push(crate::model::Event {
                        frame: c.last_frame,
                        ts: c.first_ts,
                        kind: EventKind::Anomaly {
                            what: "tcp_gap".into(),
                            detail: format!(
                                "{} bytes from the {side:?} wait behind a hole that never filled",
                                r.pending_bytes()
                            ),
                            offset: None,
                            stream: Some(c.stream),
                        },
                    });
                }
            }
            events.push(crate::model::Event {
                frame: c.first_frame,
                ts: c.first_ts,
                kind: EventKind::TcpConnection {
                    stream: c.stream,
                    client: c.client,
                    server: c.server,
                    outcome,
                    syn_count: c.syn_count,
                    first_rst: c.first_rst,
                    first_fin: c.first_fin,
                    bytes_client: c.bytes[0],
                    bytes_server: c.bytes[1],
                    last_frame: c.last_frame,
                    last_ts: c.last_ts,
                    icmp: c.icmp,
                },
            });
        }
    }
}

/// Which end is the client: the SYN's sender, the SYN-ACK's receiver, else the side not on a
/// well-known server port.
fn orient(src: Endpoint, dst: Endpoint, flags: u8) -> (Endpoint, Endpoint) {
    let syn = flags & TCP_SYN != 0;
    let ack = flags & TCP_ACK != 0;
    if syn && !ack {
        return (src, dst);
    }
    if syn && ack {
        return (dst, src);
    }
    let src_server = SERVER_PORTS.contains(&src.port);
    let dst_server = SERVER_PORTS.contains(&dst.port);
    if src_server && !dst_server || (src_server == dst_server && src.port < dst.port) {
        (dst, src)
    } else {
        (src, dst)
    }
}

/// The connection as the protocol decoders need to name it.
struct Ends<'k> {
    stream: u64,
    client: Endpoint,
    server: Endpoint,
    keys: Option<&'k Arc<KeyLog>>,
    /// The bytes are TLS's decrypted application data.
    inside_tls: bool,
}

/// How many first bytes of one side are held while they could still start a protocol: past
/// the longest start the probes look for, with white space before an XML one.
const SNIFF_MAX: usize = 64;

/// The protocol a conversation's first bytes (from `side`) show; `None` while they are too
/// few to tell.
fn recognise(ends: &Ends<'_>, side: Side, bytes: &[u8]) -> Option<App> {
    // Inside TLS: HTTP, XMPP or SIP; outside: DNS, TLS, XMPP or SIP.
    let clear = !ends.inside_tls;
    let client = side == Side::Client;
    Some(if clear && ends.server.port == 53 {
        App::Dns(Default::default())
    } else if clear && client && proxy::probe(bytes) {
        App::Proxy(Default::default())
    } else if clear && tls::probe(bytes) {
        App::Tls(Box::new(tls_stream(ends)), Box::new(App::Unknown))
    } else if !clear && http::probe(bytes) {
        App::Http(Default::default())
    } else if xmpp::probe(bytes) {
        App::Xmpp(XmppStream::new(ends.stream))
    } else if sip::probe(bytes) {
        App::Sip(Default::default())
    } else if bytes.len() < SNIFF_MAX
        && ((clear && client && proxy::could_start(bytes))
            || (clear && tls::could_start(bytes))
            || (!clear && http::could_start(bytes))
            || xmpp::could_start(bytes)
            || sip::could_start(bytes))
    {
        return None;
    } else {
        App::Opaque
    })
}

fn feed_app(app: &mut App, ends: &Ends<'_>, side: Side, bytes: &[u8], out: &mut Emit<'_>) {
    if !matches!(app, App::Unknown | App::Undecided(_)) {
        return feed_known(app, ends, side, bytes, out);
    }
    let mut held = match std::mem::replace(app, App::Unknown) {
        App::Undecided(held) => held,
        _ => Box::default(),
    };
    let mine = &mut held[side as usize];
    let first: &[u8] = if mine.is_empty() {
        bytes
    } else {
        mine.extend_from_slice(bytes);
        mine
    };
    let Some(found) = recognise(ends, side, first) else {
        if held[side as usize].is_empty() {
            held[side as usize] = bytes.to_vec();
        }
        *app = App::Undecided(held);
        return;
    };
    *app = found;
    // The other side's bytes held came first.
    let other_side = match side {
        Side::Client => Side::Server,
        Side::Server => Side::Client,
    };
    let theirs = std::mem::take(&mut held[other_side as usize]);
    if !theirs.is_empty() {
        feed_known(app, ends, other_side, &theirs, out);
    }
    let mine = std::mem::take(&mut held[side as usize]);
    feed_known(
        app,
        ends,
        side,
        if mine.is_empty() { bytes } else { &mine },
        out,
    );
}

/// Bytes for a conversation whose protocol is known (or given up on).
fn feed_known(app: &mut App, ends: &Ends<'_>, side: Side, bytes: &[u8], out: &mut Emit<'_>) {
    let stream = ends.stream;
    match app {
        App::Tls(t, inner) => {
            t.feed(side, bytes, out);
            feed_decrypted(t, inner, ends, out);
        }
        App::Http(dirs) => feed_http(&mut dirs[side as usize], ends, bytes, out),
        App::Proxy(heads) => {
            let client = side == Side::Client;
            match heads[side as usize].feed(bytes, client) {
                proxy::Step::More => {}
                proxy::Step::Request { host, port } => {
                    out.push(EventKind::ProxyConnect { stream, host, port });
                }
                proxy::Step::Answer { code, reason } => {
                    out.push(EventKind::ProxyAnswer {
                        stream,
                        code,
                        reason,
                    });
                    if (200..300).contains(&code) {
                        // The tunnel is open: what each side sent after its head is the
                        // tunnel's first bytes, found by content like any connection's.
                        let early = heads[0].rest();
                        let late = heads[1].rest();
                        *app = App::Unknown;
                        for (side, bytes) in [(Side::Client, early), (Side::Server, late)] {
                            if !bytes.is_empty() {
                                feed_app(app, ends, side, &bytes, out);
                            }
                        }
                    } else {
                        *app = App::Ended;
                    }
                }
                proxy::Step::Broken(e) => {
                    out.anomaly("proxy_malformed", e, Some(stream));
                    *app = App::Opaque;
                }
            }
        }
        App::Xmpp(x) => {
            if let xmpp::Next::StartTls(rest) = x.feed(side, bytes, out) {
                let mut t = Box::new(tls_stream(ends));
                let mut inner = Box::new(App::Unknown);
                t.feed(side, &rest, out);
                feed_decrypted(&mut t, &mut inner, ends, out);
                *app = App::Tls(t, inner);
            }
        }
        App::Sip(dirs) => match dirs[side as usize].feed(bytes) {
            Ok(msgs) => {
                let transport = if ends.inside_tls {
                    Transport::Tls
                } else {
                    Transport::Tcp
                };
                for m in msgs {
                    out.push(sip_event(
                        m,
                        transport,
                        Some(stream),
                        ends.client,
                        ends.server,
                    ));
                }
            }
            Err(e) => {
                out.anomaly("sip_desync", e, Some(stream));
                *app = App::Opaque;
            }
        },
        App::Dns(dirs) => {
            let buf = &mut dirs[side as usize];
            buf.extend_from_slice(bytes);
            while buf.len() >= 2 {
                let len = u16::from_be_bytes([buf[0], buf[1]]) as usize;
                if buf.len() < 2 + len {
                    break;
                }
                let msg: Vec<u8> = buf.drain(..2 + len).skip(2).collect();
                let (src, dst) = match side {
                    Side::Client => (ends.client, ends.server),
                    Side::Server => (ends.server, ends.client),
                };
                match dns::decode(&msg, Transport::Tcp, src, dst, out.names) {
                    Ok(ev) => out.push(ev),
                    Err(e) => out.anomaly("dns_malformed", e, Some(stream)),
                }
            }
        }
        // TLS that starts after a protocol this decoder does not follow (a STARTTLS of its
        // own, a proxy's CONNECT): found by its ClientHello, as tshark's heuristics do.
        App::Opaque
            if !ends.inside_tls && side == Side::Client && tls::starts_client_hello(bytes) =>
        {
            let mut t = Box::new(tls_stream(ends));
            let mut inner = Box::new(App::Unknown);
            t.feed(side, bytes, out);
            feed_decrypted(&mut t, &mut inner, ends, out);
            *app = App::Tls(t, inner);
        }
        App::Unknown | App::Undecided(_) => feed_app(app, ends, side, bytes, out),
        App::Opaque | App::Ended => {}
    }
}

fn tls_stream(ends: &Ends<'_>) -> TlsStream {
    TlsStream::with_keys(ends.stream, ends.keys.cloned())
}

/// Hand what TLS decrypted to the protocol inside it.
fn feed_decrypted(t: &mut TlsStream, inner: &mut App, ends: &Ends<'_>, out: &mut Emit<'_>) {
    if t.plaintext.is_empty() {
        return;
    }
    let inside = Ends {
        inside_tls: true,
        keys: None,
        ..*ends
    };
    for (side, plain) in std::mem::take(&mut t.plaintext) {
        feed_app(inner, &inside, side, &plain, out);
    }
}

fn feed_http(dir: &mut HttpDirection, ends: &Ends<'_>, bytes: &[u8], out: &mut Emit<'_>) {
    let stream = ends.stream;
    match dir.feed(bytes) {
        Ok(heads) => {
            for head in heads {
                out.push(match head {
                    http::Head::Request {
                        method,
                        path,
                        host,
                        auth,
                    } => EventKind::HttpRequest {
                        stream,
                        method: method.into(),
                        path: path.into(),
                        host: host.map(String::into_boxed_str),
                        auth: auth.map(String::into_boxed_str),
                    },
                    http::Head::Response { code, reason } => EventKind::HttpResponse {
                        stream,
                        code,
                        reason,
                    },
                });
            }
        }
        Err(e) => out.anomaly("http_desync", e, Some(stream)),
    }
}

pub(super) fn sip_event(
    m: sip::Message,
    transport: Transport,
    stream: Option<u64>,
    client: Endpoint,
    server: Endpoint,
) -> EventKind {
    match m.start {
        sip::StartLine::Request { method, uri } => {
            EventKind::SipRequest(Box::new(crate::model::SipRequest {
                transport,
                stream,
                client,
                server,
                method,
                uri,
                call_id: m.call_id,
                cseq: m.cseq,
            }))
        }
        sip::StartLine::Response { code, reason } => {
            EventKind::SipResponse(Box::new(crate::model::SipResponse {
                transport,
                stream,
                client,
                server,
                code,
                reason,
                call_id: m.call_id,
                cseq: m.cseq,
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ip: &str, port: u16) -> Endpoint {
        Endpoint {
            ip: ip.parse().unwrap(),
            port,
        }
    }

    /// One segment from `src` to `dst`, as frame `frame`.
    fn feed(
        table: &mut FlowTable,
        events: &mut Vec<crate::model::Event>,
        frame: u64,
        (src, dst): (Endpoint, Endpoint),
        seq: u32,
        flags: u8,
        payload: &[u8],
    ) {
        let seg = TcpSegment {
            sport: src.port,
            dport: dst.port,
            seq,
            ack: 0,
            flags,
            payload,
        };
        let mut out = Emit {
            frame,
            ts: 0,
            events,
            names: &mut Default::default(),
        };
        table.on_segment(src, dst, &seg, true, &mut out);
    }

    /// A flood of retransmitted SYNs is counted up to what the summary holds, not wrapped.
    #[test]
    fn syns_past_65535_are_counted_as_65535() {
        let (client, server) = (at("10.0.0.5", 40000), at("192.0.2.7", 8443));
        let mut table = FlowTable::default();
        let mut events = Vec::new();
        for frame in 1..=70_000 {
            feed(
                &mut table,
                &mut events,
                frame,
                (client, server),
                1000,
                TCP_SYN,
                b"",
            );
        }
        table.finish(&mut events);
        let summary = events.iter().find_map(|e| match &e.kind {
            EventKind::TcpConnection {
                syn_count, outcome, ..
            } => Some((*syn_count, *outcome)),
            _ => None,
        });
        assert_eq!(summary, Some((u16::MAX, TcpOutcome::Unanswered)));
    }

    /// Feed one connection's segments in order (each side's sequence numbers from 1000).
    fn run(segments: &[(bool, u8, &[u8])]) -> Vec<EventKind> {
        let (client, proxy) = (at("10.0.0.5", 40000), at("10.0.0.9", 3128));
        let mut table = FlowTable::default();
        let mut events = Vec::new();
        let mut seq = [1000u32, 5000u32];
        for (frame, (from_client, flags, payload)) in segments.iter().enumerate() {
            let (src, dst, side) = if *from_client {
                (client, proxy, 0)
            } else {
                (proxy, client, 1)
            };
            feed(
                &mut table,
                &mut events,
                frame as u64 + 1,
                (src, dst),
                seq[side],
                *flags,
                payload,
            );
            seq[side] = seq[side]
                .wrapping_add(payload.len() as u32)
                .wrapping_add(u32::from(*flags & TCP_SYN != 0));
        }
        table.finish(&mut events);
        events.into_iter().map(|e| e.kind).collect()
    }

    /// A client asks a proxy for a tunnel to expe1.example.com:8443, the proxy answers
    /// `answer`, and the client sends a ClientHello.
    fn through_proxy(answer: &[u8]) -> Vec<EventKind> {
        let hello = crate::synth::capture::client_hello("expe1.example.com", &[7; 32]);
        run(&[
            (true, TCP_SYN, b""),
            (false, TCP_SYN | TCP_ACK, b""),
            (
                true,
                TCP_ACK,
                b"CONNECT expe1.example.com:8443 HTTP/1.1\r\nHost: expe1.example.com:8443\r\n\r\n",
            ),
            (false, TCP_ACK, answer),
            (true, TCP_ACK, &hello),
        ])
    }

    #[test]
    fn tls_after_a_proxy_connect_is_found_by_its_client_hello() {
        let kinds = through_proxy(b"HTTP/1.1 200 Connection established\r\n\r\n");
        assert!(
            kinds.iter().any(|k| matches!(k,
                EventKind::ProxyConnect { host, port: 8443, .. } if host == "expe1.example.com")),
            "{kinds:?}"
        );
        assert!(
            kinds
                .iter()
                .any(|k| matches!(k, EventKind::ProxyAnswer { code: 200, .. })),
            "{kinds:?}"
        );
        assert!(
            kinds.iter().any(|k| matches!(k,
                EventKind::TlsClientHello { sni: Some(s), .. } if &**s == "expe1.example.com")),
            "{kinds:?}"
        );
    }

    /// A conversation both sides closed lets go of its decoding state: bytes after both FINs
    /// are counted, not decoded. One side's FIN (a half-close) keeps it.
    #[test]
    fn bytes_after_both_fins_are_counted_not_decoded() {
        let hello = crate::synth::capture::client_hello("expe1.example.com", &[7; 32]);
        let hello_found = |kinds: &[EventKind]| {
            kinds
                .iter()
                .any(|k| matches!(k, EventKind::TlsClientHello { .. }))
        };
        let client_bytes = |kinds: &[EventKind]| {
            kinds.iter().find_map(|k| match k {
                EventKind::TcpConnection { bytes_client, .. } => Some(*bytes_client),
                _ => None,
            })
        };
        let opened: [(bool, u8, &[u8]); 2] =
            [(true, TCP_SYN, b""), (false, TCP_SYN | TCP_ACK, b"")];
        let both = run(&[
            opened[0],
            opened[1],
            (true, TCP_FIN | TCP_ACK, b""),
            (false, TCP_FIN | TCP_ACK, b""),
            (true, TCP_ACK, &hello),
        ]);
        assert!(!hello_found(&both), "{both:?}");
        assert_eq!(client_bytes(&both), Some(hello.len() as u64));
        let half = run(&[
            opened[0],
            opened[1],
            (false, TCP_FIN | TCP_ACK, b""),
            (true, TCP_ACK, &hello),
        ]);
        assert!(hello_found(&half), "{half:?}");
    }

    /// A segment the capture shows after both FINs, though it was sent before its side's
    /// FIN (reordered on the way to the capture point), is still the conversation's.
    #[test]
    fn data_reordered_behind_both_fins_is_still_decoded() {
        let (client, server) = (at("10.0.0.5", 40000), at("10.0.0.9", 8443));
        let hello = crate::synth::capture::client_hello("expe1.example.com", &[7; 32]);
        let end = 1001 + hello.len() as u32;
        let mut table = FlowTable::default();
        let mut events = Vec::new();
        let segments: [(bool, u8, u32, &[u8]); 5] = [
            (true, TCP_SYN, 1000, b""),
            (false, TCP_SYN | TCP_ACK, 5000, b""),
            (true, TCP_FIN | TCP_ACK, end, b""),
            (false, TCP_FIN | TCP_ACK, 5001, b""),
            (true, TCP_ACK, 1001, &hello),
        ];
        for (frame, (from_client, flags, seq, payload)) in segments.into_iter().enumerate() {
            let (src, dst) = if from_client {
                (client, server)
            } else {
                (server, client)
            };
            feed(
                &mut table,
                &mut events,
                frame as u64 + 1,
                (src, dst),
                seq,
                flags,
                payload,
            );
        }
        assert!(
            table.conns[0].live.is_none(),
            "complete to both FINs: let go"
        );
        table.finish(&mut events);
        assert!(
            events
                .iter()
                .any(|e| matches!(e.kind, EventKind::TlsClientHello { .. })),
            "{events:?}"
        );
    }

    /// `payload` from the client in segments of `size` bytes, after a handshake.
    fn cut_into(payload: &[u8], size: usize) -> Vec<EventKind> {
        let mut segments: Vec<(bool, u8, &[u8])> =
            vec![(true, TCP_SYN, b""), (false, TCP_SYN | TCP_ACK, b"")];
        segments.extend(payload.chunks(size).map(|c| (true, TCP_ACK, c)));
        run(&segments)
    }

    #[test]
    fn a_head_cut_into_segments_of_a_few_bytes_is_still_recognised() {
        let register = b"REGISTER sip:example.com SIP/2.0\r\nCall-ID: a1\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n";
        let xmpp = b"<?xml version='1.0'?><stream:stream to='example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";
        let connect = b"CONNECT expe1.example.com:8443 HTTP/1.1\r\n\r\n";
        for size in [1, 3, 7] {
            let kinds = cut_into(register, size);
            assert!(
                kinds
                    .iter()
                    .any(|k| matches!(k, EventKind::SipRequest(r) if r.method == "REGISTER")),
                "{size}: {kinds:?}"
            );
            let kinds = cut_into(xmpp, size);
            assert!(
                kinds
                    .iter()
                    .any(|k| matches!(k, EventKind::XmppStreamOpen { .. })),
                "{size}: {kinds:?}"
            );
            let kinds = cut_into(connect, size);
            assert!(
                kinds
                    .iter()
                    .any(|k| matches!(k, EventKind::ProxyConnect { port: 8443, .. })),
                "{size}: {kinds:?}"
            );
        }
        // Bytes that start nothing known are given up on at once; those that could start
        // something are held no further than a few dozen bytes.
        let kinds = cut_into(&[b'R'; 200], 1);
        assert!(
            !kinds.iter().any(|k| matches!(k, EventKind::SipRequest(_))),
            "{kinds:?}"
        );
    }

    #[test]
    fn a_proxy_that_refuses_the_tunnel_is_said_and_nothing_follows() {
        let kinds = through_proxy(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
        assert!(
            kinds.iter().any(|k| matches!(k,
                EventKind::ProxyAnswer { code: 503, reason, .. } if reason == "Service Unavailable")),
            "{kinds:?}"
        );
        assert!(
            !kinds
                .iter()
                .any(|k| matches!(k, EventKind::TlsClientHello { .. })),
            "{kinds:?}"
        );
    }

    #[test]
    fn bytes_that_only_look_like_tls_mid_stream_are_not_taken_for_it() {
        // A handshake record header whose message is not a ClientHello (type 2), from the
        // client, after an unknown protocol: stays opaque.
        let kinds = run(&[
            (true, TCP_SYN, b""),
            (false, TCP_SYN | TCP_ACK, b""),
            (true, TCP_ACK, b"HELLO unknown protocol\r\n"),
            (true, TCP_ACK, &[22, 3, 3, 0, 4, 2, 0, 0, 0]),
        ]);
        assert!(
            !kinds.iter().any(|k| matches!(
                k,
                EventKind::TlsClientHello { .. }
                    | EventKind::TlsServerHello { .. }
                    | EventKind::Anomaly { .. }
            )),
            "{kinds:?}"
        );
    }

    /// Connections each holding data behind a hole: in all, the bytes held stay under the
    /// capture-wide bound (each connection's own cap, times thousands, made gigabytes), and
    /// a connection made to give up its hole says so.
    #[test]
    fn out_of_order_bytes_held_are_bounded_for_the_whole_capture() {
        let mut table = FlowTable::default();
        let mut events = Vec::new();
        let server = at("10.0.0.9", 8443);
        let chunk = vec![0x17u8; 50_000];
        for flow in 0..400u16 {
            let client = at("10.0.0.5", 10_000 + flow);
            let mut out = Emit {
                frame: 1,
                ts: 0,
                events: &mut events,
                names: &mut Default::default(),
            };
            let syn = TcpSegment {
                sport: client.port,
                dport: 8443,
                seq: 1000,
                ack: 0,
                flags: TCP_SYN,
                payload: &[][..],
            };
            table.on_segment(client, server, &syn, true, &mut out);
            // A hole of one byte at 1001, then 5 × 50 KB behind it: 250 KB waiting.
            for i in 0..5u32 {
                let seg = TcpSegment {
                    sport: client.port,
                    dport: 8443,
                    seq: 1002 + i * 50_000,
                    ack: 0,
                    flags: TCP_ACK,
                    payload: &chunk[..],
                };
                table.on_segment(client, server, &seg, true, &mut out);
                assert!(table.held <= MAX_HELD_OUT_OF_ORDER, "{}", table.held);
            }
        }
        assert!(table.held > MAX_HELD_OUT_OF_ORDER / 2, "{}", table.held);
        assert!(
            events.iter().any(|e| matches!(&e.kind,
                EventKind::Anomaly { what, .. } if what == "tcp_gap")),
            "the connections that gave up say so"
        );
    }
}
