//! Certificates as they were at the moment of failure: every chain a server sent (TLS ≤ 1.2),
//! validated with rustls-webpki *at the capture's time*, against each trust-anchor set in
//! turn — the CA files the user gives, the CA certificates found among the inputs (an
//! Expressway bundle's `ca_*.pem`), the public roots — plus the MRA name rules.

use crate::model::CertSummary;
use crate::proto::x509::dns_name_matches;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use serde::Serialize;
use std::time::Duration;
use webpki::{ALL_VERIFICATION_ALGS, EndEntityCert, Error, KeyUsage, anchor_from_trusted_cert};

/// One set of trust anchors, reported separately.
pub struct AnchorSet {
    pub name: String,
    pub certs: Vec<Vec<u8>>,
    /// The compiled-in public roots instead of `certs`.
    pub public: bool,
}

impl AnchorSet {
    pub fn public_roots() -> Self {
        AnchorSet {
            name: "public roots (webpki-roots)".into(),
            certs: Vec::new(),
            public: true,
        }
    }
}

/// The verdict of one anchor set on one chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AnchorVerdict {
    pub anchor_set: String,
    pub accepted: bool,
    /// Why not, in words an engineer can act on.
    pub reason: Option<String>,
}

/// Certificates from PEM (any number of blocks) or a single DER certificate.
pub fn parse_certificates(bytes: &[u8]) -> Vec<Vec<u8>> {
    let pem: Vec<Vec<u8>> = CertificateDer::pem_slice_iter(bytes)
        .filter_map(Result::ok)
        .map(|c| c.to_vec())
        .collect();
    if !pem.is_empty() {
        return pem;
    }
    if bytes.first() == Some(&0x30) && x509_parser::parse_x509_certificate(bytes).is_ok() {
        return vec![bytes.to_vec()];
    }
    Vec::new()
}

/// Is this DER certificate a CA (basicConstraints CA=true)?
pub fn is_ca(der: &[u8]) -> bool {
    x509_parser::parse_x509_certificate(der)
        .ok()
        .and_then(|(_, c)| c.basic_constraints().ok().flatten().map(|bc| bc.value.ca))
        .unwrap_or(false)
}

/// Validate `chain` (leaf first, as sent) for `name` at `at_secs`, against every set.
pub fn validate(
    chain: &[crate::model::SharedCert],
    name: Option<&str>,
    at_secs: i64,
    sets: &[AnchorSet],
) -> Vec<AnchorVerdict> {
    let Some(leaf) = chain.first() else {
        return Vec::new();
    };
    let leaf_der = CertificateDer::from(&leaf.der[..]);
    let Ok(ee) = EndEntityCert::try_from(&leaf_der) else {
        return sets
            .iter()
            .map(|s| AnchorVerdict {
                anchor_set: s.name.clone(),
                accepted: false,
                reason: Some("the leaf certificate does not parse".into()),
            })
            .collect();
    };
    let intermediates: Vec<CertificateDer<'_>> = chain[1..]
        .iter()
        .map(|c| CertificateDer::from(&c.der[..]))
        .collect();
    let time = UnixTime::since_unix_epoch(Duration::from_secs(at_secs.max(0) as u64));
    let server_name = name.and_then(|n| ServerName::try_from(n).ok());
    sets.iter()
        .map(|set| {
            let owned: Vec<CertificateDer<'_>> = set
                .certs
                .iter()
                .map(|d| CertificateDer::from(d.as_slice()))
                .collect();
            let anchors: Vec<TrustAnchor<'_>> = if set.public {
                webpki_roots::TLS_SERVER_ROOTS.to_vec()
            } else {
                owned
                    .iter()
                    .filter_map(|c| anchor_from_trusted_cert(c).ok())
                    .collect()
            };
            let path = ee.verify_for_usage(
                ALL_VERIFICATION_ALGS,
                &anchors,
                &intermediates,
                time,
                KeyUsage::server_auth(),
                None,
                None,
            );
            let result = path.map(|_| ()).and_then(|_| match &server_name {
                Some(n) => ee.verify_is_valid_for_subject_name(n),
                None => Ok(()),
            });
            match result {
                Ok(()) => AnchorVerdict {
                    anchor_set: set.name.clone(),
                    accepted: true,
                    reason: None,
                },
                Err(e) => AnchorVerdict {
                    anchor_set: set.name.clone(),
                    accepted: false,
                    reason: Some(explain(&e, chain, name)),
                },
            }
        })
        .collect()
}

