//! A capture beside Expressway bundles of the same hours that are not about its clients: an
//! engineer's client capture and a customer's busy cluster, or Expressway-E's own tcpdump
//! and a bundle of another day's cluster. Other clients' requests share ports and spacings
//! with the capture's by chance; none of them may be said to be the capture's (a clock
//! offset found that way is a confident wrong answer, and the ladder would shift every line
//! by it).

use mradiag::analyze;
use mradiag::logs::signatures::Catalog;
use mradiag::report::Report;
use mradiag::synth::bundle::{BundleSpec, Generated, generate};
use mradiag::synth::busy::{BusySpec, write_busy_capture};
use std::path::{Path, PathBuf};

/// A generated cluster of 800 users over 90 minutes (shape, domain and hosts from the seed),
/// its boxes' logs written into `dir` as a bundle's files.
fn bundle_in(dir: &Path, seed: u64) -> (Generated, Vec<PathBuf>) {
    let g = generate(&BundleSpec {
        seed,
        users: 800,
        minutes: 90,
        planted: Vec::new(),
        also_healthy: true,
        routine_per_minute: 0,
    });
    std::fs::create_dir_all(dir).unwrap();
    let paths = g
        .boxes
        .iter()
        .map(|b| {
            let path = dir.join(format!(
                "loggingsnapshot_{}_2026-11-26_08-00-00.txt",
                b.host
            ));
            std::fs::write(&path, &b.log).unwrap();
            path
        })
        .collect();
    (g, paths)
}

/// The service domain the generator chose.
fn domain_of(g: &Generated) -> &str {
    g.shape
        .split("domain ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .expect("the shape names the domain")
}

/// What the report says under `id`, at the top and in every session.
fn said<'r>(report: &'r Report, id: &str) -> Vec<&'r str> {
    report
        .findings
        .iter()
        .chain(report.sessions.iter().flat_map(|s| &s.findings))
        .filter(|f| f.id == id)
        .map(|f| f.summary.as_str())
        .collect()
}

/// The files decoded and judged (no ladders), then `dir` removed.
fn judged(paths: &[PathBuf], dir: &Path) -> Report {
    let catalog = Catalog::builtin();
    let decoded = analyze::decode_inputs(paths, catalog);
    std::fs::remove_dir_all(dir).unwrap();
    let options = analyze::Options {
        skip_ladders: true,
        ..Default::default()
    };
    analyze::judge(decoded, catalog, &options)
}

#[test]
fn other_clients_requests_in_a_busy_bundle_are_never_paired_with_the_capture() {
    let (mut same_domain, mut other_domain) = (0, 0);
    for seed in [1u64, 4, 8] {
        let dir = std::env::temp_dir().join(format!("mradiag-mixes-{}-{seed}", std::process::id()));
        let (g, mut paths) = bundle_in(&dir, seed);
        // A busy network's sign-ins, from ten minutes into the logs.
        let capture = dir.join("client.pcap");
        let file = std::io::BufWriter::new(std::fs::File::create(&capture).unwrap());
        write_busy_capture(
            BusySpec {
                size_bytes: 3 << 20,
                seed,
                control_percent: 100,
                start_us: (g.start / 1_000 + 600_000_000) as u64,
                // The ephemeral ports the bundle's clients use too: some collide.
                first_port: 49_152,
                ..BusySpec::default()
            },
            file,
        )
        .unwrap();
        paths.push(capture);
        let report = judged(&paths, &dir);
        let attempts = report
            .sessions
            .iter()
            .filter(|s| s.start_ns >= g.start)
            .count();
        assert!(
            attempts > 20,
            "seed {seed}: the capture's attempts fall in the logs' hours ({attempts})"
        );
        let domain = domain_of(&g);
        let captured = |s: &&mradiag::report::Session| {
            s.client.starts_with("10.2.") || s.client.starts_with("fd00::1:")
        };
        if domain == "example.com" {
            // The capture's deployment (its clients look up _collab-edge._tls.example.com):
            // hundreds of its other users' lines fall in a busy capture's attempts, and each
            // note names a few and counts the rest.
            same_domain += 1;
            let others: Vec<&str> = said(&report, "sessions.other_users");
            assert!(
                others.iter().any(|s| s.contains(" more fall in")),
                "seed {seed}"
            );
            assert!(
                others.iter().all(|s| s.len() < 600),
                "seed {seed}: {:?}",
                others.iter().max_by_key(|s| s.len())
            );
            // None of the bundle's users is the capture's clients', and nothing ties one to
            // them: no capture session is said to be a user's (the nearest of dozens in the
            // window would be a guess naming the wrong person, with their faults).
            let guessed: Vec<String> = report
                .sessions
                .iter()
                .filter(captured)
                .filter(|s| s.user.is_some())
                .map(|s| format!("{} as {:?}", s.client, s.user))
                .collect();
            assert!(guessed.len() <= 2, "seed {seed}: {guessed:?}");
        } else {
            // Another deployment's (its requests name {domain}): none of its users or lines
            // is taken for a capture's sign-in.
            other_domain += 1;
            let joined: Vec<String> = report
                .sessions
                .iter()
                .filter(captured)
                .filter(|s| s.user.is_some())
                .map(|s| format!("{} as {:?}: {}", s.client, s.user, s.verdict.summary))
                .collect();
            assert!(joined.is_empty(), "seed {seed}: {joined:?}");
        }
        let offsets: Vec<&str> = said(&report, "clock.offset");
        assert!(
            offsets.is_empty(),
            "seed {seed}: {} clock offsets from other clients' requests, the first: {}",
            offsets.len(),
            offsets[0]
        );
    }
    // The seeds give both: a bundle of the capture's deployment, and of another.
    assert!(
        same_domain > 0 && other_domain > 0,
        "{same_domain} / {other_domain}"
    );
}

