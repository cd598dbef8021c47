//! pcap / pcapng reader on top of pcap-parser: one frame at a time, per-interface timestamp
//! resolution, and a truncated file still yields its complete frames. Three sources share one
//! block loop: a stream through pcap-parser's reader (constant memory: a small file, anything
//! `capture::blocks` does not read), a slice (a member already in memory: no copy at all) and
//! a pcapng read into `capture::blocks`' blocks.

use pcap_parser::nom;
use pcap_parser::pcap::{
    parse_pcap_frame, parse_pcap_frame_be, parse_pcap_frame_modified, parse_pcap_header,
};
use pcap_parser::pcapng::{Block, parse_block_be, parse_block_le, parse_sectionheaderblock};
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{LegacyPcapBlock, PcapBlockOwned, PcapError, create_reader};
use std::io::Read;

/// One captured frame, borrowed from the reader's buffer.
pub struct Frame<'a> {
    /// 1-based, as Wireshark counts.
    pub number: u64,
    pub ts_ns: i64,
    pub linktype: i32,
    pub interface: u32,
    pub orig_len: u32,
    pub data: &'a [u8],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureFormat {
    Pcap,
    PcapNanosecond,
    Pcapng,
}

impl CaptureFormat {
    pub fn name(self) -> &'static str {
        match self {
            CaptureFormat::Pcap => "pcap",
            CaptureFormat::PcapNanosecond => "pcap (ns)",
            CaptureFormat::Pcapng => "pcapng",
        }
    }
}

/// What the reader learned about the file itself.
#[derive(Debug, Default)]
pub struct ReadSummary {
    pub format: Option<CaptureFormat>,
    pub linktypes: Vec<i32>,
    pub frames: u64,
    /// Problems with the file structure: (byte offset, description).
    pub problems: Vec<(u64, String)>,
}

struct Interface {
    linktype: i32,
    /// Units per second.
    resolution: u64,
    offset_s: i64,
    snaplen: u32,
}

/// A stream's buffer to begin with: a capture on disk is read through it (1 GiB of bulk
/// capture: 0.154 s with 256 KiB, 0.168 s with 64 KiB).
const INITIAL_BUFFER: usize = 1 << 18;
/// The largest `if_tsoffset` taken as a clock shift (about 300 years).
const MAX_TS_OFFSET_S: u64 = 10_000_000_000;
/// No capture record is legitimately larger (snaplen is at most 256 KiB in practice); a larger
/// claimed length is corruption, reported instead of allocated.
pub(crate) const MAX_BUFFER: usize = 1 << 22;

/// A classic pcap's file header (its first 24 bytes), when `head` is one of the four usual
/// kinds (either byte order, micro- or nanoseconds): what reading its records needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LegacyHead {
    pub big_endian: bool,
    pub nanos: bool,
    pub linktype: i32,
}

pub(crate) fn legacy_head(head: &[u8]) -> Option<LegacyHead> {
    let magic: [u8; 4] = head.get(..4)?.try_into().ok()?;
    let (big_endian, nanos) = match magic {
        [0xd4, 0xc3, 0xb2, 0xa1] => (false, false),
        [0x4d, 0x3c, 0xb2, 0xa1] => (false, true),
        [0xa1, 0xb2, 0xc3, 0xd4] => (true, false),
        [0xa1, 0xb2, 0x3c, 0x4d] => (true, true),
        _ => return None,
    };
    let linktype: [u8; 4] = head.get(20..24)?.try_into().ok()?;
    Some(LegacyHead {
        big_endian,
        nanos,
        linktype: if big_endian {
            i32::from_be_bytes(linktype)
        } else {
            i32::from_le_bytes(linktype)
        },
    })
}

impl LegacyHead {
    pub fn format(self) -> CaptureFormat {
        if self.nanos {
            CaptureFormat::PcapNanosecond
        } else {
            CaptureFormat::Pcap
        }
    }

