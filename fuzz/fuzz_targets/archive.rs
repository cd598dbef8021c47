//! Any bytes through the input layer: gzip, tar, zip (nested), captures and logs inside.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ =
        mradiag::analyze::decode_bytes("fuzz", data, mradiag::logs::signatures::Catalog::builtin());
});
