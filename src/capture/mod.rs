//! A capture file in, our events out: reader → link/IP/transport → flows and reassembly →
//! protocol decoders. Memory does not grow with the bulk payload: encrypted bytes are skipped.

mod blocks;
pub mod defrag;
pub mod flow;
pub mod packet;
pub mod reader;
pub mod reassembly;

use crate::model::{Endpoint, Event, EventKind, Transport};
use crate::proto::keylog::KeyLog;
use crate::proto::{Emit, dns, sip};
use blocks::{
    BLOCK_BYTES, BlockFrame, FrameBlock, Replay, read_legacy_into_blocks, read_pcapng_into_blocks,
    read_up_to,
};
use packet::{LinkError, Transport as L4};
use std::io::Read;
use std::net::IpAddr;
use std::sync::Arc;

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
    /// The TLS handshakes a pcapng's Decryption Secrets Blocks have secrets for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embedded_secrets: Option<usize>,
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

/// Decode a capture from a stream (an archive member being inflated, standard input).
pub fn decode<R: Read + Send>(source: R) -> Decoded {
    decode_with_keys(source, None)
}

/// [`decode`], decrypting the TLS connections whose secrets the key log holds. With more
/// than one thread (rayon's count), the frames are read on a second thread into blocks and
/// handed to this one to be judged (layered on whichever thread keeps pace): the output is
/// the same either way.
pub fn decode_with_keys<R: Read + Send>(source: R, keys: Option<Arc<KeyLog>>) -> Decoded {
    decode_sized(source, None, keys)
}

/// [`decode_with_keys`] of a stream whose size may be known (a file): a small one is decoded
/// on this thread alone (a second costs more than it saves: a `scan` of 1,000 captures of
/// 1 MB ran 2.2 times slower with one each).
pub fn decode_sized<R: Read + Send>(
    source: R,
    size: Option<u64>,
    keys: Option<Arc<KeyLog>>,
) -> Decoded {
    // The source goes to the reading thread; if that thread cannot start, it comes back.
    let source = std::sync::Mutex::new(Some(source));
    if rayon::current_num_threads() >= 2
        && size.is_none_or(|s| s >= PIPELINE_MIN as u64)
        && let Some(decoded) =
            decode_stream_on_two_threads(&source, keys.clone(), LayerOn::Balanced)
    {
        return decoded;
    }
    match source.into_inner().ok().flatten() {
        Some(source) => decode_stream_on_one_thread(source, keys),
        None => unreachable!("the source is taken only by a reading thread that started"),
    }
}

fn decode_stream_on_one_thread<R: Read + Send>(source: R, keys: Option<Arc<KeyLog>>) -> Decoded {
    let mut judge = Judge::new(keys);
    // A pcapng's own secrets come before its first packet: taken in before that packet.
    let embedded: std::cell::RefCell<Option<KeyLog>> = Default::default();
    let summary = reader::read_frames_with_secrets(
        source,
        |frame| {
            if let Some(secrets) = embedded.borrow_mut().take() {
                judge.take_secrets(secrets);
            }
            judge.apply(frame_msg(frame, layer(frame, frame.data)));
        },
        |block| {
            embedded
                .borrow_mut()
                .get_or_insert_default()
                .add_text(&String::from_utf8_lossy(block));
        },
    );
    if let Some(secrets) = embedded.take() {
        judge.take_secrets(secrets);
    }
    judge.finish(summary)
}

/// A pcapng's first four bytes (a section header's type), in either byte order.
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// Frames read from a stream, on their way to the judging thread.
enum Piece {
    /// Frames' bytes one after the other, and where each is.
    Frames(FrameBlock),
    /// A pcapng's Decryption Secrets, for the frames after them.
    Secrets(KeyLog),
}

/// Which thread runs the link and IP layers over a stream's blocks (they hold no state: a
/// block can be layered on either, and the output is the same).
#[derive(Clone, Copy, Debug)]
enum LayerOn {
    /// The reading thread layers a block when the judging one is behind (a block already
    /// waits for it), else the judging thread does: each thread's share follows the machine
    /// and the capture (the judging thread was the longer one on a busy capture; layering
    /// everything on the reading thread made it the longer one).
    Balanced,
    /// Always the reading thread, or always the judging thread (tests).
    #[cfg(test)]
    Reading,
    #[cfg(test)]
    Judging,
}

