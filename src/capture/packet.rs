//! Link layer → IP → TCP/UDP/ICMP, tolerant of snaplen truncation. The link layers are simple
//! enough to strip by hand (any number of VLAN tags, SLL2 which etherparse lacks); IP is left to
//! etherparse's lax parser, which keeps what parsed when a packet is cut short.

use crate::model::Unreachable;
use etherparse::{IpNumber, LaxIpSlice};
use std::net::IpAddr;

pub const LINKTYPE_NULL: i32 = 0;
pub const LINKTYPE_ETHERNET: i32 = 1;
pub const LINKTYPE_RAW_OPENBSD: i32 = 12;
pub const LINKTYPE_RAW: i32 = 101;
pub const LINKTYPE_LOOP: i32 = 108;
pub const LINKTYPE_LINUX_SLL: i32 = 113;
pub const LINKTYPE_IPV4: i32 = 228;
pub const LINKTYPE_IPV6: i32 = 229;
pub const LINKTYPE_LINUX_SLL2: i32 = 276;

pub fn linktype_name(lt: i32) -> String {
    match lt {
        LINKTYPE_NULL => "NULL (BSD loopback)".into(),
        LINKTYPE_ETHERNET => "Ethernet".into(),
        LINKTYPE_RAW | LINKTYPE_RAW_OPENBSD => "raw IP".into(),
        LINKTYPE_LOOP => "OpenBSD loopback".into(),
        LINKTYPE_LINUX_SLL => "Linux SLL".into(),
        LINKTYPE_IPV4 => "raw IPv4".into(),
        LINKTYPE_IPV6 => "raw IPv6".into(),
        LINKTYPE_LINUX_SLL2 => "Linux SLL2".into(),
        other => format!("linktype {other}"),
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum LinkError {
    UnsupportedLinktype(i32),
    NotIp(u16),
    Truncated,
}

/// The VLAN tags a frame crossed: how many, and the ids of the first [`Vlans::KEPT`].
/// Inline: a busy network tags most frames, and a vector was an allocation for each.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Vlans {
    first: [u16; Vlans::KEPT],
    pub count: usize,
}

impl Vlans {
    pub const KEPT: usize = 4;

    fn push(&mut self, id: u16) {
        if let Some(slot) = self.first.get_mut(self.count) {
            *slot = id;
        }
        self.count += 1;
    }

    /// The ids of the outermost tags, outermost first.
    pub fn ids(&self) -> &[u16] {
        &self.first[..self.count.min(Self::KEPT)]
    }
}

/// Strip the link layer; returns the IP packet bytes and the VLAN tags crossed.
pub fn strip_link(linktype: i32, data: &[u8]) -> Result<(&[u8], Vlans), LinkError> {
    let mut vlans = Vlans::default();
    let (ethertype, rest) = match linktype {
        LINKTYPE_ETHERNET => {
            if data.len() < 14 {
                return Err(LinkError::Truncated);
            }
            (u16::from_be_bytes([data[12], data[13]]), &data[14..])
        }
        LINKTYPE_LINUX_SLL => {
            if data.len() < 16 {
                return Err(LinkError::Truncated);
            }
            (u16::from_be_bytes([data[14], data[15]]), &data[16..])
        }
        LINKTYPE_LINUX_SLL2 => {
            if data.len() < 20 {
                return Err(LinkError::Truncated);
            }
            (u16::from_be_bytes([data[0], data[1]]), &data[20..])
        }
        LINKTYPE_NULL | LINKTYPE_LOOP => {
            if data.len() < 4 {
                return Err(LinkError::Truncated);
            }
            // The family is in the writer's byte order for NULL and network order for LOOP;
            // accept either, since the values are small.
            let le = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
            let be = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
            let family = if le < 256 { le } else { be };
            let et = match family {
                2 => 0x0800,
                10 | 24 | 28 | 30 => 0x86dd,
                other => return Err(LinkError::NotIp(other as u16)),
            };
            (et, &data[4..])
        }
        LINKTYPE_RAW | LINKTYPE_RAW_OPENBSD | LINKTYPE_IPV4 | LINKTYPE_IPV6 => {
            match data.first().map(|b| b >> 4) {
                Some(4) => (0x0800, data),
                Some(6) => (0x86dd, data),
                Some(_) => return Err(LinkError::NotIp(0)),
                None => return Err(LinkError::Truncated),
            }
        }
        other => return Err(LinkError::UnsupportedLinktype(other)),
    };
    // VLAN tags follow any header that names an EtherType: libpcap puts the tag the kernel
    // took off back after a cooked (SLL, SLL2) header too, as `tcpdump -i any` writes it.
    let (mut ethertype, mut rest) = (ethertype, rest);
    while matches!(ethertype, 0x8100 | 0x88a8 | 0x9100) {
        if rest.len() < 4 {
            return Err(LinkError::Truncated);
        }
        vlans.push(u16::from_be_bytes([rest[0], rest[1]]) & 0x0fff);
        ethertype = u16::from_be_bytes([rest[2], rest[3]]);
        rest = &rest[4..];
    }
    match ethertype {
        0x0800 | 0x86dd => Ok((rest, vlans)),
        other => Err(LinkError::NotIp(other)),
    }
}

/// A TCP segment's header fields and its payload: the bytes (`&[u8]`), or where they are
/// in a block of frames while they cross to another thread (see [`Transport::map_payload`]).
#[derive(Debug)]
pub struct TcpSegment<P> {
    pub sport: u16,
    pub dport: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub payload: P,
}

pub const TCP_FIN: u8 = 0x01;
pub const TCP_SYN: u8 = 0x02;
pub const TCP_RST: u8 = 0x04;
pub const TCP_ACK: u8 = 0x10;

#[derive(Debug)]
pub enum Transport<P> {
    Tcp(TcpSegment<P>),
    Udp {
        sport: u16,
        dport: u16,
        payload: P,
    },
    /// Destination unreachable, with the quoted packet's addresses and ports.
    IcmpUnreachable(Quoted),
    Other,
}

/// The packet an ICMP destination unreachable quotes, and why it was not delivered.
#[derive(Debug)]
pub struct Quoted {
    pub tcp: bool,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
    pub reason: Unreachable,
}

impl<P> Transport<P> {
    /// The same headers with the payload in another form: a range of the bytes of the block
    /// a frame is in, to cross threads with it, then the bytes again.
    pub fn map_payload<Q>(self, f: impl FnOnce(P) -> Q) -> Transport<Q> {
        match self {
            Transport::Tcp(seg) => Transport::Tcp(TcpSegment {
                sport: seg.sport,
                dport: seg.dport,
                seq: seg.seq,
                ack: seg.ack,
                flags: seg.flags,
                payload: f(seg.payload),
            }),
            Transport::Udp {
                sport,
                dport,
                payload,
            } => Transport::Udp {
                sport,
                dport,
                payload: f(payload),
            },
            Transport::IcmpUnreachable(quoted) => Transport::IcmpUnreachable(quoted),
            Transport::Other => Transport::Other,
        }
    }
}

#[derive(Debug)]
pub struct Packet<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub transport: Transport<&'a [u8]>,
    /// A fragment that is not the first one, or an IP packet cut short by the snaplen.
    pub fragmented: bool,
    pub incomplete: bool,
}

