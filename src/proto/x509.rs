//! X.509 certificate summaries from DER, with x509-parser; only our `CertSummary` leaves here.

use crate::model::{CertSummary, SharedCert};
use sha2::{Digest, Sha256};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

/// Certificates summarized per thread, by their DER: a server sends the same chain on every
/// connection (hundreds of sign-ins to one Expressway-E), and parsing it is the costliest
/// step of decoding a handshake. The summary is a function of the bytes alone, so reusing
/// it changes nothing in the output.
type Memo = foldhash::HashMap<std::sync::Arc<[u8]>, (SharedCert, Option<String>)>;

thread_local! {
    // foldhash's per-process seed: a crafted capture cannot aim at its collisions.
    static SEEN: std::cell::RefCell<(Memo, usize)> = std::cell::RefCell::default();
}

/// The DER bytes the memo holds before it starts again (a capture of many servers, or of
/// huge crafted certificates).
const MEMO_MAX_BYTES: usize = 8 << 20;

/// [`summarize`], remembered per thread by the DER's bytes: every connection to a server
/// gets the same summary, shared.
pub fn summarize_seen(der: &[u8]) -> (SharedCert, Option<String>) {
    SEEN.with(|seen| {
        let (seen, held) = &mut *seen.borrow_mut();
        if let Some(hit) = seen.get(der) {
            return hit.clone();
        }
        if *held + der.len() > MEMO_MAX_BYTES {
            seen.clear();
            *held = 0;
        }
        let (summary, problem) = summarize(der);
        let summary = (SharedCert::new(summary), problem);
        *held += der.len();
        seen.insert(summary.0.der.clone(), summary.clone());
        summary
    })
}

/// Summarize a certificate; one that does not parse still gets its fingerprint, so it can be
/// named, and the error.
pub fn summarize(der: &[u8]) -> (CertSummary, Option<String>) {
    let cert = match X509Certificate::from_der(der) {
        Ok((_, cert)) => cert,
        Err(e) => {
            let summary = CertSummary {
                subject: "(unparseable certificate)".into(),
                issuer: String::new(),
                common_name: None,
                san_dns: Vec::new(),
                san_ip: Vec::new(),
                not_before: 0,
                not_after: 0,
                sha256: fingerprint(der),
                self_signed: false,
                key_algorithm: String::new(),
                key_bits: 0,
                signature_algorithm: String::new(),
                extended_key_usage: None,
                der: der.into(),
            };
            return (summary, Some(format!("unparseable certificate: {e}")));
        }
    };
    let subject = cert.subject().to_string();
    let issuer = cert.issuer().to_string();
    let common_name = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_string);
    let mut san_dns = Vec::new();
    let mut san_ip = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(d) => san_dns.push(d.to_string()),
                GeneralName::IPAddress(bytes) => match bytes.len() {
                    4 => san_ip.push(<[u8; 4]>::try_from(*bytes).expect("4 bytes").into()),
                    16 => san_ip.push(<[u8; 16]>::try_from(*bytes).expect("16 bytes").into()),
                    _ => {}
                },
                _ => {}
            }
        }
    }
    let sha256 = fingerprint(der);
    let (key_algorithm, key_bits) = match cert.public_key().parsed() {
        Ok(key @ PublicKey::RSA(_)) => ("RSA", key.key_size()),
        Ok(key @ PublicKey::EC(_)) => ("EC", key.key_size()),
        Ok(key @ PublicKey::DSA(_)) => ("DSA", key.key_size()),
        _ => ("other", 0),
    };
    let summary = CertSummary {
        key_algorithm: key_algorithm.into(),
        key_bits: u32::try_from(key_bits).unwrap_or(0),
        signature_algorithm: signature_name(&cert.signature_algorithm.algorithm.to_id_string()),
        extended_key_usage: extended_key_usage(&cert),
        self_signed: subject == issuer,
        der: der.into(),
        subject,
        issuer,
        common_name,
        san_dns,
        san_ip,
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        sha256,
    };
    (summary, None)
}

