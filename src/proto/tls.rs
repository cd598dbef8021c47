//! TLS over a reassembled TCP stream: record framing, handshake messages spanning records,
//! ClientHello / ServerHello / Certificate / Alert, and the shape of encrypted traffic (an
//! encrypted alert, the TLS 1.3 client Finished). Without keys, encrypted payloads are skipped,
//! not buffered, so memory stays flat however long the connection runs; with the handshake's
//! secrets from a key log, records are decrypted one at a time: the TLS 1.3 handshake (its
//! certificate, alerts) is read like a clear one, and application data is handed on.

use super::Emit;
use super::keylog::KeyLog;
use super::tls_decrypt::{Decrypter, Suite};
use super::x509;
use crate::model::{EventKind, Side};
use std::sync::Arc;
use tls_parser::{
    TlsExtension, parse_tls_client_hello_extension, parse_tls_handshake_client_hello,
};
use tls_parser::{parse_tls_handshake_server_hello, parse_tls_server_hello_extensions};

const MAX_RECORD: usize = (1 << 14) + 2048;
const MAX_HANDSHAKE_BUFFER: usize = 256 * 1024;
/// A TLS 1.3 (or AEAD TLS 1.2) alert: 2 bytes + content type + 16-byte tag.
const ENCRYPTED_ALERT_LEN: usize = 19;
const HELLO_RETRY_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// Does this look like the start of a TLS record (handshake, alert or CCS, SSL 3.0 – TLS 1.3)?
pub fn probe(bytes: &[u8]) -> bool {
    bytes.len() >= 3 && matches!(bytes[0], 20..=23) && bytes[1] == 3 && bytes[2] <= 4
}

/// Too few bytes to tell, but the start of what [`probe`] takes.
pub fn could_start(bytes: &[u8]) -> bool {
    match bytes {
        [] => true,
        [kind] | [kind, 3] => matches!(kind, 20..=23),
        _ => false,
    }
}

/// A ClientHello's record starting here: a handshake record of TLS 1.0–1.3 whose first
/// message is a ClientHello. Stricter than `probe`, as it is tried in the middle of a
/// conversation (TLS after another protocol's STARTTLS or a proxy's CONNECT), where tshark
/// finds it by its heuristics too.
pub fn starts_client_hello(bytes: &[u8]) -> bool {
    bytes.len() >= 6 && bytes[0] == 22 && bytes[1] == 3 && bytes[2] <= 4 && bytes[5] == 1
}

#[derive(Default)]
struct Direction {
    /// A record header being read (5 bytes), and how much of it has come; no allocation
    /// per record, as there is one record per ~16 KiB of bulk data.
    header: [u8; 5],
    header_len: usize,
    content_type: u8,
    remaining: usize,
    record_len: usize,
    body: Vec<u8>,
    keep_body: bool,
    handshake: Vec<u8>,
    encrypted: bool,
    ccs: bool,
    broken: bool,
}

pub struct TlsStream {
    stream: u64,
    dirs: [Direction; 2],
    /// Negotiated version, once the ServerHello is seen.
    version: Option<u16>,
    done: bool,
    /// The client sent application data after the handshake.
    client_data: bool,
    keys: Option<Arc<KeyLog>>,
    client_random: Option<[u8; 32]>,
    /// Each side's record decryption, once its keys are known and it switched to them (boxed:
    /// most connections have none, and thousands are held at once).
    decrypters: [Option<Box<Decrypter>>; 2],
    /// TLS 1.2: each side's keys, applied after its ChangeCipherSpec. TLS 1.3: each side's
    /// application traffic keys, applied after its Finished.
    pending: [Option<Box<Decrypter>>; 2],
    /// Decrypted application data, in order, for the protocol inside; the caller drains it.
    pub plaintext: Vec<(Side, Vec<u8>)>,
}

fn idx(side: Side) -> usize {
    match side {
        Side::Client => 0,
        Side::Server => 1,
    }
}

impl TlsStream {
    pub fn new(stream: u64) -> Self {
        Self::with_keys(stream, None)
    }

