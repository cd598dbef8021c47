//! The busy-network capture the benches measure (`synth::busy`) is what it says: decoded, its
//! counts are the generator's truth, its chains hold three or four certificates, and judged,
//! its attempts fail in several ways among the successful ones, the same on any number of
//! threads.

use mradiag::analyze;
use mradiag::logs::signatures::Catalog;
use mradiag::model::EventKind;
use mradiag::report::Status;
use mradiag::synth::busy::{BusySpec, write_busy_capture};
use std::collections::{BTreeMap, BTreeSet};

#[test]
fn a_busy_capture_decodes_to_its_truth_and_judges_with_mixed_failures() {
    let mut bytes = Vec::new();
    let truth = write_busy_capture(
        BusySpec {
            size_bytes: 12 << 20,
            seed: 3,
            ..BusySpec::default()
        },
        &mut bytes,
    )
    .unwrap();
    let decoded = mradiag::capture::decode_with_keys(&bytes[..], None);
    let mut count: BTreeMap<&str, u64> = BTreeMap::new();
    let mut chain_lengths = BTreeSet::new();
    for e in &decoded.events {
        let kind = match &e.kind {
            EventKind::DnsQuery { .. } => "dns_queries",
            EventKind::DnsResponse { rcode: 3, .. } => {
                *count.entry("dns_nxdomain").or_default() += 1;
                "dns_responses"
            }
            EventKind::DnsResponse { .. } => "dns_responses",
            EventKind::TcpSyn {
                retransmission: true,
                ..
            } => "tcp_syn_retransmissions",
            EventKind::TcpSyn { .. } => "tcp_syn_first",
            EventKind::TcpSynAck { .. } => "tcp_syn_acks",
            EventKind::TcpRst { .. } => "tcp_rsts",
            EventKind::TlsClientHello { .. } => "tls_client_hellos",
            EventKind::TlsServerHello { .. } => "tls_server_hellos",
            EventKind::TlsAlert { .. } => "tls_alerts",
            EventKind::TlsCertificate { chain, .. } => {
                chain_lengths.insert(chain.len());
                continue;
            }
            _ => continue,
        };
        *count.entry(kind).or_default() += 1;
    }
    let want = [
        ("dns_queries", truth.dns_queries),
        ("dns_responses", truth.dns_responses),
        ("dns_nxdomain", truth.dns_nxdomain),
        ("tcp_syn_first", truth.tcp_syn_first),
        ("tcp_syn_retransmissions", truth.tcp_syn_retransmissions),
        ("tcp_syn_acks", truth.tcp_syn_acks),
        ("tcp_rsts", truth.tcp_rsts),
        ("tls_client_hellos", truth.tls_client_hellos),
        ("tls_server_hellos", truth.tls_server_hellos),
        ("tls_alerts", truth.tls_alerts),
    ];
    for (kind, n) in want {
        assert_eq!(count.get(kind).copied().unwrap_or(0), n, "{kind}");
    }
    assert_eq!(chain_lengths, BTreeSet::from([3, 4]));
    let share = truth.control_bytes * 100 / truth.bytes;
    assert!((10..=25).contains(&share), "{share}% control");

    let path = std::env::temp_dir().join(format!("mradiag-busy-{}.pcap", std::process::id()));
    std::fs::write(&path, &bytes).unwrap();
    let catalog = Catalog::builtin();
    // Attempts are judged on every core: one thread and three give the same bytes.
    let judged_on = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                analyze::judge(
                    analyze::decode_inputs(std::slice::from_ref(&path), catalog),
                    catalog,
                    &analyze::Options::default(),
                )
            })
    };
    let report = judged_on(3);
    assert_eq!(report.to_json(), judged_on(1).to_json());
    std::fs::remove_file(&path).ok();
    let faults: BTreeSet<&str> = report
        .sessions
        .iter()
        .filter(|s| s.verdict.status == Status::Failed)
        .filter_map(|s| s.verdict.fault.as_deref())
        .collect();
    assert!(faults.len() >= 3, "{faults:?}");
    // Certificates fail both ways: distrusted, and out of date (the one server whose
    // certificate ran out; every other chain is valid at the capture's time).
    assert!(
        faults.contains("provisioning.tls_untrusted")
            && faults.contains("provisioning.tls_expired"),
        "{faults:?}"
    );
    assert!(
        report.sessions.len() as u64 >= truth.sign_in_attempts / 2,
        "{} sessions for {} attempts",
        report.sessions.len(),
        truth.sign_in_attempts
    );
    assert!(
        report
            .sessions
            .iter()
            .any(|s| s.verdict.status != Status::Failed),
        "some sign-ins succeed"
    );
}
