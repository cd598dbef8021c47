//! A whole capture file (pcap or pcapng) through every decoder.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = mradiag::capture::decode(data);
});