/// Decode an IP packet. `None` when not even the IP header is there.
pub fn decode_ip(bytes: &[u8]) -> Option<Packet<'_>> {
    let (ip, _ext_err) = LaxIpSlice::from_slice(bytes).ok()?;
    let payload = ip.payload();
    let mut incomplete = payload.incomplete;
    // Fragments go to the defragmenter; only the reassembled datagram is decoded.
    let transport = if payload.fragmented {
        Transport::Other
    } else {
        decode_transport(payload.ip_number, payload.payload, &mut incomplete)
    };
    Some(Packet {
        src: ip.source_addr(),
        dst: ip.destination_addr(),
        transport,
        fragmented: payload.fragmented,
        incomplete,
    })
}

/// TCP, UDP or ICMP unreachable from an IP payload.
pub fn decode_transport<'a>(
    ip_number: IpNumber,
    data: &'a [u8],
    incomplete: &mut bool,
) -> Transport<&'a [u8]> {
    match ip_number {
        IpNumber::TCP => match parse_tcp(data) {
            Some(seg) => Transport::Tcp(seg),
            None => {
                *incomplete = true;
                Transport::Other
            }
        },
        IpNumber::UDP if data.len() >= 8 => Transport::Udp {
            sport: u16::from_be_bytes([data[0], data[1]]),
            dport: u16::from_be_bytes([data[2], data[3]]),
            payload: &data[8..],
        },
        IpNumber::ICMP => parse_icmp_unreachable(data, false),
        IpNumber::IPV6_ICMP => parse_icmp_unreachable(data, true),
        _ => Transport::Other,
    }
}

fn parse_tcp(data: &[u8]) -> Option<TcpSegment<&[u8]>> {
    if data.len() < 20 {
        return None;
    }
    let header_len = ((data[12] >> 4) as usize) * 4;
    if header_len < 20 {
        return None;
    }
    Some(TcpSegment {
        sport: u16::from_be_bytes([data[0], data[1]]),
        dport: u16::from_be_bytes([data[2], data[3]]),
        seq: u32::from_be_bytes([data[4], data[5], data[6], data[7]]),
        ack: u32::from_be_bytes([data[8], data[9], data[10], data[11]]),
        flags: data[13],
        payload: data.get(header_len..).unwrap_or(&[]),
    })
}

