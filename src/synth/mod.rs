//! Deterministic synthetic inputs (a seed in, the same bytes out) for benches, memory checks
//! and the compare script: a client-like capture and an Expressway-style log, each with a
//! truth of what a correct decoder must find.

pub mod capture;
pub mod log;