/// `None` when no second thread could be started (the source is then still in `source`).
fn decode_stream_on_two_threads<R: Read + Send>(
    source: &std::sync::Mutex<Option<R>>,
    keys: Option<Arc<KeyLog>>,
    layer_on: LayerOn,
) -> Option<Decoded> {
    let (send, receive) = std::sync::mpsc::sync_channel::<Piece>(4);
    let (recycle, spare) = std::sync::mpsc::channel::<FrameBlock>();
    // Blocks sent and not yet taken by the judging thread.
    let waiting = &std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let reading = std::thread::Builder::new()
            .name("mradiag-frames".into())
            .spawn_scoped(scope, move || {
                use std::sync::atomic::Ordering::Relaxed;
                let mut source = source.lock().ok()?.take()?;
                let mut block = FrameBlock::default();
                // A closed receiver means the judge is gone: nothing left to do.
                let hand_on = |mut block: FrameBlock| {
                    let here = match layer_on {
                        LayerOn::Balanced => waiting.load(Relaxed) > 0,
                        #[cfg(test)]
                        LayerOn::Reading => true,
                        #[cfg(test)]
                        LayerOn::Judging => false,
                    };
                    if here {
                        block.layer();
                    }
                    waiting.fetch_add(1, Relaxed);
                    let _ = send.send(Piece::Frames(block));
                };
                // A classic pcap's records are read straight into the blocks: no parser's
                // buffer and no copy of each frame.
                let mut head = [0u8; 24];
                let got = read_up_to(&mut source, &mut head);
                if let Some(legacy) = reader::legacy_head(&head[..got]) {
                    let summary = read_legacy_into_blocks(source, legacy, &mut block, |full| {
                        let mut next = spare.try_recv().unwrap_or_default();
                        next.frames.clear();
                        hand_on(std::mem::replace(full, next));
                    });
                    if !block.frames.is_empty() {
                        hand_on(block);
                    }
                    return Some(summary);
                }
                let mut first = head[..got].to_vec();
                let secrets = std::cell::RefCell::new(None::<KeyLog>);
                let add_secrets = |text: &[u8]| {
                    secrets
                        .borrow_mut()
                        .get_or_insert_default()
                        .add_text(&String::from_utf8_lossy(text));
                };
                // A pcapng's blocks are read in place too. Its secrets come before its first
                // frame, or are not used.
                if first.starts_with(&PCAPNG_MAGIC) {
                    first.resize(BLOCK_BYTES, 0);
                    let more = read_up_to(&mut source, &mut first[got..]);
                    first.truncate(got + more);
                    if reader::starts_pcapng(&first) {
                        let send_secrets = || {
                            if let Some(keys) = secrets.borrow_mut().take() {
                                let _ = send.send(Piece::Secrets(keys));
                            }
                        };
                        let summary = read_pcapng_into_blocks(
                            source,
                            first,
                            &|| spare.try_recv().unwrap_or_default(),
                            &|block| {
                                send_secrets();
                                hand_on(block);
                            },
                            add_secrets,
                        );
                        send_secrets();
                        return Some(summary);
                    }
                }
                let source = Replay {
                    head: first,
                    at: 0,
                    rest: source,
                };
                // The secrets come before the frames they are for: the block before them goes
                // first.
                let flush = |block: &mut FrameBlock| {
                    if !block.frames.is_empty() {
                        let mut next = spare.try_recv().unwrap_or_default();
                        next.bytes.clear();
                        hand_on(std::mem::replace(block, next));
                    }
                };
                let summary = reader::read_frames_with_secrets(
                    source,
                    |frame| {
                        if let Some(keys) = secrets.borrow_mut().take() {
                            flush(&mut block);
                            let _ = send.send(Piece::Secrets(keys));
                        }
                        if block.bytes.len() + frame.data.len() > BLOCK_BYTES {
                            flush(&mut block);
                        }
                        let start = block.bytes.len();
                        block.bytes.extend_from_slice(frame.data);
                        block.frames.push(BlockFrame {
                            number: frame.number,
                            ts_ns: frame.ts_ns,
                            linktype: frame.linktype,
                            interface: frame.interface,
                            orig_len: frame.orig_len,
                            bytes: start..block.bytes.len(),
                        });
                    },
                    add_secrets,
                );
                flush(&mut block);
                if let Some(keys) = secrets.into_inner() {
                    let _ = send.send(Piece::Secrets(keys));
                }
                Some(summary)
            })
            .ok()?;
        let mut judge = Judge::new(keys);
        for piece in receive {
            match piece {
                Piece::Secrets(keys) => judge.take_secrets(keys),
                Piece::Frames(mut block) => {
                    waiting.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
                    let FrameBlock {
                        bytes,
                        frames,
                        layered,
                    } = &mut block;
                    if layered.is_empty() {
                        for f in frames.iter() {
                            let frame = f.frame(bytes);
                            judge.apply(frame_msg(&frame, layer(&frame, frame.data)));
                        }
                    } else {
                        for (f, layered) in frames.iter().zip(layered.drain(..)) {
                            let frame = f.frame(bytes);
                            let layered = layered.map_payload(|at| &bytes[at]);
                            judge.apply(frame_msg(&frame, layered));
                        }
                    }
                    // The bytes stay as they are: the reading thread fills them again.
                    frames.clear();
                    let _ = recycle.send(block);
                }
            }
        }
        // A panic in a decoder is a bug: it goes on as it would on one thread.
        let summary = reading
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        Some(judge.finish(summary))
    })
}

/// Decode a capture held in memory or mapped from a file: no copy of the bytes. `release`
/// is told how much of the start of `data` is done with (see `reader::read_frames_slice`).
/// With more than one thread (rayon's count), the link and IP layers run on a second thread
/// that hands frames, still borrowed from `data`, to this one in batches: the output is the
/// same either way.
pub fn decode_slice(data: &[u8], release: Option<&dyn Fn(usize)>) -> Decoded {
    decode_slice_with_keys(data, release, None)
}

/// [`decode_slice`], decrypting the TLS connections whose secrets the key log holds.
pub fn decode_slice_with_keys(
    data: &[u8],
    release: Option<&dyn Fn(usize)>,
    keys: Option<Arc<KeyLog>>,
) -> Decoded {
    let (keys, embedded) = with_embedded_secrets(data, keys);
    let mut decoded = decode_slice_keyed(data, release, keys);
    decoded.info.embedded_secrets = embedded;
    decoded
}

/// The key logs given, with those the capture carries (a pcapng's Decryption Secrets
/// Blocks), and how many handshakes the latter cover.
fn with_embedded_secrets(
    data: &[u8],
    keys: Option<Arc<KeyLog>>,
) -> (Option<Arc<KeyLog>>, Option<usize>) {
    let blocks = reader::embedded_secrets(data);
    if blocks.is_empty() {
        return (keys, None);
    }
    let mut embedded = KeyLog::default();
    for block in blocks {
        embedded.add_text(&String::from_utf8_lossy(block));
    }
    let count = embedded.len();
    (merged(Some(embedded), keys), Some(count))
}