/// Names for the signature algorithms certificates use; others keep their dotted OID.
fn signature_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "Ed25519",
        other => other,
    }
    .to_string()
}

/// Does this signature algorithm hash with SHA-1 or MD5, which clients no longer accept?
pub fn is_weak_signature(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.contains("sha1") || lower.contains("md5")
}

fn extended_key_usage(cert: &X509Certificate) -> Option<Vec<String>> {
    let eku = cert.extended_key_usage().ok()??.value;
    let flags = [
        (eku.server_auth, "server_auth"),
        (eku.client_auth, "client_auth"),
        (eku.code_signing, "code_signing"),
        (eku.email_protection, "email_protection"),
        (eku.time_stamping, "time_stamping"),
        (eku.ocsp_signing, "ocsp_signing"),
        (eku.any, "any"),
    ];
    let mut out: Vec<String> = flags
        .iter()
        .filter(|(set, _)| *set)
        .map(|(_, name)| name.to_string())
        .collect();
    out.extend(eku.other.iter().map(|oid| oid.to_id_string()));
    Some(out)
}

fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Does `name` match `pattern` (a DNS SAN, possibly a leftmost `*.` wildcard), case-insensitively?
pub fn dns_name_matches(pattern: &str, name: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if let Some(rest) = pattern.strip_prefix("*.") {
        match name.split_once('.') {
            Some((first, tail)) => !first.is_empty() && tail == rest,
            None => false,
        }
    } else {
        pattern == name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_cover_one_label_only() {
        assert!(dns_name_matches("*.example.com", "expe.example.com"));
        assert!(!dns_name_matches("*.example.com", "a.b.example.com"));
        assert!(!dns_name_matches("*.example.com", "example.com"));
        assert!(dns_name_matches("ExpE.example.com.", "expe.EXAMPLE.com"));
    }

    #[test]
    fn key_signature_and_usages_of_a_weak_leaf() {
        let pem = include_bytes!("fixtures/weak-leaf.pem");
        let der = crate::certs::parse_certificates(pem).remove(0);
        let (summary, problem) = summarize(&der);
        assert_eq!(problem, None);
        assert_eq!(
            (summary.key_algorithm.as_str(), summary.key_bits),
            ("RSA", 1024)
        );
        assert_eq!(summary.signature_algorithm, "sha1WithRSAEncryption");
        assert!(is_weak_signature(&summary.signature_algorithm));
        assert_eq!(summary.extended_key_usage, Some(vec!["server_auth".into()]));
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(summarize(&[0x30, 0x03, 1, 2, 3]).1.is_some());
    }

    /// An unparseable certificate has no dates: never "expired", never "valid 1970–1970".
    #[test]
    fn an_unparseable_certificate_has_no_validity_to_judge() {
        let (c, problem) = summarize(b"\x30\x82\x01\x00not a certificate");
        assert!(problem.is_some());
        assert!(!c.parsed());
        assert!(!c.outside_validity(1_800_000_000));
        assert_eq!(
            c.validity_text(),
            "validity unknown (the certificate did not parse)"
        );
    }

    /// The remembered summary is the parsed one, for a certificate seen again, another one
    /// and one that does not parse.
    #[test]
    fn a_remembered_summary_is_the_parsed_one() {
        let pem = include_bytes!("fixtures/weak-leaf.pem");
        let der = crate::certs::parse_certificates(pem).remove(0);
        let garbage = b"\x30\x82\x01\x00not a certificate".to_vec();
        let mut other = der.clone();
        let last = other.len() - 1;
        other[last] ^= 1;
        for input in [&der, &garbage, &other, &der, &garbage, &other] {
            let (seen, seen_problem) = summarize_seen(input);
            let (parsed, problem) = summarize(input);
            assert_eq!(seen.der, parsed.der);
            assert_eq!(seen.sha256, parsed.sha256);
            assert_eq!(seen.subject, parsed.subject);
            assert_eq!(seen_problem, problem);
        }
        // Seen again, the same summary is handed out, not a copy.
        assert!(std::sync::Arc::ptr_eq(
            &summarize_seen(&der).0,
            &summarize_seen(&der).0
        ));
    }
}
