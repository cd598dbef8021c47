//! An XMPP stream in chunks from both sides.
#![no_main]
use mradiag::model::Side;
use mradiag::proto::Emit;
use mradiag::proto::xmpp::XmppStream;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut x = XmppStream::new(0);
    let mut events = Vec::new();
    for (i, chunk) in data.chunks(37).enumerate() {
        let side = if i % 2 == 0 {
            Side::Client
        } else {
            Side::Server
        };
        let mut out = Emit {
            frame: i as u64 + 1,
            ts: 0,
            events: &mut events,
            names: &mut Default::default(),
        };
        let _ = x.feed(side, chunk, &mut out);
    }
});
