//! A busy client network's capture, for measuring the judging stage: many clients signing in
//! through MRA, each attempt with most of its steps (the `_cisco-uds` and `_collab-edge` SRV
//! lookups, the edge's address, sometimes through a CNAME, two to four HTTPS connections to
//! 8443, XMPP with STARTTLS on 5222, SIP over TLS on 5061), every server sending a chain of
//! three or four certificates (valid at the capture's time), and failures of every kind mixed
//! in (NXDOMAIN, no answer, an unanswered SYN, a reset, a client's alert, a server's
//! certificate out of date), among the other names the machines resolve. Bulk payload still
//! carries most of the bytes, as on a real network, but a set share (15% unless told) is
//! control traffic. IPv6 and VLAN tags are mixed in; attempts are spread over time as people
//! sign in.

use std::io::Write;
use std::net::IpAddr;

use super::Rng;
use super::capture::{Out, Path, Tcp, Truth, client_hello, handshake, record, server_hello, udp};

/// Size, seed, container and control share of a busy capture.
#[derive(Clone, Copy, Debug)]
pub struct BusySpec {
    pub size_bytes: u64,
    pub seed: u64,
    pub pcapng: bool,
    /// The share of the bytes that is not bulk payload, in percent (1 to 100).
    pub control_percent: u64,
    /// The first frame's time, in microseconds since 1970 (by default 2026-11-24T16:00Z;
    /// inside the certificates' validity, 2026-10-27 to 2027-11-26).
    pub start_us: u64,
    /// The first client port; the next connections take the ports after it (by default
    /// 20000; Windows and macOS clients take theirs from 49152).
    pub first_port: u16,
}

impl Default for BusySpec {
    fn default() -> Self {
        BusySpec {
            size_bytes: 100 << 20,
            seed: 7,
            pcapng: false,
            control_percent: 15,
            start_us: BUSY_START_US,
            first_port: 20_000,
        }
    }
}

/// The domain every client signs in to, and its Expressway-E as the certificates name it.
const DOMAIN: &str = "example.com";
const EDGE: &str = "expe1.example.com";

/// Distinct clients: attempts outnumber them, so some sign in more than once.
const CLIENTS: u32 = 400;

/// How an attempt goes.
#[derive(Clone, Copy, PartialEq)]
enum Outcome {
    Ok,
    /// `_collab-edge` answered NXDOMAIN.
    NoSrv,
    /// `_collab-edge` never answered.
    DnsSilent,
    /// The first SYN to 8443 is never answered (two retransmissions).
    SynUnanswered,
    /// 8443 refuses with a reset.
    Refused,
    /// The client rejects the certificate: unknown_ca (48) or bad_certificate (42), or
    /// certificate_expired (45) when the server sends its out-of-date certificate.
    Alert(u8),
    /// The SIP connection is reset after the TLS handshake.
    SipReset,
}

fn outcome(rng: &mut Rng) -> Outcome {
    match rng.below(40) {
        0 => Outcome::NoSrv,
        1 => Outcome::DnsSilent,
        2 => Outcome::SynUnanswered,
        3 => Outcome::Refused,
        4 => Outcome::Alert(48),
        5 => Outcome::Alert(42),
        6 => Outcome::SipReset,
        7 => Outcome::Alert(45),
        _ => Outcome::Ok,
    }
}

/// The lab's certificates as DER: Expressway-E's, its CA, and two more a server might send
/// along (chains of three or four, as misconfigured and well configured servers send them);
/// last, Expressway-E's certificate that ran out on 2026-10-22.
fn chain_ders() -> Vec<Vec<u8>> {
    use base64::Engine;
    [
        include_str!("../../samples/lab/certs/expe-good.pem"),
        include_str!("../../samples/lab/certs/ca.pem"),
        include_str!("../../samples/lab/certs/cucm.pem"),
        include_str!("../../samples/lab/certs/expe-untrusted.pem"),
        include_str!("../../samples/lab/certs/expe-expired.pem"),
    ]
    .iter()
    .map(|pem| {
        // The first certificate of the file.
        let b64: String = pem
            .lines()
            .skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE"))
            .skip(1)
            .take_while(|l| !l.starts_with("-----END"))
            .collect::<Vec<_>>()
            .concat();
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("the lab's PEM files are valid")
    })
    .collect()
}

