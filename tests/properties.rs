//! Properties: reassembly gives the same bytes under any segmentation, reordering and
//! duplication; the decoders never panic on arbitrary bytes.

use mradiag::capture::reassembly::Reassembler;
use proptest::prelude::*;

/// Cut `data` at the given points into (offset, bytes) segments, overlapping by `overlap`.
fn segments(data: &[u8], cuts: &[usize], overlap: usize) -> Vec<(usize, Vec<u8>)> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
    points.push(0);
    points.push(data.len());
    points.sort_unstable();
    points.dedup();
    points
        .windows(2)
        .map(|w| {
            let start = w[0].saturating_sub(overlap);
            (start, data[start..w[1]].to_vec())
        })
        .collect()
}

proptest! {
    #[test]
    fn reassembly_is_independent_of_segmentation_and_order(
        data in proptest::collection::vec(any::<u8>(), 1..4000),
        cuts in proptest::collection::vec(any::<usize>(), 0..40),
        overlap in 0usize..8,
        isn in any::<u32>(),
        order in proptest::collection::vec(any::<u32>(), 0..80),
        duplicates in proptest::collection::vec(any::<usize>(), 0..10),
    ) {
        let mut segs = segments(&data, &cuts, overlap);
        for d in duplicates {
            let copy = segs[d % segs.len()].clone();
            segs.push(copy);
        }
        // A permutation driven by `order`.
        for (i, o) in order.iter().enumerate() {
            let a = i % segs.len();
            let b = *o as usize % segs.len();
            segs.swap(a, b);
        }
        let mut r = Reassembler::default();
        r.start_at(isn);
        let mut out = Vec::new();
        for (frame, (offset, bytes)) in segs.iter().enumerate() {
            let seq = isn.wrapping_add(*offset as u32);
            r.push(seq, frame as u64 + 1, bytes, &mut |_, b| out.extend_from_slice(b));
        }
        prop_assert_eq!(out, data);
        prop_assert_eq!(r.pending_bytes(), 0);
    }

    #[test]
    fn capture_decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let _ = mradiag::capture::decode(&bytes[..]);
    }

    #[test]
    fn capture_decoding_never_panics_on_a_valid_header(body in proptest::collection::vec(any::<u8>(), 0..3000), linktype in prop_oneof![Just(0u32), Just(1), Just(101), Just(113), Just(276)]) {
        let mut file = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0];
        file.extend_from_slice(&linktype.to_le_bytes());
        file.extend_from_slice(&body);
        let _ = mradiag::capture::decode(&file[..]);
    }

    /// Any mix of the response's own tags, cut, unbalanced or nested wrongly, still gives a
    /// summary and never a panic.
    #[test]
    fn edge_config_summaries_never_panic(tokens in proptest::collection::vec(prop::sample::select(EDGE_TOKENS), 0..80)) {
        let mut text = b"<getEdgeConfigResponse version=\"1.0\">".to_vec();
        for t in &tokens {
            text.extend_from_slice(t);
        }
        prop_assert!(mradiag::logs::edge_config::summarize(&text).is_some());
    }
}

const EDGE_TOKENS: &[&[u8]] = &[
    b"<serviceConfig>",
    b"</serviceConfig>",
    b"<service>",
    b"</service>",
    b"<name>",
    b"</name>",
    b"<server>",
    b"</server>",
    b"<address>",
    b"</address>",
    b"<tlsPort>",
    b"</tlsPort>",
    b"<port>",
    b"</port>",
    b"<error>",
    b"</error>",
    b"<edgeConfig>",
    b"</edgeConfig>",
    b"<sipEdgeServer>",
    b"</sipEdgeServer>",
    b"<userUdsServer>",
    b"</userUdsServer>",
    b"<sipRequest>",
    b"<route>",
    b"</route>",
    b"&lt;",
    b"<turnEdgeServer/>",
    b"<service ",
    b">",
    b"NameError",
    b"cucm.example.local",
    b"8443",
    b" ",
    "\u{e9}".as_bytes(),
    b"\xff\xfe",
    b"<getEdgeConfigResponse>",
];