fn explain(e: &Error, chain: &[crate::model::SharedCert], name: Option<&str>) -> String {
    let top = chain.last().expect("not empty");
    let date = |secs: u64| crate::time::format_ns((secs as i64).saturating_mul(1_000_000_000));
    match e {
        Error::UnknownIssuer => format!(
            "unknown issuer: {} is not among these anchors (intermediate missing, or an untrusted CA)",
            top.issuer
        ),
        Error::CertExpired { time, not_after } => format!(
            "expired: valid until {}, checked at {}",
            date(not_after.as_secs()),
            date(time.as_secs())
        ),
        Error::CertNotValidYet { time, not_before } => format!(
            "not yet valid: from {}, checked at {}",
            date(not_before.as_secs()),
            date(time.as_secs())
        ),
        Error::CertNotValidForName(_) => format!(
            "name not covered: {} is not in the leaf's SAN",
            name.unwrap_or("?")
        ),
        Error::RequiredEkuNotFoundContext(_) => "the server-authentication EKU is missing".into(),
        Error::InvalidSignatureForPublicKey => "a signature in the chain does not verify".into(),
        Error::UnsupportedSignatureAlgorithmContext(_) => {
            "a signature algorithm is not accepted (SHA-1 or weaker?)".into()
        }
        Error::CaUsedAsEndEntity => "the leaf is a CA certificate".into(),
        other => format!("{other:?}"),
    }
}

/// A chain seen in a capture or found in a file, and what each anchor set and the MRA rules
/// say of it.
#[derive(Clone, Debug, Serialize)]
pub struct CertificateReport {
    pub input: String,
    /// Where the chain was in a capture; absent for a certificate file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<u64>,
    /// The server's address in a capture; `certificate file` for a file.
    pub server: String,
    pub sni: Option<String>,
    /// When it was checked: the time of the handshake, or for a file the time [`file_time`]
    /// chose (with why in `checked_at_basis`).
    pub checked_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checked_at_basis: Option<String>,
    pub chain: Vec<crate::model::SharedCert>,
    pub anchors: Vec<AnchorVerdict>,
    pub mra: Vec<String>,
}

/// The anchor sets, in the order they are reported: the user's CA files, the CA
/// certificates found among the inputs, the public roots.
pub fn anchor_sets(events: &[crate::model::Tagged], user_ca: &[Vec<u8>]) -> Vec<AnchorSet> {
    use crate::model::EventKind;
    let mut sets = Vec::new();
    if !user_ca.is_empty() {
        sets.push(AnchorSet {
            name: "--ca files".into(),
            certs: user_ca.to_vec(),
            public: false,
        });
    }
    // CA files only: the root at the end of a server's chain file is not a trust decision.
    let found: Vec<Vec<u8>> = events
        .iter()
        .filter_map(|t| match &t.event.kind {
            EventKind::CertificateFile { certs }
                if certs.first().is_some_and(|c| is_ca(&c.der)) =>
            {
                Some(certs)
            }
            _ => None,
        })
        .flatten()
        .filter(|c| is_ca(&c.der))
        .map(|c| c.der.to_vec())
        .collect();
    if !found.is_empty() {
        sets.push(AnchorSet {
            name: "CA certificates in the inputs".into(),
            certs: found,
            public: false,
        });
    }
    sets.push(AnchorSet::public_roots());
    sets
}

