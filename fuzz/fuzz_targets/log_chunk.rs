//! A log chunk (Expressway or Jabber grammar, or anything) through the grammar and the full
//! signature scan.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = mradiag::logs::decode(data, mradiag::logs::signatures::Catalog::builtin());
});