/// The capture's own secrets first, then the key logs given; none when both are empty.
fn merged(embedded: Option<KeyLog>, given: Option<Arc<KeyLog>>) -> Option<Arc<KeyLog>> {
    let mut all = embedded.unwrap_or_default();
    if let Some(given) = given {
        all.merge(Arc::unwrap_or_clone(given));
    }
    (!all.is_empty()).then(|| Arc::new(all))
}

fn decode_slice_keyed(
    data: &[u8],
    release: Option<&dyn Fn(usize)>,
    keys: Option<Arc<KeyLog>>,
) -> Decoded {
    if rayon::current_num_threads() >= 2
        && data.len() >= PIPELINE_MIN
        && let Some(decoded) = decode_on_two_threads(data, release, keys.clone())
    {
        return decoded;
    }
    let mut judge = Judge::new(keys);
    let summary = reader::read_frames_slice(data, release, |frame| {
        judge.apply(frame_msg(frame, layer(frame, frame.data)));
    });
    judge.finish(summary)
}

/// `None` when no second thread could be started (the caller then decodes on this one).
fn decode_on_two_threads(
    data: &[u8],
    release: Option<&dyn Fn(usize)>,
    keys: Option<Arc<KeyLog>>,
) -> Option<Decoded> {
    let (send, receive) = std::sync::mpsc::sync_channel::<Vec<FrameMsg<'_>>>(4);
    std::thread::scope(|scope| {
        let reading = std::thread::Builder::new()
            .name("mradiag-frames".into())
            .spawn_scoped(scope, move || {
                let mut batch = Vec::with_capacity(BATCH);
                let summary = reader::read_frames_slice(data, None, |frame| {
                    // The frame borrows the reader; the same bytes, borrowed from `data`, can
                    // cross to the other thread.
                    let at = frame.data.as_ptr() as usize - data.as_ptr() as usize;
                    let bytes = &data[at..at + frame.data.len()];
                    let mut msg = frame_msg(frame, layer(frame, bytes));
                    msg.at = at;
                    batch.push(msg);
                    if batch.len() == BATCH {
                        // A closed receiver means the judge is gone: nothing left to do.
                        let _ = send.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
                    }
                });
                let _ = send.send(batch);
                summary
            })
            .ok()?;
        let mut judge = Judge::new(keys);
        let mut released = 0;
        for batch in receive {
            let last = batch.last().map(|m| m.at);
            for msg in batch {
                judge.apply(msg);
            }
            // Frames before the last one judged are done with; later ones may be queued.
            if let (Some(release), Some(at)) = (release, last)
                && at - released >= reader::RELEASE_STEP
            {
                released = at - at % reader::RELEASE_STEP;
                release(released);
            }
        }
        // A panic in a decoder is a bug: it goes on as it would on one thread.
        let summary = reading
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        Some(judge.finish(summary))
    })
}

/// Below this size a capture is decoded on one thread: a second one costs more than it saves.
const PIPELINE_MIN: usize = 4 << 20;
/// Frames handed from the reading thread to the judging one at a time.
const BATCH: usize = 2048;

/// One frame as the link and IP layers left it.
struct FrameMsg<'a> {
    number: u64,
    ts: i64,
    truncated: bool,
    /// Where the frame's bytes start in the data (pipelined decoding only).
    at: usize,
    layered: Layered<&'a [u8]>,
}

fn frame_msg<'a>(frame: &reader::Frame<'_>, layered: Layered<&'a [u8]>) -> FrameMsg<'a> {
    FrameMsg {
        number: frame.number,
        ts: frame.ts_ns,
        truncated: (frame.data.len() as u64) < frame.orig_len as u64,
        at: 0,
        layered,
    }
}

/// A frame as the link and IP layers left it (what they know of it alone: they hold no state,
/// so a frame can be layered on any thread); `P` its transport payload: the bytes, or where
/// they are in a block of frames crossing threads.
enum Layered<P> {
    /// A link type we do not decode.
    Unsupported { linktype: i32 },
    /// ARP, LLDP and friends: not ours.
    NotIp,
    /// The link or IP header could not be read.
    Undecoded,
    /// An IP fragment, for the judging thread's defragmenter: `ip` the IP packet.
    Fragment {
        src: IpAddr,
        dst: IpAddr,
        ip: P,
        complete: bool,
    },
    Ip {
        src: IpAddr,
        dst: IpAddr,
        transport: L4<P>,
        complete: bool,
    },
}

impl<P> Layered<P> {
    fn map_payload<Q>(self, f: impl FnOnce(P) -> Q) -> Layered<Q> {
        match self {
            Layered::Unsupported { linktype } => Layered::Unsupported { linktype },
            Layered::NotIp => Layered::NotIp,
            Layered::Undecoded => Layered::Undecoded,
            Layered::Fragment {
                src,
                dst,
                ip,
                complete,
            } => Layered::Fragment {
                src,
                dst,
                ip: f(ip),
                complete,
            },
            Layered::Ip {
                src,
                dst,
                transport,
                complete,
            } => Layered::Ip {
                src,
                dst,
                transport: transport.map_payload(f),
                complete,
            },
        }
    }
}