/// A value per connection, by input and stream number; the first one given is kept.
struct ByStream<T> {
    by_input: Vec<Vec<Option<T>>>,
    /// Stream numbers count connections, so none reaches the number of events; a number
    /// past it (never made by our decoders) is ignored rather than allocated for.
    bound: u64,
}

impl<T: Copy> ByStream<T> {
    fn new(bound: usize) -> Self {
        ByStream {
            by_input: Vec::new(),
            bound: bound as u64,
        }
    }

    fn first(&mut self, input: usize, stream: u64, value: T) {
        if stream >= self.bound {
            return;
        }
        if self.by_input.len() <= input {
            self.by_input.resize_with(input + 1, Vec::new);
        }
        let streams = &mut self.by_input[input];
        let at = stream as usize;
        if streams.len() <= at {
            streams.resize(at + 1, None);
        }
        streams[at].get_or_insert(value);
    }

    fn get(&self, input: usize, stream: u64) -> Option<&T> {
        self.by_input
            .get(input)?
            .get(usize::try_from(stream).ok()?)?
            .as_ref()
    }
}

/// The certificate section: every distinct chain a server sent, validated against `sets`.
pub fn section(
    inputs: &[String],
    events: &[crate::model::Tagged],
    sets: &[AnchorSet],
    domain: Option<&str>,
    clock: &Clock<'_>,
) -> Vec<CertificateReport> {
    use crate::model::EventKind;
    // One entry per server and chain: repeated connections say nothing new. (Looked up,
    // never iterated.)
    let mut seen: foldhash::HashSet<(Option<crate::model::Endpoint>, &str)> = Default::default();
    let mut out = Vec::new();
    // Each connection's server and SNI, found once: looked up per certificate, a capture of
    // many TLS connections would be read once per certificate. By input and stream number
    // (counted from 0 as Wireshark does, so a vector, not a map: a busy capture's hundred
    // thousand connections made maps of 16 MB).
    let mut servers: ByStream<crate::model::Endpoint> = ByStream::new(events.len());
    let mut snis: ByStream<&str> = ByStream::new(events.len());
    for o in events {
        match &o.event.kind {
            EventKind::TcpConnection { stream, server, .. } => {
                servers.first(o.input, *stream, *server);
            }
            EventKind::TlsClientHello {
                stream,
                sni: Some(sni),
                ..
            } => {
                snis.first(o.input, *stream, sni);
            }
            _ => {}
        }
    }
    for t in events {
        let EventKind::TlsCertificate {
            stream,
            from: crate::model::Side::Server,
            chain,
        } = &t.event.kind
        else {
            continue;
        };
        let Some(leaf) = chain.first() else { continue };
        let server = servers.get(t.input, *stream).copied();
        if !seen.insert((server, leaf.sha256.as_str())) {
            continue;
        }
        let sni: Option<String> = snis.get(t.input, *stream).map(|s| s.to_string());
        let traversal = server.and_then(|s| traversal_rule(leaf, s, sni.as_deref()));
        let server = server.map(|s| s.to_string()).unwrap_or_default();
        let at = t.event.ts.div_euclid(1_000_000_000);
        out.push(CertificateReport {
            input: inputs[t.input].clone(),
            frame: Some(t.event.frame),
            stream: Some(*stream),
            server,
            sni: sni.clone(),
            checked_at: crate::time::format_ns(t.event.ts),
            checked_at_basis: None,
            anchors: validate(chain, sni.as_deref(), at, sets),
            mra: mra_rules(leaf, sni.as_deref(), domain, at)
                .into_iter()
                .chain(traversal)
                .chain(strength_rules(chain, sets))
                .collect(),
            chain: chain.clone(),
        });
    }
    for f in file_chains(inputs, events, clock) {
        let leaf = &f.chain[0];
        let secs = f.at.div_euclid(1_000_000_000);
        out.push(CertificateReport {
            input: inputs[f.input].clone(),
            frame: None,
            stream: None,
            server: "certificate file".into(),
            sni: None,
            checked_at: crate::time::format_ns(f.at),
            checked_at_basis: Some(f.basis.to_string()),
            anchors: validate(&f.chain, None, secs, sets),
            mra: mra_rules(leaf, None, None, secs)
                .into_iter()
                .chain(strength_rules(&f.chain, sets))
                .collect(),
            chain: f.chain,
        });
    }
    out
}

