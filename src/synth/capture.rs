//! A deterministic client-like MRA capture of any size, for benches, memory checks and tests:
//! DNS SRV lookups (some NXDOMAIN), TCP to Expressway-E:8443 (answered, unanswered, refused),
//! TLS 1.2 hellos with SNI, a client alert now and then, and bulk encrypted payload dominating
//! the bytes, as in real captures. VLAN tags and IPv6 are mixed in.

use std::io::Write;
use std::net::IpAddr;

use super::Rng;

/// What a correct decoder must find in the generated capture.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Truth {
    pub frames: u64,
    pub bytes: u64,
    pub dns_queries: u64,
    pub dns_responses: u64,
    pub dns_nxdomain: u64,
    pub tcp_connections: u64,
    pub tcp_syn_first: u64,
    pub tcp_syn_retransmissions: u64,
    pub tcp_syn_acks: u64,
    pub tcp_rsts: u64,
    pub tls_client_hellos: u64,
    pub tls_server_hellos: u64,
    pub tls_alerts: u64,
    pub vlan_frames: u64,
    pub ipv6_frames: u64,
    /// With `CaptureSpec::keylog`: the sessions' secrets, an NSS key log, and the HTTP
    /// responses their decrypted records hold.
    #[serde(skip)]
    pub keylog: String,
    #[serde(skip)]
    pub http_responses: u64,
    /// The busy profile's sign-in attempts (one per client visit), and the bytes of its
    /// frames that are not bulk payload (DNS, handshakes, XMPP and SIP, requests).
    #[serde(skip_serializing_if = "is_zero")]
    pub sign_in_attempts: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub control_bytes: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

pub(super) struct Out<W: Write> {
    pub(super) w: W,
    /// The first write error; later writes are skipped and it is returned at the end.
    pub(super) err: Option<std::io::Error>,
    pcapng: bool,
    pub(super) ts_us: u64,
    pub(super) truth: Truth,
}

impl<W: Write> Out<W> {
    pub(super) fn new(w: W, pcapng: bool) -> Self {
        let mut out = Out {
            w,
            err: None,
            pcapng,
            ts_us: 1_764_000_000_000_000,
            truth: Truth::default(),
        };
        if pcapng {
            // Section header block, then one Ethernet interface (microsecond resolution).
            let shb: [u32; 7] = [
                0x0a0d_0d0a,
                28,
                0x1a2b_3c4d,
                0x0000_0001,
                0xffff_ffff,
                0xffff_ffff,
                28,
            ];
            for x in shb {
                out.put(&x.to_le_bytes());
            }
            for x in [1u32, 20, 1, 0, 20] {
                out.put(&x.to_le_bytes());
            }
        } else {
            for x in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 262_144, 1] {
                out.put(&x.to_le_bytes());
            }
        }
        out
    }

    fn put(&mut self, bytes: &[u8]) {
        if self.err.is_none()
            && let Err(e) = self.w.write_all(bytes)
        {
            self.err = Some(e);
        }
    }

    fn frame(&mut self, data: &[u8]) {
        self.ts_us += 37;
        let (sec, usec) = (
            (self.ts_us / 1_000_000) as u32,
            (self.ts_us % 1_000_000) as u32,
        );
        let len = data.len() as u32;
        if self.pcapng {
            let pad = (4 - data.len() % 4) % 4;
            let total = 32 + len + pad as u32;
            let ts = self.ts_us;
            for x in [6u32, total, 0, (ts >> 32) as u32, ts as u32, len, len] {
                self.put(&x.to_le_bytes());
            }
            self.put(data);
            self.put(&[0u8; 3][..pad]);
            self.put(&total.to_le_bytes());
        } else {
            for x in [sec, usec, len, len] {
                self.put(&x.to_le_bytes());
            }
            self.put(data);
        }
        self.truth.frames += 1;
        self.truth.bytes += data.len() as u64;
    }
}