    /// A stream whose records are decrypted when the key log holds its handshake's secrets.
    pub fn with_keys(stream: u64, keys: Option<Arc<KeyLog>>) -> Self {
        TlsStream {
            stream,
            dirs: Default::default(),
            version: None,
            done: false,
            client_data: false,
            keys,
            client_random: None,
            decrypters: Default::default(),
            pending: Default::default(),
            plaintext: Vec::new(),
        }
    }

    /// Feed in-order bytes from one side.
    pub fn feed(&mut self, side: Side, mut bytes: &[u8], out: &mut Emit<'_>) {
        while !bytes.is_empty() {
            let decrypting = self.decrypters[idx(side)].is_some();
            let dir = &mut self.dirs[idx(side)];
            if dir.broken {
                return;
            }
            if dir.remaining == 0 {
                let take = (5 - dir.header_len).min(bytes.len());
                dir.header[dir.header_len..dir.header_len + take].copy_from_slice(&bytes[..take]);
                dir.header_len += take;
                bytes = &bytes[take..];
                if dir.header_len < 5 {
                    return;
                }
                dir.header_len = 0;
                let h = dir.header;
                let len = u16::from_be_bytes([h[3], h[4]]) as usize;
                if !matches!(h[0], 20..=24) || h[1] != 3 || len > MAX_RECORD {
                    dir.broken = true;
                    let detail = format!(
                        "bytes {:02x?} from the {side:?} are not a TLS record header; the rest of this direction is not decoded",
                        h
                    );
                    out.anomaly("tls_desync", detail, Some(self.stream));
                    return;
                }
                dir.content_type = h[0];
                dir.record_len = len;
                dir.remaining = len;
                dir.keep_body = (matches!(h[0], 20..=22) && !(h[0] == 22 && dir.encrypted))
                    || (decrypting && dir.encrypted && matches!(h[0], 21..=23));
                dir.body.clear();
                if dir.keep_body {
                    // Whole at once: a certificate record comes in several segments.
                    dir.body.reserve(len);
                }
                if len == 0 {
                    self.record_done(side, out);
                }
                continue;
            }
            let take = dir.remaining.min(bytes.len());
            if dir.keep_body {
                dir.body.extend_from_slice(&bytes[..take]);
            }
            dir.remaining -= take;
            bytes = &bytes[take..];
            if dir.remaining == 0 {
                self.record_done(side, out);
            }
        }
    }

    fn record_done(&mut self, side: Side, out: &mut Emit<'_>) {
        if let Some((inner, plain)) = self.open_record(side, out) {
            self.decrypted(side, inner, plain, out);
            return;
        }
        let stream = self.stream;
        let tls13 = self.version == Some(crate::model::TLS_1_3);
        let dir = &mut self.dirs[idx(side)];
        let len = dir.record_len;
        match dir.content_type {
            20 => {
                dir.ccs = true;
                if !tls13 {
                    dir.encrypted = true;
                    // TLS 1.2: this side's records are protected from here on.
                    self.decrypters[idx(side)] = self.pending[idx(side)].take();
                }
                if !tls13 && self.dirs[0].ccs && self.dirs[1].ccs && !self.done {
                    self.done = true;
                    out.push(EventKind::TlsHandshakeDone {
                        stream,
                        version: self.version.unwrap_or(crate::model::TLS_1_2),
                    });
                }
            }
            21 => {
                // Two bytes are a plaintext alert whatever the state: an encrypted one carries
                // a MAC or tag. (Some TLS 1.3 stacks abort in clear before switching keys.)
                if len == 2 {
                    out.push(EventKind::TlsAlert {
                        stream,
                        from: side,
                        level: dir.body[0],
                        description: dir.body[1],
                    });
                } else {
                    out.push(EventKind::TlsEncryptedAlert { stream, from: side });
                }
            }
            22 => {
                if dir.encrypted {
                    return;
                }
                let body = std::mem::take(&mut dir.body);
                self.handshake_bytes(side, body, out);
            }
            23 => {
                if self.done {
                    self.application_data(side, out);
                    return;
                }
                if !tls13 {
                    return;
                }
                if len == ENCRYPTED_ALERT_LEN {
                    out.push(EventKind::TlsEncryptedAlert { stream, from: side });
                } else if side == Side::Client {
                    // The client's first encrypted record in TLS 1.3 is its Finished.
                    self.done = true;
                    out.push(EventKind::TlsHandshakeDone {
                        stream,
                        version: crate::model::TLS_1_3,
                    });
                }
            }
            _ => {}
        }
    }

