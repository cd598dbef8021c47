//! Decryption with key logs, checked against tshark: every `samples/keylog-*` capture was
//! made with a client that logged its TLS secrets (samples/make-captures.sh), and beside it
//! `tshark-facts.txt` holds what tshark reads inside TLS with the same key log. mradiag must
//! read exactly the same facts, at the same frames; and without the key log, none of them.

use mradiag::model::{Event, EventKind};
use mradiag::proto::keylog::KeyLog;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn keylog_samples() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("samples/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("keylog-"))
        })
        .collect();
    dirs.sort();
    dirs
}

/// The decrypted facts among the events, as tshark_facts.sh writes them.
fn facts(events: &[Event]) -> BTreeSet<String> {
    events
        .iter()
        .filter_map(|e| {
            let fact = match &e.kind {
                EventKind::HttpRequest { method, .. } => format!("http_request {method}"),
                EventKind::HttpResponse { code, .. } => format!("http_response {code}"),
                EventKind::SipRequest(r) => format!("sip_request {}", r.method),
                EventKind::SipResponse(r) => format!("sip_response {}", r.code),
                EventKind::XmppAuth { success, .. } => {
                    format!("xmpp_auth {}", if *success { "success" } else { "failure" })
                }
                _ => return None,
            };
            Some(format!("{} {fact}", e.frame))
        })
        .collect()
}

/// The capture of a sample: `capture.pcap`, or a `capture.pcapng` that may carry its
/// secrets itself.
fn capture_of(dir: &Path) -> PathBuf {
    let pcap = dir.join("capture.pcap");
    if pcap.exists() {
        pcap
    } else {
        dir.join("capture.pcapng")
    }
}

/// The samples with a key log beside the capture (not inside it).
fn with_keylog_file() -> Vec<PathBuf> {
    keylog_samples()
        .into_iter()
        .filter(|d| d.join("keys.log").exists())
        .collect()
}

fn keys_of(dir: &Path) -> Option<Arc<KeyLog>> {
    let text = std::fs::read_to_string(dir.join("keys.log")).ok()?;
    let mut keys = KeyLog::default();
    assert_eq!(keys.add_text(&text), vec![], "{}", dir.display());
    Some(Arc::new(keys))
}

fn decode(dir: &Path, keys: Option<Arc<KeyLog>>) -> Vec<Event> {
    let bytes = std::fs::read(capture_of(dir)).expect("a capture");
    let streamed = mradiag::capture::decode_with_keys(&bytes[..], keys.clone()).events;
    let in_place = mradiag::capture::decode_slice_with_keys(&bytes, None, keys).events;
    assert_eq!(
        serde_json::to_string(&streamed).unwrap(),
        serde_json::to_string(&in_place).unwrap(),
        "{}: streamed and in-place decoding differ",
        dir.display()
    );
    streamed
}

#[test]
fn decrypted_facts_match_tshark_with_the_same_key_log() {
    let samples = keylog_samples();
    assert!(samples.len() >= 8, "the key log samples are missing");
    for dir in samples {
        // A key log beside the capture, or the secrets a pcapng carries.
        let events = decode(&dir, keys_of(&dir));
        let ours = facts(&events);
        let reference = std::fs::read_to_string(dir.join("tshark-facts.txt")).expect("facts");
        let theirs: BTreeSet<String> = reference
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(str::to_string)
            .collect();
        assert!(!theirs.is_empty(), "{}: no reference facts", dir.display());
        assert_eq!(ours, theirs, "{}", dir.display());
        // Every record of these sessions decrypts.
        let anomalies: Vec<String> = events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Anomaly { what, detail, .. } => Some(format!("{what}: {detail}")),
                _ => None,
            })
            .collect();
        assert!(anomalies.is_empty(), "{}: {anomalies:?}", dir.display());
    }
}

#[test]
fn without_the_key_log_nothing_inside_tls_is_read() {
    // Every HTTP, XMPP login and SIP message of these samples is inside TLS.
    for dir in with_keylog_file() {
        let inside = facts(&decode(&dir, None));
        assert!(inside.is_empty(), "{}: {inside:?}", dir.display());
    }
}

#[test]
fn a_key_log_of_another_session_decrypts_nothing_and_says_nothing_wrong() {
    // The secrets are looked up by the ClientHello's random: another capture's key log
    // matches no connection here, so nothing is decrypted and no record fails.
    let samples = with_keylog_file();
    let (a, b) = (&samples[0], &samples[1]);
    let mut keys = KeyLog::default();
    keys.add_text(&std::fs::read_to_string(b.join("keys.log")).unwrap());
    let events = decode(a, Some(Arc::new(keys)));
    assert!(facts(&events).is_empty(), "{}", a.display());
    let anomalies: Vec<&EventKind> = events
        .iter()
        .map(|e| &e.kind)
        .filter(|k| matches!(k, EventKind::Anomaly { .. }))
        .collect();
    assert!(anomalies.is_empty(), "{}: {anomalies:?}", a.display());
}

#[test]
fn a_wrong_secret_for_the_right_handshake_is_an_anomaly_not_a_panic() {
    for dir in with_keylog_file() {
        let text = std::fs::read_to_string(dir.join("keys.log")).unwrap();
        // Same client randoms, every secret's first byte flipped.
        let broken: String = text
            .lines()
            .map(|l| {
                let mut parts: Vec<String> = l.split(' ').map(str::to_string).collect();
                if parts.len() == 3 {
                    let first = if parts[2].starts_with('0') { "1" } else { "0" };
                    parts[2].replace_range(0..1, first);
                }
                parts.join(" ") + "\n"
            })
            .collect();
        let mut keys = KeyLog::default();
        keys.add_text(&broken);
        let events = decode(&dir, Some(Arc::new(keys)));
        assert!(
            events.iter().any(|e| matches!(
                &e.kind,
                EventKind::Anomaly { what, .. } if what == "tls_decrypt_failed"
            )),
            "{}",
            dir.display()
        );
        assert_eq!(facts(&events), BTreeSet::new(), "{}", dir.display());
    }
}

#[test]
fn secrets_inside_a_pcapng_decrypt_it_and_are_counted() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/keylog-embedded-sip-403");
    let bytes = std::fs::read(dir.join("capture.pcapng")).unwrap();
    let decoded = mradiag::capture::decode_slice_with_keys(&bytes, None, None);
    assert_eq!(decoded.info.embedded_secrets, Some(2));
    assert!(facts(&decoded.events).contains("37 sip_response 403"));
}
