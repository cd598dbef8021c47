//! Frames read into the blocks a stream's reading thread hands to the judging one: a classic
//! pcap's records and a pcapng's blocks found in place in the bytes read from the file (no
//! parser's buffer, no copy of each frame), the block handed on when full and the record cut
//! by its end carried into the next.

use super::reader::{self, Frame};
use super::{Layered, layer};
use pcap_parser::nom;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{PcapBlockOwned, PcapError};
use std::cell::{Cell, RefCell};
use std::io::Read;

/// Frames read into one buffer (a classic pcap's records and a pcapng's blocks where the file's
/// bytes landed; anything else's frames copied out of pcap-parser's reader), perhaps layered on
/// the reading thread: handed back, emptied, to be filled again.
#[derive(Default)]
pub(super) struct FrameBlock {
    pub(super) bytes: Vec<u8>,
    pub(super) frames: Vec<BlockFrame>,
    /// Each frame as the link and IP layers left it, its payload a range of `bytes`, when the
    /// reading thread layered the block ([`FrameBlock::layer`]); else empty.
    pub(super) layered: Vec<Layered<std::ops::Range<usize>>>,
}

impl FrameBlock {
    /// Runs the link and IP layers over the block's frames, before it crosses threads.
    pub(super) fn layer(&mut self) {
        self.layered.clear();
        let base = self.bytes.as_ptr() as usize;
        for f in &self.frames {
            let frame = f.frame(&self.bytes);
            let layered = layer(&frame, frame.data);
            // An empty payload may be a static empty slice, not in the block.
            self.layered.push(layered.map_payload(|p| {
                if p.is_empty() {
                    return 0..0;
                }
                let at = p.as_ptr() as usize - base;
                at..at + p.len()
            }));
        }
    }
}

/// A frame of a [`FrameBlock`]: its header fields and where its bytes are in the block.
pub(super) struct BlockFrame {
    pub(super) number: u64,
    pub(super) ts_ns: i64,
    pub(super) linktype: i32,
    pub(super) interface: u32,
    pub(super) orig_len: u32,
    pub(super) bytes: std::ops::Range<usize>,
}

impl BlockFrame {
    pub(super) fn frame<'a>(&self, block: &'a [u8]) -> reader::Frame<'a> {
        reader::Frame {
            number: self.number,
            ts_ns: self.ts_ns,
            linktype: self.linktype,
            interface: self.interface,
            orig_len: self.orig_len,
            data: &block[self.bytes.clone()],
        }
    }
}

/// Bytes of a block (one record larger than that makes its block larger).
pub(super) const BLOCK_BYTES: usize = 1 << 20;

/// The bytes already read from a stream, then the stream: one read call gives the head and
/// what follows it, as the stream's own first read would (pcap-parser tells a format by its
/// first read).
pub(super) struct Replay<R> {
    pub(super) head: Vec<u8>,
    pub(super) at: usize,
    pub(super) rest: R,
}

impl<R: Read> Read for Replay<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (self.head.len() - self.at).min(buf.len());
        if n == 0 {
            return self.rest.read(buf);
        }
        buf[..n].copy_from_slice(&self.head[self.at..self.at + n]);
        self.at += n;
        if n == buf.len() {
            return Ok(n);
        }
        // A failure after the head is met again by the next read.
        Ok(n + self.rest.read(&mut buf[n..]).unwrap_or(0))
    }
}

