//! The same sign-in, handed over the ways the field hands it over, is judged the same; and
//! inputs that saw less of a failure never read ok. Our samples pass their own expectations:
//! these tests ask whether they still pass as the field writes them.
//!
//! - Captures (every sample whose capture is a classic pcap): pcapng, nanosecond and
//!   big-endian pcap, VLAN and QinQ tags, Linux cooked headers from `tcpdump -i any`, Ethernet
//!   padding and frame check sequences, a SPAN port's duplicates, small TCP segments,
//!   keep-alives, offload-coalesced and reordered segments, a side's last data captured after
//!   the closing FINs, beside a laptop's other traffic:
//!   the verdict, its fault, every phase and every session's verdict must not move (a fault
//!   that vanishes under a VLAN tag is a failed sign-in reported as ok); where the bytes above
//!   the link layer are kept, the events must not either (the real corpus's captures too).
//! - Bundles and PRT zips unpacked, repacked, nested, with CR LF, in another time zone, with
//!   the box's clock a few seconds off, a Jabber log rotated or written as iOS writes it;
//!   inputs in another order and under other names: judged the same.
//! - A failing capture that lost a frame, was cut at a snap length, started late or stopped
//!   early, and a failing bundle that lost a line a signature reads: never ok.
//! - A failing capture merged with another machine's good sign-in: its own sessions judged as
//!   alone.

mod common;

use mradiag::analyze;
use mradiag::logs::signatures::Catalog;
use mradiag::report::Report;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The problem, when a failing sample that saw less (`less`) reads ok.
fn read_ok(dir: &Path, less: &str, before: &Report, after: &Report) -> Option<String> {
    (serde_json::to_value(after.verdict.status).unwrap() == "ok").then(|| {
        format!(
            "{} {less}: ok ({}), but {} as written",
            dir.file_name().unwrap().to_string_lossy(),
            after.verdict.summary,
            before.verdict.fault.as_deref().unwrap_or("-"),
        )
    })
}

/// Fails naming every problem at once, unless `checked` (at least `min`) `cases` held.
fn all_held(problems: &[String], checked: usize, min: usize, cases: &str, failed: &str) {
    assert!(checked >= min, "only {checked} {cases} checked");
    assert!(
        problems.is_empty(),
        "{} of {checked} {failed}:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// A classic pcap, read whatever its byte order and time resolution.
struct Pcap {
    linktype: u32,
    snaplen: u32,
    frames: Vec<Frame>,
}

#[derive(Clone)]
struct Frame {
    ts_ns: i64,
    orig_len: u32,
    data: Vec<u8>,
}

fn read_pcap(bytes: &[u8]) -> Option<Pcap> {
    let magic: [u8; 4] = bytes.get(..4)?.try_into().ok()?;
    let (big, nanos) = match magic {
        [0xd4, 0xc3, 0xb2, 0xa1] => (false, false),
        [0x4d, 0x3c, 0xb2, 0xa1] => (false, true),
        [0xa1, 0xb2, 0xc3, 0xd4] => (true, false),
        [0xa1, 0xb2, 0x3c, 0x4d] => (true, true),
        _ => return None,
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        Some(if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let (snaplen, linktype) = (u32_at(16)?, u32_at(20)?);
    let mut frames = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        let (sec, frac, incl, orig) = (
            u32_at(at)?,
            u32_at(at + 4)?,
            u32_at(at + 8)?,
            u32_at(at + 12)?,
        );
        let data = bytes.get(at + 16..at + 16 + incl as usize)?.to_vec();
        let frac_ns = if nanos {
            frac as i64
        } else {
            frac as i64 * 1000
        };
        frames.push(Frame {
            ts_ns: sec as i64 * 1_000_000_000 + frac_ns,
            orig_len: orig,
            data,
        });
        at += 16 + incl as usize;
    }
    Some(Pcap {
        linktype,
        snaplen,
        frames,
    })
}

fn write_pcap(p: &Pcap, big: bool, nanos: bool) -> Vec<u8> {
    let w = |out: &mut Vec<u8>, v: u32| {
        out.extend_from_slice(&if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        })
    };
    let mut out = Vec::new();
    w(&mut out, if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 });
    let version = if big { [0, 2, 0, 4] } else { [2, 0, 4, 0] };
    out.extend_from_slice(&version);
    out.extend_from_slice(&[0; 8]);
    w(&mut out, p.snaplen);
    w(&mut out, p.linktype);
    for f in &p.frames {
        let sec = f.ts_ns.div_euclid(1_000_000_000) as u32;
        let ns = f.ts_ns.rem_euclid(1_000_000_000) as u32;
        w(&mut out, sec);
        w(&mut out, if nanos { ns } else { ns / 1000 });
        w(&mut out, f.data.len() as u32);
        w(&mut out, f.orig_len);
        out.extend_from_slice(&f.data);
    }
    out
}

/// pcapng as dumpcap writes it: a section header, one interface (microseconds unless
/// `nanos`, said by `if_tsresol`), enhanced packet blocks.
fn write_pcapng(p: &Pcap, nanos: bool) -> Vec<u8> {
    fn block(out: &mut Vec<u8>, kind: u32, body: &[u8]) {
        let padded = body.len().div_ceil(4) * 4;
        let len = (12 + padded) as u32;
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(body);
        out.resize(out.len() + padded - body.len(), 0);
        out.extend_from_slice(&len.to_le_bytes());
    }
    let mut out = Vec::new();
    let mut shb = 0x1a2b_3c4d_u32.to_le_bytes().to_vec();
    shb.extend_from_slice(&[1, 0, 0, 0]);
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    block(&mut out, 0x0a0d_0d0a, &shb);
    let mut idb = (p.linktype as u16).to_le_bytes().to_vec();
    idb.extend_from_slice(&[0, 0]);
    idb.extend_from_slice(&p.snaplen.to_le_bytes());
    if nanos {
        // if_tsresol = 9, then opt_endofopt.
        idb.extend_from_slice(&[9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0]);
    }
    block(&mut out, 1, &idb);
    for f in &p.frames {
        let units = if nanos { f.ts_ns } else { f.ts_ns / 1000 } as u64;
        let mut epb = 0u32.to_le_bytes().to_vec();
        epb.extend_from_slice(&((units >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(units as u32).to_le_bytes());
        epb.extend_from_slice(&(f.data.len() as u32).to_le_bytes());
        epb.extend_from_slice(&f.orig_len.to_le_bytes());
        epb.extend_from_slice(&f.data);
        block(&mut out, 6, &epb);
    }
    out
}

const ETHERNET: u32 = 1;

/// Each Ethernet frame with 802.1Q tags (outer first) after its MAC addresses.
fn tagged(p: &Pcap, tags: &[[u8; 4]]) -> Option<Pcap> {
    (p.linktype == ETHERNET).then(|| Pcap {
        frames: p
            .frames
            .iter()
            .map(|f| {
                // A frame cut before its EtherType has no place for a tag.
                if f.data.len() < 14 {
                    return f.clone();
                }
                let mut data = f.data[..12].to_vec();
                tags.iter().for_each(|t| data.extend_from_slice(t));
                data.extend_from_slice(&f.data[12..]);
                let grown = 4 * tags.len() as u32;
                Frame {
                    ts_ns: f.ts_ns,
                    orig_len: f.orig_len + grown,
                    data,
                }
            })
            .collect(),
        snaplen: p.snaplen + 8,
        ..*p
    })
}

/// Ethernet frames as `tcpdump -i any` writes them: Linux cooked (SLL) headers.
fn cooked(p: &Pcap) -> Option<Pcap> {
    (p.linktype == ETHERNET).then(|| Pcap {
        linktype: 113,
        snaplen: p.snaplen,
        frames: p
            .frames
            .iter()
            .map(|f| {
                // A frame cut before its EtherType holds nothing above the link layer.
                if f.data.len() < 14 {
                    return f.clone();
                }
                // Packet type 0 ("to us"), ARPHRD_ETHER, the source MAC, the EtherType.
                let mut data = vec![0, 0, 0, 1, 0, 6];
                data.extend_from_slice(&f.data[6..12]);
                data.extend_from_slice(&[0, 0]);
                data.extend_from_slice(&f.data[12..]);
                Frame {
                    ts_ns: f.ts_ns,
                    orig_len: f.orig_len + 2,
                    data,
                }
            })
            .collect(),
    })
}

/// Ethernet frames as a tap or a NIC that keeps them whole writes them: short ones padded
/// to 60 bytes, and every one with its 4-byte frame check sequence after the IP packet.
fn with_trailers(p: &Pcap) -> Option<Pcap> {
    (p.linktype == ETHERNET).then(|| Pcap {
        frames: p
            .frames
            .iter()
            .map(|f| {
                let mut data = f.data.clone();
                // A frame cut by the snap length shows no trailer.
                if data.len() as u32 != f.orig_len {
                    return f.clone();
                }
                if data.len() < 60 {
                    data.resize(60, 0);
                }
                data.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
                let grown = (data.len() - f.data.len()) as u32;
                Frame {
                    ts_ns: f.ts_ns,
                    orig_len: f.orig_len + grown,
                    data,
                }
            })
            .collect(),
        snaplen: p.snaplen + 64,
        ..*p
    })
}

/// A SPAN port's copy of every frame, at the same time.
fn duplicated(p: &Pcap) -> Pcap {
    Pcap {
        frames: p
            .frames
            .iter()
            .flat_map(|f| [f.clone(), f.clone()])
            .collect(),
        ..*p
    }
}

fn ip_checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]) as u32)
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An Ethernet frame of IPv4 `proto` from `src` to `dst` carrying `l4`.
fn ipv4_frame(src: [u8; 4], dst: [u8; 4], proto: u8, l4: &[u8], id: u16) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 0x0b, 0x02, 0, 0, 0, 0, 0x0a, 0x08, 0x00];
    let mut ip = vec![0x45, 0];
    ip.extend_from_slice(&((20 + l4.len()) as u16).to_be_bytes());
    ip.extend_from_slice(&id.to_be_bytes());
    ip.extend_from_slice(&[0x40, 0, 64, proto, 0, 0]);
    ip.extend_from_slice(&src);
    ip.extend_from_slice(&dst);
    let sum = ip_checksum(&ip);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    f.extend_from_slice(&ip);
    f.extend_from_slice(l4);
    f
}

fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = sport.to_be_bytes().to_vec();
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    u
}

fn tcp(sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut t = sport.to_be_bytes().to_vec();
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&ack.to_be_bytes());
    t.extend_from_slice(&[0x50, flags, 0xfa, 0xf0, 0, 0, 0, 0]);
    t.extend_from_slice(payload);
    t
}

fn tls_record(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut r = vec![kind, 3, 3];
    r.extend_from_slice(&(body.len() as u16).to_be_bytes());
    r.extend_from_slice(body);
    r
}

fn handshake(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut h = vec![kind];
    h.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    h.extend_from_slice(body);
    tls_record(22, &h)
}

fn server_hello() -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend_from_slice(&[0xa5; 32]);
    body.extend_from_slice(&[0, 0x13, 0x01, 0, 0, 6, 0, 0x2b, 0, 2, 3, 4]);
    let mut out = handshake(2, &body);
    out.extend_from_slice(&tls_record(20, &[1]));
    out.extend_from_slice(&tls_record(23, &[0x33; 80]));
    out
}

/// A DNS query for `name`'s A record (answered with `answer` when given).
fn dns(id: u16, name: &str, answer: Option<[u8; 4]>) -> Vec<u8> {
    let mut m = id.to_be_bytes().to_vec();
    m.extend_from_slice(if answer.is_some() {
        &[0x81, 0x80]
    } else {
        &[0x01, 0x00]
    });
    m.extend_from_slice(&[0, 1, 0, answer.is_some() as u8, 0, 0, 0, 0]);
    for label in name.split('.') {
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    m.extend_from_slice(&[0, 0, 1, 0, 1]);
    if let Some(a) = answer {
        m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
        m.extend_from_slice(&a);
    }
    m
}

/// The client's own address and its DNS server: the first DNS query's ends.
fn client_and_resolver(p: &Pcap) -> Option<([u8; 4], [u8; 4])> {
    p.frames.iter().find_map(|f| {
        let d = &f.data;
        (d.len() > 42 && d[12..14] == [8, 0] && d[23] == 17 && d[36..38] == [0, 53])
            .then(|| (d[26..30].try_into().unwrap(), d[30..34].try_into().unwrap()))
    })
}

/// Another site the laptop talks to: its name, address and port.
struct Site {
    name: &'static str,
    addr: [u8; 4],
    port: u16,
}

/// A web site a browser opens while Jabber signs in.
const WEB: Site = Site {
    name: "www.example.org",
    addr: [198, 51, 100, 80],
    port: 443,
};

/// Another application's server on an MRA port: a home Wi-Fi controller's 8443.
const CONTROLLER: Site = Site {
    name: "unifi.home.example",
    addr: [192, 0, 2, 44],
    port: 8443,
};

/// What a laptop sends beside Jabber: an ARP request, an SSDP search, and a lookup of
/// `site` and an HTTPS connection to it, from the client's own address.
fn laptop_noise(client: [u8; 4], resolver: [u8; 4], site: &Site) -> Vec<Vec<u8>> {
    let web = site.addr;
    let (cp, sp) = (50_123u16, site.port);
    let (c0, s0) = (1_000u32, 9_000u32);
    let hello = mradiag::synth::capture::client_hello(site.name, &[0x5a; 32]);
    let answer = server_hello();
    let mut arp = vec![0xff; 6];
    arp.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x0a, 0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1]);
    arp.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x0a]);
    arp.extend_from_slice(&client);
    arp.extend_from_slice(&[0; 6]);
    arp.extend_from_slice(&[client[0], client[1], client[2], 1]);
    let ssdp = b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n";
    let c_end = c0 + 1 + hello.len() as u32;
    let s_end = s0 + 1 + answer.len() as u32;
    vec![
        arp,
        ipv4_frame(
            client,
            [239, 255, 255, 250],
            17,
            &udp(51_000, 1900, ssdp),
            7,
        ),
        ipv4_frame(
            client,
            resolver,
            17,
            &udp(51_001, 53, &dns(0x7777, site.name, None)),
            8,
        ),
        ipv4_frame(
            resolver,
            client,
            17,
            &udp(53, 51_001, &dns(0x7777, site.name, Some(web))),
            9,
        ),
        ipv4_frame(client, web, 6, &tcp(cp, sp, c0, 0, 0x02, &[]), 10),
        ipv4_frame(web, client, 6, &tcp(sp, cp, s0, c0 + 1, 0x12, &[]), 11),
        ipv4_frame(client, web, 6, &tcp(cp, sp, c0 + 1, s0 + 1, 0x10, &[]), 12),
        ipv4_frame(
            client,
            web,
            6,
            &tcp(cp, sp, c0 + 1, s0 + 1, 0x18, &hello),
            13,
        ),
        ipv4_frame(
            web,
            client,
            6,
            &tcp(sp, cp, s0 + 1, c_end, 0x18, &answer),
            14,
        ),
        ipv4_frame(client, web, 6, &tcp(cp, sp, c_end, s_end, 0x11, &[]), 15),
        ipv4_frame(
            web,
            client,
            6,
            &tcp(sp, cp, s_end, c_end + 1, 0x11, &[]),
            16,
        ),
        ipv4_frame(
            client,
            web,
            6,
            &tcp(cp, sp, c_end + 1, s_end + 1, 0x10, &[]),
            17,
        ),
    ]
}

/// The capture with the laptop's other traffic between its frames, one noise frame after
/// each of the first ones, at the time of the frame before it.
fn with_noise(p: &Pcap, site: &Site) -> Option<Pcap> {
    if p.linktype != ETHERNET {
        return None;
    }
    let (client, resolver) = client_and_resolver(p)?;
    let mut noise = laptop_noise(client, resolver, site).into_iter();
    let mut frames = Vec::new();
    for f in &p.frames {
        frames.push(f.clone());
        if let Some(data) = noise.next() {
            frames.push(Frame {
                ts_ns: f.ts_ns,
                orig_len: data.len() as u32,
                data,
            });
        }
    }
    frames.extend(noise.map(|data| Frame {
        ts_ns: p.frames.last().map_or(0, |f| f.ts_ns),
        orig_len: data.len() as u32,
        data,
    }));
    Some(Pcap { frames, ..*p })
}