impl CertificateReport {
    /// `input frame N (tcp.stream eq S)` for a capture, `input` for a file; unescaped.
    pub fn place(&self) -> String {
        match (self.frame, self.stream) {
            (Some(f), Some(s)) => format!("{} frame {f} (tcp.stream eq {s})", self.input),
            (Some(f), None) => format!("{} frame {f}", self.input),
            _ => self.input.clone(),
        }
    }

    /// The check time, with why it was chosen for a file.
    pub fn checked_at_text(&self) -> String {
        match &self.checked_at_basis {
            Some(b) => format!("{} ({b})", self.checked_at),
            None => self.checked_at.clone(),
        }
    }
}

/// A server certificate (and its intermediates) found in a file, such as a bundle's
/// `server_<host>_<timestamp>.pem`, with the time it is judged at.
pub struct FileChain {
    pub input: usize,
    pub chain: Vec<crate::model::SharedCert>,
    pub at: i64,
    pub basis: &'static str,
}

/// Every certificate file whose first certificate is not a CA (a CA file is a set of
/// anchors), with the time to judge it at.
pub fn file_chains(
    inputs: &[String],
    events: &[crate::model::Tagged],
    clock: &Clock<'_>,
) -> Vec<FileChain> {
    use crate::model::EventKind;
    events
        .iter()
        .filter_map(|t| match &t.event.kind {
            EventKind::CertificateFile { certs }
                if certs.first().is_some_and(|c| !is_ca(&c.der)) =>
            {
                let (at, basis) = clock.time_for(t.input, inputs);
                Some(FileChain {
                    input: t.input,
                    chain: certs.clone(),
                    at,
                    basis,
                })
            }
            _ => None,
        })
        .collect()
}

/// What a certificate file can be judged against in time: `--at`, and the latest UTC time
/// each input holds (a capture's last frame, a log's last line with an offset).
pub struct Clock<'a> {
    pub at: Option<i64>,
    pub latest: &'a [Option<i64>],
    /// The wall clock, read by the shell: the core never reads it. The shell gives the start
    /// of the day (UTC), so a case without a time reads the same all day long.
    pub now: i64,
}

/// The basis of a certificate file judged as of today: no input holds a time.
pub const UNDATED: &str = "today (the start of the day, UTC), as no input holds a time; give --at";

impl Clock<'_> {
    /// `--at` when given; else the latest time in the same archive (a bundle's log, as of
    /// when it was collected); else the latest time in any input; else now, which the
    /// report says.
    pub fn time_for(&self, input: usize, inputs: &[String]) -> (i64, &'static str) {
        if let Some(at) = self.at {
            return (at, "--at");
        }
        let archive = |n: &str| n.split_once(':').map(|(a, _)| a.to_string());
        let own = archive(&inputs[input]);
        let latest = |same: bool| {
            self.latest
                .iter()
                .zip(inputs)
                .filter(|(_, name)| !same || (own.is_some() && archive(name) == own))
                .filter_map(|(ts, _)| *ts)
                .max()
        };
        if let Some(ts) = latest(true) {
            return (ts, "the latest time in the same archive");
        }
        if let Some(ts) = latest(false) {
            return (ts, "the latest time in the inputs");
        }
        (self.now, UNDATED)
    }
}

/// Ports of traversal zones (7001 for the first, the next ones upward).
const TRAVERSAL_PORTS: std::ops::RangeInclusive<u16> = 7001..=7010;