/// Reads into `buf` until it is full or the source ends (or fails: what was read is kept, and
/// the reader after it meets the failure again); how many bytes it read.
pub(super) fn read_up_to(source: &mut impl Read, buf: &mut [u8]) -> usize {
    let mut got = 0;
    while got < buf.len() {
        match source.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    got
}

/// A classic pcap's records after its header, read into `block` and handed on by `full`
/// (which leaves the next block in its place) as each fills: frames are where the file's
/// bytes landed. A record cut by the block's end moves to the next block's start; one larger
/// than a block gets a block of its size. Problems as pcap-parser's path words them.
pub(super) fn read_legacy_into_blocks(
    mut source: impl Read,
    head: reader::LegacyHead,
    block: &mut FrameBlock,
    mut full: impl FnMut(&mut FrameBlock),
) -> reader::ReadSummary {
    let mut summary = reader::ReadSummary {
        format: Some(head.format()),
        linktypes: vec![head.linktype],
        ..Default::default()
    };
    // The file offset of `block.bytes[pos]`, the next record's start.
    let mut offset: u64 = 24;
    let (mut pos, mut filled) = (0usize, 0usize);
    block.frames.clear();
    if block.bytes.len() < BLOCK_BYTES {
        block.bytes.resize(BLOCK_BYTES, 0);
    }
    loop {
        // Every whole record read so far.
        let mut claimed = None;
        while let Some(h) = block
            .bytes
            .get(pos..pos + 16)
            .filter(|_| pos + 16 <= filled)
        {
            let (ts_ns, caplen, orig_len) = head.record(h.try_into().expect("16 bytes"));
            let size = 16 + caplen;
            if size > reader::MAX_BUFFER {
                summary.problems.push((offset, reader::corrupt_claim(size)));
                return summary;
            }
            if pos + size > filled {
                claimed = Some(size);
                break;
            }
            summary.frames += 1;
            block.frames.push(BlockFrame {
                number: summary.frames,
                ts_ns,
                linktype: head.linktype,
                interface: 0,
                orig_len,
                bytes: pos + 16..pos + size,
            });
            pos += size;
            offset += size as u64;
        }
        // Room for more: the part of a record left at the block's end starts the next block;
        // a block holding only the start of one record larger than it grows instead.
        if filled == block.bytes.len() {
            let tail = filled - pos;
            if !block.frames.is_empty() {
                let carried = block.bytes[pos..filled].to_vec();
                full(block);
                block.frames.clear();
                block.bytes.resize(block.bytes.len().max(BLOCK_BYTES), 0);
                block.bytes[..tail].copy_from_slice(&carried);
                (pos, filled) = (0, tail);
            }
            let size = BLOCK_BYTES.max(claimed.unwrap_or(0));
            if block.bytes.len() < size {
                block.bytes.resize(size, 0);
            }
        }
        match source.read(&mut block.bytes[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => {
                summary.problems.push((offset, "read error".into()));
                return summary;
            }
        }
    }
    if pos < filled {
        summary
            .problems
            .push((offset, reader::cut_record(summary.frames, filled - pos)));
    }
    summary
}

/// A pcapng's blocks read into [`FrameBlock`]s, `first` (the stream's first bytes, a section
/// header pcap-parser takes at their start) the first block's: each full block goes to
/// `hand_on`, the next taken from `spare`; a frame's bytes are where they were read. Problems
/// and secrets as pcap-parser's reader gives them (`reader::read_blocks`, the same loop).
pub(super) fn read_pcapng_into_blocks(
    source: impl Read,
    first: Vec<u8>,
    spare: &dyn Fn() -> FrameBlock,
    hand_on: &dyn Fn(FrameBlock),
    on_secrets: impl FnMut(&[u8]),
) -> reader::ReadSummary {
    let filled = first.len();
    let mut block = spare();
    block.bytes = first;
    block.bytes.resize(filled.max(BLOCK_BYTES), 0);
    let frames = RefCell::new(std::mem::take(&mut block.frames));
    frames.borrow_mut().clear();
    let base = Cell::new(block.bytes.as_ptr() as usize);
    let mut blocks = NgBlocks {
        source,
        block,
        pos: 0,
        filled,
        consumed: 0,
        exhausted: false,
        big_endian: false,
        frames: &frames,
        base: &base,
        spare,
        hand_on,
    };
    let summary = reader::read_blocks(
        &mut blocks,
        |frame: &Frame<'_>| {
            // The parser's blocks borrow the bytes it was given: the block's.
            let bytes = if frame.data.is_empty() {
                0..0
            } else {
                let at = frame.data.as_ptr() as usize - base.get();
                at..at + frame.data.len()
            };
            frames.borrow_mut().push(BlockFrame {
                number: frame.number,
                ts_ns: frame.ts_ns,
                linktype: frame.linktype,
                interface: frame.interface,
                orig_len: frame.orig_len,
                bytes,
            });
        },
        on_secrets,
    );
    let mut last = blocks.block;
    last.frames = frames.into_inner();
    if !last.frames.is_empty() {
        hand_on(last);
    }
    summary
}

/// pcap-parser's reader over a pcapng read into blocks: its block parser run over the bytes
/// where they were read (as a slice is read), its reader's contract kept (the same blocks,
/// errors and so problems as its own reader over the same stream). When more must be read and
/// the block is full, the block goes on with its frames and the unread tail starts the next.
struct NgBlocks<'a, R> {
    source: R,
    block: FrameBlock,
    /// The unread bytes: `block.bytes[pos..filled]`.
    pos: usize,
    filled: usize,
    consumed: usize,
    exhausted: bool,
    big_endian: bool,
    /// The frames of `block` read so far (by `read_blocks`'s frame callback).
    frames: &'a RefCell<Vec<BlockFrame>>,
    /// Where `block`'s bytes are, for the frame callback to place a frame in them.
    base: &'a Cell<usize>,
    spare: &'a dyn Fn() -> FrameBlock,
    hand_on: &'a dyn Fn(FrameBlock),
}
impl<R: Read> PcapReaderIterator for NgBlocks<'_, R> {
    fn next(&mut self) -> Result<(usize, PcapBlockOwned<'_>), PcapError<&[u8]>> {
        let available = self.filled - self.pos;
        if available == 0 && self.exhausted {
            return Err(PcapError::Eof);
        }
        // The block may have moved (a new one, or grown).
        self.base.set(self.block.bytes.as_ptr() as usize);
        let data = &self.block.bytes[self.pos..self.filled];
        match reader::ng_block(data, &mut self.big_endian) {
            Ok((rest, block)) => Ok((data.len() - rest.len(), block)),
            Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(e),
            Err(nom::Err::Incomplete(_)) if self.exhausted => Err(PcapError::UnexpectedEof),
            // As pcap-parser's reader: too small when the block would not hold the record
            // even with the bytes before it gone.
            Err(nom::Err::Incomplete(nom::Needed::Size(n))) => {
                if available + usize::from(n) >= self.block.bytes.len() {
                    Err(PcapError::BufferTooSmall)
                } else {
                    Err(PcapError::Incomplete(n.into()))
                }
            }
            Err(nom::Err::Incomplete(nom::Needed::Unknown)) => Err(PcapError::Incomplete(0)),
        }
    }
    fn consume(&mut self, offset: usize) {
        self.pos = (self.pos + offset).min(self.filled);
        self.consumed += offset;
    }
    fn consume_noshift(&mut self, offset: usize) {
        self.consume(offset);
    }
    fn consumed(&self) -> usize {
        self.consumed
    }
    fn refill(&mut self) -> Result<(), PcapError<&[u8]>> {
        if self.filled == self.block.bytes.len() {
            let tail = self.filled - self.pos;
            if self.frames.borrow().is_empty() {
                self.block.bytes.copy_within(self.pos..self.filled, 0);
            } else {
                // As large as this one: pcap-parser's buffer never shrinks, and the block loop
                // grows it by doubling what it grew last (a smaller block would meet a record
                // it held before as one too large).
                let mut next = (self.spare)();
                next.bytes
                    .resize(self.block.bytes.len().max(BLOCK_BYTES), 0);
                next.bytes[..tail].copy_from_slice(&self.block.bytes[self.pos..self.filled]);
                next.frames.clear();
                let mut done = std::mem::replace(&mut self.block, next);
                done.frames = self.frames.replace(std::mem::take(&mut self.block.frames));
                (self.hand_on)(done);
            }
            (self.pos, self.filled) = (0, tail);
        }
        // One read, as pcap-parser's reader does (nothing asked when the block is full).
        if self.filled == self.block.bytes.len() {
            return Ok(());
        }
        let n = loop {
            match self.source.read(&mut self.block.bytes[self.filled..]) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return Err(PcapError::ReadError),
                Ok(n) => break n,
            }
        };
        self.exhausted = n == 0;
        self.filled += n;
        Ok(())
    }
    fn position(&self) -> usize {
        self.pos
    }
    fn grow(&mut self, new_size: usize) -> bool {
        if new_size > self.block.bytes.len() {
            self.block.bytes.resize(new_size, 0);
        }
        true
    }
    fn data(&self) -> &[u8] {
        &self.block.bytes[self.pos..self.filled]
    }
    fn reader_exhausted(&self) -> bool {
        self.exhausted
    }
}