/// The first stage: link layer and IP. `bytes` are the frame's bytes, borrowed for as long as
/// the caller needs them.
fn layer<'a>(frame: &reader::Frame<'_>, bytes: &'a [u8]) -> Layered<&'a [u8]> {
    let ip = match packet::strip_link(frame.linktype, bytes) {
        Ok((ip, _vlans)) => ip,
        Err(LinkError::UnsupportedLinktype(linktype)) => return Layered::Unsupported { linktype },
        Err(LinkError::NotIp(_)) => return Layered::NotIp,
        Err(LinkError::Truncated) => return Layered::Undecoded,
    };
    let Some(pkt) = packet::decode_ip(ip) else {
        return Layered::Undecoded;
    };
    let truncated = (frame.data.len() as u64) < frame.orig_len as u64;
    let complete = !pkt.incomplete && !truncated;
    if pkt.fragmented && !truncated {
        return Layered::Fragment {
            src: pkt.src,
            dst: pkt.dst,
            ip,
            complete,
        };
    }
    Layered::Ip {
        src: pkt.src,
        dst: pkt.dst,
        transport: pkt.transport,
        complete,
    }
}

/// The second stage: flows, reassembly, protocol decoders, the capture's summary.
struct Judge {
    info: CaptureInfo,
    events: Vec<Event>,
    flows: flow::FlowTable,
    /// The DNS names said so far, each held once.
    names: crate::intern::Interner,
    /// The limit on events, read once (it is checked on every frame).
    max_events: usize,
    events_capped: bool,
    /// IP fragments, kept until their datagram is whole (frames come here in order, whichever
    /// thread layered them).
    defrag: defrag::Defragmenter,
    /// The link types met that we do not decode (said once each).
    unsupported: Vec<i32>,
}

impl Judge {
    fn new(keys: Option<Arc<KeyLog>>) -> Self {
        Judge {
            info: CaptureInfo::default(),
            events: Vec::new(),
            flows: flow::FlowTable::with_keys(keys),
            names: Default::default(),
            max_events: crate::limits::get().events,
            events_capped: false,
            defrag: Default::default(),
            unsupported: Vec::new(),
        }
    }

    /// A pcapng's own TLS secrets, with the key logs given.
    fn take_secrets(&mut self, embedded: KeyLog) {
        self.info.embedded_secrets = Some(embedded.len());
        self.flows.keys = merged(Some(embedded), self.flows.keys.take());
    }

    fn apply(&mut self, msg: FrameMsg<'_>) {
        // A fragment goes to its datagram even once events are no longer kept: the datagrams
        // given up on are said at the end.
        let rebuilt = match &msg.layered {
            Layered::Fragment { ip, .. } => self.defrag.push(ip, msg.ts),
            _ => None,
        };
        let info = &mut self.info;
        info.first_ts.get_or_insert(msg.ts);
        info.last_ts = Some(msg.ts);
        if msg.truncated {
            info.truncated_frames += 1;
        }
        let max_events = self.max_events;
        if self.events.len() >= max_events {
            if !self.events_capped {
                self.events_capped = true;
                self.events.push(Event {
                    frame: msg.number,
                    ts: msg.ts,
                    kind: EventKind::Anomaly {
                        what: "event_limit".into(),
                        detail: format!(
                            "more than {max_events} events: from frame {} on, nothing more is kept",
                            msg.number
                        ),
                        offset: None,
                        stream: None,
                    },
                });
            }
            return;
        }
        let mut out = Emit {
            frame: msg.number,
            ts: msg.ts,
            events: &mut self.events,
            names: &mut self.names,
        };
        match msg.layered {
            Layered::Unsupported { linktype } => {
                info.undecoded_frames += 1;
                if !self.unsupported.contains(&linktype) {
                    self.unsupported.push(linktype);
                    out.anomaly(
                        "unsupported_link_type",
                        format!("link type {linktype} is not decoded; its frames are skipped"),
                        None,
                    );
                }
            }
            Layered::NotIp => {}
            Layered::Undecoded => info.undecoded_frames += 1,
            Layered::Ip {
                src,
                dst,
                transport,
                complete,
            } => dispatch(src, dst, transport, complete, &mut self.flows, &mut out),
            Layered::Fragment {
                src, dst, complete, ..
            } => {
                if let Some((ip_number, payload)) = rebuilt {
                    let mut incomplete = false;
                    let transport = packet::decode_transport(ip_number, &payload, &mut incomplete);
                    dispatch(src, dst, transport, complete, &mut self.flows, &mut out);
                }
            }
        }
    }