fn parse_icmp_unreachable(data: &[u8], v6: bool) -> Transport<&[u8]> {
    if data.len() < 8 {
        return Transport::Other;
    }
    let (kind, code) = (data[0], data[1]);
    let unreachable = if v6 { kind == 1 } else { kind == 3 };
    if !unreachable {
        return Transport::Other;
    }
    let reason = Unreachable::from_code(v6, code);
    let Ok((quoted, _)) = LaxIpSlice::from_slice(&data[8..]) else {
        return Transport::Other;
    };
    let qp = quoted.payload();
    if qp.payload.len() < 4 {
        return Transport::Other;
    }
    let quoted_tcp = match qp.ip_number {
        IpNumber::TCP => true,
        IpNumber::UDP => false,
        _ => return Transport::Other,
    };
    Transport::IcmpUnreachable(Quoted {
        tcp: quoted_tcp,
        src: quoted.source_addr(),
        dst: quoted.destination_addr(),
        sport: u16::from_be_bytes([qp.payload[0], qp.payload[1]]),
        dport: u16::from_be_bytes([qp.payload[2], qp.payload[3]]),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ipv4_udp() -> Vec<u8> {
        let mut p = vec![
            0x45, 0, 0, 32, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, // IPv4
            0x30, 0x39, 0, 53, 0, 12, 0, 0, // UDP 12345 -> 53
        ];
        p.extend_from_slice(b"abcd");
        p
    }

    #[test]
    fn strips_ethernet_with_three_vlan_tags() {
        let mut frame = vec![0u8; 12];
        frame.extend_from_slice(&[
            0x88, 0xa8, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x14, 0x81, 0x00, 0x00, 0x1e, 0x08, 0x00,
        ]);
        frame.extend(ipv4_udp());
        let (ip, vlans) = strip_link(LINKTYPE_ETHERNET, &frame).unwrap();
        assert_eq!((vlans.ids(), vlans.count), (&[10, 20, 30][..], 3));
        let p = decode_ip(ip).unwrap();
        assert!(
            matches!(p.transport, Transport::Udp { sport: 12345, dport: 53, payload } if payload == b"abcd")
        );
    }

    #[test]
    fn past_four_vlan_tags_all_are_stripped_and_counted() {
        let mut frame = vec![0u8; 12];
        for id in 1..=6u8 {
            frame.extend_from_slice(&[0x81, 0x00, 0x00, id]);
        }
        frame.extend_from_slice(&[0x08, 0x00]);
        frame.extend(ipv4_udp());
        let (ip, vlans) = strip_link(LINKTYPE_ETHERNET, &frame).unwrap();
        assert_eq!((vlans.ids(), vlans.count), (&[1, 2, 3, 4][..], 6));
        assert!(decode_ip(ip).is_some());
    }

    #[test]
    fn strips_a_vlan_tag_after_cooked_headers() {
        // SLL: packet type, ARPHRD_ETHER, address length and address, then EtherType 802.1Q.
        let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 0x0a, 0, 0, 0x81, 0x00];
        sll.extend_from_slice(&[0x00, 0x64, 0x08, 0x00]);
        sll.extend(ipv4_udp());
        let (ip, vlans) = strip_link(LINKTYPE_LINUX_SLL, &sll).unwrap();
        assert_eq!(vlans.ids(), &[100]);
        assert!(decode_ip(ip).is_some());
        let mut sll2 = vec![0x81, 0x00];
        sll2.extend_from_slice(&[0u8; 18]);
        sll2.extend_from_slice(&[0x00, 0x07, 0x86, 0xdd]);
        assert_eq!(
            strip_link(LINKTYPE_LINUX_SLL2, &sll2).unwrap().1.ids(),
            &[7]
        );
    }

    #[test]
    fn strips_sll2_and_null_loopback_in_both_orders() {
        let mut sll2 = vec![0x08, 0x00];
        sll2.extend_from_slice(&[0u8; 18]);
        sll2.extend(ipv4_udp());
        assert!(strip_link(LINKTYPE_LINUX_SLL2, &sll2).is_ok());
        for family in [[2, 0, 0, 0], [0, 0, 0, 2]] {
            let mut null = family.to_vec();
            null.extend(ipv4_udp());
            assert!(strip_link(LINKTYPE_NULL, &null).is_ok());
        }
    }

    #[test]
    fn truncated_tcp_keeps_header_fields() {
        let mut p = vec![
            0x45, 0, 0, 60, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        p.extend_from_slice(&[
            0x1f, 0x90, 0x20, 0xfb, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
        ]);
        let pkt = decode_ip(&p).unwrap();
        assert!(pkt.incomplete);
        match pkt.transport {
            Transport::Tcp(seg) => {
                assert_eq!((seg.sport, seg.dport, seg.flags), (8080, 8443, TCP_SYN));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_linktype_is_an_error() {
        assert_eq!(
            strip_link(147, &[1, 2, 3]),
            Err(LinkError::UnsupportedLinktype(147))
        );
    }
}