/// Where an Ethernet frame's IP header starts (past any VLAN tags), and its version.
fn ip_start(frame: &[u8]) -> Option<(usize, u8)> {
    let mut at = 12;
    loop {
        match frame.get(at..at + 2)? {
            [0x81, 0x00] | [0x88, 0xa8] => at += 4,
            [0x08, 0x00] => return Some((at + 2, 4)),
            [0x86, 0xdd] => return Some((at + 2, 6)),
            _ => return None,
        }
    }
}

/// A whole TCP segment's parts: (IP header start, TCP header start, payload start), when
/// the frame is Ethernet, IPv4 or IPv6 without extension headers, and not cut short.
fn tcp_parts(f: &Frame) -> Option<(usize, usize, usize)> {
    let d = &f.data;
    if d.len() as u32 != f.orig_len {
        return None;
    }
    let (ip, version) = ip_start(d)?;
    let (tcp, ip_len) = match version {
        4 if *d.get(ip + 9)? == 6 && d.get(ip + 6..ip + 8)? == [0x40, 0]
            || d.get(ip + 6..ip + 8)? == [0, 0] =>
        {
            (
                ip + (d[ip] as usize & 0x0f) * 4,
                u16::from_be_bytes([d[ip + 2], d[ip + 3]]) as usize,
            )
        }
        6 if *d.get(ip + 6)? == 6 => (
            ip + 40,
            40 + u16::from_be_bytes([d[ip + 4], d[ip + 5]]) as usize,
        ),
        _ => return None,
    };
    if version == 4 && d[ip + 9] != 6 {
        return None;
    }
    let payload = tcp + (*d.get(tcp + 12)? as usize >> 4) * 4;
    (ip + ip_len == d.len() && payload <= d.len()).then_some((ip, tcp, payload))
}

/// Each TCP segment's payload cut into segments of at most `mss` bytes (a small MSS on
/// a VPN path), with their sequence numbers; PSH and FIN only on the last.
fn resegmented(p: &Pcap, mss: usize) -> Option<Pcap> {
    if p.linktype != ETHERNET {
        return None;
    }
    let mut frames = Vec::new();
    for f in &p.frames {
        let Some((ip, tcp, payload)) = tcp_parts(f).filter(|&(.., at)| f.data.len() - at > mss)
        else {
            frames.push(f.clone());
            continue;
        };
        let d = &f.data;
        let seq = u32::from_be_bytes(d[tcp + 4..tcp + 8].try_into().unwrap());
        let chunks: Vec<&[u8]> = d[payload..].chunks(mss).collect();
        for (i, chunk) in chunks.iter().enumerate() {
            let mut data = d[..payload].to_vec();
            data.extend_from_slice(chunk);
            let offset = (i * mss) as u32;
            data[tcp + 4..tcp + 8].copy_from_slice(&seq.wrapping_add(offset).to_be_bytes());
            if i + 1 < chunks.len() {
                data[tcp + 13] &= !0x09;
            }
            if d[ip] >> 4 == 4 {
                let len = (data.len() - ip) as u16;
                data[ip + 2..ip + 4].copy_from_slice(&len.to_be_bytes());
                data[ip + 10..ip + 12].copy_from_slice(&[0, 0]);
                let sum = ip_checksum(&data[ip..tcp]);
                data[ip + 10..ip + 12].copy_from_slice(&sum.to_be_bytes());
            } else {
                let len = (data.len() - ip - 40) as u16;
                data[ip + 4..ip + 6].copy_from_slice(&len.to_be_bytes());
            }
            frames.push(Frame {
                ts_ns: f.ts_ns,
                orig_len: data.len() as u32,
                data,
            });
        }
    }
    Some(Pcap { frames, ..*p })
}

/// A frame's TCP segment with `payload` in place of its own, at sequence number `seq`, the
/// IP length (and IPv4 checksum) set to match.
fn with_payload(f: &Frame, parts: (usize, usize, usize), seq: u32, payload: &[u8]) -> Frame {
    let (ip, tcp, at) = parts;
    let mut data = f.data[..at].to_vec();
    data.extend_from_slice(payload);
    data[tcp + 4..tcp + 8].copy_from_slice(&seq.to_be_bytes());
    if data[ip] >> 4 == 4 {
        let len = (data.len() - ip) as u16;
        data[ip + 2..ip + 4].copy_from_slice(&len.to_be_bytes());
        data[ip + 10..ip + 12].copy_from_slice(&[0, 0]);
        let sum = ip_checksum(&data[ip..tcp]);
        data[ip + 10..ip + 12].copy_from_slice(&sum.to_be_bytes());
    } else {
        let len = (data.len() - ip - 40) as u16;
        data[ip + 4..ip + 6].copy_from_slice(&len.to_be_bytes());
    }
    Frame {
        ts_ns: f.ts_ns,
        orig_len: data.len() as u32,
        data,
    }
}

/// After each data segment, a keep-alive from the same side as Windows sends it: the last
/// byte already sent again, as one byte of garbage.
fn with_keepalives(p: &Pcap) -> Option<Pcap> {
    if p.linktype != ETHERNET {
        return None;
    }
    let mut frames = Vec::new();
    for f in &p.frames {
        frames.push(f.clone());
        if let Some(parts) = tcp_parts(f).filter(|&(.., at)| at < f.data.len())
            && f.data[parts.1 + 13] & 0x07 == 0
        {
            let (tcp, at) = (parts.1, parts.2);
            let seq = u32::from_be_bytes(f.data[tcp + 4..tcp + 8].try_into().unwrap());
            let next = seq.wrapping_add((f.data.len() - at) as u32);
            let mut probe = with_payload(f, parts, next.wrapping_sub(1), &[0]);
            probe.data[tcp + 13] = 0x10;
            frames.push(probe);
        }
    }
    Some(Pcap { frames, ..*p })
}

/// Where a frame's source and destination addresses are, its IP header at `ip`.
fn address_range(f: &Frame, ip: usize) -> std::ops::Range<usize> {
    if f.data[ip] >> 4 == 4 {
        ip + 12..ip + 20
    } else {
        ip + 8..ip + 40
    }
}

/// Data segments of one direction that follow each other in the capture as one large
/// segment, as a capture on the sending host shows them (segmentation offload).
fn coalesced(p: &Pcap) -> Option<Pcap> {
    if p.linktype != ETHERNET {
        return None;
    }
    let key = |f: &Frame| {
        let (ip, tcp, at) = tcp_parts(f)?;
        let addrs = address_range(f, ip);
        let flags = f.data[tcp + 13];
        (at < f.data.len() && flags & 0x07 == 0).then(|| {
            let seq = u32::from_be_bytes(f.data[tcp + 4..tcp + 8].try_into().unwrap());
            (
                f.data[addrs].to_vec(),
                f.data[tcp..tcp + 4].to_vec(),
                seq,
                (ip, tcp, at),
            )
        })
    };
    let mut frames: Vec<Frame> = Vec::new();
    // The segment being grown: its frame's place, first sequence number and payload.
    let mut open: Option<(usize, u32, Vec<u8>)> = None;
    for f in &p.frames {
        let k = key(f);
        if let (Some((addrs, ports, seq, parts)), Some((at, first, payload))) = (&k, &mut open) {
            let last = &frames[*at];
            let (la, lp, ..) = key(last).unwrap();
            if *addrs == la
                && *ports == lp
                && *seq == first.wrapping_add(payload.len() as u32)
                && payload.len() + f.data.len() < 60_000
            {
                payload.extend_from_slice(&f.data[parts.2..]);
                let grown = with_payload(last, key(last).unwrap().3, *first, payload);
                frames[*at] = grown;
                continue;
            }
        }
        frames.push(f.clone());
        open = k.map(|(.., seq, parts)| (frames.len() - 1, seq, f.data[parts.2..].to_vec()));
    }
    Some(Pcap {
        frames,
        snaplen: 65_535,
        ..*p
    })
}

