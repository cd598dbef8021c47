//! SIP: a datagram head, and the same bytes as a TCP stream.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = mradiag::proto::sip::parse_head(data);
    let mut d = mradiag::proto::sip::SipStreamDirection::default();
    for chunk in data.chunks(29) {
        if d.feed(chunk).is_err() {
            break;
        }
    }
});
