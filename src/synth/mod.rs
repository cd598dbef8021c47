//! Deterministic synthetic inputs (a seed in, the same bytes out) for benches, memory checks
//! and the compare script: a client-like capture and an Expressway-style log, each with a
//! truth of what a correct decoder must find.

pub mod bundle;
pub mod busy;
pub mod capture;
pub mod log;

/// xorshift64*: small, deterministic, good enough for traffic shapes.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}