    /// The client's first request after the handshake: it accepted the server.
    fn application_data(&mut self, side: Side, out: &mut Emit<'_>) {
        if side == Side::Client && !self.client_data {
            self.client_data = true;
            out.push(EventKind::TlsApplicationData {
                stream: self.stream,
                from: side,
            });
        }
    }

    /// Decrypt the record just read, when this side has keys and the record is protected. A
    /// record that does not open is an anomaly, and this side is not decrypted further.
    fn open_record(&mut self, side: Side, out: &mut Emit<'_>) -> Option<(u8, Vec<u8>)> {
        let dir = &self.dirs[idx(side)];
        if !dir.encrypted || !dir.keep_body || !matches!(dir.content_type, 21..=23) {
            return None;
        }
        let decrypter = self.decrypters[idx(side)].as_mut()?;
        match decrypter.open(&dir.header, &dir.body) {
            Ok(opened) => Some(opened),
            Err(e) => {
                self.decrypters[idx(side)] = None;
                self.pending[idx(side)] = None;
                out.anomaly(
                    "tls_decrypt_failed",
                    format!(
                        "a record from the {side:?} does not decrypt ({e:?}): the key log's secrets are not this connection's, or a record is missing; the rest of this direction stays encrypted"
                    ),
                    Some(self.stream),
                );
                None
            }
        }
    }

    /// A decrypted record: an alert named, a handshake message read like a clear one,
    /// application data handed on.
    fn decrypted(&mut self, side: Side, inner: u8, plain: Vec<u8>, out: &mut Emit<'_>) {
        let stream = self.stream;
        match inner {
            21 if plain.len() >= 2 => out.push(EventKind::TlsAlert {
                stream,
                from: side,
                level: plain[0],
                description: plain[1],
            }),
            22 if self.version == Some(crate::model::TLS_1_3) => {
                self.handshake_bytes(side, plain, out);
            }
            23 => {
                if self.done {
                    self.application_data(side, out);
                }
                if !plain.is_empty() {
                    self.plaintext.push((side, plain));
                }
            }
            // TLS 1.2's encrypted Finished, a heartbeat: nothing to say.
            _ => {}
        }
    }

    /// A record's handshake bytes: the messages they complete are read where they lie (a
    /// record usually holds whole ones, so most records are not copied), and a message's
    /// first part waits for the next record.
    fn handshake_bytes(&mut self, side: Side, bytes: Vec<u8>, out: &mut Emit<'_>) {
        let stream = self.stream;
        let dir = &mut self.dirs[idx(side)];
        let buf = if dir.handshake.is_empty() {
            bytes
        } else {
            let mut held = std::mem::take(&mut dir.handshake);
            held.extend_from_slice(&bytes);
            held
        };
        let mut read = 0;
        while buf.len() - read >= 4 {
            let len = u32::from_be_bytes([0, buf[read + 1], buf[read + 2], buf[read + 3]]) as usize;
            if len > MAX_HANDSHAKE_BUFFER {
                self.dirs[idx(side)].broken = true;
                out.anomaly(
                    "tls_handshake_too_large",
                    format!("handshake message of {len} bytes"),
                    Some(stream),
                );
                return;
            }
            if buf.len() - read < 4 + len {
                break;
            }
            self.handle_message(side, buf[read], &buf[read + 4..read + 4 + len], out);
            read += 4 + len;
        }
        // Every message read: the buffer that held a certificate flight is dropped, as
        // thousands of connections each keeping theirs until the capture ends add up.
        if read < buf.len() {
            let mut rest = buf;
            rest.drain(..read);
            self.dirs[idx(side)].handshake = rest;
        }
    }

