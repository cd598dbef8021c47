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
    let summary = &lines[200];
    assert_eq!(summary["record"], "summary");
    assert!(lines[..200].iter().all(|l| l["record"] == "case"));
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

/// The case rule, as README states it: one folder named, its entries are the cases; several
/// paths named, each is one; `--case-per` forces either, or a case per file. Notes and
/// scripts are not evidence: such a case is skipped, not a fault nor inconclusive.
#[test]
fn what_a_case_is_follows_the_stated_rule() {
    let root = std::env::temp_dir().join(format!("mradiag-cases-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let loose = root.join("loose");
    std::fs::create_dir_all(loose.join("case-x")).unwrap();
    for (i, kind) in ["tls-untrusted", "srv-nxdomain", "tcp-8443-refused"]
        .iter()
        .enumerate()
    {
        std::fs::copy(
            samples.join(kind).join("capture.pcap"),
            loose.join(format!("c{i}.pcap")),
        )
        .unwrap();
    }
    std::fs::copy(
        samples.join("tls-untrusted/capture.pcap"),
        loose.join("case-x/client.pcap"),
    )
    .unwrap();
    std::fs::copy(
        samples.join("happy-tls12/capture.pcap"),
        loose.join("case-x/again.pcap"),
    )
    .unwrap();
    // A README quoting a failure line, and a script: never evidence when found in a folder.
    std::fs::write(
        loose.join("README.md"),
        "Seen in the field:\n2026-11-26T14:17:39.100+00:00 expe traffic_server[1]: Detail=\"Sending Response\" Txn-id=\"1\" Status=\"403\" Reason=\"Forbidden\"\n",
    )
    .unwrap();
    std::fs::write(loose.join("make.py"), "print('hello')\n").unwrap();
    let scan = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_mradiag"))
            .args(["scan", "--format", "jsonl"])
            .args(args)
            .output()
            .unwrap();
        let rows: Vec<serde_json::Value> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .filter(|v: &serde_json::Value| v["record"] == "case")
            .collect();
        let names: Vec<String> = rows
            .iter()
            .map(|r| {
                let c = r["case"].as_str().unwrap();
                format!(
                    "{}={}",
                    &c[c.rfind("loose").unwrap()..],
                    r["status"].as_str().unwrap()
                )
            })
            .collect();
        (out.status.code(), names)
    };
    let l = loose.to_str().unwrap();
    let (code, rows) = scan(&[l]);
    assert_eq!(code, Some(1));
    assert_eq!(
        rows,
        [
            "loose/README.md=skipped",
            "loose/c0.pcap=failed",
            "loose/c1.pcap=failed",
            "loose/c2.pcap=failed",
            "loose/case-x=failed",
            "loose/make.py=skipped",
        ]
    );
    let (_, rows) = scan(&["--case-per", "path", l]);
    assert_eq!(rows, ["loose=failed"]);
    let (_, rows) = scan(&["--case-per", "file", l]);
    assert_eq!(rows.len(), 7, "{rows:?}");
    assert!(
        rows.iter()
            .any(|r| r.starts_with("loose/case-x/again.pcap=")),
        "{rows:?}"
    );
    // Several paths named: each is a case.
    let a = loose.join("case-x");
    let b = loose.join("c0.pcap");
    let (_, rows) = scan(&[a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(rows, ["loose/case-x=failed", "loose/c0.pcap=failed"]);
    // Only notes and scripts: skipped, exit 0, nothing claimed.
    let notes = root.join("notes");
    std::fs::create_dir_all(&notes).unwrap();
    std::fs::copy(loose.join("README.md"), notes.join("README.md")).unwrap();
    let (code, rows) = {
        let out = Command::new(env!("CARGO_BIN_EXE_mradiag"))
            .args(["scan", "--format", "jsonl", "--case-per", "path"])
            .arg(&notes)
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8(out.stdout).unwrap())
    };
    assert_eq!(code, Some(0), "{rows}");
    assert!(rows.contains("\"status\":\"skipped\""), "{rows}");
    std::fs::remove_dir_all(&root).ok();
}

/// A heavy case (by its files' sizes) takes its turn alone between light ones: the rows still
/// come in case order, and the output is the same with one job or two.
#[test]
fn a_heavy_case_between_light_ones_keeps_the_order_and_the_output() {
    let root = std::env::temp_dir().join(format!("mradiag-heavy-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    for (name, kind) in [
        ("a", "tls-untrusted"),
        ("c", "happy-tls12"),
        ("d", "tcp-8443-refused"),
    ] {
        std::fs::create_dir_all(root.join(name)).unwrap();
        std::fs::copy(
            samples.join(kind).join("capture.pcap"),
            root.join(name).join("client.pcap"),
        )
        .unwrap();
    }
    // 30 MB on disk counted four times as an archive: heavier than a job's share. Sparse, and
    // not an archive inside: read fast, and set aside as no evidence.
    std::fs::create_dir_all(root.join("b")).unwrap();
    std::fs::File::create(root.join("b").join("diagnostic_log_expe.tar.gz"))
        .unwrap()
        .set_len(30 << 20)
        .unwrap();
    let scan = |jobs: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_mradiag"))
            .args(["scan", "--format", "jsonl", "--jobs", jobs])
            .arg(&root)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let two = scan("2");
    assert_eq!(two, scan("1"));
    let cases: Vec<String> = two
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["record"] == "case")
        .map(|v| {
            let c = v["case"].as_str().unwrap();
            format!("{}={}", &c[c.len() - 1..], v["status"].as_str().unwrap())
        })
        .collect();
    assert_eq!(cases.len(), 4, "{two}");
    assert!(
        cases[0].starts_with("a=") && cases[3].starts_with("d="),
        "{cases:?}"
    );
    assert!(cases[1].starts_with("b="), "{cases:?}");
    std::fs::remove_dir_all(&root).ok();
}
