//! Any bytes through the whole pipeline: decoded as an input (an archive of captures, logs,
//! dumps and certificates), then judged into a report (sessions, alignment, trails), and
//! rendered.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let catalog = mradiag::logs::signatures::Catalog::builtin();
    let decoded = mradiag::analyze::decode_bytes("fuzz", data, catalog);
    let report = mradiag::analyze::judge(decoded, catalog, &Default::default());
    let _ = mradiag::report::text::render(&report);
    let _ = report.to_json();
});