/// Two data segments of one direction that follow each other delivered the other way
/// round (the later one captured first, at the earlier one's time).
fn reordered(p: &Pcap) -> Option<Pcap> {
    if p.linktype != ETHERNET {
        return None;
    }
    let flow = |f: &Frame| {
        let (ip, tcp, payload) = tcp_parts(f)?;
        let addrs = address_range(f, ip);
        (payload < f.data.len()).then(|| (f.data[addrs].to_vec(), f.data[tcp..tcp + 4].to_vec()))
    };
    let mut frames = p.frames.clone();
    let mut i = 0;
    while i + 1 < frames.len() {
        if let (Some(a), Some(b)) = (flow(&frames[i]), flow(&frames[i + 1]))
            && a == b
        {
            let ts = frames[i].ts_ns;
            frames.swap(i, i + 1);
            frames[i].ts_ns = ts;
            i += 2;
        } else {
            i += 1;
        }
    }
    Some(Pcap { frames, ..*p })
}

/// Each side's last data segment of a connection closed both ways captured after the
/// closing FINs, at the last one's time (sent before its side's FIN, delayed on the way to
/// the capture point): the alert or answer that ends a failing exchange often is that one.
fn data_after_fins(p: &Pcap) -> Option<Pcap> {
    if p.linktype != ETHERNET {
        return None;
    }
    // A direction: addresses and ports as they are in the frame.
    let direction = |f: &Frame| {
        let (ip, tcp, payload) = tcp_parts(f)?;
        let addrs = address_range(f, ip);
        let flags = f.data[tcp + 13];
        Some((
            [f.data[addrs].to_vec(), f.data[tcp..tcp + 4].to_vec()],
            flags & 0x01 != 0,
            payload < f.data.len() && flags & 0x02 == 0,
        ))
    };
    let reverse = |d: &[Vec<u8>; 2]| {
        let half = d[0].len() / 2;
        [
            [&d[0][half..], &d[0][..half]].concat(),
            [&d[1][2..], &d[1][..2]].concat(),
        ]
    };
    let seen: Vec<_> = p.frames.iter().map(direction).collect();
    let mut moved = vec![false; p.frames.len()];
    let mut after: Vec<Vec<usize>> = vec![Vec::new(); p.frames.len()];
    for (i, own) in seen.iter().enumerate() {
        let Some((dir, _, true)) = own else { continue };
        // The last data of its direction, whose FIN and the other side's both come later.
        let later = |want: &[Vec<u8>; 2], fin: bool, data: bool| {
            seen[i + 1..].iter().position(|s| {
                s.as_ref()
                    .is_some_and(|(d, f, p)| d == want && ((fin && *f) || (data && *p)))
            })
        };
        if later(dir, false, true).is_some() {
            continue;
        }
        let (Some(mine), Some(theirs)) =
            (later(dir, true, false), later(&reverse(dir), true, false))
        else {
            continue;
        };
        moved[i] = true;
        after[i + 1 + mine.max(theirs)].push(i);
    }
    if !moved.contains(&true) {
        return None;
    }
    let mut frames = Vec::new();
    for (i, f) in p.frames.iter().enumerate() {
        if !moved[i] {
            frames.push(f.clone());
        }
        for &j in &after[i] {
            frames.push(Frame {
                ts_ns: f.ts_ns,
                ..p.frames[j].clone()
            });
        }
    }
    Some(Pcap { frames, ..*p })
}

type Rewrite = fn(&Pcap) -> Option<Vec<u8>>;

const REWRITES: &[(&str, Rewrite)] = &[
    ("pcapng", |p| Some(write_pcapng(p, false))),
    ("pcapng, nanoseconds", |p| Some(write_pcapng(p, true))),
    ("pcap, nanoseconds", |p| Some(write_pcap(p, false, true))),
    ("pcap, big-endian", |p| Some(write_pcap(p, true, false))),
    ("802.1Q VLAN 100", |p| {
        tagged(p, &[[0x81, 0x00, 0x00, 0x64]]).map(|t| write_pcap(&t, false, false))
    }),
    ("QinQ 802.1ad 20 / 802.1Q 100", |p| {
        tagged(p, &[[0x88, 0xa8, 0x00, 0x14], [0x81, 0x00, 0x00, 0x64]])
            .map(|t| write_pcap(&t, false, false))
    }),
    ("Linux cooked (tcpdump -i any)", |p| {
        cooked(p).map(|t| write_pcap(&t, false, false))
    }),
    ("padded to 60 bytes, with a frame check sequence", |p| {
        with_trailers(p).map(|t| write_pcap(&t, false, false))
    }),
    ("every frame twice (SPAN)", |p| {
        Some(write_pcap(&duplicated(p), false, false))
    }),
    ("beside a laptop's browsing", |p| {
        with_noise(p, &WEB).map(|t| write_pcap(&t, false, false))
    }),
    ("beside another application's 8443", |p| {
        with_noise(p, &CONTROLLER).map(|t| write_pcap(&t, false, false))
    }),
    ("TCP segments of at most 536 bytes", |p| {
        resegmented(p, 536).map(|t| write_pcap(&t, false, false))
    }),
    ("TCP segments of at most 7 bytes", |p| {
        resegmented(p, 7).map(|t| write_pcap(&t, false, false))
    }),
    ("keep-alives of one garbage byte", |p| {
        with_keepalives(p).map(|t| write_pcap(&t, false, false))
    }),
    ("consecutive data segments coalesced (offload)", |p| {
        coalesced(p).map(|t| write_pcap(&t, false, false))
    }),
    ("consecutive data segments reordered", |p| {
        reordered(p).map(|t| write_pcap(&t, false, false))
    }),
    ("each side's last data captured after both FINs", |p| {
        data_after_fins(p).map(|t| write_pcap(&t, false, false))
    }),
];

/// The rewrites that keep every byte above the link layer.
const LOSSLESS: [&str; 8] = [
    "pcapng",
    "pcapng, nanoseconds",
    "pcap, nanoseconds",
    "pcap, big-endian",
    "802.1Q VLAN 100",
    "QinQ 802.1ad 20 / 802.1Q 100",
    "Linux cooked (tcpdump -i any)",
    "padded to 60 bytes, with a frame check sequence",
];

/// What must not move: the verdict, its fault and phases, and each session's.
fn judgement(r: &Report) -> String {
    let status = |v: &mradiag::report::Verdict| {
        format!(
            "{} {}",
            serde_json::to_value(v.status)
                .unwrap()
                .as_str()
                .unwrap_or("?"),
            v.fault.as_deref().unwrap_or("-")
        )
    };
    let phases = |p: &[mradiag::report::PhaseResult]| {
        p.iter()
            .map(|p| {
                serde_json::to_value(p.status)
                    .unwrap()
                    .as_str()
                    .unwrap_or("?")
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut out = format!("{} [{}]", status(&r.verdict), phases(&r.phases));
    for s in &r.sessions {
        out += &format!(
            "; session {} {} [{}]",
            s.client,
            status(&s.verdict),
            phases(&s.phases)
        );
    }
    out
}

fn judged(dir: &Path, files: &[PathBuf]) -> Report {
    let catalog = Catalog::builtin();
    let decoded = analyze::decode_inputs(files, catalog);
    let options = analyze::Options {
        skip_ladders: true,
        ..common::sample_options(dir)
    };
    analyze::judge(decoded, catalog, &options)
}

/// Every sample folder, in name order.
fn sample_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|d| d.join("expect.toml").exists())
        .collect();
    dirs.sort();
    dirs
}

/// The samples with one classic pcap capture (and key logs or bundles beside it).
fn samples() -> Vec<(PathBuf, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.join("expect.toml").exists() {
            continue;
        }
        let captures: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| std::fs::read(p).ok().and_then(|b| read_pcap(&b)).is_some())
            .collect();
        if let [capture] = captures.as_slice() {
            found.push((dir.clone(), capture.clone()));
        }
    }
    found.sort();
    found
}

/// The sample's other inputs: key logs, bundles.
fn beside(dir: &Path, capture: &Path) -> Vec<PathBuf> {
    let mut others: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p != capture
                && p.is_file()
                && !matches!(
                    p.file_name().and_then(|n| n.to_str()),
                    Some("README.md" | "expect.toml" | "tshark-facts.txt")
                )
        })
        .collect();
    others.sort();
    others
}

