//! TLS key logs in the NSS format (`SSLKEYLOGFILE` of curl, browsers, openssl `-keylogfile`;
//! a pcapng Decryption Secrets Block carries the same text): one secret per line,
//! `LABEL <client random, 64 hex> <secret, hex>`, keyed by the ClientHello's random.

use std::collections::HashMap;

/// The secrets one handshake (one client random) logged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Secrets {
    /// TLS 1.2 and earlier: the 48-byte master secret (`CLIENT_RANDOM`).
    pub master: Option<Vec<u8>>,
    /// TLS 1.3 traffic secrets.
    pub client_handshake: Option<Vec<u8>>,
    pub server_handshake: Option<Vec<u8>>,
    pub client_traffic: Option<Vec<u8>>,
    pub server_traffic: Option<Vec<u8>>,
}

/// Every secret of the key logs given, by client random.
#[derive(Clone, Debug, Default)]
pub struct KeyLog {
    by_random: HashMap<[u8; 32], Secrets>,
}

/// A line that is not a key log entry: its 1-based number and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadLine {
    pub line: usize,
    pub reason: String,
}

const LABELS: [&str; 8] = [
    "CLIENT_RANDOM",
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
    "SERVER_HANDSHAKE_TRAFFIC_SECRET",
    "CLIENT_TRAFFIC_SECRET_0",
    "SERVER_TRAFFIC_SECRET_0",
    "EXPORTER_SECRET",
    "CLIENT_EARLY_TRAFFIC_SECRET",
    "EARLY_EXPORTER_SECRET",
];

/// Whether a text is a key log: its first line that is not blank or a comment is an entry.
pub fn looks_like_keylog(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .is_some_and(|l| {
            let mut parts = l.split_ascii_whitespace();
            let label = parts.next().unwrap_or_default();
            let random = parts.next().unwrap_or_default();
            LABELS.contains(&label) && random.len() == 64 && hex(random).is_some()
        })
}

impl KeyLog {
    pub fn is_empty(&self) -> bool {
        self.by_random.is_empty()
    }

    /// How many handshakes have secrets.
    pub fn len(&self) -> usize {
        self.by_random.len()
    }

    pub fn get(&self, client_random: &[u8; 32]) -> Option<&Secrets> {
        self.by_random.get(client_random)
    }

    /// Add the entries of one key log text; lines that are not entries are returned (a key
    /// log may hold labels we do not use, which are not errors).
    pub fn add_text(&mut self, text: &str) -> Vec<BadLine> {
        let mut bad = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Err(reason) = self.add_line(line) {
                bad.push(BadLine {
                    line: n + 1,
                    reason,
                });
            }
        }
        bad
    }

    fn add_line(&mut self, line: &str) -> Result<(), String> {
        let mut parts = line.split_ascii_whitespace();
        let (Some(label), Some(random), Some(secret), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("not three fields (LABEL client_random secret)".into());
        };
        if !LABELS.contains(&label) {
            // `RSA` pre-master entries and future labels: not usable here, not an error.
            return if label
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
            {
                Ok(())
            } else {
                Err(format!("unknown label {label:?}"))
            };
        }
        let random: [u8; 32] = hex(random)
            .and_then(|r| r.try_into().ok())
            .ok_or("the client random is not 64 hex digits")?;
        let secret = hex(secret).ok_or("the secret is not hex")?;
        let valid_len = match label {
            "CLIENT_RANDOM" => secret.len() == 48,
            // SHA-256 or SHA-384 suites.
            _ => secret.len() == 32 || secret.len() == 48,
        };
        if !valid_len {
            return Err(format!("a {label} of {} bytes", secret.len()));
        }
        let entry = self.by_random.entry(random).or_default();
        let slot = match label {
            "CLIENT_RANDOM" => &mut entry.master,
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET" => &mut entry.client_handshake,
            "SERVER_HANDSHAKE_TRAFFIC_SECRET" => &mut entry.server_handshake,
            "CLIENT_TRAFFIC_SECRET_0" => &mut entry.client_traffic,
            "SERVER_TRAFFIC_SECRET_0" => &mut entry.server_traffic,
            _ => return Ok(()),
        };
        *slot = Some(secret);
        Ok(())
    }

    pub fn merge(&mut self, other: KeyLog) {
        for (random, s) in other.by_random {
            let e = self.by_random.entry(random).or_default();
            for (mine, theirs) in [
                (&mut e.master, s.master),
                (&mut e.client_handshake, s.client_handshake),
                (&mut e.server_handshake, s.server_handshake),
                (&mut e.client_traffic, s.client_traffic),
                (&mut e.server_traffic, s.server_traffic),
            ] {
                if mine.is_none() {
                    *mine = theirs;
                }
            }
        }
    }
}

pub(crate) fn hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const R1: &str = "52362c10a2665e323a2adb4b9da0c10d4a8823719272f8b4c97af24f92784812";
    const R2: &str = "aa362c10a2665e323a2adb4b9da0c10d4a8823719272f8b4c97af24f927848ff";

    #[test]
    fn entries_of_tls_1_2_and_1_3_by_client_random() {
        let text = format!(
            "# SSL/TLS secrets log file, generated by NSS\n\
             CLIENT_RANDOM {R1} {}\n\
             \n\
             CLIENT_HANDSHAKE_TRAFFIC_SECRET {R2} {}\n\
             SERVER_HANDSHAKE_TRAFFIC_SECRET {R2} {}\n\
             CLIENT_TRAFFIC_SECRET_0 {R2} {}\n\
             SERVER_TRAFFIC_SECRET_0 {R2} {}\n\
             EXPORTER_SECRET {R2} {}\n",
            "ab".repeat(48),
            "01".repeat(32),
            "02".repeat(32),
            "03".repeat(48),
            "04".repeat(32),
            "05".repeat(32),
        );
        assert!(looks_like_keylog(text.as_bytes()));
        let mut log = KeyLog::default();
        assert_eq!(log.add_text(&text), vec![]);
        assert_eq!(log.len(), 2);
        let r1: [u8; 32] = hex(R1).unwrap().try_into().unwrap();
        assert_eq!(log.get(&r1).unwrap().master, Some(vec![0xab; 48]));
        let r2: [u8; 32] = hex(R2).unwrap().try_into().unwrap();
        let s = log.get(&r2).unwrap();
        assert_eq!(s.client_handshake, Some(vec![1; 32]));
        assert_eq!(s.client_traffic, Some(vec![3; 48]));
        assert_eq!(s.master, None);
    }

    #[test]
    fn bad_lines_are_named_and_the_good_ones_kept() {
        let text = format!(
            "CLIENT_RANDOM {R1} {}\nCLIENT_RANDOM {R1}\nCLIENT_RANDOM zz{} {}\nCLIENT_RANDOM {R2} {}\nhello world\nRSA 0102 0304\n",
            "ab".repeat(48),
            &R1[2..],
            "ab".repeat(48),
            "ab".repeat(47),
        );
        let mut log = KeyLog::default();
        let bad = log.add_text(&text);
        let lines: Vec<usize> = bad.iter().map(|b| b.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 5], "{bad:?}");
        assert!(bad[2].reason.contains("47 bytes"), "{bad:?}");
        assert_eq!(log.len(), 1);
    }

    #[test]
    fn a_text_that_is_not_a_key_log() {
        assert!(!looks_like_keylog(
            b"2026-12-04T10:00:00Z expe tvcs: Event=\"x\"\n"
        ));
        assert!(!looks_like_keylog(b"# only a comment\n"));
        assert!(!looks_like_keylog(b"CLIENT_RANDOM 1234 5678\n"));
    }
}