/// The server's first flight: ServerHello, Certificate (the chain), ServerHelloDone.
fn server_flight(random: &[u8; 32], chain: &[Vec<u8>]) -> Vec<u8> {
    let mut list = Vec::new();
    for der in chain {
        list.extend_from_slice(&(der.len() as u32).to_be_bytes()[1..]);
        list.extend_from_slice(der);
    }
    let mut body = (list.len() as u32).to_be_bytes()[1..].to_vec();
    body.extend(list);
    let mut flight = server_hello(random);
    flight.extend(handshake(11, &body));
    flight.extend(handshake(14, &[]));
    flight
}

/// A DNS message: one question, and answers as (owner, type, rdata); the question's name
/// is compressed where an answer repeats it.
fn dns(
    id: u16,
    response: bool,
    rcode: u8,
    name: &str,
    qtype: u16,
    answers: &[(&str, u16, Vec<u8>)],
) -> Vec<u8> {
    let flags: u16 = if response {
        0x8180 | rcode as u16
    } else {
        0x0100
    };
    let mut m = Vec::new();
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&flags.to_be_bytes());
    m.extend_from_slice(&[0, 1]);
    m.extend_from_slice(&(answers.len() as u16).to_be_bytes());
    m.extend_from_slice(&[0, 0, 0, 0]);
    m.extend(labels(name));
    m.extend_from_slice(&qtype.to_be_bytes());
    m.extend_from_slice(&[0, 1]);
    for (owner, rtype, rdata) in answers {
        if *owner == name {
            m.extend_from_slice(&[0xc0, 12]);
        } else {
            m.extend(labels(owner));
        }
        m.extend_from_slice(&rtype.to_be_bytes());
        m.extend_from_slice(&[0, 1, 0, 0, 0x0e, 0x10]);
        m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        m.extend_from_slice(rdata);
    }
    m
}

fn labels(name: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len() + 2);
    for label in name.split('.') {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

fn srv_rdata(port: u16, target: &str) -> Vec<u8> {
    let mut r = vec![0, 10, 0, 10];
    r.extend_from_slice(&port.to_be_bytes());
    r.extend(labels(target));
    r
}

fn address_rdata(ip: IpAddr) -> (u16, Vec<u8>) {
    match ip {
        IpAddr::V4(a) => (1, a.octets().to_vec()),
        IpAddr::V6(a) => (28, a.octets().to_vec()),
    }
}

/// Bytes that look like ciphertext, cheap to make.
fn filler(n: usize, salt: u32) -> Vec<u8> {
    (0..n)
        .map(|i| ((i as u32).wrapping_mul(2_654_435_761) ^ salt) as u8)
        .collect()
}

/// One client and where it sends its packets.
struct Client {
    ip: IpAddr,
    resolver: IpAddr,
    edge: IpAddr,
    vlan: Option<u16>,
}

fn client(n: u32) -> Client {
    let vlan = n.is_multiple_of(5).then_some(100 + (n % 3) as u16);
    if n.is_multiple_of(7) {
        Client {
            ip: format!("fd00::1:{n:x}").parse().unwrap(),
            resolver: "fd00::53".parse().unwrap(),
            edge: "fd00::e1".parse().unwrap(),
            vlan,
        }
    } else {
        Client {
            ip: [10, 2, (n / 250) as u8, (n % 250 + 2) as u8].into(),
            resolver: [10, 2, 255, 53].into(),
            edge: [203, 0, 113, 10].into(),
            vlan,
        }
    }
}

/// One attempt's writer: the output, the chain, the next ports and DNS id.
struct Attempt<'a, W: Write> {
    out: &'a mut Out<W>,
    rng: &'a mut Rng,
    chain: &'a [Vec<u8>],
    /// The leaf a server that let its certificate run out sends instead.
    expired: &'a [u8],
    next_port: &'a mut u16,
    /// The bulk bytes written before this attempt, and the control share wanted (percent).
    bulk_before: u64,
    percent: u64,
}