#[test]
fn a_sign_in_captured_the_ways_the_field_captures_it_is_judged_the_same() {
    let samples = samples();
    assert!(samples.len() >= 40, "only {} samples found", samples.len());
    let work = std::env::temp_dir().join(format!("mradiag-metamorphic-{}", std::process::id()));
    let mut problems = Vec::new();
    let mut checked = 0;
    // How many samples each rewrite changed: one that changes nothing proves nothing.
    let mut changed: std::collections::BTreeMap<&str, usize> = Default::default();
    for (dir, capture) in &samples {
        let others = beside(dir, capture);
        let mut files = others.clone();
        files.push(capture.clone());
        files.sort();
        let want = judgement(&judged(dir, &files));
        let pcap = read_pcap(&std::fs::read(capture).unwrap()).unwrap();
        let as_written = write_pcap(&pcap, false, false);
        for (name, rewrite) in REWRITES {
            let Some(bytes) = rewrite(&pcap) else {
                continue;
            };
            if bytes != as_written {
                *changed.entry(*name).or_default() += 1;
            }
            std::fs::create_dir_all(&work).unwrap();
            let rewritten = work.join(capture.file_name().unwrap());
            std::fs::write(&rewritten, bytes).unwrap();
            let mut files = others.clone();
            files.push(rewritten);
            files.sort();
            let got = judgement(&judged(dir, &files));
            checked += 1;
            if got != want {
                // To look at one: MRADIAG_KEEP_REWRITES=DIR keeps each rewrite judged otherwise.
                if let Some(keep) = std::env::var_os("MRADIAG_KEEP_REWRITES") {
                    let slug: String = name
                        .chars()
                        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                        .collect();
                    let sample = dir.file_name().unwrap().to_string_lossy();
                    let kept = Path::new(&keep).join(format!("{sample}--{slug}"));
                    std::fs::create_dir_all(&kept).unwrap();
                    for f in &files {
                        std::fs::copy(f, kept.join(f.file_name().unwrap())).unwrap();
                    }
                }
                problems.push(format!(
                    "{} as {name}:\n    {got}\n  but as written:\n    {want}",
                    dir.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&work);
    for (name, _) in REWRITES {
        let n = changed.get(name).copied().unwrap_or(0);
        assert!(n >= 10, "{name} changed only {n} samples");
    }
    all_held(
        &problems,
        checked,
        300,
        "rewrites",
        "rewrites judged differently",
    );
}

/// What a capture that saw less of a failing sign-in may hold: each one of its frames lost
/// (a busy SPAN port), every frame cut at a snap length (`tcpdump -s`), the capture
/// started late or stopped early at each of its frames.
fn with_less(p: &Pcap) -> Vec<(String, Pcap)> {
    let lost = (0..p.frames.len()).map(|i| {
        let mut frames = p.frames.clone();
        frames.remove(i);
        (format!("without frame {}", i + 1), Pcap { frames, ..*p })
    });
    let cut = [60usize, 68, 96, 128, 256, 600].into_iter().map(|snap| {
        let frames = p
            .frames
            .iter()
            .map(|f| Frame {
                data: f.data[..f.data.len().min(snap)].to_vec(),
                ..f.clone()
            })
            .collect();
        (
            format!("cut at {snap} bytes"),
            Pcap {
                frames,
                snaplen: snap as u32,
                ..*p
            },
        )
    });
    // Started late, or stopped early: every frame before (or after) the k-th left out.
    let n = p.frames.len();
    let late = (1..n).map(|k| {
        let frames = p.frames[k..].to_vec();
        (format!("started at frame {}", k + 1), Pcap { frames, ..*p })
    });
    let early = (1..n).map(|k| {
        let frames = p.frames[..k].to_vec();
        (format!("stopped after frame {k}"), Pcap { frames, ..*p })
    });
    lost.chain(cut).chain(late).chain(early).collect()
}

/// A capture that saw less says less, never that a failed sign-in worked: the verdict may
/// become inconclusive or another fault, but never ok.
#[test]
fn a_capture_that_saw_less_of_a_failure_never_reads_ok() {
    let work = std::env::temp_dir().join(format!("mradiag-lossy-{}", std::process::id()));
    let mut problems = Vec::new();
    let mut checked = 0;
    for (dir, capture) in samples() {
        let others: Vec<PathBuf> = beside(&dir, &capture);
        let mut files = others.clone();
        files.push(capture.clone());
        let before = judged(&dir, &files);
        if serde_json::to_value(before.verdict.status).unwrap() != "failed" {
            continue;
        }
        let pcap = read_pcap(&std::fs::read(&capture).unwrap()).unwrap();
        for (less, pcap) in with_less(&pcap) {
            let bytes = write_pcap(&pcap, false, false);
            std::fs::create_dir_all(&work).unwrap();
            let rewritten = work.join(capture.file_name().unwrap());
            std::fs::write(&rewritten, bytes).unwrap();
            let mut files = others.clone();
            files.push(rewritten);
            let after = judged(&dir, &files);
            checked += 1;
            problems.extend(read_ok(&dir, &less, &before, &after));
        }
    }
    let _ = std::fs::remove_dir_all(&work);
    all_held(
        &problems,
        checked,
        500,
        "captures",
        "captures that saw less read ok",
    );
}

/// An archive's members: (path inside it, bytes).
type Members = Vec<(String, Vec<u8>)>;

fn unpack(path: &Path) -> Option<Members> {
    let bytes = std::fs::read(path).ok()?;
    let name = path.file_name()?.to_str()?;
    let mut members = Vec::new();
    if name.ends_with(".tar.gz") {
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
        for entry in archive.entries().ok()? {
            let mut entry = entry.ok()?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let path = entry.path().ok()?.to_string_lossy().into_owned();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).ok()?;
            members.push((path, data));
        }
    } else if name.ends_with(".zip") {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).ok()?;
            if entry.is_dir() {
                continue;
            }
            let path = entry.name().ok()?.into_owned();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).ok()?;
            members.push((path, data));
        }
    } else {
        return None;
    }
    Some(members)
}

fn tar_of(members: &Members) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_764_166_650);
        h.set_cksum();
        b.append_data(&mut h, name, &data[..]).unwrap();
    }
    b.into_inner().unwrap()
}

fn gzip_of(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn zip_of(members: &Members) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in members {
        w.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A text member's lines ended with CR LF (a bundle that went through a Windows machine).
fn crlf(members: &Members) -> Members {
    members
        .iter()
        .map(|(name, data)| {
            let mut out = Vec::with_capacity(data.len() + data.len() / 40);
            for &b in data {
                if b == b'\n' && out.last() != Some(&b'\r') {
                    out.push(b'\r');
                }
                out.push(b);
            }
            (name.clone(), out)
        })
        .collect()
}

/// Each Expressway line's header time written in another zone (UTC−05:00), the same
/// instant: boxes set to another time zone. Other lines as they are.
fn rezoned(members: &Members) -> Members {
    let header = regex::bytes::Regex::new(
        r"(?m)^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?([+-]\d\d:\d\d|Z) ",
    )
    .unwrap();
    let zone = jiff::tz::TimeZone::fixed(jiff::tz::Offset::from_seconds(-5 * 3600).unwrap());
    members
        .iter()
        .map(|(name, data)| {
            let text = header.replace_all(data, |c: &regex::bytes::Captures<'_>| {
                let whole = std::str::from_utf8(&c[0]).unwrap().trim_end();
                let at: jiff::Timestamp = whole.parse().unwrap();
                let local = at.to_zoned_datetime(zone.clone());
                let fraction = c.get(2).map_or(String::new(), |f| {
                    let digits = f.len() - 1;
                    let ns = format!("{:09}", local.subsec_nanosecond());
                    format!(".{}", &ns[..digits.min(9)])
                });
                format!("{}{fraction}-05:00 ", local.strftime("%Y-%m-%dT%H:%M:%S")).into_bytes()
            });
            (name.clone(), text.into_owned())
        })
        .collect()
}

/// Every time the logs write moved by `ms` (a box whose clock is off): Expressway headers
/// (in their own zone) and `UTCTime` fields, Jabber's local times. Other bytes as they are.
fn clock_off(members: &Members, ms: i64) -> Members {
    let iso =
        regex::bytes::Regex::new(r"(?m)^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})([+-]\d\d:\d\d|Z) ")
            .unwrap();
    let plain =
        regex::bytes::Regex::new(r#"(?m)(^|UTCTime=")(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})"#)
            .unwrap();
    let span = jiff::SignedDuration::from_millis(ms);
    members
        .iter()
        .map(|(name, data)| {
            let text = iso.replace_all(data, |c: &regex::bytes::Captures<'_>| {
                let zone = std::str::from_utf8(&c[2]).unwrap();
                let at: jiff::Timestamp = format!("{}{zone}", std::str::from_utf8(&c[1]).unwrap())
                    .parse()
                    .unwrap();
                let offset = if zone == "Z" {
                    jiff::tz::Offset::UTC
                } else {
                    let sign = if zone.starts_with('-') { -1 } else { 1 };
                    let (h, m) = (&zone[1..3], &zone[4..6]);
                    jiff::tz::Offset::from_seconds(
                        sign * (h.parse::<i32>().unwrap() * 3600 + m.parse::<i32>().unwrap() * 60),
                    )
                    .unwrap()
                };
                let local = (at + span).to_zoned_datetime(jiff::tz::TimeZone::fixed(offset));
                format!("{}{zone} ", local.strftime("%Y-%m-%dT%H:%M:%S%.3f")).into_bytes()
            });
            let text = plain.replace_all(&text, |c: &regex::bytes::Captures<'_>| {
                let written = std::str::from_utf8(&c[2]).unwrap().replace(',', ".");
                let at: jiff::civil::DateTime = written.replace(' ', "T").parse().unwrap();
                let moved = at + span;
                let mut out = c[1].to_vec();
                out.extend_from_slice(
                    moved
                        .strftime("%Y-%m-%d %H:%M:%S,%3f")
                        .to_string()
                        .as_bytes(),
                );
                out
            });
            (name.clone(), text.into_owned())
        })
        .collect()
}