/// One end-to-end path: addresses, and the VLAN tag if any.
#[derive(Clone, Copy)]
pub(super) struct Path {
    pub(super) client: IpAddr,
    pub(super) server: IpAddr,
    pub(super) vlan: Option<u16>,
}

fn l2_l3(path: &Path, from_client: bool, proto: u8, l4: &[u8], out: &mut Out<impl Write>) {
    let (src, dst) = if from_client {
        (path.client, path.server)
    } else {
        (path.server, path.client)
    };
    let mut f = Vec::with_capacity(l4.len() + 60);
    f.extend_from_slice(&[2, 0, 0, 0, 0, if from_client { 2 } else { 1 }]);
    f.extend_from_slice(&[2, 0, 0, 0, 0, if from_client { 1 } else { 2 }]);
    if let Some(v) = path.vlan {
        f.extend_from_slice(&[0x81, 0x00]);
        f.extend_from_slice(&v.to_be_bytes());
        out.truth.vlan_frames += 1;
    }
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            f.extend_from_slice(&[0x08, 0x00]);
            let total = (20 + l4.len()) as u16;
            let mut h = vec![0x45, 0];
            h.extend_from_slice(&total.to_be_bytes());
            h.extend_from_slice(&[0, 0, 0x40, 0, 64, proto, 0, 0]);
            h.extend_from_slice(&s.octets());
            h.extend_from_slice(&d.octets());
            let sum = checksum(&h);
            h[10..12].copy_from_slice(&sum.to_be_bytes());
            f.extend_from_slice(&h);
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            f.extend_from_slice(&[0x86, 0xdd]);
            f.extend_from_slice(&[0x60, 0, 0, 0]);
            f.extend_from_slice(&(l4.len() as u16).to_be_bytes());
            f.extend_from_slice(&[proto, 64]);
            f.extend_from_slice(&s.octets());
            f.extend_from_slice(&d.octets());
            out.truth.ipv6_frames += 1;
        }
        _ => unreachable!("paths are one family"),
    }
    f.extend_from_slice(l4);
    out.frame(&f);
}

fn checksum(h: &[u8]) -> u16 {
    let mut sum: u32 = h
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]) as u32)
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

