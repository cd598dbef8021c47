//! A folder of mutated inputs through the whole pipeline: the bytes are cut into up to four
//! inputs (the first bytes give their lengths), each decoded as `analyze` decodes a file, then
//! all judged together (clock alignment across inputs, E and C told apart, trails between
//! bundles) and rendered.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let catalog = mradiag::logs::signatures::Catalog::builtin();
    let (counts, mut rest) = data.split_at(data.len().min(3));
    let mut decoded = Vec::new();
    for (i, &n) in counts.iter().enumerate() {
        let take = (n as usize * 64).min(rest.len());
        let (piece, tail) = rest.split_at(take);
        decoded.extend(mradiag::analyze::decode_bytes(
            &format!("case/input{i}"),
            piece,
            catalog,
        ));
        rest = tail;
    }
    decoded.extend(mradiag::analyze::decode_bytes("case/last", rest, catalog));
    let report = mradiag::analyze::judge(decoded, catalog, &Default::default());
    let _ = mradiag::report::Format::Text { colour: false }.render(&report);
    let _ = mradiag::report::Format::Markdown.render(&report);
    let _ = report.to_json();
});