/// A Jabber log rotated once more, halfway: its first lines one file older (`.log.1`, the
/// older ones each one further), the rest in `.log`, as a problem report holds them.
fn rotated(members: &Members) -> Members {
    let older = |name: &str| -> Option<(String, u32)> {
        let (base, n) = name.rsplit_once(".log.")?;
        Some((format!("{base}.log"), n.parse().ok()?))
    };
    let mut out = Members::new();
    for (name, data) in members {
        if let Some((base, n)) = older(name) {
            out.push((format!("{base}.{}", n + 1), data.clone()));
        } else if name.ends_with(".log") {
            let newlines: Vec<usize> = memchr::memchr_iter(b'\n', data).collect();
            let cut = newlines.get(newlines.len() / 2).map_or(0, |at| at + 1);
            out.push((format!("{name}.1"), data[..cut].to_vec()));
            out.push((name.clone(), data[cut..].to_vec()));
        } else {
            out.push((name.clone(), data.clone()));
        }
    }
    out
}

/// A Jabber log as Jabber on iOS writes it (the research notes' S5, S24): source paths with
/// forward slashes, function names without their classes, `INFO` not padded. Other
/// members as they are.
fn as_ios(members: &Members) -> Members {
    let header = regex::bytes::Regex::new(
        r"(?m)^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (\w+) +(\[0x[0-9a-f]+\]) \[([^\]]*)\] (\[[^\]]*\]) \[(?:[\w:~]+::)?([\w~]+)\] - ",
    )
    .unwrap();
    members
        .iter()
        .map(|(name, data)| {
            if !name.contains(".log") {
                return (name.clone(), data.clone());
            }
            let text = header.replace_all(data, |c: &regex::bytes::Captures<'_>| {
                let path: Vec<u8> = c[4]
                    .iter()
                    .map(|&b| if b == b'\\' { b'/' } else { b })
                    .collect();
                let mut out = Vec::new();
                out.extend_from_slice(&c[1]);
                out.push(b' ');
                out.extend_from_slice(&c[2]);
                out.push(b' ');
                out.extend_from_slice(&c[3]);
                out.extend_from_slice(b" [");
                out.extend_from_slice(&path);
                out.extend_from_slice(b"] ");
                out.extend_from_slice(&c[5]);
                out.extend_from_slice(b" [");
                out.extend_from_slice(&c[6]);
                out.extend_from_slice(b"] - ");
                out
            });
            (name.clone(), text.into_owned())
        })
        .collect()
}

/// How an engineer may hand over the same archive: (its file name, its bytes) or, for a
/// folder, its files by path.
enum Handed {
    File(String, Vec<u8>),
    Folder(Members),
}

type Repack = fn(&str, &Members) -> Handed;

/// The archive's name without `.tar.gz` or `.zip`.
fn stem(name: &str) -> &str {
    name.trim_end_matches(".tar.gz").trim_end_matches(".zip")
}

const REPACKS: &[(&str, Repack)] = &[
    ("unpacked into a folder", |_, m| Handed::Folder(m.clone())),
    ("repacked as a zip", |name, m| {
        Handed::File(format!("{}.zip", stem(name)), zip_of(m))
    }),
    ("repacked as a tar.gz", |name, m| {
        Handed::File(format!("{}.tar.gz", stem(name)), gzip_of(&tar_of(m)))
    }),
    ("as a plain tar", |name, m| {
        Handed::File(format!("{}.tar", stem(name)), tar_of(m))
    }),
    ("under a folder inside the archive", |name, m| {
        let nested = m
            .iter()
            .map(|(p, d)| (format!("tmp/{}/{p}", stem(name)), d.clone()))
            .collect();
        Handed::File(format!("{}.zip", stem(name)), zip_of(&nested))
    }),
    ("with CR LF line ends", |name, m| {
        Handed::File(format!("{}.zip", stem(name)), zip_of(&crlf(m)))
    }),
    ("written in another time zone", |name, m| {
        Handed::File(format!("{}.zip", stem(name)), zip_of(&rezoned(m)))
    }),
    ("its Jabber log rotated halfway", |name, m| {
        Handed::File(format!("{}.zip", stem(name)), zip_of(&rotated(m)))
    }),
    ("its Jabber log as iOS writes it", |name, m| {
        Handed::File(format!("{}.zip", stem(name)), zip_of(&as_ios(m)))
    }),
    ("its box's clock 7 s ahead", |name, m| {
        Handed::File(format!("{}.zip", stem(name)), zip_of(&clock_off(m, 7_000)))
    }),
    ("its box's clock 4 s behind", |name, m| {
        Handed::File(format!("{}.zip", stem(name)), zip_of(&clock_off(m, -4_000)))
    }),
    ("each member gzipped alone", |_, m| {
        Handed::Folder(
            m.iter()
                .map(|(p, d)| (format!("{p}.gz"), gzip_of(d)))
                .collect(),
        )
    }),
];

