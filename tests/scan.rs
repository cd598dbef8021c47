//! `mradiag scan` over a folder of 200 generated cases: one row each, the counts per fault,
//! and a corrupt case reported as such while the rest are analysed.

use std::path::Path;
use std::process::Command;

#[test]
fn two_hundred_cases_one_corrupt() {
    let root = std::env::temp_dir().join(format!("mradiag-scan-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let kinds = [
        ("tcp-8443-refused", Some("provisioning.tcp_refused")),
        ("tls-untrusted", Some("provisioning.tls_untrusted")),
        ("happy-tls12", None),
        ("srv-nxdomain", Some("discovery.collab_edge_missing")),
    ];
    for i in 0..199 {
        let (kind, _) = kinds[i % kinds.len()];
        let dir = root.join(format!("case-{i:03}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(
            samples.join(kind).join("capture.pcap"),
            dir.join("client.pcap"),
        )
        .unwrap();
    }
    let broken = root.join("case-199");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(
        broken.join("client.pcap"),
        [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0xff, 0xff],
    )
    .unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_mradiag"))
        .args(["scan", "--format", "jsonl", "--jobs", "2"])
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 201, "200 rows and the summary");
    let summary = &lines[200]["summary"];
    assert_eq!(summary["cases"], 200);
    assert_eq!(summary["unreadable"], 1);
    for (kind, fault) in kinds {
        if let Some(f) = fault {
            let expected = (0..199)
                .filter(|i| kinds[i % kinds.len()].0 == kind)
                .count();
            assert_eq!(summary["by_fault"][f], expected, "{f}");
        }
    }
    let last = &lines[199];
    assert!(last["case"].as_str().unwrap().ends_with("case-199"));
    assert_eq!(last["status"], "unreadable");
    assert!(last["error"].as_str().is_some(), "{last}");
    assert!(
        lines[1]["evidence"]
            .as_str()
            .unwrap()
            .contains("unknown_ca"),
        "{}",
        lines[1]
    );
    std::fs::remove_dir_all(&root).ok();
}
