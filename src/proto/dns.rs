//! DNS messages (RFC 1035) over UDP or TCP: questions, rcode and the answers MRA cares about
//! (SRV, A, AAAA, CNAME). simple-dns parses; when it refuses a message (unknown question type,
//! truncation) the header and first question are still read by hand.

use crate::intern::Interner;
use crate::model::{DnsRecord, Endpoint, EventKind, Transport};
use simple_dns::Packet;
use simple_dns::rdata::RData;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// Decode one DNS message. `src`/`dst` are the packet's addresses; client and server are
/// derived from the QR bit. Names are taken from `names`, held once.
pub fn decode(
    bytes: &[u8],
    transport: Transport,
    src: Endpoint,
    dst: Endpoint,
    names: &mut Interner,
) -> Result<EventKind, String> {
    decode_with(bytes, transport, src, dst, names, true)
}

/// `quick`: a query's question read at once when it can be (always, but in the test that
/// holds it to the whole parse).
fn decode_with(
    bytes: &[u8],
    transport: Transport,
    src: Endpoint,
    dst: Endpoint,
    names: &mut Interner,
    quick: bool,
) -> Result<EventKind, String> {
    if bytes.len() < 12 {
        return Err(format!(
            "DNS message of {} bytes is shorter than its 12-byte header",
            bytes.len()
        ));
    }
    let id = u16::from_be_bytes([bytes[0], bytes[1]]);
    let is_response = bytes[2] & 0x80 != 0;
    let truncated = bytes[2] & 0x02 != 0;
    let rcode = bytes[3] & 0x0f;
    let (client, server) = if is_response { (dst, src) } else { (src, dst) };
    // One buffer for the message's names (a name is at most 255 bytes, escapes aside).
    let mut text = String::with_capacity(256);
    // A query says only its question: read at once when its labels are plain text (what
    // the whole parse would write for them), half of a busy capture's DNS decoding.
    if quick
        && !is_response
        && let Some(qtype) = plain_question(bytes, &mut text)
    {
        return Ok(EventKind::DnsQuery {
            transport,
            client,
            server,
            id,
            name: root_or(&text, names),
            qtype,
        });
    }
    let (name, qtype, answers, additional) = match Packet::parse(bytes) {
        Ok(packet) => {
            let (name, qtype) = match packet.questions.first() {
                Some(q) => (held(&q.qname, &mut text, names), u16::from(q.qtype)),
                None => (names.get(""), 0),
            };
            let mut record = |rr| to_record(rr, &mut text, names);
            let answers: Vec<DnsRecord> = packet.answers.iter().map(&mut record).collect();
            let additional = packet
                .additional_records
                .iter()
                .map(&mut record)
                .filter(|r| !matches!(r, DnsRecord::Other { rtype: 41, .. }))
                .collect();
            (name, qtype, answers, additional)
        }
        Err(e) => {
            // Salvage the question so the query can still be matched and named.
            let (name, qtype) =
                first_question(bytes).ok_or_else(|| format!("unparseable DNS message: {e}"))?;
            (names.get(&name), qtype, Vec::new(), Vec::new())
        }
    };
    Ok(if is_response {
        EventKind::DnsResponse {
            transport,
            client,
            server,
            id,
            name,
            qtype,
            rcode,
            truncated,
            answers: answers.into(),
            additional: additional.into(),
        }
    } else {
        EventKind::DnsQuery {
            transport,
            client,
            server,
            id,
            name,
            qtype,
        }
    })
}

fn to_record(
    rr: &simple_dns::ResourceRecord<'_>,
    text: &mut String,
    names: &mut Interner,
) -> DnsRecord {
    let name = held(&rr.name, text, names);
    match &rr.rdata {
        RData::SRV(srv) => DnsRecord::Srv {
            name,
            priority: srv.priority,
            weight: srv.weight,
            port: srv.port,
            target: held(&srv.target, text, names),
        },
        RData::A(a) => DnsRecord::A {
            name,
            addr: IpAddr::V4(Ipv4Addr::from(a.address)),
        },
        RData::AAAA(a) => DnsRecord::Aaaa {
            name,
            addr: IpAddr::V6(Ipv6Addr::from(a.address)),
        },
        RData::CNAME(c) => DnsRecord::Cname {
            name,
            target: held(&c.0, text, names),
        },
        other => DnsRecord::Other {
            name,
            rtype: u16::from(other.type_code()),
        },
    }
}