/// The same bundles and logs handed over another way (unpacked, repacked as zip or tar,
/// nested one folder down, their lines ended with CR LF, each file gzipped alone) are
/// judged the same.
#[test]
fn a_bundle_handed_over_another_way_is_judged_the_same() {
    let dirs = sample_dirs();
    let work = std::env::temp_dir().join(format!("mradiag-repacked-{}", std::process::id()));
    let mut problems = Vec::new();
    let mut checked = 0;
    for dir in &dirs {
        let inputs = beside(dir, Path::new(""));
        let archives: Vec<(PathBuf, Members)> = inputs
            .iter()
            .filter_map(|p| Some((p.clone(), unpack(p)?)))
            .collect();
        if archives.is_empty() {
            continue;
        }
        let want = judgement(&judged(dir, &inputs));
        for (how, repack) in REPACKS {
            let _ = std::fs::remove_dir_all(&work);
            std::fs::create_dir_all(&work).unwrap();
            let mut files: Vec<PathBuf> = inputs
                .iter()
                .filter(|p| !archives.iter().any(|(a, _)| a == *p))
                .cloned()
                .collect();
            for (path, members) in &archives {
                let name = path.file_name().unwrap().to_str().unwrap();
                match repack(name, members) {
                    Handed::File(name, bytes) => {
                        let to = work.join(name);
                        std::fs::write(&to, bytes).unwrap();
                        files.push(to);
                    }
                    Handed::Folder(members) => {
                        let folder = work.join(stem(name));
                        for (p, d) in members {
                            let to = folder.join(p);
                            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
                            std::fs::write(&to, d).unwrap();
                        }
                        files.push(folder);
                    }
                }
            }
            files.sort();
            let got = judgement(&judged(dir, &files));
            checked += 1;
            if got != want {
                problems.push(format!(
                    "{} {how}:\n    {got}\n  but as written:\n    {want}",
                    dir.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&work);
    all_held(
        &problems,
        checked,
        150,
        "repacks",
        "repacks judged differently",
    );
}

/// Inputs named in another order, and under other names (an engineer's `input1.zip` for a
/// bundle repacked, `input2.pcapng` for a pcap), are judged the same: what a file says is
/// in its bytes and in the names its bundle gives its members, not in its own name or its
/// place on the command line.
#[test]
fn inputs_in_another_order_and_under_other_names_are_judged_the_same() {
    let dirs = sample_dirs();
    let work = std::env::temp_dir().join(format!("mradiag-renamed-{}", std::process::id()));
    let mut problems = Vec::new();
    let mut checked = 0;
    for dir in &dirs {
        let inputs = beside(dir, Path::new(""));
        if inputs.is_empty() {
            continue;
        }
        let want = judgement(&judged(dir, &inputs));
        let mut reversed = inputs.clone();
        reversed.reverse();
        let mut tries = vec![("in reverse order", reversed)];
        let _ = std::fs::remove_dir_all(&work);
        std::fs::create_dir_all(&work).unwrap();
        let mut renamed = Vec::new();
        for (i, path) in inputs.iter().enumerate() {
            let name = path.file_name().unwrap().to_str().unwrap();
            let to = match unpack(path) {
                // What the bundle calls its files stays (Expressway's own capture is
                // known by its name there); the archive is repacked under a name of nothing.
                Some(members) => {
                    let to = work.join(format!("input{}.zip", i + 1));
                    std::fs::write(&to, zip_of(&members)).unwrap();
                    to
                }
                None => {
                    let ext = if name.ends_with(".pcap") || name.ends_with(".pcapng") {
                        ".pcapng".to_string()
                    } else {
                        Path::new(name)
                            .extension()
                            .map_or(String::new(), |e| format!(".{}", e.to_string_lossy()))
                    };
                    let to = work.join(format!("input{}{ext}", i + 1));
                    std::fs::copy(path, &to).unwrap();
                    to
                }
            };
            renamed.push(to);
        }
        tries.push(("under other names", renamed));
        for (how, files) in tries {
            let got = judgement(&judged(dir, &files));
            checked += 1;
            if got != want {
                problems.push(format!(
                    "{} {how}:\n    {got}\n  but as written:\n    {want}",
                    dir.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&work);
    all_held(&problems, checked, 150, "inputs", "judged differently");
}

/// The rewrites that keep every byte above the link layer (file formats, time resolution,
/// byte order, VLAN tags, cooked headers, trailers) decode to the same events, field for
/// field, at the same frames: not only the verdict.
#[test]
fn a_capture_in_another_format_or_framing_decodes_to_the_same_events() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for (dir, capture) in samples() {
        let pcap = read_pcap(&std::fs::read(&capture).unwrap()).unwrap();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        checked += decoded_alike(&name, &pcap, &mut problems);
    }
    all_held(
        &problems,
        checked,
        300,
        "rewrites",
        "rewrites decoded differently",
    );
}

/// The capture's lossless rewrites decoded, each against it as written: how many were
/// compared; each difference (the first event that differs) added to `problems`.
fn decoded_alike(name: &str, pcap: &Pcap, problems: &mut Vec<String>) -> usize {
    let events = |bytes: &[u8]| -> Vec<String> {
        mradiag::capture::decode(bytes)
            .events
            .iter()
            .map(|e| serde_json::to_string(e).unwrap())
            .collect()
    };
    let want = events(&write_pcap(pcap, false, false));
    let mut compared = 0;
    for (how, rewrite) in REWRITES.iter().filter(|(n, _)| LOSSLESS.contains(n)) {
        let Some(rewritten) = rewrite(pcap) else {
            continue;
        };
        let got = events(&rewritten);
        compared += 1;
        if let Some(i) = (0..want.len().max(got.len())).find(|&i| want.get(i) != got.get(i)) {
            problems.push(format!(
                "{name} as {how}: event {i} is\n    {}\n  but as written\n    {}",
                got.get(i).map_or("(none)", String::as_str),
                want.get(i).map_or("(none)", String::as_str),
            ));
        }
    }
    compared
}

/// The same on the real captures of `../shared/corpus/real` (`MRADIAG_CORPUS` elsewhere):
/// public projects' test captures, of every link type, cut, odd, that we did not make.
#[test]
fn real_captures_in_another_format_or_framing_decode_to_the_same_events() {
    let dir = std::env::var_os("MRADIAG_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"))
        .join("real");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!(
            "SKIPPED: no corpus at {} (set MRADIAG_CORPUS)",
            dir.display()
        );
        return;
    };
    let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    paths.sort();
    let mut problems = Vec::new();
    let mut checked = 0;
    for path in paths {
        let Some(pcap) = std::fs::read(&path).ok().and_then(|b| read_pcap(&b)) else {
            continue;
        };
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        checked += decoded_alike(&name, &pcap, &mut problems);
    }
    all_held(
        &problems,
        checked,
        100,
        "rewrites of real captures",
        "rewrites of real captures decoded differently",
    );
}

#[test]
fn a_header_rezoned_is_the_same_instant() {
    let line = b"2026-11-26T15:17:30.250+01:00 expe tvcs: UTCTime=\"2026-11-26 14:17:30,250\"\n2026-11-26 14:17:30,000 INFO  jabber\n".to_vec();
    let out = rezoned(&vec![("log.txt".into(), line)]);
    assert_eq!(
        String::from_utf8_lossy(&out[0].1),
        "2026-11-26T09:17:30.250-05:00 expe tvcs: UTCTime=\"2026-11-26 14:17:30,250\"\n2026-11-26 14:17:30,000 INFO  jabber\n"
    );
}

#[test]
fn a_jabber_line_as_ios_writes_it() {
    let line = b"2026-11-26 14:17:30,500 INFO  [0x00000c94] [vices\\impl\\DiscoveryHandlerImpl.cpp(402)] [service-discovery] [CSFUnified::DiscoveryHandlerImpl::start] - starting\n".to_vec();
    let out = as_ios(&vec![("Logs/csf-unified.log".into(), line)]);
    assert_eq!(
        String::from_utf8_lossy(&out[0].1),
        "2026-11-26 14:17:30,500 INFO [0x00000c94] [vices/impl/DiscoveryHandlerImpl.cpp(402)] [service-discovery] [start] - starting\n"
    );
}

/// A bundle that lost one of the lines a signature reads (a log rotated away under it, a
/// line cut by a full disk) says less, never that a failed sign-in worked: each failing
/// sample's archives lose such lines one at a time, and the verdict is never ok.
#[test]
fn a_bundle_that_lost_a_telling_line_never_reads_ok() {
    let dirs = sample_dirs();
    let catalog = Catalog::builtin();
    let work = std::env::temp_dir().join(format!("mradiag-lostline-{}", std::process::id()));
    let mut problems = Vec::new();
    let mut checked = 0;
    for dir in &dirs {
        let inputs = beside(dir, Path::new(""));
        let before = judged(dir, &inputs);
        if serde_json::to_value(before.verdict.status).unwrap() != "failed" {
            continue;
        }
        for (a, archive) in inputs.iter().enumerate() {
            let Some(members) = unpack(archive) else {
                continue;
            };
            for (m, (member, text)) in members.iter().enumerate() {
                let hits: Vec<u64> = mradiag::logs::decode(text, catalog)
                    .events
                    .iter()
                    .filter_map(|e| match &e.kind {
                        mradiag::model::EventKind::LogSignature { line, .. } => Some(*line),
                        _ => None,
                    })
                    .collect();
                // A dozen of them spread over the log, three in a log of hundreds of users:
                // every one took minutes (4,911 lines lost, none read ok, when tried).
                let tries = if text.len() > 200_000 { 3 } else { 12 };
                let step = hits.len().div_ceil(tries).max(1);
                for line in hits.into_iter().step_by(step) {
                    let kept: Vec<u8> = text
                        .split_inclusive(|&b| b == b'\n')
                        .enumerate()
                        .filter(|(i, _)| *i as u64 + 1 != line)
                        .flat_map(|(_, l)| l.iter().copied())
                        .collect();
                    let mut less = members.clone();
                    less[m].1 = kept;
                    let _ = std::fs::remove_dir_all(&work);
                    std::fs::create_dir_all(&work).unwrap();
                    let name = archive.file_name().unwrap().to_str().unwrap();
                    let to = work.join(format!("{}.zip", stem(name)));
                    std::fs::write(&to, zip_of(&less)).unwrap();
                    let mut files = inputs.clone();
                    files[a] = to;
                    let after = judged(dir, &files);
                    checked += 1;
                    let less = format!("without {member} line {line}");
                    problems.extend(read_ok(dir, &less, &before, &after));
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&work);
    all_held(
        &problems,
        checked,
        150,
        "bundles that lost a line",
        "bundles that lost a line read ok",
    );
}

/// The capture with every IPv4 header's `from` address replaced by `to` (and the header's
/// checksum made right): another machine doing the same.
fn readdressed(p: &Pcap, from: [u8; 4], to: [u8; 4]) -> Pcap {
    let frames = p
        .frames
        .iter()
        .map(|f| {
            let mut data = f.data.clone();
            if let Some((ip, 4)) = ip_start(&data)
                && data.len() >= ip + 20
            {
                for at in [ip + 12, ip + 16] {
                    if data[at..at + 4] == from {
                        data[at..at + 4].copy_from_slice(&to);
                    }
                }
                let header = (data[ip] as usize & 0x0f) * 4;
                if data.len() >= ip + header {
                    data[ip + 10..ip + 12].copy_from_slice(&[0, 0]);
                    let sum = ip_checksum(&data[ip..ip + header]);
                    data[ip + 10..ip + 12].copy_from_slice(&sum.to_be_bytes());
                }
            }
            Frame { data, ..f.clone() }
        })
        .collect();
    Pcap { frames, ..*p }
}

/// The last byte of the partner's client address (for the message).
fn moved_client(p: &Pcap) -> u8 {
    client_and_resolver(p).map_or(0, |(c, _)| c[3])
}

/// Two captures' frames in one file, in time order (as mergecap writes them).
fn merged(a: &Pcap, b: &Pcap) -> Pcap {
    let mut frames: Vec<Frame> = a.frames.iter().chain(&b.frames).cloned().collect();
    frames.sort_by_key(|f| f.ts_ns);
    Pcap {
        frames,
        snaplen: a.snaplen.max(b.snaplen),
        ..*a
    }
}

/// A failing sign-in captured on a segment where another machine signs in fine at the same
/// time (a SPAN port, a shared Wi-Fi): the failure is still the verdict, with its fault, and
/// the failing client's session is judged as it was alone.
#[test]
fn a_failure_captured_beside_another_machines_good_sign_in_is_still_the_verdict() {
    // Machines that sign in fine, or as far as their capture shows: decrypted, encrypted,
    // in clear after a refused REGISTER, after a refused 8443.
    // (sample, its key log, whether its SIP is in clear)
    let partners: Vec<(Pcap, Vec<PathBuf>, bool)> = [
        ("keylog-happy-tls13", Some("keys.log"), false),
        ("happy-tls13", None, false),
        ("happy-tls12", None, false),
        ("sip-register-403-then-ok", None, true),
        ("retry-then-ok", None, false),
    ]
    .iter()
    .enumerate()
    .map(|(n, (name, keys, sip))| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("samples")
            .join(name);
        let pcap = read_pcap(&std::fs::read(dir.join("capture.pcap")).unwrap()).unwrap();
        let keys: Vec<PathBuf> = keys.iter().map(|k| dir.join(k)).collect();
        let mut files = keys.clone();
        files.push(dir.join("capture.pcap"));
        let alone = judged(&dir, &files);
        assert_ne!(
            serde_json::to_value(alone.verdict.status).unwrap(),
            "failed",
            "{name} does not fail"
        );
        let (client, _) = client_and_resolver(&pcap).unwrap();
        (
            readdressed(&pcap, client, [10, 77, 0, 99 - n as u8]),
            keys,
            *sip,
        )
    })
    .collect();
    let work = std::env::temp_dir().join(format!("mradiag-segment-{}", std::process::id()));
    let mut problems = Vec::new();
    let mut checked = 0;
    for (dir, capture) in samples() {
        let others = beside(&dir, &capture);
        let mut files = others.clone();
        files.push(capture.clone());
        let before = judged(&dir, &files);
        let pcap = read_pcap(&std::fs::read(&capture).unwrap()).unwrap();
        // A fault read from Expressway-E's certificate file is a claim about the box that
        // another client's handshake with it, completed in the capture, contradicts: the
        // observed sign-in wins (by design), so such samples are not asked to stay failed.
        let from_a_file = before
            .verdict
            .evidence
            .iter()
            .any(|e| e.input.ends_with(".pem"));
        if serde_json::to_value(before.verdict.status).unwrap() != "failed"
            || from_a_file
            || pcap.linktype != ETHERNET
            || pcap.frames.is_empty()
        {
            continue;
        }
        for (partner, keys, partner_sip) in &partners {
            // The partner's sign-in starts a fifth of a second after this one's first frame.
            let shift = pcap.frames[0].ts_ns + 200_000_000 - partner.frames[0].ts_ns;
            let moved = Pcap {
                frames: partner
                    .frames
                    .iter()
                    .map(|f| Frame {
                        ts_ns: f.ts_ns + shift,
                        ..f.clone()
                    })
                    .collect(),
                ..*partner
            };
            let both = merged(&pcap, &moved);
            std::fs::create_dir_all(&work).unwrap();
            let to = work.join("segment.pcap");
            std::fs::write(&to, write_pcap(&both, false, false)).unwrap();
            let mut files = others.clone();
            files.push(to);
            files.extend(keys.iter().cloned());
            let after = judged(&dir, &files);
            checked += 1;
            let verdict = |r: &Report| {
                format!(
                    "{} {}",
                    serde_json::to_value(r.verdict.status).unwrap(),
                    r.verdict.fault.as_deref().unwrap_or("-")
                )
            };
            // Where the partner's SIP is seen (decrypted, in clear), no log line can be
            // given to it by time alone, and the verdict's fault stays; where it is hidden,
            // another user's line near its time may be its, and the verdict may name it, but
            // still a failure.
            let sees_sip = !keys.is_empty() || *partner_sip;
            // The failing sample's own sessions, judged as they were alone: its clients',
            // and where the partner's SIP is seen, its logs' too.
            let clients: Vec<String> = before
                .sessions
                .iter()
                .filter(|s| sees_sip || s.from_capture)
                .map(|s| format!("session {} ", s.client))
                .collect();
            let own = |r: &Report| -> Vec<String> {
                judgement(r)
                    .split("; ")
                    .filter(|s| clients.iter().any(|c| s.starts_with(c.as_str())))
                    .map(str::to_string)
                    .collect()
            };
            let same = own(&after) == own(&before)
                && if sees_sip {
                    verdict(&after) == verdict(&before)
                } else {
                    after.verdict.status == before.verdict.status
                };
            if !same {
                if let Some(keep) = std::env::var_os("MRADIAG_KEEP_REWRITES") {
                    let kept = Path::new(&keep).join(dir.file_name().unwrap());
                    std::fs::create_dir_all(&kept).unwrap();
                    for f in &files {
                        std::fs::copy(f, kept.join(f.file_name().unwrap())).unwrap();
                    }
                }
                problems.push(format!(
                    "{}: {} {:?} beside a good sign-in (10.77.0.{}), {} {:?} alone",
                    dir.file_name().unwrap().to_string_lossy(),
                    verdict(&after),
                    own(&after),
                    moved_client(&moved),
                    verdict(&before),
                    own(&before),
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&work);
    all_held(
        &problems,
        checked,
        150,
        "failing captures",
        "failures judged otherwise beside a good sign-in",
    );
}

#[test]
fn a_clock_moved_moves_every_time_a_log_writes() {
    let text = b"2026-11-26T15:17:30.250+01:00 expe tvcs: UTCTime=\"2026-11-26 14:17:30,250\"\n2026-11-26 14:17:59,900 INFO  jabber\n".to_vec();
    let out = clock_off(&vec![("log.txt".into(), text)], 7_000);
    assert_eq!(
        String::from_utf8_lossy(&out[0].1),
        "2026-11-26T15:17:37.250+01:00 expe tvcs: UTCTime=\"2026-11-26 14:17:37,250\"\n2026-11-26 14:18:06,900 INFO  jabber\n"
    );
}