    fn handle_message(&mut self, side: Side, kind: u8, body: &[u8], out: &mut Emit<'_>) {
        let stream = self.stream;
        match (side, kind) {
            (Side::Client, 1) => match client_hello(stream, body) {
                Some((ev, random, bad)) => {
                    self.client_random = Some(random);
                    out.push(ev);
                    if let Some(bad) = bad {
                        out.anomaly("tls_bad_extension", bad, Some(stream));
                    }
                }
                None => out.anomaly(
                    "tls_bad_client_hello",
                    format!("ClientHello of {} bytes does not parse", body.len()),
                    Some(stream),
                ),
            },
            (Side::Server, 2) => match parse_tls_handshake_server_hello(body) {
                Ok((_, sh)) => {
                    let mut version = sh.version.0;
                    if let Some(ext) = sh.ext
                        && let Ok((_, exts)) = parse_tls_server_hello_extensions(ext)
                    {
                        for e in exts {
                            if let TlsExtension::SupportedVersions(v) = e
                                && let Some(first) = v.first()
                            {
                                version = first.0;
                            }
                        }
                    }
                    // A HelloRetryRequest fixes TLS 1.3 but leaves the next ClientHello in clear.
                    let hello_retry = sh.random == HELLO_RETRY_RANDOM;
                    self.version = Some(version);
                    if !hello_retry && version == crate::model::TLS_1_3 {
                        // Everything after the ServerHello is encrypted, in both directions.
                        self.dirs[0].encrypted = true;
                        self.dirs[1].encrypted = true;
                    }
                    if !hello_retry && let Ok(server_random) = <[u8; 32]>::try_from(sh.random) {
                        self.take_keys(version, sh.cipher.0, &server_random);
                    }
                    if hello_retry {
                        out.push(EventKind::TlsHelloRetryRequest {
                            stream,
                            cipher: sh.cipher.0,
                        });
                        return;
                    }
                    out.push(EventKind::TlsServerHello {
                        stream,
                        legacy_version: sh.version.0,
                        version,
                        cipher: sh.cipher.0,
                    });
                }
                // Pre-standard TLS 1.3 drafts (0x7fxx) and other oddities: keep the version.
                Err(_) if body.len() >= 2 => {
                    let version = u16::from_be_bytes([body[0], body[1]]);
                    out.push(EventKind::TlsServerHello {
                        stream,
                        legacy_version: version,
                        version,
                        cipher: 0,
                    });
                }
                Err(_) => out.anomaly(
                    "tls_bad_server_hello",
                    format!("ServerHello of {} bytes does not parse", body.len()),
                    Some(stream),
                ),
            },
            // The server's chain, or the client's when the server asked for one (an empty
            // client Certificate says the client has none).
            (from, 11) => {
                let tls13 = self.version == Some(crate::model::TLS_1_3);
                let (chain, problems) = certificate_chain(body, tls13);
                for p in problems {
                    out.anomaly("tls_bad_certificate", p, Some(stream));
                }
                out.push(EventKind::TlsCertificate {
                    stream,
                    from,
                    chain,
                });
            }
            // A decrypted TLS 1.3 Finished: this side now uses its application keys.
            (side, 20) if self.version == Some(crate::model::TLS_1_3) => {
                self.decrypters[idx(side)] = self.pending[idx(side)].take();
                if side == Side::Client && !self.done {
                    self.done = true;
                    out.push(EventKind::TlsHandshakeDone {
                        stream,
                        version: crate::model::TLS_1_3,
                    });
                }
            }
            _ => {}
        }
    }

