//! One link-layer frame (first byte picks the link type) through link, IP and transport.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&pick, frame)) = data.split_first() else {
        return;
    };
    let linktype = [0, 1, 12, 101, 108, 113, 228, 229, 276][pick as usize % 9];
    if let Ok((ip, _)) = mradiag::capture::packet::strip_link(linktype, frame) {
        let _ = mradiag::capture::packet::decode_ip(ip);
    }
});