impl<W: Write> Attempt<'_, W> {
    fn port(&mut self) -> u16 {
        *self.next_port = if *self.next_port >= 64_000 {
            20_000
        } else {
            *self.next_port + 1
        };
        *self.next_port
    }

    /// A query and, unless `silent`, its answer.
    fn lookup(
        &mut self,
        c: &Client,
        name: &str,
        qtype: u16,
        rcode: u8,
        answers: &[(&str, u16, Vec<u8>)],
        silent: bool,
    ) {
        let path = Path {
            client: c.ip,
            server: c.resolver,
            vlan: c.vlan,
        };
        let id = self.rng.next() as u16;
        let port = self.port();
        udp(
            &path,
            true,
            port,
            53,
            &dns(id, false, 0, name, qtype, &[]),
            self.out,
        );
        self.out.truth.dns_queries += 1;
        if silent {
            return;
        }
        self.out.ts_us += 2_000 + self.rng.below(20_000);
        udp(
            &path,
            false,
            53,
            port,
            &dns(id, true, rcode, name, qtype, answers),
            self.out,
        );
        self.out.truth.dns_responses += 1;
        if rcode == 3 {
            self.out.truth.dns_nxdomain += 1;
        }
    }

    /// A connection to `port` on Expressway-E, through the TCP handshake (or its failure).
    fn connect(&mut self, c: &Client, port: u16, fails: Option<Outcome>) -> Option<Tcp> {
        let cport = self.port();
        let mut tcp = Tcp {
            path: Path {
                client: c.ip,
                server: c.edge,
                vlan: c.vlan,
            },
            cport,
            sport: port,
            cseq: self.rng.next() as u32,
            sseq: self.rng.next() as u32,
        };
        self.out.truth.tcp_connections += 1;
        self.out.truth.tcp_syn_first += 1;
        tcp.seg(true, 0x02, &[], self.out);
        match fails {
            Some(Outcome::SynUnanswered) => {
                for wait in [1_000_000, 2_000_000] {
                    self.out.ts_us += wait;
                    tcp.cseq = tcp.cseq.wrapping_sub(1);
                    tcp.seg(true, 0x02, &[], self.out);
                    self.out.truth.tcp_syn_retransmissions += 1;
                }
                return None;
            }
            Some(Outcome::Refused) => {
                tcp.seg(false, 0x14, &[], self.out);
                self.out.truth.tcp_rsts += 1;
                return None;
            }
            _ => {}
        }
        self.out.ts_us += 10_000 + self.rng.below(40_000);
        tcp.seg(false, 0x12, &[], self.out);
        self.out.truth.tcp_syn_acks += 1;
        tcp.seg(true, 0x10, &[], self.out);
        Some(tcp)
    }

    /// The TLS 1.2 handshake with the chain; false when the client rejects it with an alert.
    fn tls(&mut self, tcp: &mut Tcp, alert: Option<u8>) -> bool {
        let mut random = [0u8; 32];
        random.iter_mut().for_each(|b| *b = self.rng.next() as u8);
        tcp.stream(true, &client_hello(EDGE, &random), self.out);
        self.out.truth.tls_client_hellos += 1;
        self.out.ts_us += 5_000 + self.rng.below(30_000);
        let flight = if alert == Some(45) {
            let mut chain = self.chain.to_vec();
            chain[0] = self.expired.to_vec();
            server_flight(&random, &chain)
        } else {
            server_flight(&random, self.chain)
        };
        tcp.stream(false, &flight, self.out);
        self.out.truth.tls_server_hellos += 1;
        if let Some(description) = alert {
            tcp.stream(true, &record(21, &[2, description]), self.out);
            self.out.truth.tls_alerts += 1;
            tcp.seg(true, 0x11, &[], self.out);
            tcp.seg(false, 0x11, &[], self.out);
            return false;
        }
        let mut flight = handshake(16, &filler(66, tcp.cport as u32));
        flight.extend(record(20, &[1]));
        flight.extend(record(22, &filler(40, 7)));
        tcp.stream(true, &flight, self.out);
        let mut answer = record(20, &[1]);
        answer.extend(record(22, &filler(40, 9)));
        tcp.stream(false, &answer, self.out);
        true
    }

    /// Encrypted application records of about `n` bytes from one side.
    fn data(&mut self, tcp: &mut Tcp, from_client: bool, n: usize) {
        let mut bytes = Vec::with_capacity(n + n / 16_384 * 5 + 5);
        let mut left = n.max(1);
        while left > 0 {
            let k = left.min(16_384);
            bytes.extend(record(23, &filler(k, tcp.sseq)));
            left -= k;
        }
        tcp.stream(from_client, &bytes, self.out);
    }

    fn close(&mut self, tcp: &mut Tcp) {
        tcp.seg(true, 0x11, &[], self.out);
        tcp.seg(false, 0x11, &[], self.out);
    }

    /// XMPP on 5222: the stream header, STARTTLS offered and taken, then TLS.
    fn xmpp(&mut self, tcp: &mut Tcp) -> bool {
        let open = format!(
            "<?xml version='1.0'?><stream:stream to='{DOMAIN}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
        );
        tcp.stream(true, open.as_bytes(), self.out);
        let features = format!(
            "<?xml version='1.0' encoding='UTF-8'?><stream:stream from='{DOMAIN}' id='{:x}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>",
            self.rng.next()
        );
        tcp.stream(false, features.as_bytes(), self.out);
        tcp.stream(
            true,
            b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
            self.out,
        );
        tcp.stream(
            false,
            b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
            self.out,
        );
        self.tls(tcp, None)
    }

    /// Lookups that are not MRA's: what else the client's machine resolves meanwhile.
    fn other_lookups(&mut self, c: &Client) {
        const NAMES: [&str; 6] = [
            "login.microsoftonline.com",
            "outlook.office365.com",
            "www.example.org",
            "updates.example.net",
            "wpad.example.com",
            "teams.example.com",
        ];
        for _ in 0..2 + self.rng.below(4) {
            let name = *self.rng.pick(&NAMES);
            if name.starts_with("wpad") {
                self.lookup(c, name, 1, 3, &[], false);
            } else {
                let ip: IpAddr = [198, 51, 100, (self.rng.below(200) + 1) as u8].into();
                let (rtype, rdata) = address_rdata(ip);
                self.lookup(c, name, rtype, 0, &[(name, rtype, rdata)], false);
            }
        }
    }

    fn sign_in(&mut self, c: &Client, how: Outcome) -> u64 {
        let mut bulk = 0;
        self.other_lookups(c);
        let edge_answer = address_rdata(c.edge);
        self.lookup(c, &format!("_cisco-uds._tcp.{DOMAIN}"), 33, 3, &[], false);
        let srv = format!("_collab-edge._tls.{DOMAIN}");
        match how {
            Outcome::NoSrv => {
                self.lookup(c, &srv, 33, 3, &[], false);
                return 0;
            }
            Outcome::DnsSilent => {
                self.lookup(c, &srv, 33, 0, &[], true);
                return 0;
            }
            _ => self.lookup(c, &srv, 33, 0, &[(&srv, 33, srv_rdata(8443, EDGE))], false),
        }
        // The edge's address, now and then through a CNAME.
        if self.rng.below(4) == 0 {
            let alias = "mra-edge.example.com";
            self.lookup(
                c,
                EDGE,
                edge_answer.0,
                0,
                &[
                    (EDGE, 5, labels(alias)),
                    (alias, edge_answer.0, edge_answer.1),
                ],
                false,
            );
        } else {
            self.lookup(
                c,
                EDGE,
                edge_answer.0,
                0,
                &[(EDGE, edge_answer.0, edge_answer.1)],
                false,
            );
        }
        // get_edge_config, then the UDS requests it leads to; the last carries the download.
        let https = 2 + self.rng.below(3);
        for n in 0..https {
            let fails = (n == 0).then_some(how);
            let Some(mut tcp) = self.connect(c, 8443, fails) else {
                return 0;
            };
            let alert = match how {
                Outcome::Alert(d) if n == 0 => Some(d),
                _ => None,
            };
            if !self.tls(&mut tcp, alert) {
                return 0;
            }
            let size = 300 + self.rng.below(600) as usize;
            self.data(&mut tcp, true, size);
            self.out.ts_us += 20_000 + self.rng.below(200_000);
            let size = 1_000 + self.rng.below(11_000) as usize;
            self.data(&mut tcp, false, size);
            if n + 1 == https {
                bulk = self.out.truth.bytes;
                let size = self.bulk_size();
                self.data(&mut tcp, false, size);
                bulk = self.out.truth.bytes - bulk;
            }
            self.close(&mut tcp);
        }
        if let Some(mut tcp) = self.connect(c, 5222, None)
            && self.xmpp(&mut tcp)
        {
            let size = 200 + self.rng.below(400) as usize;
            self.data(&mut tcp, true, size);
            let size = 500 + self.rng.below(3_000) as usize;
            self.data(&mut tcp, false, size);
            self.close(&mut tcp);
        }
        if let Some(mut tcp) = self.connect(c, 5061, None)
            && self.tls(&mut tcp, None)
        {
            let size = 800 + self.rng.below(400) as usize;
            self.data(&mut tcp, true, size);
            if how == Outcome::SipReset {
                tcp.seg(false, 0x14, &[], self.out);
                self.out.truth.tcp_rsts += 1;
            } else {
                let size = 400 + self.rng.below(400) as usize;
                self.data(&mut tcp, false, size);
                self.close(&mut tcp);
            }
        }
        bulk
    }

    /// A download sized so that control traffic keeps its share of the whole (a random
    /// half to one and a half times the bytes that keep the share exact).
    fn bulk_size(&mut self) -> usize {
        let control = self.out.truth.bytes - self.bulk_before;
        let wanted = control * (100 - self.percent) / self.percent;
        let missing = wanted.saturating_sub(self.bulk_before);
        (missing / 2 + self.rng.below(missing + 1)) as usize
    }
}