    fn finish(self, summary: reader::ReadSummary) -> Decoded {
        let Judge {
            mut info,
            mut events,
            flows,
            mut defrag,
            ..
        } = self;
        // IP datagrams whose fragments never all came.
        let fragments_given_up = defrag.finish();
        // Events so far came in frame order; what is added now (connections' summaries at
        // their first frame, the capture's anomalies) is merged into them.
        let in_order = events.len();
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
        if fragments_given_up > 0 {
            events.push(Event {
                frame: summary.frames,
                ts: info.last_ts.unwrap_or(0),
                kind: EventKind::Anomaly {
                    what: "ip_fragments".into(),
                    detail: format!("{fragments_given_up} fragmented IP datagrams never completed (fragments stopped, or too many pending at once); given up on"),
                    offset: None,
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
        merge_by_frame(&mut events, in_order);
        info.format = summary.format;
        info.frames = summary.frames;
        info.link_types = summary
            .linktypes
            .iter()
            .map(|&lt| packet::linktype_name(lt))
            .collect();
        Decoded { info, events }
    }
}

/// Events whose first `in_order` are sorted by frame, and the rest added after them, in one
/// stable order by frame: the rest sorted apart, then merged from the back, each event moved
/// once (the rest are a tenth of a busy capture's events: its connections' summaries).
/// Anything else, the whole stable sort.
fn merge_by_frame(events: &mut Vec<Event>, in_order: usize) {
    if !events[..in_order].is_sorted_by_key(|e| e.frame) {
        sort_by_frame(events);
        return;
    }
    let mut rest = events.split_off(in_order);
    if rest.is_empty() {
        return;
    }
    rest.sort_by_key(|e| e.frame);
    let total = in_order + rest.len();
    // Room at the end, held by placeholders that are overwritten or moved down.
    events.resize_with(total, || Event {
        frame: 0,
        ts: 0,
        kind: EventKind::XmppStartTls { stream: 0 },
    });
    let mut sorted_end = in_order;
    for place in (0..total).rev() {
        let Some(last) = rest.last() else { break };
        // On a tie the added event goes after: it came later.
        if sorted_end > 0 && events[sorted_end - 1].frame > last.frame {
            sorted_end -= 1;
            events.swap(place, sorted_end);
        } else {
            events[place] = rest.pop().expect("looked at");
        }
    }
}

/// A stable sort of the events by frame that needs a few bytes per event, not a copy of half
/// of them as `sort_by_key` does: on a busy capture that copy was a fifth of the peak heap.
fn sort_by_frame(events: &mut [Event]) {
    if events.is_sorted_by_key(|e| e.frame) {
        return;
    }
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by_key(|&i| events[i].frame);
    // Position j takes the event now at order[j]: follow each cycle once, marking it done.
    for start in 0..order.len() {
        let mut j = start;
        loop {
            let from = order[j];
            order[j] = j;
            if from == start {
                break;
            }
            events.swap(j, from);
            j = from;
        }
    }
}

fn dispatch(
    src_ip: IpAddr,
    dst_ip: IpAddr,
    transport: L4<&[u8]>,
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
        L4::IcmpUnreachable(packet::Quoted {
            tcp,
            src,
            dst,
            sport,
            dport,
            reason,
        }) => {
            let client = Endpoint {
                ip: src,
                port: sport,
            };
            let server = Endpoint {
                ip: dst,
                port: dport,
            };
            let (transport, stream) = if tcp {
                (Transport::Tcp, flows.on_icmp(client, server, reason))
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
        match dns::decode(payload, Transport::Udp, src, dst, out.names) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `v` in the byte order a test's capture is written in.
    fn word(big_endian: bool, v: u32) -> [u8; 4] {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    /// A classic pcap rewritten in another byte order and/or with nanosecond times, record by
    /// record (the input: little-endian microseconds, as the generator writes).
    fn rewritten(le_us: &[u8], big_endian: bool, nanos: bool) -> Vec<u8> {
        let word = |v: u32| word(big_endian, v);
        let le = |at: usize| u32::from_le_bytes(le_us[at..at + 4].try_into().unwrap());
        let mut out = Vec::with_capacity(le_us.len());
        out.extend(word(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }));
        out.extend(&word((le(4) & 0xffff) << 16 | le(4) >> 16)[..]);
        for at in [8, 12, 16, 20] {
            out.extend(word(le(at)));
        }
        let mut pos = 24;
        while pos + 16 <= le_us.len() {
            let caplen = le(pos + 8) as usize;
            let frac = if nanos {
                le(pos + 4) * 1000
            } else {
                le(pos + 4)
            };
            for v in [le(pos), frac, le(pos + 8), le(pos + 12)] {
                out.extend(word(v));
            }
            out.extend(&le_us[pos + 16..(pos + 16 + caplen).min(le_us.len())]);
            pos += 16 + caplen;
        }
        out
    }

    /// What the input's line and events say, to compare two decodings.
    fn decoded_text(d: &Decoded) -> String {
        format!("{:?}\n{:?}", d.info, d.events)
    }

    /// A classic pcap's DNS answers over UDP and IPv4 (no VLAN tag), each sent as two IP
    /// fragments (every other pair second fragment first), and one first fragment whose rest
    /// never comes: datagrams rebuilt on the reading thread cross to the judging one.
    fn fragmented_dns(pcap: &[u8]) -> Vec<u8> {
        let le = |at: usize| u32::from_le_bytes(pcap[at..at + 4].try_into().unwrap()) as usize;
        let mut out = pcap[..24].to_vec();
        let mut record = |ts: &[u8], frame: &[u8]| {
            out.extend(ts);
            out.extend((frame.len() as u32).to_le_bytes());
            out.extend((frame.len() as u32).to_le_bytes());
            out.extend(frame);
        };
        let (mut pos, mut pairs) = (24, 0);
        while pos + 16 <= pcap.len() && pairs < 40 {
            let caplen = le(pos + 8);
            let frame = &pcap[pos + 16..pos + 16 + caplen];
            let ts = &pcap[pos..pos + 8];
            pos += 16 + caplen;
            let dns_over_udp4 = frame.len() > 14 + 20 + 8 + 24
                && frame[12..14] == [0x08, 0x00]
                && frame[14] == 0x45
                && frame[23] == 17
                && frame[34..36] == [0, 53];
            if !dns_over_udp4 {
                continue;
            }
            let (link, ip) = frame.split_at(14);
            let (header, payload) = ip.split_at(20);
            // The first fragment carries 16 bytes (a multiple of 8), the second the rest.
            let part = |offset: usize, bytes: &[u8], more: bool| {
                let mut h = header.to_vec();
                h[2..4].copy_from_slice(&((20 + bytes.len()) as u16).to_be_bytes());
                h[4..6].copy_from_slice(&(pairs as u16 + 7000).to_be_bytes());
                let flags = (offset / 8) as u16 | if more { 0x2000 } else { 0 };
                h[6..8].copy_from_slice(&flags.to_be_bytes());
                [link, &h, bytes].concat()
            };
            let (first, second) = (
                part(0, &payload[..16], true),
                part(16, &payload[16..], false),
            );
            if pairs % 2 == 0 {
                record(ts, &first);
                record(ts, &second);
            } else {
                record(ts, &second);
                record(ts, &first);
            }
            if pairs == 0 {
                let mut dangling = part(0, &payload[..16], true);
                dangling[14 + 4] ^= 0xff;
                record(ts, &dangling);
            }
            pairs += 1;
        }
        assert_eq!(
            pairs, 40,
            "the busy capture has DNS answers over UDP and IPv4"
        );
        out
    }

    /// A busy network's capture of about `size_bytes`, classic pcap or pcapng.
    fn busy_capture(size_bytes: u64, pcapng: bool) -> Vec<u8> {
        let mut bytes = Vec::new();
        crate::synth::busy::write_busy_capture(
            crate::synth::busy::BusySpec {
                size_bytes,
                pcapng,
                ..Default::default()
            },
            &mut bytes,
        )
        .unwrap();
        bytes
    }

    /// A stream that gives at most `most` bytes a read, as a pipe may.
    struct Trickle {
        bytes: std::io::Cursor<Vec<u8>>,
        most: usize,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let most = self.most.min(buf.len());
            self.bytes.read(&mut buf[..most])
        }
    }

    /// `bytes` decoded on two threads (read into blocks, layered on either thread or both; read
    /// whole and a few KiB a read) as on one thread through pcap-parser's reader; that decoding.
    fn read_in_blocks_as_by_the_parser(name: &str, bytes: &[u8]) -> Decoded {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let parser = decode_stream_on_one_thread(std::io::Cursor::new(bytes.to_vec()), None);
        let want = decoded_text(&parser);
        for most in [usize::MAX, 4093] {
            for layer_on in [LayerOn::Reading, LayerOn::Judging, LayerOn::Balanced] {
                let source = Trickle {
                    bytes: std::io::Cursor::new(bytes.to_vec()),
                    most,
                };
                let blocks = pool.install(|| {
                    decode_stream_on_two_threads(
                        &std::sync::Mutex::new(Some(source)),
                        None,
                        layer_on,
                    )
                });
                let got = decoded_text(&blocks.expect("a second thread"));
                assert_eq!(
                    got, want,
                    "{name}, layered on {layer_on:?}, {most} bytes a read"
                );
            }
        }
        parser
    }

    /// A pcapng in either byte order: a section header, then `blocks` (type, body), each
    /// padded to 4 bytes and framed by its length.
    fn pcapng(big_endian: bool, blocks: &[(u32, Vec<u8>)]) -> Vec<u8> {
        let word = |v: u32| word(big_endian, v);
        let mut shb = word(0x1a2b_3c4d).to_vec();
        shb.extend(if big_endian {
            [0, 1, 0, 0]
        } else {
            [1, 0, 0, 0]
        });
        shb.extend([0xff; 8]);
        let mut out = Vec::new();
        for (kind, body) in std::iter::once(&(0x0a0d_0d0a, shb)).chain(blocks) {
            let padded = body.len().div_ceil(4) * 4;
            let len = (12 + padded) as u32;
            out.extend(word(*kind));
            out.extend(word(len));
            out.extend(body);
            out.resize(out.len() + padded - body.len(), 0);
            out.extend(word(len));
        }
        out
    }

    /// Blocks of a pcapng (for [`pcapng`]): an Ethernet interface, a packet on interface 0,
    /// TLS key log secrets.
    fn ng_interface(big_endian: bool) -> (u32, Vec<u8>) {
        // Ethernet (1) in the first half-word, none reserved, then the snap length.
        let ethernet = if big_endian { 1 << 16 } else { 1 };
        (
            1,
            [word(big_endian, ethernet), word(big_endian, 65535)].concat(),
        )
    }

    fn ng_packet(big_endian: bool, ts_us: u64, frame: &[u8]) -> (u32, Vec<u8>) {
        let word = |v: u32| word(big_endian, v);
        let mut body = Vec::new();
        for v in [
            0,
            (ts_us >> 32) as u32,
            ts_us as u32,
            frame.len() as u32,
            frame.len() as u32,
        ] {
            body.extend(word(v));
        }
        body.extend(frame);
        (6, body)
    }

    fn ng_secrets(big_endian: bool, keylog: &str) -> (u32, Vec<u8>) {
        let word = |v: u32| word(big_endian, v);
        let mut body = word(0x544c_534b).to_vec();
        body.extend(word(keylog.len() as u32));
        body.extend(keylog.as_bytes());
        (10, body)
    }

    /// The frames of a little-endian, microsecond classic pcap: (time in µs, bytes).
    fn frames_of(pcap: &[u8]) -> Vec<(u64, &[u8])> {
        let le = |at: usize| u32::from_le_bytes(pcap[at..at + 4].try_into().unwrap());
        let mut frames = Vec::new();
        let mut pos = 24;
        while pos + 16 <= pcap.len() {
            let caplen = le(pos + 8) as usize;
            let ts = le(pos) as u64 * 1_000_000 + le(pos + 4) as u64;
            frames.push((ts, &pcap[pos + 16..(pos + 16 + caplen).min(pcap.len())]));
            pos += 16 + caplen;
        }
        frames
    }

    /// A pcapng read straight into the blocks decodes as pcap-parser's path reads it: our
    /// samples' (two interfaces; TLS secrets in the file), cut anywhere; both byte orders;
    /// two sections; packets larger than a block, first or not; a packet claiming too much;
    /// secrets after the first packet (not used).
    #[test]
    fn a_pcapng_read_into_blocks_decodes_as_the_parser_reads_it() {
        let samples = env!("CARGO_MANIFEST_DIR");
        for sample in ["pcapng-two-interfaces", "keylog-embedded-sip-403"] {
            let path = format!("{samples}/samples/{sample}/capture.pcapng");
            let bytes = std::fs::read(&path).expect("our sample");
            read_in_blocks_as_by_the_parser(sample, &bytes);
            for cut in (29..bytes.len()).step_by(997) {
                read_in_blocks_as_by_the_parser(&format!("{sample} cut at {cut}"), &bytes[..cut]);
            }
        }
        let busy = busy_capture(3 << 20, false);
        let frames = frames_of(&busy);
        // A DNS answer, padded: its event is there only if the packet was read whole.
        let answer = frames
            .iter()
            .map(|(_, frame)| *frame)
            .find(|f| f.len() > 42 && f[12..14] == [8, 0] && f[23] == 17 && f[34..36] == [0, 53])
            .expect("a DNS answer over IPv4");
        let padded = |len: usize| [answer, &vec![0; len - answer.len()]].concat();
        let large = padded(1_500_000);
        let packets = |be: bool, range: std::ops::Range<usize>| -> Vec<(u32, Vec<u8>)> {
            frames[range]
                .iter()
                .map(|(ts, frame)| ng_packet(be, *ts, frame))
                .collect()
        };
        let keylog = "CLIENT_RANDOM 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff 000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f\n";
        for be in [false, true] {
            let order = if be { "big-endian" } else { "little-endian" };
            let all = frames.len();
            let mut blocks = vec![ng_secrets(be, keylog), ng_interface(be)];
            blocks.extend(packets(be, 0..all));
            let whole = pcapng(be, &blocks);
            let decoded = read_in_blocks_as_by_the_parser(&format!("{order}, every frame"), &whole);
            assert_eq!(decoded.info.embedded_secrets, Some(1), "{order}");
            let cut = &whole[..whole.len() - 5];
            read_in_blocks_as_by_the_parser(&format!("{order}, cut"), cut);
            // Two sections: the second's interfaces numbered from 0 again.
            let mut two = pcapng(
                be,
                &[&[ng_interface(be)], &packets(be, 0..200)[..]].concat(),
            );
            two.extend(pcapng(
                !be,
                &[&[ng_interface(!be)], &packets(!be, 200..400)[..]].concat(),
            ));
            read_in_blocks_as_by_the_parser(&format!("{order}, two sections"), &two);
            let mut blocks = vec![ng_interface(be)];
            blocks.extend(packets(be, 0..300));
            blocks.push(ng_packet(be, 1, &large));
            blocks.extend(packets(be, 300..600));
            blocks.push(ng_secrets(be, keylog));
            blocks.extend(packets(be, 600..700));
            let with_large = pcapng(be, &blocks);
            read_in_blocks_as_by_the_parser(&format!("{order}, a large packet"), &with_large);
            let mut blocks = vec![ng_interface(be), ng_packet(be, 1, &padded(2_500_000))];
            blocks.extend(packets(be, 0..100));
            read_in_blocks_as_by_the_parser(&format!("{order}, first large"), &pcapng(be, &blocks));
            // Large packets again and again, after the blocks grew for the first.
            let mut blocks = vec![ng_interface(be)];
            for (n, size) in [1_500_000, 1_500_000, 3_000_000, 1_200_000]
                .into_iter()
                .enumerate()
            {
                blocks.extend(packets(be, n * 200..n * 200 + 200));
                blocks.push(ng_packet(be, 1, &padded(size)));
            }
            read_in_blocks_as_by_the_parser(
                &format!("{order}, large packets"),
                &pcapng(be, &blocks),
            );
            // Packets of 600 KB: one a block, the next cut by its end.
            let mut blocks = vec![ng_interface(be)];
            for ts in 0..4 {
                blocks.push(ng_packet(be, ts, &padded(600_000)));
            }
            read_in_blocks_as_by_the_parser(
                &format!("{order}, 600 KB packets"),
                &pcapng(be, &blocks),
            );
            // A packet block claiming 5 MiB, after 300 packets.
            let mut claims = pcapng(
                be,
                &[&[ng_interface(be)], &packets(be, 0..300)[..]].concat(),
            );
            let mut bad = pcapng(be, &packets(be, 300..302));
            let claim = 5u32 << 20;
            let first_packet = pcapng(be, &[]).len();
            bad[first_packet + 4..first_packet + 8].copy_from_slice(&if be {
                claim.to_be_bytes()
            } else {
                claim.to_le_bytes()
            });
            claims.extend(&bad[pcapng(be, &[]).len()..]);
            read_in_blocks_as_by_the_parser(&format!("{order}, a claim of 5 MiB"), &claims);
        }
    }

    /// A classic pcap read straight into the blocks decodes as pcap-parser's path reads it:
    /// both byte orders, micro- and nanoseconds, records across the blocks' ends, one larger
    /// than a block, a file cut inside a record or its header, a record claiming too much, IP
    /// fragments, a link type we do not decode; and what is not a classic pcap, handed back
    /// whole to the parser. The blocks layered on the reading thread, the judging one, or
    /// both.
    #[test]
    fn a_classic_pcap_read_into_blocks_decodes_as_the_parser_reads_it() {
        let busy = busy_capture(3 << 20, false);
        let record = |caplen: usize, data: u8| {
            let mut r = Vec::new();
            r.extend(1_795_000_000u32.to_le_bytes());
            r.extend(5u32.to_le_bytes());
            r.extend((caplen as u32).to_le_bytes());
            r.extend((caplen as u32).to_le_bytes());
            r.extend(std::iter::repeat_n(data, caplen));
            r
        };
        let first_records = 24 + 3 * 16 + 1000;
        let mut cases: Vec<(&str, Vec<u8>)> = vec![
            ("little-endian µs", busy.clone()),
            ("big-endian µs", rewritten(&busy, true, false)),
            ("little-endian ns", rewritten(&busy, false, true)),
            ("big-endian ns", rewritten(&busy, true, true)),
            ("cut inside a record", busy[..busy.len() - 7].to_vec()),
            ("cut inside a record's header", busy[..24 + 10].to_vec()),
            ("cut inside the file's header", busy[..20].to_vec()),
            ("the header alone", busy[..24].to_vec()),
            ("IP fragments", fragmented_dns(&busy)),
        ];
        let mut unknown_link = busy[..4096].to_vec();
        unknown_link[20..24].copy_from_slice(&147u32.to_le_bytes());
        cases.push(("an unsupported link type", unknown_link));
        let mut large = busy[..first_records.min(busy.len())].to_vec();
        large.truncate(24);
        large.extend(record(60, 0x45));
        large.extend(record(1_500_000, 0));
        large.extend(record(60, 0x45));
        cases.push(("a record larger than a block", large.clone()));
        let mut first_large = large[..24].to_vec();
        first_large.extend(record(2_500_000, 0));
        first_large.extend(record(60, 0x45));
        cases.push(("a first record larger than a block", first_large));
        let mut claims = large[..24].to_vec();
        claims.extend(record(60, 0x45));
        let mut bad = record(16, 0);
        bad[8..12].copy_from_slice(&(5u32 << 20).to_le_bytes());
        claims.extend(bad);
        cases.push(("a record claiming 5 MiB", claims));
        // Not a classic pcap: its first bytes are handed back to pcap-parser's path.
        let pcapng = busy_capture(2 << 20, true);
        cases.push(("pcapng", pcapng.clone()));
        cases.push(("pcapng cut", pcapng[..pcapng.len() / 2].to_vec()));
        // Neither block reader takes a modified-format pcap (24-byte record headers): its
        // frames are copied out of pcap-parser's reader into the blocks.
        let mut modified = busy[..24].to_vec();
        modified[..4].copy_from_slice(&0xa1b2_cd34u32.to_le_bytes());
        for (ts, frame) in frames_of(&busy) {
            for v in [(ts / 1_000_000) as u32, (ts % 1_000_000) as u32] {
                modified.extend(v.to_le_bytes());
            }
            modified.extend((frame.len() as u32).to_le_bytes());
            modified.extend((frame.len() as u32).to_le_bytes());
            modified.extend([0; 8]);
            modified.extend(frame);
        }
        let frames = frames_of(&busy).len() as u64;
        cases.push(("modified format", modified));
        cases.push((
            "garbage",
            b"not a capture at all, longer than a header".to_vec(),
        ));
        for (name, bytes) in cases {
            let parser = read_in_blocks_as_by_the_parser(name, &bytes);
            if name == "modified format" {
                assert_eq!(parser.info.frames, frames, "{name}");
            }
            if name == "IP fragments" {
                // 40 answers rebuilt, and the datagram given up on said.
                let said = |what: &str| {
                    parser
                        .events
                        .iter()
                        .filter(|e| format!("{:?}", e.kind).starts_with(what))
                        .count()
                };
                assert_eq!((said("DnsResponse"), said("Anomaly")), (40, 1), "{name}");
            }
        }
    }

    fn event(frame: u64, tag: u64) -> Event {
        Event {
            frame,
            ts: tag as i64,
            kind: EventKind::XmppStartTls { stream: tag },
        }
    }

    proptest! {
        /// The same order as the standard library's stable sort, ties in their first order.
        #[test]
        fn events_sorted_by_frame_as_a_stable_sort_would(frames in proptest::collection::vec(0u64..20, 0..300)) {
            let mut ours: Vec<Event> = frames.iter().enumerate().map(|(i, &f)| event(f, i as u64)).collect();
            let mut std_sorted = ours.clone();
            std_sorted.sort_by_key(|e| e.frame);
            sort_by_frame(&mut ours);
            let key = |v: &[Event]| v.iter().map(|e| (e.frame, e.ts)).collect::<Vec<_>>();
            prop_assert_eq!(key(&ours), key(&std_sorted));
        }

        /// A sorted run and events added after it: the stable sort's order, whether the run
        /// is sorted or not.
        #[test]
        fn events_added_after_a_sorted_run_merge_as_a_stable_sort_would(
            run in proptest::collection::vec(0u64..40, 0..200),
            added in proptest::collection::vec(0u64..40, 0..60),
            sort_run in proptest::bool::ANY,
        ) {
            let mut run = run;
            if sort_run {
                run.sort_unstable();
            }
            let mut ours: Vec<Event> = run.iter().chain(&added).enumerate().map(|(i, &f)| event(f, i as u64)).collect();
            let mut std_sorted = ours.clone();
            std_sorted.sort_by_key(|e| e.frame);
            merge_by_frame(&mut ours, run.len());
            let key = |v: &[Event]| v.iter().map(|e| (e.frame, e.ts)).collect::<Vec<_>>();
            prop_assert_eq!(key(&ours), key(&std_sorted));
        }
    }
}