    /// The keys of this handshake, when the key log has its secrets and the suite is one we
    /// decrypt: TLS 1.3's handshake keys at once (application keys after each Finished),
    /// TLS 1.2's after each side's ChangeCipherSpec.
    fn take_keys(&mut self, version: u16, cipher: u16, server_random: &[u8; 32]) {
        let (Some(keys), Some(client_random)) = (&self.keys, self.client_random) else {
            return;
        };
        let (Some(secrets), Some(suite)) = (keys.get(&client_random), Suite::of(cipher)) else {
            return;
        };
        if version == crate::model::TLS_1_3 {
            let keys_of =
                |s: &Option<Vec<u8>>| s.as_deref().map(|s| Box::new(Decrypter::tls13(suite, s)));
            self.decrypters = [
                keys_of(&secrets.client_handshake),
                keys_of(&secrets.server_handshake),
            ];
            self.pending = [
                keys_of(&secrets.client_traffic),
                keys_of(&secrets.server_traffic),
            ];
        } else if let Some(master) = &secrets.master {
            let (client, server) = Decrypter::tls12(suite, master, &client_random, server_random);
            self.pending = [Some(Box::new(client)), Some(Box::new(server))];
        }
    }
}

/// The ClientHello's event and random, and what was wrong with its extensions, if anything:
/// each extension is read on its own, so one malformed extension costs only itself (tshark
/// shows the others too).
fn client_hello(stream: u64, body: &[u8]) -> Option<(EventKind, [u8; 32], Option<String>)> {
    let (_, ch) = parse_tls_handshake_client_hello(body).ok()?;
    let random = <[u8; 32]>::try_from(ch.random).ok()?;
    let mut sni = None;
    let mut supported_versions = Vec::new();
    let mut alpn: Box<[Box<str>]> = Box::default();
    let mut bad: Vec<String> = Vec::new();
    let mut rest = ch.ext.unwrap_or_default();
    while !rest.is_empty() {
        // Type (2 bytes), length (2), body.
        let Some(len) = rest
            .get(2..4)
            .map(|l| u16::from_be_bytes([l[0], l[1]]) as usize)
        else {
            bad.push(format!(
                "{} stray bytes after the last extension",
                rest.len()
            ));
            break;
        };
        let kind = u16::from_be_bytes([rest[0], rest[1]]);
        let Some(one) = rest.get(..4 + len) else {
            bad.push(format!(
                "extension {kind:#06x} claims {len} bytes, {} left",
                rest.len() - 4
            ));
            break;
        };
        rest = &rest[4 + len..];
        let e = match parse_tls_client_hello_extension(one) {
            Ok((_, e)) => e,
            Err(_) => {
                bad.push(format!(
                    "extension {kind:#06x} ({len} bytes) does not parse"
                ));
                continue;
            }
        };
        {
            match e {
                TlsExtension::SNI(names) => {
                    sni = names
                        .first()
                        .map(|(_, n)| String::from_utf8_lossy(n).into());
                }
                TlsExtension::SupportedVersions(v) => {
                    supported_versions = v.iter().map(|v| v.0).collect()
                }
                TlsExtension::ALPN(protos) => {
                    alpn = protos
                        .iter()
                        .map(|p| String::from_utf8_lossy(p).into())
                        .collect();
                }
                _ => {}
            }
        }
    }
    let bad = (!bad.is_empty()).then(|| {
        format!(
            "ClientHello: {}; the other extensions were read",
            bad.join("; ")
        )
    });
    Some((
        EventKind::TlsClientHello {
            stream,
            sni,
            legacy_version: ch.version.0,
            supported_versions: supported_versions.into(),
            alpn,
        },
        random,
        bad,
    ))
}

