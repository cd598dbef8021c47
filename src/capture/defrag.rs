//! IPv4 and IPv6 fragment reassembly (etherparse's pool), so a DNS answer too large for one
//! packet is still read. Incomplete datagrams are dropped after a while, and counted.

use etherparse::defrag::IpDefragPool;
use etherparse::{IpNumber, SlicedPacket};

/// Fragments older than this (capture time) are given up on.
const MAX_AGE_NS: i64 = 30 * 1_000_000_000;
/// How often (in fragments) stale entries are swept.
const SWEEP_EVERY: u64 = 1024;

#[derive(Default)]
pub struct Defragmenter {
    pool: IpDefragPool<i64, ()>,
    seen: u64,
    pub malformed: u64,
}

impl Defragmenter {
    /// Offer one fragment (the whole IP packet); returns the reassembled payload once complete.
    pub fn push(&mut self, ip_packet: &[u8], ts: i64) -> Option<(IpNumber, Vec<u8>)> {
        self.seen += 1;
        if self.seen.is_multiple_of(SWEEP_EVERY) {
            self.pool.retain(|t| ts - *t < MAX_AGE_NS);
        }
        let Ok(sliced) = SlicedPacket::from_ip(ip_packet) else {
            self.malformed += 1;
            return None;
        };
        match self.pool.process_sliced_packet(&sliced, ts, ()) {
            Ok(Some(done)) => Some((done.ip_number, done.payload)),
            Ok(None) => None,
            Err(_) => {
                self.malformed += 1;
                None
            }
        }
    }
}