/// A traversal zone whose peer address is an IP (research/mra-domain.md F41): Expressway-C
/// connects without a name (no SNI) and accepts Expressway-E's certificate only if that IP is
/// in its SAN.
pub fn traversal_rule(
    leaf: &CertSummary,
    server: crate::model::Endpoint,
    sni: Option<&str>,
) -> Option<String> {
    if sni.is_some() || !TRAVERSAL_PORTS.contains(&server.port) {
        return None;
    }
    let ip = server.ip;
    let covered = leaf.san_ip.contains(&ip) || leaf.san_dns.iter().any(|n| *n == ip.to_string());
    (!covered).then(|| {
        format!(
            "traversal zone reached at {ip}:{} without a name, and {ip} is not in the SAN: if the zone's peer address is this IP, Expressway-C rejects the certificate (\"TLS certificate identity was unacceptable\"); use the FQDN in the SAN as the peer address",
            server.port
        )
    })
}

/// MRA rules on top of Web PKI (research/mra-domain.md §1.2, F09): the leaf must cover the
/// SRV target (SNI) and carry the service domain as `<d>`, `collab-edge.<d>` or the SRV name;
/// clients check the SAN only; Expressway certificates need the Client Authentication EKU when
/// UC features are on (§1.2, S18); a close expiry is a warning.
pub fn mra_rules(
    leaf: &CertSummary,
    sni: Option<&str>,
    domain: Option<&str>,
    at_secs: i64,
) -> Vec<String> {
    let mut out = Vec::new();
    if leaf.san_dns.is_empty() {
        out.push(format!(
            "no DNS SAN at all (CN={}): clients check the SAN only",
            leaf.common_name.as_deref().unwrap_or("?")
        ));
    }
    if let Some(sni) = sni
        && !leaf.san_dns.iter().any(|p| dns_name_matches(p, sni))
    {
        out.push(format!("the SAN does not cover the SNI {sni}"));
    }
    if let Some(d) = domain {
        let forms = [
            d.to_string(),
            format!("collab-edge.{d}"),
            format!("_collab-edge._tls.{d}"),
        ];
        if !forms
            .iter()
            .any(|f| leaf.san_dns.iter().any(|p| dns_name_matches(p, f)))
        {
            out.push(format!(
                "the service domain {d} is in none of its accepted SAN forms ({})",
                forms.join(", ")
            ));
        }
    }
    if let Some(usages) = &leaf.extended_key_usage
        && !usages.iter().any(|u| u == "client_auth" || u == "any")
    {
        out.push(format!(
            "no Client Authentication EKU ({}): Expressway certificates need client and server authentication when UC features are on",
            usages.join(", ")
        ));
    }
    let days_left = (leaf.not_after - at_secs) / 86_400;
    if (0..30).contains(&days_left) {
        out.push(format!("expires within {days_left} days of the capture"));
    }
    out
}

/// Strength rules on every certificate whose signature a client checks: an RSA key under
/// 2048 bits, a SHA-1 or MD5 signature. A self-signed root is not checked, nor a certificate
/// whose key is itself a trust anchor in `sets` (a cross-signed root: the path ends there).
pub fn strength_rules(chain: &[crate::model::SharedCert], sets: &[AnchorSet]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, cert) in chain.iter().enumerate() {
        if cert.self_signed || (i > 0 && is_anchor(&cert.der, sets)) {
            continue;
        }
        let who = if i == 0 {
            "the leaf".to_string()
        } else {
            format!(
                "intermediate {}",
                cert.common_name.as_deref().unwrap_or(&cert.subject)
            )
        };
        if cert.key_algorithm == "RSA" && (1..2048).contains(&cert.key_bits) {
            out.push(format!(
                "{who} has a {}-bit RSA key: clients and the Expressway expect 2048 bits or more",
                cert.key_bits
            ));
        }
        if crate::proto::x509::is_weak_signature(&cert.signature_algorithm) {
            out.push(format!(
                "{who} is signed with {}: SHA-1 and MD5 signatures are rejected by current clients",
                cert.signature_algorithm
            ));
        }
    }
    out
}

