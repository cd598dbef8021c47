//! A capture file in, our events out: reader → link/IP/transport → flows and reassembly →
//! protocol decoders. Memory does not grow with the bulk payload: encrypted bytes are skipped.

pub mod defrag;
pub mod flow;
pub mod packet;
pub mod reader;
pub mod reassembly;

use crate::model::{Endpoint, Event, EventKind, Transport};
use crate::proto::{Emit, dns, sip};
use packet::{LinkError, Transport as L4};
use std::io::Read;
use std::net::IpAddr;

/// What one capture held, for the report's `inputs[]`.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct CaptureInfo {
    pub format: Option<reader::CaptureFormat>,
    pub link_types: Vec<String>,
    pub frames: u64,
    #[serde(serialize_with = "opt_ts")]
    pub first_ts: Option<i64>,
    #[serde(serialize_with = "opt_ts")]
    pub last_ts: Option<i64>,
    /// Frames cut short by the snapshot length.
    pub truncated_frames: u64,
    /// Frames whose link or network layer could not be read.
    pub undecoded_frames: u64,
}

fn opt_ts<S: serde::Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(ns) => crate::time::serialize_ns(ns, s),
        None => s.serialize_none(),
    }
}

pub struct Decoded {
    pub info: CaptureInfo,
    pub events: Vec<Event>,
}

/// Events kept per capture; beyond this the capture is still read (its summary stays right)
/// but further events are dropped, and that is said.
pub const MAX_EVENTS: usize = 5_000_000;

/// Decode a capture from a stream (an archive member being inflated, standard input).
pub fn decode<R: Read + Send>(source: R) -> Decoded {
    decode_frames(|on_frame| reader::read_frames(source, on_frame))
}

/// Decode a capture held in memory or mapped from a file: no copy of the bytes. `release`
/// is told how much of the start of `data` is done with (see `reader::read_frames_slice`).
pub fn decode_slice(data: &[u8], release: Option<&dyn Fn(usize)>) -> Decoded {
    decode_frames(|on_frame| reader::read_frames_slice(data, release, on_frame))
}

