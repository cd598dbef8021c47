//! Bounded per-direction TCP reassembly: in-order bytes out, whatever order, overlap or
//! retransmission the segments came in. Out-of-order data waits in a map capped in bytes; a
//! hole that never fills is reported, not hidden.

use std::collections::BTreeMap;

#[derive(Debug)]
pub struct Reassembler {
    started: bool,
    /// Absolute stream offset of the next byte to deliver, and its sequence number.
    next: u64,
    next_seq: u32,
    pending: BTreeMap<u64, Vec<u8>>,
    pending_bytes: usize,
    cap: usize,
}

impl Default for Reassembler {
    fn default() -> Self {
        Self::with_cap(crate::limits::get().reassembly_bytes)
    }
}

impl Reassembler {
    pub fn with_cap(cap: usize) -> Self {
        Reassembler {
            started: false,
            next: 0,
            next_seq: 0,
            pending: BTreeMap::new(),
            pending_bytes: 0,
            cap,
        }
    }

    /// The first data byte's sequence number (SYN's seq + 1), when a SYN was seen.
    pub fn start_at(&mut self, seq: u32) {
        if !self.started {
            self.started = true;
            self.next_seq = seq;
        }
    }

    /// Offer one segment; `deliver(frame, bytes)` receives newly contiguous data in order.
    /// Returns the number of bytes skipped over an unfillable hole, if that happened now.
    pub fn push(
        &mut self,
        seq: u32,
        frame: u64,
        payload: &[u8],
        deliver: &mut impl FnMut(u64, &[u8]),
    ) -> u64 {
        if payload.is_empty() {
            return 0;
        }
        if !self.started {
            self.start_at(seq);
        }
        let delta = seq.wrapping_sub(self.next_seq) as i32 as i64;
        let offset = self.next as i64 + delta;
        let end = offset + payload.len() as i64;
        if end <= self.next as i64 {
            return 0; // pure retransmission
        }
        let (offset, payload) = if offset < self.next as i64 {
            let trim = (self.next as i64 - offset) as usize;
            (self.next, &payload[trim..])
        } else {
            (offset as u64, payload)
        };
        if offset == self.next {
            self.advance(frame, payload, deliver);
            self.drain(frame, deliver);
            return 0;
        }
        // Keep the longest copy at each offset.
        let keep = match self.pending.get(&offset) {
            Some(existing) => existing.len() < payload.len(),
            None => true,
        };
        if keep {
            if let Some(old) = self.pending.insert(offset, payload.to_vec()) {
                self.pending_bytes -= old.len();
            }
            self.pending_bytes += payload.len();
        }
        if self.pending_bytes > self.cap {
            return self.give_up(frame, deliver);
        }
        0
    }

    /// Give up on the hole: jump to the first buffered segment and deliver from there.
    /// Returns the bytes skipped (none when nothing waits).
    pub fn give_up(&mut self, frame: u64, deliver: &mut impl FnMut(u64, &[u8])) -> u64 {
        let Some(&first) = self.pending.keys().next() else {
            return 0;
        };
        let skipped = first - self.next;
        self.next_seq = self.next_seq.wrapping_add(skipped as u32);
        self.next = first;
        self.drain(frame, deliver);
        skipped
    }

    /// Bytes still waiting behind a hole (reported when the connection ends).
    pub fn pending_bytes(&self) -> usize {
        self.pending_bytes
    }

    /// Every byte before sequence number `end` has been delivered, and none waits beyond it.
    pub fn complete_to(&self, end: u32) -> bool {
        self.started && self.next_seq == end && self.pending_bytes == 0
    }

    fn advance(&mut self, frame: u64, bytes: &[u8], deliver: &mut impl FnMut(u64, &[u8])) {
        deliver(frame, bytes);
        self.next += bytes.len() as u64;
        self.next_seq = self.next_seq.wrapping_add(bytes.len() as u32);
    }

    /// Deliver what became contiguous; it is attributed to `frame`, the segment that completed
    /// it, as Wireshark attributes a reassembled PDU.
    fn drain(&mut self, frame: u64, deliver: &mut impl FnMut(u64, &[u8])) {
        while let Some((&offset, _)) = self.pending.first_key_value() {
            if offset > self.next {
                break;
            }
            let (_, bytes) = self.pending.pop_first().expect("checked above");
            self.pending_bytes -= bytes.len();
            let skip = (self.next - offset) as usize;
            if skip < bytes.len() {
                self.advance(frame, &bytes[skip..], deliver);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(r: &mut Reassembler, segs: &[(u32, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, (seq, data)) in segs.iter().enumerate() {
            r.push(*seq, i as u64 + 1, data, &mut |_, b| {
                out.extend_from_slice(b)
            });
        }
        out
    }

    #[test]
    fn reorders_trims_overlaps_and_drops_retransmissions() {
        let mut r = Reassembler::default();
        r.start_at(1000);
        let out = collect(
            &mut r,
            &[
                (1005, b"fghij"),
                (1000, b"abc"),
                (1002, b"cde"),
                (1000, b"abc"),
                (1010, b"k"),
            ],
        );
        assert_eq!(out, b"abcdefghijk");
    }

    #[test]
    fn sequence_numbers_wrap() {
        let mut r = Reassembler::default();
        r.start_at(u32::MAX - 1);
        let out = collect(&mut r, &[(0, b"cd"), (u32::MAX - 1, b"ab"), (2, b"e")]);
        assert_eq!(out, b"abcde");
    }

    #[test]
    fn a_hole_past_the_cap_is_skipped_and_counted() {
        let mut r = Reassembler::with_cap(4);
        r.start_at(0);
        let mut out = Vec::new();
        r.push(0, 1, b"ab", &mut |_, b| out.extend_from_slice(b));
        let skipped = r.push(10, 2, b"xyzzy", &mut |_, b| out.extend_from_slice(b));
        assert_eq!(skipped, 8);
        assert_eq!(out, b"abxyzzy");
    }

    #[test]
    fn delivery_names_the_frame_that_completed_the_bytes() {
        let mut r = Reassembler::default();
        r.start_at(0);
        let mut frames = Vec::new();
        r.push(3, 7, b"def", &mut |f, b| frames.push((f, b.to_vec())));
        r.push(0, 9, b"abc", &mut |f, b| frames.push((f, b.to_vec())));
        assert_eq!(frames, vec![(9, b"abc".to_vec()), (9, b"def".to_vec())]);
    }
}