/// Is this certificate's subject and key a trust anchor of one of the sets?
fn is_anchor(der: &[u8], sets: &[AnchorSet]) -> bool {
    let cert = CertificateDer::from(der);
    let Ok(anchor) = anchor_from_trusted_cert(&cert) else {
        return false;
    };
    let same = |a: &TrustAnchor| {
        a.subject_public_key_info == anchor.subject_public_key_info && a.subject == anchor.subject
    };
    sets.iter().any(|set| {
        if set.public {
            webpki_roots::TLS_SERVER_ROOTS.iter().any(same)
        } else {
            set.certs.iter().any(|c| {
                let c = CertificateDer::from(c.as_slice());
                anchor_from_trusted_cert(&c).is_ok_and(|a| same(&a))
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EventKind;
    use std::path::Path;

    /// A connection's first server and SNI are kept, per input; streams nothing was given
    /// for, and numbers no decoder makes (past the events' count), are none.
    #[test]
    fn connections_are_looked_up_by_input_and_stream() {
        let mut by: ByStream<u16> = ByStream::new(10);
        by.first(1, 3, 443);
        by.first(1, 3, 8443);
        by.first(0, 0, 5222);
        by.first(2, 10, 5061);
        assert_eq!(by.get(1, 3), Some(&443));
        assert_eq!(by.get(0, 0), Some(&5222));
        assert_eq!(by.get(0, 3), None);
        assert_eq!(by.get(1, 2), None);
        assert_eq!(by.get(2, 10), None);
        assert_eq!(by.get(5, 0), None);
        assert_eq!(by.get(1, u64::MAX), None);
    }

    fn sample_chain(sample: &str) -> (Vec<crate::model::SharedCert>, i64) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("samples")
            .join(sample)
            .join("capture.pcap");
        let decoded = crate::capture::decode(std::fs::File::open(path).unwrap());
        decoded
            .events
            .into_iter()
            .find_map(|e| match e.kind {
                EventKind::TlsCertificate { chain, .. } => Some((chain, e.ts / 1_000_000_000)),
                _ => None,
            })
            .expect("a certificate in the sample")
    }

    fn lab_ca() -> AnchorSet {
        let pem =
            std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/lab/certs/ca.pem"))
                .unwrap();
        AnchorSet {
            name: "lab CA".into(),
            certs: parse_certificates(&pem),
            public: false,
        }
    }

    #[test]
    fn a_good_chain_is_accepted_by_its_ca_and_not_by_the_public_roots() {
        let (chain, at) = sample_chain("happy-tls12");
        let v = validate(
            &chain,
            Some("expe1.example.com"),
            at,
            &[lab_ca(), AnchorSet::public_roots()],
        );
        assert!(v[0].accepted, "{v:?}");
        assert!(
            !v[1].accepted
                && v[1]
                    .reason
                    .as_deref()
                    .unwrap()
                    .starts_with("unknown issuer"),
            "{v:?}"
        );
    }

    #[test]
    fn the_same_chain_at_two_times_gives_two_answers() {
        let (chain, at) = sample_chain("happy-tls12");
        let later = chain[0].not_after + 86_400;
        assert!(validate(&chain, None, at, &[lab_ca()])[0].accepted);
        let v = validate(&chain, None, later, &[lab_ca()]);
        assert!(
            v[0].reason.as_deref().unwrap().starts_with("expired"),
            "{v:?}"
        );
    }

    #[test]
    fn precise_reasons_for_untrusted_expired_and_wrong_name() {
        let (chain, at) = sample_chain("tls-untrusted");
        let v = validate(&chain, Some("expe1.example.com"), at, &[lab_ca()]);
        assert!(
            v[0].reason.as_deref().unwrap().contains("Temporary CA"),
            "{v:?}"
        );
        let (chain, at) = sample_chain("tls-expired");
        assert!(
            validate(&chain, Some("expe1.example.com"), at, &[lab_ca()])[0]
                .reason
                .as_deref()
                .unwrap()
                .starts_with("expired")
        );
        let (chain, at) = sample_chain("tls-name-mismatch");
        let v = validate(&chain, Some("expe1.example.com"), at, &[lab_ca()]);
        assert!(
            v[0].reason
                .as_deref()
                .unwrap()
                .starts_with("name not covered"),
            "{v:?}"
        );
    }

    #[test]
    fn mra_name_rules() {
        let (chain, at) = sample_chain("tls-name-mismatch");
        let rules = mra_rules(
            &chain[0],
            Some("expe1.example.com"),
            Some("example.com"),
            at,
        );
        assert!(
            rules.iter().any(|r| r.contains("does not cover the SNI")),
            "{rules:?}"
        );
        assert!(
            rules.iter().any(|r| r.contains("collab-edge.example.com")),
            "{rules:?}"
        );
        let (good, at) = sample_chain("happy-tls12");
        assert!(mra_rules(&good[0], Some("expe1.example.com"), Some("example.com"), at).is_empty());
        // The SRV name is an accepted form of the service domain; the SNI still needs its own.
        let srv_named = CertSummary {
            san_dns: vec![
                "expe1.example.com".into(),
                "_collab-edge._tls.example.com".into(),
            ],
            ..(*good[0]).clone()
        };
        assert!(
            mra_rules(
                &srv_named,
                Some("expe1.example.com"),
                Some("example.com"),
                at
            )
            .is_empty()
        );
        let srv_only = CertSummary {
            san_dns: vec!["_collab-edge._tls.example.com".into()],
            ..(*good[0]).clone()
        };
        assert_eq!(
            mra_rules(
                &srv_only,
                Some("expe1.example.com"),
                Some("example.com"),
                at
            ),
            ["the SAN does not cover the SNI expe1.example.com"]
        );
    }

    #[test]
    fn a_traversal_peer_reached_by_ip_must_be_in_the_san() {
        use crate::model::Endpoint;
        let (good, _) = sample_chain("happy-tls12");
        let at = |ip: &str, port| Endpoint {
            ip: ip.parse().unwrap(),
            port,
        };
        // No name sent, IP not in the SAN, traversal port: the F41 finding, naming the IP.
        let rule = traversal_rule(&good[0], at("203.0.113.10", 7001), None).unwrap();
        assert!(rule.contains("203.0.113.10 is not in the SAN"), "{rule}");
        // A name was sent, or the port is not a traversal zone's: nothing to say.
        assert!(
            traversal_rule(
                &good[0],
                at("203.0.113.10", 7001),
                Some("expe1.example.com")
            )
            .is_none()
        );
        assert!(traversal_rule(&good[0], at("203.0.113.10", 8443), None).is_none());
        // The IP in the SAN (as an IP entry, or written as a DNS entry) covers it.
        let with_ip = CertSummary {
            san_ip: vec!["203.0.113.10".parse().unwrap()],
            ..(*good[0]).clone()
        };
        assert!(traversal_rule(&with_ip, at("203.0.113.10", 7001), None).is_none());
        let with_text = CertSummary {
            san_dns: vec!["203.0.113.10".into()],
            ..(*good[0]).clone()
        };
        assert!(traversal_rule(&with_text, at("203.0.113.10", 7002), None).is_none());
    }

    #[test]
    fn mra_strength_rules() {
        let pem = include_bytes!("proto/fixtures/weak-leaf.pem");
        let (weak, _) = crate::proto::x509::summarize(&parse_certificates(pem)[0]);
        let rules = mra_rules(&weak, Some("expe1.example.com"), Some("example.com"), 0);
        assert_eq!(rules.len(), 1, "{rules:?}");
        assert!(rules[0].starts_with("no Client Authentication EKU (server_auth)"));
        let strength = strength_rules(&[weak.clone().into()], &[]);
        assert_eq!(strength.len(), 2, "{strength:?}");
        assert!(strength[0].starts_with("the leaf has a 1024-bit RSA key"));
        assert!(strength[1].starts_with("the leaf is signed with sha1WithRSAEncryption"));
        // Behind a good leaf, the same certificate as an intermediate is named; as a
        // self-signed root, or as a trust anchor of a set, its own signature is not judged.
        let (good, _) = sample_chain("happy-tls12");
        let strength = strength_rules(&[good[0].clone(), weak.clone().into()], &[]);
        assert_eq!(strength.len(), 2, "{strength:?}");
        assert!(strength[0].starts_with("intermediate expe1.example.com has a 1024-bit"));
        let root = CertSummary {
            self_signed: true,
            ..weak.clone()
        };
        assert!(strength_rules(&[good[0].clone(), root.into()], &[]).is_empty());
        let trusted = AnchorSet {
            name: "weak as an anchor".into(),
            certs: vec![weak.der.to_vec()],
            public: false,
        };
        assert!(strength_rules(&[good[0].clone(), weak.clone().into()], &[trusted]).is_empty());
        // The lab leaves: EC keys, SHA-256, client and server authentication.
        assert_eq!(good[0].key_algorithm, "EC");
        assert_eq!(good[0].signature_algorithm, "ecdsa-with-SHA256");
        let no_eku = CertSummary {
            extended_key_usage: None,
            ..weak
        };
        let rules = mra_rules(&no_eku, Some("expe1.example.com"), None, 0);
        assert!(!rules.iter().any(|r| r.contains("EKU")), "{rules:?}");
    }

    #[test]
    fn pem_der_and_ca_detection() {
        let pem =
            std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/lab/certs/ca.pem"))
                .unwrap();
        let ders = parse_certificates(&pem);
        assert_eq!(ders.len(), 1);
        assert!(is_ca(&ders[0]));
        assert_eq!(parse_certificates(&ders[0]).len(), 1, "DER as is");
        assert!(parse_certificates(b"not a certificate").is_empty());
    }

    /// 40,000 TLS connections to one server with one chain: one entry, each connection's
    /// server and SNI found without reading every event per certificate (which took minutes;
    /// the bench records the time).
    #[test]
    fn many_connections_with_one_chain_give_one_entry() {
        use crate::model::{Endpoint, Event, Side, Tagged, TcpOutcome};
        let (chain, at) = sample_chain("happy-tls12");
        let server = Endpoint {
            ip: "10.77.0.10".parse().unwrap(),
            port: 8443,
        };
        let mut events = Vec::new();
        for stream in 0..40_000u64 {
            let client = Endpoint {
                ip: "10.77.0.2".parse().unwrap(),
                port: (1024 + stream % 60_000) as u16,
            };
            let ts = at * 1_000_000_000 + stream as i64;
            let mut push = |kind| {
                events.push(Tagged {
                    input: 0,
                    event: Event {
                        frame: stream,
                        ts,
                        kind,
                    },
                })
            };
            push(EventKind::TcpConnection {
                stream,
                client,
                server,
                outcome: TcpOutcome::Established,
                syn_count: 1,
                first_rst: None,
                first_fin: None,
                bytes_client: 1,
                bytes_server: 1,
                last_frame: stream,
                last_ts: ts,
                icmp: None,
            });
            push(EventKind::TlsClientHello {
                stream,
                sni: Some("expe1.example.com".into()),
                legacy_version: 0x0303,
                supported_versions: Box::default(),
                alpn: Box::default(),
            });
            push(EventKind::TlsCertificate {
                stream,
                from: Side::Server,
                chain: chain.clone(),
            });
        }
        let latest = [Some(at * 1_000_000_000)];
        let clock = Clock {
            at: None,
            latest: &latest,
            now: 0,
        };
        let report = section(
            &["c.pcap".into()],
            &events,
            &[lab_ca()],
            Some("example.com"),
            &clock,
        );
        assert_eq!(report.len(), 1);
        assert_eq!(report[0].sni.as_deref(), Some("expe1.example.com"));
        assert_eq!(report[0].server, "10.77.0.10:8443");
    }
}