/// When a busy capture starts: 2026-11-24T16:00:00Z.
const BUSY_START_US: u64 = 1_795_536_000_000_000;

/// Write a busy capture of about `spec.size_bytes`; returns its truth.
pub fn write_busy_capture<W: Write>(spec: BusySpec, w: W) -> std::io::Result<Truth> {
    let mut rng = Rng(spec.seed.max(1));
    let mut out = Out::new(w, spec.pcapng);
    // Inside the lab chain's validity (2026-10-27 to 2027-11-26), as a working deployment's
    // certificates are: the failures are the ones planted, not every chain out of date.
    out.ts_us = spec.start_us;
    let chain = chain_ders();
    let percent = spec.control_percent.clamp(1, 100);
    let mut next_port = spec.first_port;
    let mut bulk_total = 0u64;
    while out.truth.bytes < spec.size_bytes {
        let c = client(rng.below(CLIENTS as u64) as u32);
        let how = outcome(&mut rng);
        // Three or four certificates.
        let len = 3 + rng.below(2) as usize;
        let mut attempt = Attempt {
            out: &mut out,
            rng: &mut rng,
            chain: &chain[..len],
            expired: &chain[4],
            next_port: &mut next_port,
            bulk_before: bulk_total,
            percent,
        };
        bulk_total += attempt.sign_in(&c, how);
        out.truth.sign_in_attempts += 1;
        out.truth.control_bytes = out.truth.bytes - bulk_total;
        // The next person signs in a little later.
        out.ts_us += 200_000 + rng.below(3_000_000);
    }
    if let Some(e) = out.err {
        return Err(e);
    }
    out.w.flush()?;
    Ok(out.truth)
}