    /// A record's header (16 bytes): its time in ns, captured and original lengths.
    pub fn record(self, h: &[u8; 16]) -> (i64, usize, u32) {
        let word = |at: usize| {
            let b = [h[at], h[at + 1], h[at + 2], h[at + 3]];
            if self.big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        let frac = if self.nanos {
            word(4) as i64
        } else {
            word(4) as i64 * 1000
        };
        (
            word(0) as i64 * 1_000_000_000 + frac,
            word(8) as usize,
            word(12),
        )
    }
}

/// What a file cut inside a record says (the record's bytes present counted from its start).
pub(crate) fn cut_record(frames: u64, left: usize) -> String {
    format!(
        "file ends inside the record after frame {frames} ({left} bytes of it present); every complete frame before it was read"
    )
}

/// What a record claiming more than any real one says (`claimed`: its length with header).
pub(crate) fn corrupt_claim(claimed: usize) -> String {
    format!(
        "a record here claims {claimed} bytes, more than {} MiB: the file is corrupt from this offset on",
        MAX_BUFFER >> 20
    )
}

/// Read every frame of a pcap or pcapng stream, calling `on_frame` for each.
pub fn read_frames<R: Read + Send>(source: R, on_frame: impl FnMut(&Frame<'_>)) -> ReadSummary {
    read_frames_with_secrets(source, on_frame, |_| {})
}

/// [`read_frames`], handing on the TLS key logs of Decryption Secrets Blocks met before the
/// first packet (see [`embedded_secrets`], which finds the same ones in a slice).
pub fn read_frames_with_secrets<R: Read + Send>(
    source: R,
    on_frame: impl FnMut(&Frame<'_>),
    on_secrets: impl FnMut(&[u8]),
) -> ReadSummary {
    match create_reader(INITIAL_BUFFER, source) {
        Ok(mut reader) => read_blocks(&mut *reader, on_frame, on_secrets),
        Err(e) => not_a_capture(&e),
    }
}

/// Read every frame of a pcap or pcapng file held in memory (or mapped), without copying.
/// `release(n)` is told, every [`RELEASE_STEP`] bytes, that the first `n` bytes will not be
/// read again (a mapped file gives those pages back, so memory stays flat).
pub fn read_frames_slice(
    data: &[u8],
    release: Option<&dyn Fn(usize)>,
    on_frame: impl FnMut(&Frame<'_>),
) -> ReadSummary {
    match SliceReader::new(data, release) {
        // The secrets before the first packet were found by `embedded_secrets`.
        Ok(mut reader) => read_blocks(&mut reader, on_frame, |_| {}),
        Err(e) => not_a_capture(&e),
    }
}

/// The TLS key logs a pcapng carries in Decryption Secrets Blocks (`editcap
/// --inject-secrets`) before its first packet, where they must be to decrypt it. Only block
/// headers are read up to there, so a large capture costs nothing more.
pub fn embedded_secrets(data: &[u8]) -> Vec<&[u8]> {
    /// `TLSK`: the secrets are an NSS key log.
    const TLS_KEY_LOG: u32 = 0x544c_534b;
    const DSB: u32 = 0x0000_000a;
    const PACKETS: [u32; 3] = [0x0000_0006, 0x0000_0003, 0x0000_0002];
    let mut out = Vec::new();
    let Ok((_, shb)) = parse_sectionheaderblock(data) else {
        return out;
    };
    let big = shb.big_endian();
    let word = |at: usize| -> Option<u32> {
        let b: [u8; 4] = data.get(at..at + 4)?.try_into().ok()?;
        Some(if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let mut at = 0usize;
    for _ in 0..10_000 {
        let (Some(kind), Some(len)) = (word(at), word(at + 4)) else {
            break;
        };
        let len = len as usize;
        if len < 12 || !len.is_multiple_of(4) || PACKETS.contains(&kind) {
            break;
        }
        if kind == DSB
            && word(at + 8) == Some(TLS_KEY_LOG)
            && let Some(n) = word(at + 12)
            && let Some(secrets) = data.get(at + 16..(at + 16).saturating_add(n as usize))
            && 16 + n as usize <= len
        {
            out.push(secrets);
        }
        at = at.saturating_add(len);
    }
    out
}

fn not_a_capture(e: &PcapError<&[u8]>) -> ReadSummary {
    let mut summary = ReadSummary::default();
    let problem = match e {
        PcapError::Eof => "empty file".to_string(),
        e => format!("not a pcap or pcapng file ({e:?})"),
    };
    summary.problems.push((0, problem));
    summary
}

type LegacyParser = fn(&[u8]) -> nom::IResult<&[u8], LegacyPcapBlock<'_>, PcapError<&[u8]>>;

enum SliceFormat {
    Legacy {
        header: pcap_parser::PcapHeader,
        parse: LegacyParser,
    },
    Ng {
        big_endian: bool,
    },
}

/// pcap-parser's reader contract over a whole slice: blocks are parsed in place and the
/// "reader" is always exhausted, so a record cut by the end of the data is `UnexpectedEof`.
struct SliceReader<'a> {
    data: &'a [u8],
    pos: usize,
    format: SliceFormat,
    release: Option<&'a dyn Fn(usize)>,
    released: usize,
}

/// Bytes consumed between two calls of a slice reader's `release`.
pub const RELEASE_STEP: usize = 16 << 20;

impl<'a> SliceReader<'a> {
    fn new(
        data: &'a [u8],
        release: Option<&'a dyn Fn(usize)>,
    ) -> Result<Self, PcapError<&'a [u8]>> {
        if data.is_empty() {
            return Err(PcapError::Eof);
        }
        // The same detection, and the same errors, as pcap-parser's `create_reader`.
        let format = if parse_sectionheaderblock(data).is_ok() {
            SliceFormat::Ng { big_endian: false }
        } else {
            let header = match parse_pcap_header(data) {
                Ok((_, h)) => h,
                Err(nom::Err::Incomplete(nom::Needed::Size(n))) => {
                    return Err(PcapError::Incomplete(n.into()));
                }
                Err(nom::Err::Incomplete(nom::Needed::Unknown)) => {
                    return Err(PcapError::Incomplete(0));
                }
                Err(_) => return Err(PcapError::HeaderNotRecognized),
            };
            let parse: LegacyParser = match (header.is_modified_format(), header.is_bigendian()) {
                (true, _) => parse_pcap_frame_modified,
                (false, true) => parse_pcap_frame_be,
                (false, false) => parse_pcap_frame,
            };
            SliceFormat::Legacy { header, parse }
        };
        Ok(SliceReader {
            data,
            pos: 0,
            format,
            release,
            released: 0,
        })
    }
}

/// The common case read directly: a little-endian Enhanced Packet Block without options,
/// exactly as pcap-parser would return it (its data padded to 4 bytes, no options), without
/// its generic block machinery. Anything else goes to the parser.
fn enhanced_packet_le(data: &[u8]) -> Option<(&[u8], PcapBlockOwned<'_>)> {
    let u32_at = |at: usize| -> Option<u32> {
        Some(u32::from_le_bytes(data.get(at..at + 4)?.try_into().ok()?))
    };
    if u32_at(0)? != pcap_parser::EPB_MAGIC {
        return None;
    }
    let block_len = u32_at(4)?;
    let caplen = u32_at(20)?;
    if caplen >= u32::MAX - 4 {
        return None;
    }
    let padded = (caplen as usize + 3) & !3;
    if block_len as usize != 32 + padded || u32_at(block_len as usize - 4)? != block_len {
        return None;
    }
    let block = pcap_parser::pcapng::EnhancedPacketBlock {
        block_type: pcap_parser::EPB_MAGIC,
        block_len1: block_len,
        if_id: u32_at(8)?,
        ts_high: u32_at(12)?,
        ts_low: u32_at(16)?,
        caplen,
        origlen: u32_at(24)?,
        data: &data[28..28 + padded],
        options: Vec::new(),
        block_len2: block_len,
    };
    Some((
        &data[block_len as usize..],
        PcapBlockOwned::NG(Block::EnhancedPacket(block)),
    ))
}

/// The pcapng block at the start of `data`, parsed in the current section's byte order (a
/// section header sets it), as pcap-parser's reader parses it.
pub(crate) fn ng_block<'a>(
    data: &'a [u8],
    big_endian: &mut bool,
) -> nom::IResult<&'a [u8], PcapBlockOwned<'a>, PcapError<&'a [u8]>> {
    if !*big_endian && let Some(epb) = enhanced_packet_le(data) {
        return Ok(epb);
    }
    let parse = if *big_endian {
        parse_block_be
    } else {
        parse_block_le
    };
    parse(data).map(|(rest, b)| {
        if let Block::SectionHeader(shb) = &b {
            *big_endian = shb.big_endian();
        }
        (rest, PcapBlockOwned::from(b))
    })
}

/// Whether `head`, a stream's first bytes, starts with a section header pcap-parser's reader
/// takes (it looks at its buffer's first read, at most this reader's first buffer).
pub(crate) fn starts_pcapng(head: &[u8]) -> bool {
    parse_sectionheaderblock(&head[..head.len().min(INITIAL_BUFFER)]).is_ok()
}

impl PcapReaderIterator for SliceReader<'_> {
    fn next(&mut self) -> Result<(usize, PcapBlockOwned<'_>), PcapError<&[u8]>> {
        let data = &self.data[self.pos..];
        let parsed = match &mut self.format {
            SliceFormat::Legacy { header, .. } if self.pos == 0 => {
                return Ok((header.size(), PcapBlockOwned::from(header.clone())));
            }
            _ if data.is_empty() => return Err(PcapError::Eof),
            SliceFormat::Legacy { parse, .. } => {
                parse(data).map(|(rest, b)| (rest, PcapBlockOwned::from(b)))
            }
            SliceFormat::Ng { big_endian } => ng_block(data, big_endian),
        };
        match parsed {
            Ok((rest, block)) => Ok((data.len() - rest.len(), block)),
            Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(e),
            Err(nom::Err::Incomplete(_)) => Err(PcapError::UnexpectedEof),
        }
    }
    fn consume(&mut self, offset: usize) {
        self.pos = (self.pos + offset).min(self.data.len());
        // Blocks before `pos` are done with (the block loop keeps nothing borrowed).
        if let Some(release) = self.release
            && self.pos - self.released >= RELEASE_STEP
        {
            self.released = self.pos - self.pos % RELEASE_STEP;
            release(self.released);
        }
    }
    fn consume_noshift(&mut self, offset: usize) {
        self.consume(offset);
    }
    fn consumed(&self) -> usize {
        self.pos
    }
    fn refill(&mut self) -> Result<(), PcapError<&[u8]>> {
        Ok(())
    }
    fn position(&self) -> usize {
        self.pos
    }
    fn grow(&mut self, _new_size: usize) -> bool {
        true
    }
    fn data(&self) -> &[u8] {
        &self.data[self.pos..]
    }
    fn reader_exhausted(&self) -> bool {
        true
    }
}

/// The block loop every source shares.
pub(crate) fn read_blocks<R: PcapReaderIterator + ?Sized>(
    reader: &mut R,
    mut on_frame: impl FnMut(&Frame<'_>),
    mut on_secrets: impl FnMut(&[u8]),
) -> ReadSummary {
    let mut summary = ReadSummary::default();
    let mut interfaces: Vec<Interface> = Vec::new();
    let mut legacy_linktype = 0i32;
    let mut legacy_nanos = false;
    // The byte order of the file's header, or of the current pcapng section.
    let mut big_endian = false;
    let mut buffer_size = INITIAL_BUFFER;
    let mut offset: u64 = 0;
    loop {
        match reader.next() {
            Ok((len, block)) => {
                match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        big_endian = h.is_bigendian();
                        legacy_linktype = h.network.0;
                        legacy_nanos = h.is_nanosecond_precision();
                        summary.format = Some(if legacy_nanos {
                            CaptureFormat::PcapNanosecond
                        } else {
                            CaptureFormat::Pcap
                        });
                        push_linktype(&mut summary.linktypes, legacy_linktype);
                    }
                    PcapBlockOwned::Legacy(b) => {
                        summary.frames += 1;
                        let frac = if legacy_nanos {
                            b.ts_usec as i64
                        } else {
                            b.ts_usec as i64 * 1000
                        };
                        let caplen = (b.caplen as usize).min(b.data.len());
                        on_frame(&Frame {
                            number: summary.frames,
                            ts_ns: b.ts_sec as i64 * 1_000_000_000 + frac,
                            linktype: legacy_linktype,
                            interface: 0,
                            orig_len: b.origlen,
                            data: &b.data[..caplen],
                        });
                    }
                    PcapBlockOwned::NG(block) => {
                        summary.format = Some(CaptureFormat::Pcapng);
                        match block {
                            // A new section starts a new interface numbering, and says its
                            // byte order (a corrupt length is read in it).
                            Block::SectionHeader(shb) => {
                                interfaces.clear();
                                big_endian = shb.big_endian();
                            }
                            Block::InterfaceDescription(idb) => {
                                let resolution = idb.ts_resolution().unwrap_or(1_000_000).max(1);
                                push_linktype(&mut summary.linktypes, idb.linktype.0);
                                // An offset of centuries is a corrupt option, not a clock.
                                let mut offset_s = idb.ts_offset();
                                if offset_s.unsigned_abs() > MAX_TS_OFFSET_S {
                                    summary.problems.push((
                                        offset,
                                        format!(
                                            "interface {}: if_tsoffset of {offset_s} s is not plausible; ignored",
                                            interfaces.len()
                                        ),
                                    ));
                                    offset_s = 0;
                                }
                                interfaces.push(Interface {
                                    linktype: idb.linktype.0,
                                    resolution,
                                    offset_s,
                                    snaplen: idb.snaplen,
                                });
                            }
                            Block::EnhancedPacket(epb) => {
                                summary.frames += 1;
                                match interfaces.get(epb.if_id as usize) {
                                    Some(iface) => {
                                        let ts = ((epb.ts_high as u64) << 32) | epb.ts_low as u64;
                                        let caplen = (epb.caplen as usize).min(epb.data.len());
                                        on_frame(&Frame {
                                            number: summary.frames,
                                            ts_ns: ts_to_ns(ts, iface.resolution, iface.offset_s),
                                            linktype: iface.linktype,
                                            interface: epb.if_id,
                                            orig_len: epb.origlen,
                                            data: &epb.data[..caplen],
                                        });
                                    }
                                    None => summary.problems.push((
                                        offset,
                                        format!(
                                            "frame {} names interface {} that was never described",
                                            summary.frames, epb.if_id
                                        ),
                                    )),
                                }
                            }
                            Block::DecryptionSecrets(dsb)
                                if dsb.secrets_type
                                    == pcap_parser::pcapng::SecretsType::TlsKeyLog =>
                            {
                                if summary.frames == 0 {
                                    on_secrets(dsb.data);
                                } else {
                                    summary.problems.push((
                                        offset,
                                        format!(
                                            "TLS secrets after frame {}: not used (they must come before the packets they decrypt)",
                                            summary.frames
                                        ),
                                    ));
                                }
                            }
                            Block::SimplePacket(spb) => {
                                summary.frames += 1;
                                if let Some(iface) = interfaces.first() {
                                    let mut caplen = (spb.origlen as usize).min(spb.data.len());
                                    if iface.snaplen > 0 {
                                        caplen = caplen.min(iface.snaplen as usize);
                                    }
                                    on_frame(&Frame {
                                        number: summary.frames,
                                        ts_ns: 0,
                                        linktype: iface.linktype,
                                        interface: 0,
                                        orig_len: spb.origlen,
                                        data: &spb.data[..caplen],
                                    });
                                }
                            }
                            _ => {}
                        }
                    }
                }
                offset += len as u64;
                reader.consume(len);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => {
                if reader.reader_exhausted() {
                    let left = reader.data().len();
                    summary
                        .problems
                        .push((offset, cut_record(summary.frames, left)));
                    break;
                }
                if reader.refill().is_err() {
                    summary.problems.push((offset, "read error".into()));
                    break;
                }
            }
            Err(PcapError::BufferTooSmall) => {
                // Grow once to what the record claims, or stop if it claims too much:
                // doubling step by step on a corrupt length wastes time on garbage.
                let claimed = claimed_len(reader.data(), summary.format, big_endian);
                let wanted = claimed
                    .unwrap_or(buffer_size * 2)
                    .max(buffer_size * 2)
                    .next_power_of_two();
                if claimed.is_some_and(|c| c > MAX_BUFFER)
                    || wanted > MAX_BUFFER
                    || !reader.grow(wanted)
                {
                    let what = claimed.map_or("a record here".to_string(), |c| {
                        format!(
                            "a record here claims {c} bytes, more than {} MiB",
                            MAX_BUFFER >> 20
                        )
                    });
                    summary.problems.push((
                        offset,
                        format!("{what}: the file is corrupt from this offset on"),
                    ));
                    break;
                }
                buffer_size = wanted;
            }
            Err(PcapError::UnexpectedEof) => {
                // A corrupt length claims more than is left: say corrupt, not cut, when the
                // claim is beyond any real record.
                let problem = match claimed_len(reader.data(), summary.format, big_endian) {
                    Some(c) if c > MAX_BUFFER => corrupt_claim(c),
                    _ => cut_record(summary.frames, reader.data().len()),
                };
                summary.problems.push((offset, problem));
                break;
            }
            Err(e) => {
                summary.problems.push((
                    offset,
                    format!("cannot parse the block at this offset ({})", describe(&e)),
                ));
                break;
            }
        }
    }
    summary
}

/// The length the record at the start of `data` claims (header included), if readable.
fn claimed_len(data: &[u8], format: Option<CaptureFormat>, big_endian: bool) -> Option<usize> {
    let read = |at: usize, be: bool| -> Option<usize> {
        let b: [u8; 4] = data.get(at..at + 4)?.try_into().ok()?;
        Some(if be {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        } as usize)
    };
    match format {
        // Block length at offset 4, in the section's byte order.
        Some(CaptureFormat::Pcapng) => read(4, big_endian),
        Some(_) => read(8, big_endian).map(|caplen| caplen + 16),
        None => None,
    }
}

fn describe(e: &PcapError<&[u8]>) -> String {
    match e {
        PcapError::NomError(_, kind) => format!("{kind:?}"),
        PcapError::OwnedNomError(_, kind) => format!("{kind:?}"),
        PcapError::HeaderNotRecognized => "header not recognized".into(),
        PcapError::ReadError => "read error".into(),
        other => format!("{other:?}"),
    }
}

fn push_linktype(list: &mut Vec<i32>, lt: i32) {
    if !list.contains(&lt) {
        list.push(lt);
    }
}

fn ts_to_ns(ts: u64, resolution: u64, offset_s: i64) -> i64 {
    // The usual resolutions without a 128-bit division per frame.
    let scale = match resolution {
        1_000_000 => Some(1_000),
        1_000_000_000 => Some(1),
        _ => None,
    };
    // Saturating: a corrupt timestamp clamps to the end of the range instead of wrapping.
    let whole = i64::try_from(ts / resolution).unwrap_or(i64::MAX);
    let secs = whole.saturating_add(offset_s);
    if let Some(scale) = scale {
        let nanos = ((ts % resolution) * scale) as i64;
        return secs.saturating_mul(1_000_000_000).saturating_add(nanos);
    }
    let frac = ts % resolution;
    let nanos = (frac as u128 * 1_000_000_000 / resolution as u128) as i64;
    secs.saturating_mul(1_000_000_000).saturating_add(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pcap_header(le: bool, nanos: bool, linktype: u32) -> Vec<u8> {
        let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
        let mut v = Vec::new();
        let put32 = |v: &mut Vec<u8>, x: u32| {
            if le {
                v.extend_from_slice(&x.to_le_bytes())
            } else {
                v.extend_from_slice(&x.to_be_bytes())
            }
        };
        put32(&mut v, magic);
        let (maj, min) = if le {
            (2u16.to_le_bytes(), 4u16.to_le_bytes())
        } else {
            (2u16.to_be_bytes(), 4u16.to_be_bytes())
        };
        v.extend_from_slice(&maj);
        v.extend_from_slice(&min);
        put32(&mut v, 0);
        put32(&mut v, 0);
        put32(&mut v, 65535);
        put32(&mut v, linktype);
        v
    }

    /// Both sources: a stream, and a slice as a mapped file gives.
    fn read_any(data: &[u8], slice: bool, on_frame: impl FnMut(&Frame<'_>)) -> ReadSummary {
        if slice {
            read_frames_slice(data, None, on_frame)
        } else {
            read_frames(data, on_frame)
        }
    }

    fn pcap_record(le: bool, sec: u32, frac: u32, data: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        for x in [sec, frac, data.len() as u32, data.len() as u32] {
            if le {
                v.extend_from_slice(&x.to_le_bytes())
            } else {
                v.extend_from_slice(&x.to_be_bytes())
            }
        }
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn reads_both_byte_orders_and_nanoseconds() {
        for slice in [false, true] {
            for (le, nanos) in [(true, false), (false, false), (true, true), (false, true)] {
                let mut file = pcap_header(le, nanos, 101);
                file.extend(pcap_record(le, 10, 500, &[0x45, 0, 0, 20]));
                file.extend(pcap_record(le, 11, 0, &[0x60; 8]));
                let mut seen = Vec::new();
                let summary = read_any(&file[..], slice, |f| {
                    seen.push((f.number, f.ts_ns, f.linktype, f.data.len()))
                });
                let frac = if nanos { 500 } else { 500_000 };
                assert_eq!(
                    seen,
                    vec![
                        (1, 10_000_000_000 + frac, 101, 4),
                        (2, 11_000_000_000, 101, 8)
                    ],
                    "le={le} nanos={nanos}"
                );
                assert!(summary.problems.is_empty());
            }
        }
    }

    #[test]
    fn truncated_file_keeps_complete_frames_and_names_the_offset() {
        for slice in [false, true] {
            let mut file = pcap_header(true, false, 1);
            file.extend(pcap_record(true, 1, 0, &[1; 60]));
            file.extend(pcap_record(true, 2, 0, &[2; 60]));
            let cut = file.len() - 30;
            let mut count = 0;
            let summary = read_any(&file[..cut], slice, |_| count += 1);
            assert_eq!(count, 1);
            assert_eq!(summary.problems.len(), 1);
            assert_eq!(summary.problems[0].0, 24 + 16 + 60);
        }
    }

    #[test]
    fn empty_and_garbage_inputs_are_problems_not_panics() {
        for slice in [false, true] {
            assert_eq!(read_any(&b""[..], slice, |_| {}).problems.len(), 1);
            assert_eq!(
                read_any(&b"hello world, not a capture"[..], slice, |_| {})
                    .problems
                    .len(),
                1
            );
        }
    }

    #[test]
    fn a_record_claiming_gigabytes_is_named_not_allocated() {
        for slice in [false, true] {
            for le in [true, false] {
                let mut file = pcap_header(le, false, 1);
                file.extend(pcap_record(le, 1, 0, &[1; 60]));
                let mut huge = pcap_record(le, 2, 0, &[2; 60]);
                let caplen = if le {
                    0x7fff_0000u32.to_le_bytes()
                } else {
                    0x7fff_0000u32.to_be_bytes()
                };
                huge[8..12].copy_from_slice(&caplen);
                file.extend(huge);
                let mut frames = 0;
                let summary = read_any(&file[..], slice, |_| frames += 1);
                assert_eq!(frames, 1, "le={le}");
                assert!(
                    summary.problems[0].1.contains("claims 2147418128 bytes"),
                    "{:?}",
                    summary.problems
                );
                assert_eq!(summary.problems[0].0, 24 + 16 + 60);
            }
        }
    }

    #[test]
    fn timestamp_resolution_is_applied() {
        assert_eq!(ts_to_ns(1_500_000, 1_000_000, 0), 1_500_000_000);
        assert_eq!(ts_to_ns(1_500_000_001, 1_000_000_000, 10), 11_500_000_001);
        // Corrupt values clamp instead of wrapping (or panicking in a debug build).
        assert_eq!(ts_to_ns(u64::MAX, 1, i64::MAX), i64::MAX);
        assert_eq!(ts_to_ns(5, 1_000_000, i64::MIN), i64::MIN + 5_000);
    }
}
