//! One DNS message.
#![no_main]
use mradiag::model::{Endpoint, Transport};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let a = Endpoint {
        ip: [192, 0, 2, 1].into(),
        port: 53,
    };
    let b = Endpoint {
        ip: [192, 0, 2, 2].into(),
        port: 40000,
    };
    let _ = mradiag::proto::dns::decode(data, Transport::Udp, a, b, &mut Default::default());
});
