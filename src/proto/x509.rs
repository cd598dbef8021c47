//! X.509 certificate summaries from DER, with x509-parser; only our `CertSummary` leaves here.

use crate::model::CertSummary;
use sha2::{Digest, Sha256};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

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
                der: der.to_vec(),
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
    let summary = CertSummary {
        self_signed: subject == issuer,
        der: der.to_vec(),
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
    fn garbage_is_an_error() {
        assert!(summarize(&[0x30, 0x03, 1, 2, 3]).1.is_some());
    }
}
