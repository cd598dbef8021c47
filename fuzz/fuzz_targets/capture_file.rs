//! A whole capture file (pcap or pcapng) through every decoder, read both ways: as a stream
//! and in place (as a mapped file is); the two must agree.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let streamed = mradiag::capture::decode(data);
    let in_place = mradiag::capture::decode_slice(data, None);
    assert_eq!(streamed.info.frames, in_place.info.frames);
    assert_eq!(streamed.events.len(), in_place.events.len());
});
