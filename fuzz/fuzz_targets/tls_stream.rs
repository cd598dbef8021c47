//! A TLS byte stream, split into client/server chunks by the input itself, into the record
//! and handshake reassembly and parsers.
#![no_main]
use mradiag::model::Side;
use mradiag::proto::Emit;
use mradiag::proto::tls::TlsStream;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut t = TlsStream::new(0);
    let mut events = Vec::new();
    let mut rest = data;
    let mut frame = 1;
    while let Some((&n, tail)) = rest.split_first() {
        let take = (n as usize & 0x7f).min(tail.len());
        let side = if n & 0x80 == 0 {
            Side::Client
        } else {
            Side::Server
        };
        let mut out = Emit {
            frame,
            ts: 0,
            events: &mut events,
            names: &mut Default::default(),
        };
        t.feed(side, &tail[..take], &mut out);
        rest = &tail[take..];
        frame += 1;
    }
});
