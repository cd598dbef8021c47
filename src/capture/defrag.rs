//! IPv4 and IPv6 fragment reassembly (etherparse's pool), so a DNS answer too large for one
//! packet is still read. A datagram whose fragments stop coming is given up on, by capture
//! time or, when timestamps do not move (a crafted capture), after enough other fragments:
//! the pool stays bounded either way, and the datagrams given up on are counted.

use etherparse::defrag::IpDefragPool;
use etherparse::{IpNumber, SlicedPacket};
use std::cell::RefCell;
use std::collections::HashSet;

/// Fragments older than this (capture time) are given up on.
const MAX_AGE_NS: i64 = 30 * 1_000_000_000;
/// A datagram with no fragment among the last this many is given up on: at most this many
/// datagrams are ever pending (a datagram's buffer is at most 64 KiB).
const MAX_SILENT_FRAGMENTS: u64 = 4096;
/// How often (in fragments) stale entries are swept.
const SWEEP_EVERY: u64 = 1024;

/// When a datagram's last fragment came: capture time, and its place among the fragments.
type Seen = (i64, u64);

#[derive(Default)]
pub struct Defragmenter {
    pool: IpDefragPool<Seen, ()>,
    seen: u64,
    pub malformed: u64,
    /// Datagrams given up on before they were complete.
    pub given_up: u64,
}

impl Defragmenter {
    /// Offer one fragment (the whole IP packet); returns the reassembled payload once complete.
    pub fn push(&mut self, ip_packet: &[u8], ts: i64) -> Option<(IpNumber, Vec<u8>)> {
        self.seen += 1;
        if self.seen.is_multiple_of(SWEEP_EVERY) {
            self.sweep(ts);
        }
        let Ok(sliced) = SlicedPacket::from_ip(ip_packet) else {
            self.malformed += 1;
            return None;
        };
        match self
            .pool
            .process_sliced_packet(&sliced, (ts, self.seen), ())
        {
            Ok(Some(done)) => Some((done.ip_number, done.payload)),
            Ok(None) => None,
            Err(_) => {
                self.malformed += 1;
                None
            }
        }
    }

    /// At the end of the capture: every datagram still waiting never completed. Returns how
    /// many were given up on in all.
    pub fn finish(&mut self) -> u64 {
        let dropped: RefCell<HashSet<u64>> = RefCell::default();
        self.pool.retain(|&(_, last_seq)| {
            dropped.borrow_mut().insert(last_seq);
            false
        });
        self.given_up += dropped.into_inner().len() as u64;
        self.given_up
    }

    /// Give up on the datagrams too old or too long silent. The pool's `retain` may ask about
    /// one entry twice; each entry's last fragment number is its own, so the set counts each
    /// datagram once.
    fn sweep(&mut self, ts: i64) {
        let seen = self.seen;
        let dropped: RefCell<HashSet<u64>> = RefCell::default();
        self.pool.retain(|&(last_ts, last_seq)| {
            let keep = ts - last_ts < MAX_AGE_NS && seen - last_seq < MAX_SILENT_FRAGMENTS;
            if !keep {
                dropped.borrow_mut().insert(last_seq);
            }
            keep
        });
        self.given_up += dropped.into_inner().len() as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IPv4 first fragment (more fragments set, offset 0) of datagram `id`.
    fn first_fragment(id: u16) -> Vec<u8> {
        let mut p = vec![
            0x45, 0, 0, 28, 0, 0, 0x20, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0, 53, 0, 53, 0,
            8, 0, 0,
        ];
        p[4..6].copy_from_slice(&id.to_be_bytes());
        p
    }

    #[test]
    fn fragments_that_never_complete_are_given_up_even_at_one_timestamp() {
        let mut d = Defragmenter::default();
        for i in 0..100_000u32 {
            // Distinct datagrams (source port in the id's high bits would be the same): the
            // id wraps, so vary the destination too.
            let mut p = first_fragment(i as u16);
            p[19] = (i >> 16) as u8 + 2;
            assert!(d.push(&p, 0).is_none());
        }
        // Everything but the last few thousand was given up on, and counted.
        assert!(
            d.given_up >= 100_000 - MAX_SILENT_FRAGMENTS - SWEEP_EVERY,
            "{}",
            d.given_up
        );
        assert_eq!(d.malformed, 0);
    }
}
