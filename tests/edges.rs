//! Expressway-E named rather than discovered: `--edge HOST[:PORT]` and the addresses in
//! Expressway-E's configuration dump make a capture without discovery judgeable, and without
//! them the report says which TLS connections it could not place. On lab captures
//! (`samples/edge-443-cached`: MRA on 443 with an untrusted certificate; `samples/cached-discovery`).

use mradiag::analyze;
use mradiag::logs::signatures::Catalog;
use mradiag::mra::EdgeSpec;
use mradiag::report::Report;
use std::path::{Path, PathBuf};

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

fn judge(inputs: &[PathBuf], edges: &[&str]) -> Report {
    let options = analyze::Options {
        edges: edges.iter().map(|e| EdgeSpec::parse(e).unwrap()).collect(),
        ..Default::default()
    };
    analyze::judge(
        analyze::decode_inputs(inputs, Catalog::builtin()),
        Catalog::builtin(),
        &options,
    )
}

fn finding<'r>(r: &'r Report, id: &str) -> Option<&'r str> {
    r.findings
        .iter()
        .find(|f| f.id == id)
        .map(|f| f.summary.as_str())
}

fn verdict(r: &Report) -> (String, Option<String>) {
    let v = serde_json::to_value(&r.verdict).unwrap();
    (
        v["status"].as_str().unwrap().to_string(),
        v["fault"].as_str().map(str::to_string),
    )
}

#[test]
fn without_edge_a_sign_in_on_443_is_not_found_and_its_connection_is_named() {
    let r = judge(&[sample("edge-443-cached")], &[]);
    assert_eq!(verdict(&r), ("inconclusive".into(), None));
    let note = finding(&r, "discovery.tls_role_unknown").expect("the TLS connection is named");
    assert!(
        note.contains("10.77.0.10:443 (expe1.example.com)") && note.contains("--edge"),
        "{note}"
    );
}

#[test]
fn an_edge_given_by_address_or_by_name_is_judged() {
    for edge in [
        "10.77.0.10:443",
        "expe1.example.com:443",
        "EXPE1.example.com.:443",
    ] {
        let r = judge(&[sample("edge-443-cached")], &[edge]);
        assert_eq!(
            verdict(&r),
            ("failed".into(), Some("provisioning.tls_untrusted".into())),
            "--edge {edge}"
        );
        assert!(
            finding(&r, "discovery.edge_given").is_some(),
            "--edge {edge}"
        );
        assert!(finding(&r, "discovery.tls_role_unknown").is_none());
    }
}

#[test]
fn an_edge_without_its_port_counts_only_the_mra_ports() {
    // 443 is not an MRA port: the name alone does not make it one.
    let r = judge(&[sample("edge-443-cached")], &["expe1.example.com"]);
    assert_eq!(verdict(&r), ("inconclusive".into(), None));
}

#[test]
fn an_edge_that_matches_nothing_is_said() {
    let r = judge(&[sample("edge-443-cached")], &["expe9.example.com:443"]);
    assert_eq!(verdict(&r), ("inconclusive".into(), None));
    let warning = finding(&r, "discovery.edge_unmatched").expect("the typo is said");
    assert!(
        warning.contains("--edge expe9.example.com:443"),
        "{warning}"
    );
}

#[test]
fn expressway_e_configuration_names_its_addresses() {
    let dir = std::env::temp_dir().join(format!("mradiag-edges-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dump = dir.join("xconf_dump_edge01.txt");
    std::fs::write(
        &dump,
        "xconfiguration\n\
*c xConfiguration IP DNS Hostname: \"expe1\"\n\
*c xConfiguration IP DNS Domain Name: \"example.com\"\n\
*c xConfiguration Ethernet 1 IP V4 Address: \"172.16.0.10\"\n\
*c xConfiguration Ethernet 1 IP V4 StaticNAT Mode: On\n\
*c xConfiguration Ethernet 1 IP V4 StaticNAT Address: \"10.77.0.10\"\n\
*c xConfiguration Zones Zone 2 Name: \"UC traversal\"\n\
*c xConfiguration Zones Zone 2 Type: TraversalServer\n\
OK\n",
    )
    .unwrap();
    let r = judge(&[sample("cached-discovery"), dump.clone()], &[]);
    std::fs::remove_dir_all(&dir).unwrap();
    let note = finding(&r, "discovery.edge_given").expect("the dump names Expressway-E");
    assert!(
        note.contains("10.77.0.10:8443") && note.contains("xconf_dump_edge01.txt:6"),
        "{note}"
    );
    // The dump does not change what the capture proves (TLS handshakes only).
    assert_eq!(verdict(&r).0, "inconclusive");
}