/// Expressway-E's capture of a busy hour holds other clients' connections at every spacing:
/// a client capture of the same hour whose clients it did not see is not paired with it.
#[test]
fn an_expressway_capture_of_other_clients_is_not_paired_with_the_client_capture() {
    for seed in 1..=3u64 {
        let dir =
            std::env::temp_dir().join(format!("mradiag-mixes-e-{}-{seed}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // Expressway-E's own capture of a busy hour, and a capture of a few other clients'
        // sign-ins in the same hour.
        let write = |name: &str, size_bytes: u64, seed: u64| {
            let path = dir.join(name);
            let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
            write_busy_capture(
                BusySpec {
                    size_bytes,
                    seed,
                    control_percent: 100,
                    ..BusySpec::default()
                },
                file,
            )
            .unwrap();
            path
        };
        let paths = vec![
            write(
                "eth0_diagnostic_logging_tcpdump00_expe01_2026-11-24.pcap",
                4 << 20,
                seed,
            ),
            write("client.pcap", 48 << 10, seed + 100),
        ];
        let report = judged(&paths, &dir);
        assert!(!report.sessions.is_empty(), "seed {seed}: no session");
        let paired: Vec<&str> = said(&report, "capture.expressway_view");
        assert!(paired.is_empty(), "seed {seed}: {paired:?}");
    }
}

/// A user's Jabber log (local times, no zone) beside a busy cluster's bundle of the same
/// domain: Expressway-E logged thousands of get_edge_config requests for that domain, and
/// one of them meets the user's at any offset. No zone may be inferred from them.
#[test]
fn a_jabber_log_takes_no_zone_from_a_busy_bundle_of_its_domain() {
    use base64::Engine;
    for seed in 1..=3u64 {
        let dir =
            std::env::temp_dir().join(format!("mradiag-mixes-j-{}-{seed}", std::process::id()));
        let (g, mut paths) = bundle_in(&dir, seed);
        let domain = domain_of(&g);
        let route = base64::engine::general_purpose::STANDARD_NO_PAD.encode(domain);
        // Lines as Jabber for Windows writes them (samples/merged-capture-jabber-zone).
        let jabber = dir.join("csf-unified.log");
        let mut log = String::new();
        for (n, at) in ["06:19:54,668", "06:20:31,204"].iter().enumerate() {
            log.push_str(&format!(
                "2026-11-26 {at} INFO  [0x00002fd0] [etutils\\src\\http\\CurlHttpUtils.cpp(1087)] [csf.httpclient] [csf::http::CurlHttpUtils::configureEasyRequest] - *-----* Configuring request #{n} GET https://expe.{domain}:8443/{route}/get_edge_config?service_name=_cisco-uds&service_name=_cuplogin\n"
            ));
        }
        std::fs::write(&jabber, log).unwrap();
        paths.push(jabber);
        let report = judged(&paths, &dir);
        let zones: Vec<&str> = said(&report, "clock.local_zone");
        assert!(zones.is_empty(), "seed {seed}: {zones:?}");
    }
}