pub(super) fn udp(
    path: &Path,
    from_client: bool,
    sport: u16,
    dport: u16,
    payload: &[u8],
    out: &mut Out<impl Write>,
) {
    let mut u = Vec::with_capacity(payload.len() + 8);
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&((payload.len() + 8) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    l2_l3(path, from_client, 17, &u, out);
}

/// One TCP connection's state: ports and next sequence numbers.
pub(super) struct Tcp {
    pub(super) path: Path,
    pub(super) cport: u16,
    pub(super) sport: u16,
    pub(super) cseq: u32,
    pub(super) sseq: u32,
}

impl Tcp {
    pub(super) fn seg(
        &mut self,
        from_client: bool,
        flags: u8,
        payload: &[u8],
        out: &mut Out<impl Write>,
    ) {
        let (sp, dp, seq, ack) = if from_client {
            (self.cport, self.sport, self.cseq, self.sseq)
        } else {
            (self.sport, self.cport, self.sseq, self.cseq)
        };
        let mut t = Vec::with_capacity(payload.len() + 20);
        t.extend_from_slice(&sp.to_be_bytes());
        t.extend_from_slice(&dp.to_be_bytes());
        t.extend_from_slice(&seq.to_be_bytes());
        t.extend_from_slice(&ack.to_be_bytes());
        t.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        t.extend_from_slice(payload);
        l2_l3(&self.path, from_client, 6, &t, out);
        let advance = payload.len() as u32 + u32::from(flags & 0x03 != 0);
        if from_client {
            self.cseq = self.cseq.wrapping_add(advance);
        } else {
            self.sseq = self.sseq.wrapping_add(advance);
        }
    }

    /// Send `bytes` from one side in MSS-sized segments, the other side acking every second.
    pub(super) fn stream(&mut self, from_client: bool, bytes: &[u8], out: &mut Out<impl Write>) {
        for (i, chunk) in bytes.chunks(1448).enumerate() {
            self.seg(from_client, 0x18, chunk, out);
            if i % 2 == 1 {
                self.seg(!from_client, 0x10, &[], out);
            }
        }
    }
}

fn dns_message(
    id: u16,
    response: bool,
    rcode: u8,
    name: &str,
    qtype: u16,
    srv_target: Option<&str>,
) -> Vec<u8> {
    let flags: u16 = if response {
        0x8180 | rcode as u16
    } else {
        0x0100
    };
    let answers = u16::from(srv_target.is_some());
    let mut m = Vec::new();
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&flags.to_be_bytes());
    m.extend_from_slice(&[0, 1]);
    m.extend_from_slice(&answers.to_be_bytes());
    m.extend_from_slice(&[0, 0, 0, 0]);
    for label in name.split('.') {
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    m.push(0);
    m.extend_from_slice(&qtype.to_be_bytes());
    m.extend_from_slice(&[0, 1]);
    if let Some(target) = srv_target {
        m.extend_from_slice(&[0xc0, 12, 0, 33, 0, 1, 0, 0, 0, 60]);
        let mut rdata = vec![0, 10, 0, 10, 0x20, 0xfb];
        for label in target.split('.') {
            rdata.push(label.len() as u8);
            rdata.extend_from_slice(label.as_bytes());
        }
        rdata.push(0);
        m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        m.extend_from_slice(&rdata);
    }
    m
}

/// A TLS 1.2 record of content type `ct`; also the TLS parser's test fixtures.
pub(crate) fn record(ct: u8, body: &[u8]) -> Vec<u8> {
    let mut r = vec![ct, 3, 3];
    r.extend_from_slice(&(body.len() as u16).to_be_bytes());
    r.extend_from_slice(body);
    r
}

/// A handshake message (type, 24-bit length, body), not yet in a record.
pub(crate) fn handshake_message(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![kind];
    m.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    m.extend_from_slice(body);
    m
}

pub(super) fn handshake(kind: u8, body: &[u8]) -> Vec<u8> {
    record(22, &handshake_message(kind, body))
}

/// A TLS 1.2 ClientHello record naming `sni` (the tests' and generators' one).
pub fn client_hello(sni: &str, random: &[u8; 32]) -> Vec<u8> {
    let mut b = vec![3, 3];
    b.extend_from_slice(random);
    b.push(0);
    b.extend_from_slice(&[0, 4, 0xc0, 0x2f, 0xc0, 0x30, 1, 0]);
    let name = sni.as_bytes();
    let mut ext = vec![0, 0];
    ext.extend_from_slice(&((name.len() + 5) as u16).to_be_bytes());
    ext.extend_from_slice(&((name.len() + 3) as u16).to_be_bytes());
    ext.push(0);
    ext.extend_from_slice(&(name.len() as u16).to_be_bytes());
    ext.extend_from_slice(name);
    b.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    b.extend(ext);
    handshake(1, &b)
}

pub(super) fn server_hello(random: &[u8; 32]) -> Vec<u8> {
    let mut b = vec![3, 3];
    b.extend_from_slice(random);
    b.push(0);
    b.extend_from_slice(&[0xc0, 0x2f, 0, 0, 0]);
    handshake(2, &b)
}

/// Size, seed and container of a generated capture.
#[derive(Clone, Copy, Debug)]
pub struct CaptureSpec {
    pub size_bytes: u64,
    pub seed: u64,
    pub pcapng: bool,
    /// Encrypt the bulk records for real (TLS 1.2, AES-128-GCM) and log the secrets in
    /// `Truth::keylog`: for measuring decryption.
    pub keylog: bool,
}

/// A TLS 1.2 session's secrets and the server's write protection (ECDHE-RSA-AES128-GCM).
struct Sealing {
    client_random: [u8; 32],
    server_random: [u8; 32],
    master: [u8; 48],
    key: ring::aead::LessSafeKey,
    salt: [u8; 4],
    seq: u64,
}

impl Sealing {
    fn new(rng: &mut Rng) -> Sealing {
        let mut bytes = |n: usize| -> Vec<u8> { (0..n).map(|_| rng.next() as u8).collect() };
        let client_random: [u8; 32] = bytes(32).try_into().unwrap();
        let server_random: [u8; 32] = bytes(32).try_into().unwrap();
        let master: [u8; 48] = bytes(48).try_into().unwrap();
        let mut seed = server_random.to_vec();
        seed.extend_from_slice(&client_random);
        // RFC 5246 §6.3: client key, server key, client IV, server IV (no MAC keys for GCM).
        let block = crate::proto::tls_decrypt::prf(
            ring::hmac::HMAC_SHA256,
            &master,
            b"key expansion",
            &seed,
            40,
        );
        let key = ring::aead::UnboundKey::new(&ring::aead::AES_128_GCM, &block[16..32]).unwrap();
        Sealing {
            client_random,
            server_random,
            master,
            key: ring::aead::LessSafeKey::new(key),
            salt: block[36..40].try_into().unwrap(),
            seq: 0,
        }
    }

    /// A server record sealed as TLS 1.2 GCM does: explicit nonce, then ciphertext and tag.
    fn seal(&mut self, kind: u8, plain: &[u8]) -> Vec<u8> {
        let explicit = self.seq.to_be_bytes();
        let mut nonce = [0u8; 12];
        nonce[..4].copy_from_slice(&self.salt);
        nonce[4..].copy_from_slice(&explicit);
        let mut aad = self.seq.to_be_bytes().to_vec();
        aad.extend_from_slice(&[kind, 3, 3]);
        aad.extend_from_slice(&(plain.len() as u16).to_be_bytes());
        let mut sealed = plain.to_vec();
        self.key
            .seal_in_place_append_tag(
                ring::aead::Nonce::assume_unique_for_key(nonce),
                ring::aead::Aad::from(aad),
                &mut sealed,
            )
            .unwrap();
        self.seq += 1;
        let mut body = explicit.to_vec();
        body.extend(sealed);
        record(kind, &body)
    }

    fn keylog_line(&self) -> String {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        format!(
            "CLIENT_RANDOM {} {}\n",
            hex(&self.client_random),
            hex(&self.master)
        )
    }
}

/// Write a client-like capture of about `spec.size_bytes`; returns its truth.
pub fn write_capture<W: Write>(spec: CaptureSpec, w: W) -> std::io::Result<Truth> {
    let mut rng = Rng(spec.seed.max(1));
    let mut out = Out::new(w, spec.pcapng);
    let target = spec.size_bytes;
    let mut session = 0u32;
    while out.truth.bytes < target {
        session += 1;
        let v6 = session.is_multiple_of(7);
        let vlan = session
            .is_multiple_of(5)
            .then_some(100 + (session % 3) as u16);
        let host = (session % 250 + 2) as u8;
        let (client, server, resolver): (IpAddr, IpAddr, IpAddr) = if v6 {
            (
                format!("fd00::{host:x}").parse().unwrap(),
                "fd00::10".parse().unwrap(),
                "fd00::53".parse().unwrap(),
            )
        } else {
            (
                [10, 1, 0, host].into(),
                [203, 0, 113, 10].into(),
                [10, 1, 0, 53].into(),
            )
        };
        let dns_path = Path {
            client,
            server: resolver,
            vlan,
        };
        let edge = Path {
            client,
            server,
            vlan,
        };
        let domain = format!("d{}.example", session % 50);
        let kind = rng.below(20);
        let id = session as u16;
        let qport = 30_000 + (session % 20_000) as u16;
        let srv_name = format!("_collab-edge._tls.{domain}");
        udp(
            &dns_path,
            true,
            qport,
            53,
            &dns_message(id, false, 0, &srv_name, 33, None),
            &mut out,
        );
        out.truth.dns_queries += 1;
        if kind == 0 {
            udp(
                &dns_path,
                false,
                53,
                qport,
                &dns_message(id, true, 3, &srv_name, 33, None),
                &mut out,
            );
            out.truth.dns_responses += 1;
            out.truth.dns_nxdomain += 1;
            continue;
        }
        let target = format!("expe.{domain}");
        udp(
            &dns_path,
            false,
            53,
            qport,
            &dns_message(id, true, 0, &srv_name, 33, Some(&target)),
            &mut out,
        );
        out.truth.dns_responses += 1;
        let mut tcp = Tcp {
            path: edge,
            cport: 40_000 + (session % 25_000) as u16,
            sport: 8443,
            cseq: rng.next() as u32,
            sseq: rng.next() as u32,
        };
        out.truth.tcp_connections += 1;
        out.truth.tcp_syn_first += 1;
        tcp.seg(true, 0x02, &[], &mut out);
        if kind == 1 {
            for _ in 0..2 {
                tcp.cseq = tcp.cseq.wrapping_sub(1);
                tcp.seg(true, 0x02, &[], &mut out);
                out.truth.tcp_syn_retransmissions += 1;
            }
            continue;
        }
        if kind == 2 {
            tcp.seg(false, 0x14, &[], &mut out);
            out.truth.tcp_rsts += 1;
            continue;
        }
        tcp.seg(false, 0x12, &[], &mut out);
        out.truth.tcp_syn_acks += 1;
        tcp.seg(true, 0x10, &[], &mut out);
        let mut sealing = spec.keylog.then(|| Sealing::new(&mut rng));
        let (client_random, server_random) = sealing.as_ref().map_or(([7u8; 32], [9u8; 32]), |s| {
            (s.client_random, s.server_random)
        });
        tcp.stream(true, &client_hello(&target, &client_random), &mut out);
        out.truth.tls_client_hellos += 1;
        tcp.stream(false, &server_hello(&server_random), &mut out);
        out.truth.tls_server_hellos += 1;
        if kind == 3 {
            tcp.stream(true, &record(21, &[2, 48]), &mut out);
            out.truth.tls_alerts += 1;
            tcp.seg(true, 0x11, &[], &mut out);
            continue;
        }
        tcp.stream(true, &record(20, &[1]), &mut out);
        tcp.stream(false, &record(20, &[1]), &mut out);
        // Bulk download: encrypted records of up to 16 KiB.
        let bulk = 100_000 + rng.below(2_000_000) as usize;
        let mut payload = Vec::with_capacity(bulk + bulk / 16_384 * 5 + 5);
        match &mut sealing {
            // Sealed for real, the download is an HTTP response: its head is what
            // decryption shows.
            Some(sealing) => {
                let mut plain =
                    format!("HTTP/1.1 200 OK\r\nContent-Length: {bulk}\r\n\r\n").into_bytes();
                plain.extend(
                    (0..bulk).map(|i| ((i % 16_384) as u8).wrapping_mul(31) ^ (session as u8)),
                );
                for chunk in plain.chunks(16_384) {
                    payload.extend(sealing.seal(23, chunk));
                }
                out.truth.http_responses += 1;
            }
            None => {
                let mut left = bulk;
                while left > 0 {
                    let n = left.min(16_384);
                    let body: Vec<u8> = (0..n)
                        .map(|i| (i as u8).wrapping_mul(31) ^ (session as u8))
                        .collect();
                    payload.extend(record(23, &body));
                    left -= n;
                }
            }
        }
        if let Some(sealing) = &sealing {
            out.truth.keylog.push_str(&sealing.keylog_line());
        }
        tcp.stream(false, &payload, &mut out);
        tcp.seg(false, 0x11, &[], &mut out);
        tcp.seg(true, 0x11, &[], &mut out);
    }
    if let Some(e) = out.err {
        return Err(e);
    }
    out.w.flush()?;
    Ok(out.truth)
}