/// A Certificate body: (TLS 1.3: a request context first,) a 3-byte list length, then
/// 3-byte-length-prefixed DER certificates (TLS 1.3: each followed by its extensions).
fn certificate_chain(body: &[u8], tls13: bool) -> (Vec<crate::model::SharedCert>, Vec<String>) {
    let mut chain = Vec::new();
    let mut problems = Vec::new();
    let context = if tls13 {
        1 + body.first().copied().unwrap_or(0) as usize
    } else {
        0
    };
    if body.len() < context + 3 {
        problems.push("Certificate message shorter than its length field".into());
        return (chain, problems);
    }
    let mut rest = &body[context + 3..];
    while rest.len() >= 3 {
        let len = u32::from_be_bytes([0, rest[0], rest[1], rest[2]]) as usize;
        let Some(der) = rest.get(3..3 + len) else {
            problems.push(format!(
                "certificate {} claims {len} bytes, only {} left",
                chain.len(),
                rest.len() - 3
            ));
            break;
        };
        let (summary, problem) = x509::summarize_seen(der);
        if let Some(p) = problem {
            problems.push(format!("certificate {}: {p}", chain.len()));
        }
        chain.push(summary);
        rest = &rest[3 + len..];
        if tls13 {
            let ext = rest
                .get(..2)
                .map_or(0, |e| u16::from_be_bytes([e[0], e[1]]) as usize);
            rest = rest.get(2 + ext..).unwrap_or_default();
        }
    }
    (chain, problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Event;
    use crate::synth::capture::{handshake_message as handshake, record};

    /// A capture holds one stream per TLS connection until it ends (20,000 in a busy
    /// gigabyte): the decryption state, which most have none of, stays out of line.
    #[test]
    fn a_tls_stream_is_small_until_it_decrypts() {
        assert!(
            std::mem::size_of::<TlsStream>() <= 512,
            "{} bytes",
            std::mem::size_of::<TlsStream>()
        );
    }

    fn client_hello_body(sni: &str, versions: &[u16]) -> Vec<u8> {
        let mut b = vec![3, 3];
        b.extend_from_slice(&[0u8; 32]);
        b.push(0); // session id
        b.extend_from_slice(&[0, 2, 0x13, 0x01, 1, 0]);
        let mut ext = Vec::new();
        let name = sni.as_bytes();
        ext.extend_from_slice(&[0, 0]);
        ext.extend_from_slice(&((name.len() + 5) as u16).to_be_bytes());
        ext.extend_from_slice(&((name.len() + 3) as u16).to_be_bytes());
        ext.push(0);
        ext.extend_from_slice(&(name.len() as u16).to_be_bytes());
        ext.extend_from_slice(name);
        ext.extend_from_slice(&[0, 43]);
        ext.extend_from_slice(&((versions.len() * 2 + 1) as u16).to_be_bytes());
        ext.push((versions.len() * 2) as u8);
        for v in versions {
            ext.extend_from_slice(&v.to_be_bytes());
        }
        b.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        b.extend(ext);
        b
    }

    fn feed_all(t: &mut TlsStream, side: Side, bytes: &[u8], chunk: usize) -> Vec<Event> {
        let mut events = Vec::new();
        for (i, piece) in bytes.chunks(chunk).enumerate() {
            let mut out = Emit {
                frame: i as u64 + 1,
                ts: 0,
                events: &mut events,
                names: &mut Default::default(),
            };
            t.feed(side, piece, &mut out);
        }
        events
    }

    #[test]
    fn client_hello_split_across_records_and_segments() {
        let msg = handshake(1, &client_hello_body("expe.example.com", &[0x0304, 0x0303]));
        let (a, b) = msg.split_at(20);
        let mut bytes = record(22, a);
        bytes.extend(record(22, b));
        let mut t = TlsStream::new(3);
        let events = feed_all(&mut t, Side::Client, &bytes, 7);
        assert_eq!(events.len(), 1);
        match &events[0].kind {
            EventKind::TlsClientHello {
                stream: 3,
                sni: Some(sni),
                supported_versions,
                ..
            } => {
                assert_eq!(&**sni, "expe.example.com");
                assert_eq!(supported_versions[..], [0x0304, 0x0303]);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(events[0].frame, (bytes.len() as u64).div_ceil(7));
    }

    /// A record holding one whole message and the start of the next: the first is read
    /// where it lies, the part waits for the next record.
    #[test]
    fn a_message_and_part_of_the_next_in_one_record() {
        let first = handshake(1, &client_hello_body("a.example.com", &[0x0303]));
        let second = handshake(1, &client_hello_body("b.example.com", &[0x0304]));
        let (head, tail) = second.split_at(20);
        let mut bytes = record(22, &[first, head.to_vec()].concat());
        bytes.extend(record(22, tail));
        let mut t = TlsStream::new(5);
        let events = feed_all(&mut t, Side::Client, &bytes, 1000);
        let snis: Vec<_> = events
            .iter()
            .map(|e| match &e.kind {
                EventKind::TlsClientHello { sni, .. } => sni.as_deref().map(str::to_string),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            snis,
            [
                Some("a.example.com".to_string()),
                Some("b.example.com".to_string())
            ]
        );
        assert!(t.dirs[0].handshake.is_empty(), "nothing left waiting");
    }

    #[test]
    fn plaintext_alert_and_encrypted_alert() {
        let mut t = TlsStream::new(0);
        let ev = feed_all(&mut t, Side::Client, &record(21, &[2, 48]), 100);
        assert!(matches!(
            ev[0].kind,
            EventKind::TlsAlert {
                from: Side::Client,
                level: 2,
                description: 48,
                ..
            }
        ));
        feed_all(&mut t, Side::Client, &record(20, &[1]), 100);
        let ev = feed_all(&mut t, Side::Client, &record(21, &[0u8; 26]), 100);
        assert!(matches!(
            ev[0].kind,
            EventKind::TlsEncryptedAlert {
                from: Side::Client,
                ..
            }
        ));
    }

    #[test]
    fn garbage_desyncs_once() {
        let mut t = TlsStream::new(0);
        let ev = feed_all(
            &mut t,
            Side::Server,
            b"HTTP/1.1 400 Bad Request\r\n\r\nmore bytes",
            5,
        );
        assert_eq!(ev.len(), 1);
        assert!(matches!(&ev[0].kind, EventKind::Anomaly { what, .. } if what == "tls_desync"));
    }

    #[test]
    fn a_client_certificate_is_the_clients() {
        // TLS 1.2, after a CertificateRequest: the client's (here empty) Certificate.
        let mut t = TlsStream::new(5);
        let ev = feed_all(
            &mut t,
            Side::Client,
            &record(22, &handshake(11, &[0, 0, 0])),
            100,
        );
        assert!(
            matches!(
                &ev[0].kind,
                EventKind::TlsCertificate {
                    from: Side::Client,
                    chain,
                    ..
                } if chain.is_empty()
            ),
            "{ev:?}"
        );
    }

    /// A malformed extension before the SNI (a supported_groups whose inner length lies):
    /// the SNI and the versions after it are still read, and the bad one is named.
    #[test]
    fn one_malformed_extension_costs_only_itself() {
        let good = client_hello_body("expe1.example.com", &[0x0304, 0x0303]);
        // Split the good body at its extensions and put a broken one first.
        let ext_at = 2 + 32 + 1 + 6;
        let ext_len = u16::from_be_bytes([good[ext_at], good[ext_at + 1]]) as usize;
        let broken: [u8; 8] = [0, 10, 0, 4, 0, 9, 0, 29]; // groups: claims 9 bytes, has 2
        let mut body = good[..ext_at].to_vec();
        body.extend_from_slice(&((ext_len + broken.len()) as u16).to_be_bytes());
        body.extend_from_slice(&broken);
        body.extend_from_slice(&good[ext_at + 2..]);
        let (kind, _, bad) = client_hello(7, &body).expect("the hello parses");
        match kind {
            EventKind::TlsClientHello {
                sni,
                supported_versions,
                ..
            } => {
                assert_eq!(sni.as_deref(), Some("expe1.example.com"));
                assert_eq!(supported_versions[..], [0x0304, 0x0303]);
            }
            other => panic!("{other:?}"),
        }
        let bad = bad.expect("the bad extension is named");
        assert!(bad.contains("extension 0x000a"), "{bad}");
    }
}