/// A name as shown (`shown`), held once: written into `text` (a buffer kept between names),
/// then looked up.
fn held(name: &simple_dns::Name<'_>, text: &mut String, names: &mut Interner) -> Arc<str> {
    name_text(name, text);
    root_or(text, names)
}

/// A name's text, held once; the root as tshark writes it.
fn root_or(text: &str, names: &mut Interner) -> Arc<str> {
    match text {
        "" | "." => names.get(ROOT),
        name => names.get(name),
    }
}

/// The first question's type, its name written into `text`, read from the wire without the
/// whole parse: `None` when there is no question, or a label is not plain text (not UTF-8,
/// or holding a dot or backslash, which the parse escapes), or the name is malformed. Its
/// text is then what the parse (or, when that fails, `first_question`) writes.
fn plain_question(bytes: &[u8], text: &mut String) -> Option<u16> {
    if u16::from_be_bytes([bytes[4], bytes[5]]) == 0 {
        return None;
    }
    text.clear();
    let end = walk_name(bytes, 12, |label| {
        let label = std::str::from_utf8(label).ok()?;
        if label.contains(['.', '\\']) {
            return None;
        }
        if !text.is_empty() {
            text.push('.');
        }
        text.push_str(label);
        Some(())
    })?;
    Some(u16::from_be_bytes([*bytes.get(end)?, *bytes.get(end + 1)?]))
}

/// A name as simple-dns displays it (labels joined by dots, a dot or backslash inside a
/// label escaped), the plain labels copied at once: its Display wrote every name a
/// character at a time, a fifth of a busy capture's DNS decoding.
fn name_text(name: &simple_dns::Name<'_>, out: &mut String) {
    use std::fmt::Write;
    out.clear();
    for (i, label) in name.get_labels().iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        match std::str::from_utf8(label.as_ref()) {
            Ok(plain) if !plain.contains(['.', '\\']) => out.push_str(plain),
            _ => {
                let _ = write!(out, "{label}");
            }
        }
    }
}

/// The first question's name and type, read directly from the wire.
fn first_question(bytes: &[u8]) -> Option<(String, u16)> {
    if u16::from_be_bytes([bytes[4], bytes[5]]) == 0 {
        return Some((String::new(), 0));
    }
    let (name, end) = read_name(bytes, 12)?;
    let qtype = u16::from_be_bytes([*bytes.get(end)?, *bytes.get(end + 1)?]);
    Some((shown(name), qtype))
}

/// The root as tshark prints it (a query for the root servers; an SRV target of `.`, which
/// says "no such service"), rather than an empty string.
const ROOT: &str = "<Root>";

/// A name as tshark prints it.
fn shown(name: String) -> String {
    if name.is_empty() || name == "." {
        ROOT.into()
    } else {
        name
    }
}

/// A possibly compressed name starting at `pos`; returns it and the offset after it.
fn read_name(bytes: &[u8], pos: usize) -> Option<(String, usize)> {
    let mut labels: Vec<String> = Vec::new();
    let end = walk_name(bytes, pos, |label| {
        labels.push(String::from_utf8_lossy(label).into_owned());
        Some(())
    })?;
    Some((labels.join("."), end))
}