fn decode_frames(
    read: impl FnOnce(&mut dyn FnMut(&reader::Frame<'_>)) -> reader::ReadSummary,
) -> Decoded {
    let mut info = CaptureInfo::default();
    let mut events: Vec<Event> = Vec::new();
    let mut flows = flow::FlowTable::default();
    let mut defrag = defrag::Defragmenter::default();
    let mut unsupported_linktypes: Vec<i32> = Vec::new();
    let mut events_capped = false;
    let summary = read(&mut |frame| {
        info.first_ts.get_or_insert(frame.ts_ns);
        info.last_ts = Some(frame.ts_ns);
        let truncated = (frame.data.len() as u64) < frame.orig_len as u64;
        if truncated {
            info.truncated_frames += 1;
        }
        if events.len() >= MAX_EVENTS {
            if !events_capped {
                events_capped = true;
                events.push(Event {
                    frame: frame.number,
                    ts: frame.ts_ns,
                    kind: EventKind::Anomaly {
                        what: "event_limit".into(),
                        detail: format!(
                            "more than {MAX_EVENTS} events: from frame {} on, nothing more is kept",
                            frame.number
                        ),
                        offset: None,
                        stream: None,
                    },
                });
            }
            return;
        }
        let mut out = Emit {
            frame: frame.number,
            ts: frame.ts_ns,
            events: &mut events,
        };
        let ip = match packet::strip_link(frame.linktype, frame.data) {
            Ok((ip, _vlans)) => ip,
            Err(LinkError::UnsupportedLinktype(lt)) => {
                info.undecoded_frames += 1;
                if !unsupported_linktypes.contains(&lt) {
                    unsupported_linktypes.push(lt);
                    out.anomaly(
                        "unsupported_link_type",
                        format!("link type {lt} is not decoded; its frames are skipped"),
                        None,
                    );
                }
                return;
            }
            Err(LinkError::NotIp(_)) => return, // ARP, LLDP and friends: not ours
            Err(LinkError::Truncated) => {
                info.undecoded_frames += 1;
                return;
            }
        };
        let Some(pkt) = packet::decode_ip(ip) else {
            info.undecoded_frames += 1;
            return;
        };
        let complete = !pkt.incomplete && !truncated;
        let reassembled;
        let mut transport = pkt.transport;
        if pkt.fragmented && !truncated {
            match defrag.push(ip, frame.ts_ns) {
                Some((ip_number, payload)) => {
                    reassembled = payload;
                    let mut incomplete = false;
                    transport = packet::decode_transport(ip_number, &reassembled, &mut incomplete);
                }
                None => return,
            }
        }
        dispatch(pkt.src, pkt.dst, transport, complete, &mut flows, &mut out);
    });
    flows.finish(&mut events);
    for (offset, problem) in &summary.problems {
        events.push(Event {
            frame: summary.frames,
            ts: info.last_ts.unwrap_or(0),
            kind: EventKind::Anomaly {
                what: "capture_file".into(),
                detail: problem.clone(),
                offset: Some(*offset),
                stream: None,
            },
        });
    }
    if info.truncated_frames > 0 {
        events.push(Event {
            frame: 1,
            ts: info.first_ts.unwrap_or(0),
            kind: EventKind::Anomaly {
                what: "snaplen_truncation".into(),
                detail: format!("{} frames were cut short by the snapshot length; their payload was not decoded", info.truncated_frames),
                offset: None,
                stream: None,
            },
        });
    }
    // Stable: decoders emit in frame order; summaries land after their frame's own events.
    events.sort_by_key(|e| e.frame);
    info.format = summary.format;
    info.frames = summary.frames;
    info.link_types = summary
        .linktypes
        .iter()
        .map(|&lt| packet::linktype_name(lt))
        .collect();
    Decoded { info, events }
}

fn dispatch(
    src_ip: IpAddr,
    dst_ip: IpAddr,
    transport: L4<'_>,
    complete: bool,
    flows: &mut flow::FlowTable,
    out: &mut Emit<'_>,
) {
    match transport {
        L4::Tcp(seg) => {
            let src = Endpoint {
                ip: src_ip,
                port: seg.sport,
            };
            let dst = Endpoint {
                ip: dst_ip,
                port: seg.dport,
            };
            flows.on_segment(src, dst, &seg, complete, out);
        }
        L4::Udp {
            sport,
            dport,
            payload,
        } => {
            let src = Endpoint {
                ip: src_ip,
                port: sport,
            };
            let dst = Endpoint {
                ip: dst_ip,
                port: dport,
            };
            on_datagram(src, dst, payload, out);
        }
        L4::IcmpUnreachable {
            quoted_tcp,
            src,
            dst,
            sport,
            dport,
            reason,
        } => {
            let client = Endpoint {
                ip: src,
                port: sport,
            };
            let server = Endpoint {
                ip: dst,
                port: dport,
            };
            let (transport, stream) = if quoted_tcp {
                (Transport::Tcp, flows.on_icmp(client, server, &reason))
            } else {
                (Transport::Udp, None)
            };
            out.push(EventKind::IcmpUnreachable {
                reporter: src_ip,
                transport,
                stream,
                client,
                server,
                reason,
            });
        }
        L4::Other => {}
    }
}

fn on_datagram(src: Endpoint, dst: Endpoint, payload: &[u8], out: &mut Emit<'_>) {
    if src.port == 53 || dst.port == 53 {
        match dns::decode(payload, Transport::Udp, src, dst) {
            Ok(ev) => out.push(ev),
            Err(e) => out.anomaly("dns_malformed", e, None),
        }
    } else if (src.port == 5060 || dst.port == 5060 || sip::probe(payload))
        && let Some(end) = payload.windows(4).position(|w| w == b"\r\n\r\n")
        && let Some(m) = sip::parse_head(&payload[..end])
    {
        let (client, server) = match m.start {
            sip::StartLine::Request { .. } => (src, dst),
            sip::StartLine::Response { .. } => (dst, src),
        };
        out.push(flow::sip_event(m, Transport::Udp, None, client, server));
    }
}
