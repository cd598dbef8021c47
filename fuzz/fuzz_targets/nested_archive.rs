//! Mutated bytes inside archives inside archives: a zip member, in a tar, in a gzip stream, the
//! way a customer's bundle of bundles arrives; the input layer's recursion and its budgets
//! (members held, bytes inflated, nesting) meet whatever the inner bytes are.
#![no_main]
use std::io::Write;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    if zip.start_file("inner.bin", opts).is_err() || zip.write_all(data).is_err() {
        return;
    }
    let Ok(zip) = zip.finish() else { return };
    let zip = zip.into_inner();
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(zip.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    if tar
        .append_data(&mut h, "bundle/inner.zip", zip.as_slice())
        .is_err()
    {
        return;
    }
    let Ok(tar) = tar.into_inner() else { return };
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    if gz.write_all(&tar).is_err() {
        return;
    }
    let Ok(gz) = gz.finish() else { return };
    let catalog = mradiag::logs::signatures::Catalog::builtin();
    let _ = mradiag::analyze::decode_bytes("case.tar.gz", &gz, catalog);
});