/// The labels of a possibly compressed name starting at `pos`, each handed to `label` (which
/// may stop the walk with `None`); returns the offset after the name. `None` when the name
/// is cut short, has a label length out of range, or its pointers loop.
fn walk_name(
    bytes: &[u8],
    mut pos: usize,
    mut label: impl FnMut(&[u8]) -> Option<()>,
) -> Option<usize> {
    let mut end = None;
    for _ in 0..128 {
        let len = *bytes.get(pos)? as usize;
        match len {
            0 => return Some(end.unwrap_or(pos + 1)),
            l if l & 0xc0 == 0xc0 => {
                let target = ((l & 0x3f) << 8) | *bytes.get(pos + 1)? as usize;
                end.get_or_insert(pos + 2);
                pos = target;
            }
            l if l < 64 => {
                label(bytes.get(pos + 1..pos + 1 + l)?)?;
                pos += 1 + l;
            }
            _ => return None,
        }
    }
    None // a pointer loop
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One message, with names of its own.
    fn decode(
        bytes: &[u8],
        transport: Transport,
        src: Endpoint,
        dst: Endpoint,
    ) -> Result<EventKind, String> {
        super::decode(bytes, transport, src, dst, &mut Interner::default())
    }

    fn ep(s: &str) -> Endpoint {
        let (ip, port) = s.rsplit_once(':').unwrap();
        Endpoint {
            ip: ip.parse().unwrap(),
            port: port.parse().unwrap(),
        }
    }

    /// `_collab-edge._tls.example.com` SRV response with two targets, compressed names.
    fn srv_response() -> Vec<u8> {
        let mut m = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0];
        for label in ["_collab-edge", "_tls", "example", "com"] {
            m.push(label.len() as u8);
            m.extend_from_slice(label.as_bytes());
        }
        m.extend_from_slice(&[0, 0, 33, 0, 1]);
        for (prio, host) in [(10u16, "expe1"), (20, "expe2")] {
            m.extend_from_slice(&[0xc0, 12, 0, 33, 0, 1, 0, 0, 0, 60]);
            let rdata_len = 6 + 1 + host.len() + 2;
            m.extend_from_slice(&(rdata_len as u16).to_be_bytes());
            m.extend_from_slice(&prio.to_be_bytes());
            m.extend_from_slice(&[0, 5, 0x20, 0xfb]);
            m.push(host.len() as u8);
            m.extend_from_slice(host.as_bytes());
            m.extend_from_slice(&[0xc0, 30]); // -> example.com
        }
        m
    }

    #[test]
    fn srv_answers_with_compressed_targets() {
        let ev = decode(
            &srv_response(),
            Transport::Udp,
            ep("192.0.2.53:53"),
            ep("192.0.2.10:40000"),
        )
        .unwrap();
        match ev {
            EventKind::DnsResponse {
                client,
                id,
                name,
                qtype,
                rcode,
                answers,
                ..
            } => {
                assert_eq!(client, ep("192.0.2.10:40000"));
                assert_eq!(
                    (id, &*name, qtype, rcode),
                    (0x1234, "_collab-edge._tls.example.com", 33, 0)
                );
                assert_eq!(answers.len(), 2);
                assert!(
                    matches!(&answers[1], DnsRecord::Srv { priority: 20, port: 8443, target, .. } if &**target == "expe2.example.com")
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_name_said_again_is_held_once() {
        let mut names = Interner::default();
        let (from, to) = (ep("192.0.2.53:53"), ep("192.0.2.10:40000"));
        let first = super::decode(&srv_response(), Transport::Udp, from, to, &mut names);
        let again = super::decode(&srv_response(), Transport::Udp, from, to, &mut names);
        let (
            Ok(EventKind::DnsResponse {
                name: a,
                answers: aa,
                ..
            }),
            Ok(EventKind::DnsResponse {
                name: b,
                answers: ba,
                ..
            }),
        ) = (first, again)
        else {
            panic!("two responses");
        };
        assert!(Arc::ptr_eq(&a, &b));
        let target = |r: &DnsRecord| match r {
            DnsRecord::Srv { target, .. } => target.clone(),
            other => panic!("{other:?}"),
        };
        assert!(Arc::ptr_eq(&target(&aa[1]), &target(&ba[1])));
        // The answer's owner name is the question's, held once too.
        let DnsRecord::Srv { name: owner, .. } = &aa[0] else {
            panic!("an SRV answer");
        };
        assert!(Arc::ptr_eq(owner, &a));
    }

    /// A query read at once says what the whole parse (or its salvage) says, on queries as
    /// resolvers send them and on their corruptions.
    #[test]
    fn a_query_read_at_once_says_what_the_whole_parse_says() {
        use proptest::prelude::*;
        let label = prop::collection::vec(
            prop::sample::select(vec![
                b'a', b'z', b'-', b'_', b'0', b'.', b'\\', 0xc3, 0xa9, 0xff, 0x00, 0xc0, 63, 64,
            ]),
            0..12,
        );
        let query = (
            prop::collection::vec(label, 0..5),
            // Types the parse knows, and some it refuses (the question is then salvaged).
            prop::sample::select(vec![1u16, 2, 5, 28, 33, 255, 999, 65_280]),
            any::<bool>(),
            // Corruptions: compression pointers (to the question itself: a loop), label
            // lengths out of range, any byte.
            prop::collection::vec(
                (
                    0usize..40,
                    prop_oneof![
                        prop::sample::select(vec![0xc0u8, 0x0c, 0x00, 0x3f, 0x40, 0x80]),
                        any::<u8>(),
                    ],
                ),
                0..4,
            ),
            0usize..40,
            // The name ended by a compression pointer: to a zero in the header (the root),
            // back to the name itself (a loop), past the message.
            prop::option::of(prop::sample::select(vec![4u8, 12, 200])),
        );
        proptest!(ProptestConfig::with_cases(5000), |((labels, qtype, edns, flips, cut, pointer) in query)| {
            let mut m = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, u8::from(edns)];
            for l in &labels {
                m.push(l.len() as u8);
                m.extend_from_slice(l);
            }
            match pointer {
                Some(to) => m.extend_from_slice(&[0xc0, to]),
                None => m.push(0),
            }
            m.extend_from_slice(&qtype.to_be_bytes());
            m.extend_from_slice(&[0, 1]);
            if edns {
                m.extend_from_slice(&[0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0]);
            }
            for (at, byte) in flips {
                if let Some(b) = m.get_mut(12 + at) {
                    *b = byte;
                }
            }
            m.truncate(m.len().saturating_sub(cut % 4));
            let (from, to) = (ep("192.0.2.10:40000"), ep("192.0.2.53:53"));
            let quick = super::decode_with(&m, Transport::Udp, from, to, &mut Interner::default(), true);
            let whole = super::decode_with(&m, Transport::Udp, from, to, &mut Interner::default(), false);
            prop_assert_eq!(format!("{quick:?}"), format!("{whole:?}"));
        });
    }

    #[test]
    fn nxdomain_query_with_unknown_type_is_salvaged() {
        let mut m = vec![0, 7, 0x81, 0x83, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend_from_slice(b"\x0a_cisco-uds\x04_tcp\x07example\x03com\x00");
        m.extend_from_slice(&[0x03, 0xe7, 0, 1]); // qtype 999
        let ev = decode(
            &m,
            Transport::Udp,
            ep("192.0.2.53:53"),
            ep("192.0.2.10:40000"),
        )
        .unwrap();
        assert!(
            matches!(ev, EventKind::DnsResponse { rcode: 3, qtype: 999, ref name, .. } if &**name == "_cisco-uds._tcp.example.com")
        );
    }

    /// Names are written as the library's Display writes them, whatever their labels hold.
    #[test]
    fn a_name_is_written_as_the_library_displays_it() {
        use proptest::prelude::*;
        let label = prop::collection::vec(
            prop::sample::select(vec![
                b'a', b'-', b'_', b'0', b'.', b'\\', b' ', 0xc3, 0xa9, 0xff, 0x00,
            ]),
            1..8,
        );
        proptest!(ProptestConfig::with_cases(3000), |(labels in prop::collection::vec(label, 0..5))| {
            let labels: Vec<simple_dns::Label<'_>> = labels
                .iter()
                .map(|l| simple_dns::Label::new_unchecked(&l[..]))
                .collect();
            let name = simple_dns::Name::new_with_labels(&labels);
            let mut text = String::from("left from the name before");
            name_text(&name, &mut text);
            prop_assert_eq!(text, name.to_string());
        });
    }

    #[test]
    fn short_and_looping_messages_are_errors() {
        assert!(
            decode(
                &[1, 2, 3],
                Transport::Udp,
                ep("1.1.1.1:53"),
                ep("2.2.2.2:5")
            )
            .is_err()
        );
        let mut m = vec![0, 7, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12];
        m.extend_from_slice(&[0, 1, 0, 1]);
        assert!(decode(&m, Transport::Udp, ep("2.2.2.2:5"), ep("1.1.1.1:53")).is_err());
    }

    #[test]
    fn the_root_name_is_written_as_tshark_writes_it() {
        // A priming query: NS for the root, as resolvers send it.
        let query = [
            0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1,
        ];
        let ev = decode(
            &query,
            Transport::Udp,
            ep("10.0.0.2:5353"),
            ep("10.0.0.1:53"),
        )
        .unwrap();
        assert!(
            matches!(&ev, EventKind::DnsQuery { name, qtype: 2, .. } if &**name == "<Root>"),
            "{ev:?}"
        );
    }
}
