//! The command line contract: exit codes, formats, errors that name the file.

use std::process::Command;

fn mradiag(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mradiag"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn a_fault_exits_1_and_names_fault_evidence_and_fix() {
    let (code, out, _) = mradiag(&["analyze", "samples/tls-untrusted/capture.pcap"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("Likely fault: provisioning.tls_untrusted"),
        "{out}"
    );
    assert!(out.contains("frame 14 (tcp.stream eq 0)"), "{out}");
    assert!(out.contains("fix:"), "{out}");
}

#[test]
fn no_fault_exits_0() {
    let (code, out, _) = mradiag(&["analyze", "samples/users-fail-then-ok"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Verdict: ok"), "{out}");
}

#[test]
fn a_sign_in_whose_answers_are_inside_tls_is_never_ok() {
    // The handshakes on 8443, 5222 and 5061 complete; what was said inside them is encrypted.
    let (code, out, _) = mradiag(&["analyze", "samples/happy-tls12/capture.pcap"]);
    assert_eq!(code, 3, "inconclusive exits 3: {out}");
    assert!(out.contains("Verdict: inconclusive"), "{out}");
    assert!(out.contains("whether xmpp and sip succeeded"), "{out}");
    assert!(!out.contains("Verdict: ok"), "{out}");
}

#[test]
fn json_is_the_versioned_report() {
    let (code, out, _) = mradiag(&[
        "analyze",
        "--format",
        "json",
        "samples/srv-nxdomain/capture.pcap",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(v["schema"], "mradiag.report/1");
    assert_eq!(v["verdict"]["fault"], "discovery.collab_edge_missing");
    assert_eq!(v["phases"].as_array().unwrap().len(), 5);
    assert_eq!(
        v["verdict"]["evidence"][0]["input"],
        "samples/srv-nxdomain/capture.pcap"
    );
}

#[test]
fn events_are_json_lines_with_input_and_frame() {
    let (code, out, _) = mradiag(&["events", "samples/tcp-8443-refused/capture.pcap"]);
    assert_eq!(code, 0);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert!(
        lines
            .iter()
            .any(|e| e["kind"] == "tcp_rst" && e["frame"] == 8 && e["from"] == "server")
    );
    assert!(
        lines
            .iter()
            .all(|e| e["input"] == "samples/tcp-8443-refused/capture.pcap" && e["frame"].is_u64())
    );
}

#[test]
fn unreadable_input_exits_2_and_names_the_file() {
    // Said on standard error, not inside a report; with -q too.
    for args in [
        &["analyze", "no/such/file.pcap"][..],
        &["analyze", "-q", "no/such/file.pcap"][..],
    ] {
        let (code, out, err) = mradiag(args);
        assert_eq!(code, 2);
        assert!(err.contains("no/such/file.pcap: cannot open"), "{err}");
        assert!(out.is_empty(), "{out}");
    }
}

#[test]
fn an_unreadable_input_does_not_stop_the_others() {
    let (code, out, _) = mradiag(&[
        "analyze",
        "no/such/file.pcap",
        "samples/tcp-8443-refused/capture.pcap",
    ]);
    // The other input is still analysed; the missing one makes the run's status 2.
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("provisioning.tcp_refused"), "{out}");
    let (code, out, err) = mradiag(&[
        "analyze",
        "-q",
        "samples/tcp-8443-refused/capture.pcap",
        "no/such/file.pcap",
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("provisioning.tcp_refused"), "{out}");
    assert!(err.contains("no/such/file.pcap: cannot open"), "{err}");
}

#[test]
fn exit_status_follows_the_contract() {
    // 0 ok, 1 fault, 3 inconclusive (DESIGN.md, section 6).
    for (input, want) in [
        ("samples/users-fail-then-ok", 0),
        ("samples/tls-untrusted/capture.pcap", 1),
        ("samples/happy-tls13/capture.pcap", 3),
        ("samples/xmpp-s2s-starttls/capture.pcap", 3),
    ] {
        let (code, out, _) = mradiag(&["analyze", "-q", input]);
        assert_eq!(code, want, "{input}: {out}");
    }
}

#[test]
fn signatures_prints_the_builtin_catalog_as_a_file_to_start_from() {
    let (code, out, _) = mradiag(&["signatures", "--format", "toml"]);
    assert_eq!(code, 0);
    let sigs = mradiag::logs::signatures::Catalog::parse(&out).expect("it reads back");
    assert_eq!(
        sigs.len(),
        mradiag::logs::signatures::Catalog::builtin()
            .signatures
            .len()
    );
    assert!(
        out.starts_with("# The log signature catalog"),
        "{}",
        &out[..80]
    );
}

#[test]
fn signatures_lists_every_fault_id() {
    let (code, out, _) = mradiag(&["signatures"]);
    assert_eq!(code, 0);
    for id in [
        "discovery.dns_unanswered",
        "provisioning.tls_untrusted",
        "sip.register_rejected",
        "voicemail.forbidden",
    ] {
        assert!(out.contains(id), "{id}");
    }
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, err) = mradiag(&["analyze"]);
    assert_eq!(code, 2);
    assert!(err.contains("Usage"), "{err}");
}

#[test]
fn a_bundle_is_read_in_place_and_its_fault_named_with_file_and_line() {
    let (code, out, _) = mradiag(&["analyze", "samples/bundle-expc-home-cucm"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("Likely fault: provisioning.home_cluster_unknown"),
        "{out}"
    );
    assert!(
        out.contains(
            ".tar.gz:loggingsnapshot_expc_2026-11-26_14-17-30.txt:23: expc-home-cucm-unknown"
        ),
        "{out}"
    );
}

#[test]
fn a_user_signature_file_extends_the_catalog_and_a_bad_one_is_refused() {
    let dir = std::env::temp_dir().join(format!("mradiag-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let catalog = dir.join("mine.toml");
    std::fs::write(
        &catalog,
        "[[signature]]\nid = 'site-proxy'\nsource = 'site'\nlog = 'jabber'\nphase = 'provisioning'\nfault = 'provisioning.tcp_refused'\nseverity = 'fault'\npattern = 'PROXY REFUSED'\nmeaning = 'the proxy refused'\nfix = 'allow it'\nexample = 'PROXY REFUSED'\n",
    )
    .unwrap();
    let log = dir.join("client.log");
    std::fs::write(
        &log,
        "2026-11-26 10:00:00,000 ERROR [0x1] [a.cpp(1)] [csf.x] [f] - PROXY REFUSED to expe\n",
    )
    .unwrap();
    let (code, out, _) = mradiag(&[
        "analyze",
        "--signatures",
        catalog.to_str().unwrap(),
        log.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("provisioning.tcp_refused — the proxy refused"),
        "{out}"
    );
    // Every problem at once, each with the file, the entry's line, its id and the field.
    std::fs::write(
        &catalog,
        "[[signature]]\nid = 'broken'\n\n[[signature]]\nid = 'unbalanced'\nsource = 'site'\nlog = 'jabber'\nphase = 'provisioning'\nseverity = 'info'\npattern = 'PROXY (REFUSED'\nmeaning = 'm'\nfix = 'f'\nexample = 'PROXY (REFUSED'\n",
    )
    .unwrap();
    let (code, out, err) = mradiag(&[
        "analyze",
        "--signatures",
        catalog.to_str().unwrap(),
        log.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(out.is_empty(), "{out}");
    let name = catalog.display().to_string();
    assert!(
        err.contains(&format!(
            "mradiag: {name}:1: signature broken: missing source, log, phase, severity, pattern, meaning, fix, example"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "mradiag: {name}:4: signature unbalanced: pattern: regex parse error"
        )) && err.contains("unclosed group"),
        "{err}"
    );
    // A fault id of one's own (PHASE.x-NAME) is a verdict with the entry's meaning and fix.
    std::fs::write(
        &catalog,
        "[[signature]]\nid = 'site-proxy'\nsource = 'site'\nlog = 'jabber'\nphase = 'provisioning'\nfault = 'provisioning.x-site-proxy'\nseverity = 'fault'\npattern = 'PROXY REFUSED'\nmeaning = 'the site proxy refused'\nfix = 'allow it'\nexample = 'PROXY REFUSED'\n",
    )
    .unwrap();
    let (code, out, _) = mradiag(&[
        "analyze",
        "-q",
        "--signatures",
        catalog.to_str().unwrap(),
        log.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("provisioning.x-site-proxy"), "{out}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn html_and_markdown_reports_go_where_asked() {
    let path = std::env::temp_dir().join(format!("mradiag-report-{}.html", std::process::id()));
    let (code, out, _) = mradiag(&[
        "analyze",
        "--format",
        "html",
        "-o",
        path.to_str().unwrap(),
        "samples/merged-capture-expc-401",
    ]);
    assert_eq!(code, 1);
    assert!(out.is_empty(), "nothing on stdout with -o: {out}");
    let html = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).ok();
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    assert!(html.contains(r#"id="verdict""#) && html.contains("provisioning.auth_failed"));
    for phase in ["discovery", "provisioning", "xmpp", "sip", "voicemail"] {
        assert!(html.contains(&format!("<td>{phase}</td>")), "{phase}");
    }
    assert!(html.contains("<svg"), "ladder diagram");
    for external in [
        "<script",
        "<link",
        " src=",
        "href=\"http",
        "url(http",
        "@import",
    ] {
        assert!(!html.contains(external), "self-contained: found {external}");
    }
    // A log excerpt with markup is escaped.
    assert!(
        html.contains("&lt;twisted.python.failure.Failure &lt;type"),
        "excerpt escaped"
    );
    let (_, md, _) = mradiag(&["analyze", "--format", "md", "samples/tls-untrusted"]);
    assert!(
        md.starts_with("## MRA sign-in: provisioning.tls\\_untrusted"),
        "{md}"
    );
    assert!(md.contains("| provisioning | failed |"), "{md}");
}

#[test]
fn html_ladder_draws_a_log_on_the_captures_clock_and_says_so() {
    let (code, html, _) = mradiag(&[
        "analyze",
        "--format",
        "html",
        "samples/merged-capture-expe-clock",
    ]);
    assert_eq!(code, 1, "{html}");
    // E logged the request at 15:20:36.971 on a clock 3.249 s ahead: drawn at 15:20:33.721,
    // marked, the logged time in its tooltip.
    assert!(
        html.contains(
            "logged 2026-11-26T15:20:36.971000Z, drawn -3.249 s on the ladder&#39;s clock"
        ),
        "{html}"
    );
    assert!(html.contains(">15:20:33.721*</text>"), "{html}");
    assert!(
        html.contains("expe&#39;s lines are drawn -3.249 s onto the capture&#39;s clock"),
        "{html}"
    );
    let get_edge_config = html.find("get_edge_config").expect("the request drawn");
    let server_fin = html.find(">FIN<").expect("the server's FIN drawn");
    assert!(get_edge_config < server_fin, "the request before the close");
}

#[test]
fn certs_validates_chains_at_capture_time_against_each_anchor_set() {
    let (code, out, _) = mradiag(&[
        "certs",
        "--ca",
        "samples/lab/certs/ca.pem",
        "samples/happy-tls12",
        "samples/tls-untrusted",
    ]);
    // tls-untrusted's chain fails with every anchor set: exit 1.
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("✔ --ca files: accepted"), "{out}");
    assert!(
        out.contains("✘ --ca files: unknown issuer: O=mradiag lab, CN=Temporary CA"),
        "{out}"
    );
    assert!(
        out.contains("✘ public roots (webpki-roots): unknown issuer"),
        "{out}"
    );
    let (code, _, err) = mradiag(&["certs", "--ca", "README.md", "samples/happy-tls12"]);
    assert_eq!(code, 2);
    assert!(err.contains("README.md: no certificate"), "{err}");
    // The bundle's own CA file is an anchor set of its own.
    let (_, json, _) = mradiag(&[
        "analyze",
        "--format",
        "json",
        "samples/happy-tls12",
        "samples/lab/certs/ca.pem",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let anchors = &v["certificates"][0]["anchors"];
    assert_eq!(anchors[0]["anchor_set"], "CA certificates in the inputs");
    assert_eq!(anchors[0]["accepted"], true, "{anchors}");
}

#[test]
fn stdin_quiet_and_colour() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_mradiag"))
        .args(["analyze", "-q", "-"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let capture = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("samples/tcp-8443-refused/capture.pcap"),
    )
    .unwrap();
    child.stdin.take().unwrap().write_all(&capture).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("provisioning.tcp_refused — "));
    let (_, coloured, _) = mradiag(&["analyze", "--color", "always", "samples/tcp-8443-refused"]);
    assert!(
        coloured.contains("\x1b[31mLikely fault:\x1b[0m"),
        "{coloured}"
    );
    let (_, plain, _) = mradiag(&["analyze", "samples/tcp-8443-refused"]);
    assert!(!plain.contains('\x1b'), "no colour when not a terminal");
}

/// `--color` on every command that colours, and the environment's say under `auto`:
/// CLICOLOR_FORCE colours a pipe, NO_COLOR outranks it, `never` outranks both.
#[test]
fn colour_follows_the_flag_then_the_environment() {
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_mradiag"));
        c.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
        for v in ["NO_COLOR", "CLICOLOR_FORCE", "CLICOLOR", "TERM"] {
            c.env_remove(v);
        }
        for (k, v) in env {
            c.env(k, v);
        }
        String::from_utf8(c.output().unwrap().stdout).unwrap()
    };
    let case = "samples/tcp-8443-refused";
    let coloured = |s: &str| s.contains('\x1b');
    assert!(coloured(&run(
        &["analyze", case],
        &[("CLICOLOR_FORCE", "1")]
    )));
    assert!(!coloured(&run(
        &["analyze", case],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]
    )));
    assert!(!coloured(&run(
        &["analyze", "--color", "never", case],
        &[("CLICOLOR_FORCE", "1")]
    )));
    // CLICOLOR_FORCE outranks TERM=dumb (which, on a terminal, turns colour off: unit-tested
    // in terminal.rs, as a test has no terminal).
    assert!(coloured(&run(
        &["analyze", case],
        &[("CLICOLOR_FORCE", "1"), ("TERM", "dumb")]
    )));
    // scan's status column and certs' marks colour the same way; JSON never does.
    let table = run(&["scan", "--color", "always", case], &[]);
    assert!(table.contains("\x1b[31mfailed"), "{table}");
    let certs = run(
        &["certs", "--color", "always", "samples/tls-untrusted"],
        &[],
    );
    assert!(certs.contains("\x1b[31m✘"), "{certs}");
    let json = run(
        &["analyze", "--format", "json", "--color", "always", case],
        &[],
    );
    assert!(!coloured(&json));
    // -q means the verdicts alone: one line from analyze, the rows alone from scan.
    let rows = run(
        &[
            "scan",
            "-q",
            "--case-per",
            "path",
            case,
            "samples/dns-refused",
        ],
        &[],
    );
    assert_eq!(rows.lines().count(), 3, "{rows}");
    assert!(!rows.contains("cases,"), "{rows}");
}

#[test]
fn completions_and_man_page() {
    let (code, bash, _) = mradiag(&["completions", "bash"]);
    assert_eq!(code, 0);
    assert!(
        bash.contains("_mradiag()") && bash.contains("analyze") && bash.contains("--signatures")
    );
    let (code, man, _) = mradiag(&["man"]);
    assert_eq!(code, 0);
    assert!(
        man.contains(".TH mradiag 1") && man.contains("mradiag\\-analyze(1)"),
        "{man}"
    );
    // The pages the top one refers to exist, each with its exit status and examples, and
    // every command's --help ends with the same.
    for command in [
        "analyze",
        "scan",
        "certs",
        "events",
        "signatures",
        "completions",
        "man",
    ] {
        let (code, page, _) = mradiag(&["man", command]);
        assert_eq!(code, 0, "{command}");
        assert!(page.contains(&format!(".TH mradiag-{command} 1")), "{page}");
        assert!(
            page.contains(".SH \"EXIT STATUS\"") && page.contains(".SH EXAMPLES"),
            "{page}"
        );
        let (_, help, _) = mradiag(&[command, "--help"]);
        assert!(
            help.contains("Exit status: ") && help.contains(&format!("  mradiag {command}")),
            "{help}"
        );
    }
    let (code, _, err) = mradiag(&["man", "analyse"]);
    assert_eq!(code, 2);
    assert!(err.contains("no command \"analyse\""), "{err}");
    // Options a command would ignore are not offered.
    let (_, help, _) = mradiag(&["events", "--help"]);
    assert!(!help.contains("--user") && !help.contains("--ca ") && !help.contains("--edge"));
    let (code, _, err) = mradiag(&["events", "--user", "x", "samples/tls-untrusted"]);
    assert_eq!(code, 2);
    // A usage error reads like every other error: `mradiag: …`, then the usage line.
    assert!(
        err.starts_with("mradiag: unexpected argument '--user' found"),
        "{err}"
    );
    assert!(err.contains("Usage: mradiag events"), "{err}");
    let (code, out, err) = mradiag(&["analyze", "--format", "xml", "samples/tls-untrusted"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.starts_with("mradiag: invalid value 'xml'"), "{err}");
}

#[test]
fn tz_reads_jabber_local_times_in_a_zone() {
    let start = |args: &[&str]| {
        let (_, out, _) = mradiag(args);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["sessions"][0]["start"].as_str().unwrap().to_string()
    };
    let local = start(&[
        "analyze",
        "--format",
        "json",
        "samples/jabber-no-srv-records",
    ]);
    let paris = start(&[
        "analyze",
        "--format",
        "json",
        "--tz",
        "+01:00",
        "samples/jabber-no-srv-records",
    ]);
    assert_eq!(
        local, "2026-11-26T14:17:37.501000",
        "a local time without a zone has no Z"
    );
    assert_eq!(paris, "2026-11-26T13:17:37.501000Z");
    let (code, _, err) = mradiag(&[
        "analyze",
        "--tz",
        "Nowhere/X",
        "samples/jabber-no-srv-records",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown time zone"), "{err}");
}

#[test]
fn a_named_zone_wins_over_the_inferred_one_and_events_say_how_times_were_placed() {
    let json = |args: &[&str]| -> serde_json::Value {
        let (_, out, _) = mradiag(args);
        serde_json::from_str(&out).unwrap()
    };
    let sample = "samples/merged-capture-jabber-zone";
    let log = |v: &serde_json::Value| {
        v["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["path"].as_str().unwrap().ends_with("csf-unified.log"))
            .unwrap()["log"]
            .clone()
    };
    let inferred = json(&["analyze", "--format", "json", sample]);
    assert_eq!(log(&inferred)["time_basis"], "local_aligned");
    assert_eq!(log(&inferred)["zone"], "UTC-05:00");
    assert_eq!(log(&inferred)["first_ts"], "2026-11-26T15:19:51.647000Z");
    let named = json(&["analyze", "--format", "json", "--tz", "+01:00", sample]);
    assert_eq!(log(&named)["time_basis"], "local_in_zone");
    assert_eq!(log(&named)["zone"], "UTC+01:00");
    assert_eq!(log(&named)["first_ts"], "2026-11-26T09:19:51.647000Z");
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(ids(&inferred).contains(&"clock.local_zone".to_string()));
    assert!(!ids(&named).contains(&"clock.local_zone".to_string()));
    // `events` prints the shifted times and says on standard error how they were placed.
    let (_, out, err) = mradiag(&["events", sample]);
    assert!(err.contains("read as UTC-05:00"), "{err}");
    assert!(
        out.lines().any(|l| l.contains("jabber-edge-srv-answered")
            && l.contains("\"ts\":\"2026-11-26T15:19:54.649000Z\"")
            && l.contains("\"time_basis\":\"local_aligned\"")),
        "{out}"
    );
}

#[test]
fn an_expressway_capture_alone_makes_the_sessions_from_its_side() {
    let bundle = std::fs::read_dir("samples/merged-capture-expe-tcpdump")
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
        .unwrap();
    let (code, out, _) = mradiag(&["analyze", "--format", "json", bundle.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verdict"]["fault"], "provisioning.tls_untrusted");
    let session = &v["sessions"][0];
    assert_eq!(
        session["client"], "198.51.100.23",
        "the client as the NAT shows it"
    );
    assert!(
        session["phases"][0]["summary"]
            .as_str()
            .unwrap()
            .contains("not visible from Expressway-E's own capture"),
        "{session}"
    );
}

#[test]
fn a_bundle_of_many_users_keeps_the_terminal_readable() {
    // 25 users whose REGISTERs are refused, one accepted after them.
    let dir = std::env::temp_dir().join(format!("mradiag-users-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut log = String::new();
    for i in 0..26 {
        let code = if i < 25 { 403 } else { 200 };
        for (action, detail) in [
            (
                "Received",
                format!(
                    "Receive Request Method=REGISTER, CSeq=1, To=sip:user{i}@example.com, Call-ID=c{i}@x, From-Tag=a, To-Tag=, Msg-Hash=1"
                ),
            ),
            (
                "Sent",
                format!(
                    "Sending Response Code={code}, Method=REGISTER, CSeq=1, To=sip:user{i}@example.com, Call-ID=c{i}@x, From-Tag=a, To-Tag=b, Msg-Hash=2"
                ),
            ),
        ] {
            log.push_str(&format!(
                "2026-11-26T14:{:02}:{:02}.000+00:00 expc tvcs: UTCTime=\"2026-11-26 14:{:02}:{:02},000\" Module=\"network.sip\" Level=\"INFO\":  Action=\"{action}\" Detail=\"{detail}\"\n",
                i / 60, i % 60, i / 60, i % 60
            ));
        }
    }
    let path = dir.join("loggingsnapshot_expc.txt");
    std::fs::write(&path, log).unwrap();
    let (code, out, _) = mradiag(&["analyze", "--color", "never", path.to_str().unwrap()]);
    assert_eq!(code, 1);
    // Past 20 sessions: the verdict's and failing users' drawn in full (5), a line per
    // failing user in the users table, a count for the rest.
    assert_eq!(out.matches("\nsession ").count(), 5, "{out}");
    assert!(out.contains("… 21 more sessions not shown"), "{out}");
    assert!(
        out.contains("session 25: client (from logs), user user24"),
        "the verdict's session is shown: {out}"
    );
    assert!(
        out.contains("— user24: A REGISTER got a final error"),
        "the verdict is the latest failure: {out}"
    );
    assert!(out.contains("users: 26 users · 25 failing"), "{out}");
    assert_eq!(out.matches("\n  ✘ user").count(), 25, "{out}");
    assert!(out.contains("… 1 more (1 ok"), "{out}");
    assert!(out.lines().count() < 120, "{} lines", out.lines().count());
    let (_, json, _) = mradiag(&["analyze", "--format", "json", path.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        v["sessions"].as_array().unwrap().len(),
        26,
        "JSON has them all"
    );
    let (_, html, _) = mradiag(&["analyze", "--format", "html", path.to_str().unwrap()]);
    assert_eq!(html.matches("<h2>Session ").count(), 5);
    assert!(html.contains("21 more sessions not drawn"), "{html}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn two_bundles_unpacked_into_one_folder_keep_their_roles() {
    let dir = std::env::temp_dir().join(format!("mradiag-onefolder-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir("samples/bundles-config-traversal-peer").unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().ends_with(".tar.gz") {
            let gz = flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap());
            tar::Archive::new(gz).unpack(&dir).unwrap();
        }
    }
    let (_, out, _) = mradiag(&["analyze", "--format", "json", dir.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let summaries: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "config.expressway")
        .map(|f| f["summary"].as_str().unwrap())
        .collect();
    assert_eq!(summaries.len(), 2, "{summaries:?}");
    assert!(
        summaries
            .iter()
            .any(|s| s.starts_with("core01.example.com is Expressway-C"))
    );
    assert!(
        summaries
            .iter()
            .any(|s| s.starts_with("edge01.example.com is Expressway-E"))
    );
    let failed: Vec<&serde_json::Value> = v["sessions"][0]["ladder"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["failed"] == true)
        .collect();
    assert_eq!(failed[0]["from"], "expressway_c", "{failed:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn edge_config_fetched_but_no_register_is_said() {
    let dir = std::env::temp_dir().join(format!("mradiag-noreg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let request = "2024-03-05T10:02:11.100+01:00 expe traffic_server[2211]: UTCTime=\"2024-03-05 09:02:11,100\" Module=\"network.http.trafficserver\" Level=\"DEBUG\": Detail=\"Receive Request\" Txn-id=\"41\" Src-ip=\"198.51.100.23\" Msg=\"GET /ZXhhbXBsZS5jb20/get_edge_config?service_name=_cisco-uds HTTP/1.1\"\n";
    let register = "2024-03-05T10:02:13.000+01:00 expe tvcs: UTCTime=\"2024-03-05 09:02:13,000\" Module=\"network.sip\" Level=\"INFO\":  Action=\"Received\" Src-ip=\"198.51.100.23\" Src-port=\"50209\" Detail=\"Receive Request Method=REGISTER, CSeq=1, To=sip:alice@example.com, Call-ID=abc@198.51.100.23, From-Tag=1, To-Tag=, Msg-Hash=1\"\n";
    let only_request = dir.join("expe-1.txt");
    std::fs::write(&only_request, request).unwrap();
    let both = dir.join("expe-2.txt");
    std::fs::write(&both, format!("{request}{register}")).unwrap();
    let findings = |path: &std::path::Path| {
        let (_, out, _) = mradiag(&["analyze", "--format", "json", path.to_str().unwrap()]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let first = findings(&only_request);
    assert!(
        first.contains(&"sip.no_register_after_edge_config".to_string()),
        "{first:?}"
    );
    assert!(
        first.contains(&"edge-config-request".to_string()),
        "{first:?}"
    );
    let second = findings(&both);
    assert!(
        !second.contains(&"sip.no_register_after_edge_config".to_string()),
        "{second:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_long_ladder_is_capped_and_says_how_many_steps_were_left_out() {
    // 250 Jabber lines of the same failure: one log-only session, 250 notes on the ladder.
    let dir = std::env::temp_dir().join(format!("mradiag-ladder-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("jabber.log");
    let mut text = String::new();
    for i in 0..250 {
        text.push_str(&format!(
            "2026-11-26 14:{:02}:{:02},{:03} INFO [0x00000c94] [vices\\impl\\DiscoveryHandlerImpl.cpp(668)] [service-discovery] [CSFUnified::DiscoveryHandlerImpl::evaluateServiceDiscoveryResult] - ServiceDiscoveryHandlerResult return code FAILED_NO_SRV_RECORDS_FOUND\n",
            i / 60,
            i % 60,
            i
        ));
    }
    std::fs::write(&log, text).unwrap();
    let path = log.to_str().unwrap();
    let (_, json, _) = mradiag(&["analyze", "--format", "json", path]);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let session = &report["sessions"][0];
    assert_eq!(session["ladder"].as_array().unwrap().len(), 200);
    assert_eq!(session["ladder_omitted"], 50);
    assert_eq!(session["ladder"][0]["from"], "client");
    let (_, html, _) = mradiag(&["analyze", "--format", "html", path]);
    assert!(html.contains("50 more steps not drawn."), "{html}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_bundle_server_certificate_is_judged_as_of_the_bundle_or_of_at() {
    let bundle = "samples/bundle-server-cert-expired";
    // As of the bundle (its last log line, 2026-11-26): expired a month before, so the
    // chain fails validation: exit 1.
    let (code, out, _) = mradiag(&["certs", bundle]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("server_expe_2026-11-26_14-17-30.pem: certificate file"),
        "{out}"
    );
    assert!(
        out.contains(
            "checked at 2026-11-26T14:19:29.500000Z (the latest time in the same archive)"
        ),
        "{out}"
    );
    assert!(
        out.contains("✘ CA certificates in the inputs: expired: valid until 2026-10-22"),
        "{out}"
    );
    // The same file as of June 2026: the bundle's own CA accepts it, and no fault is left.
    let (_, out, _) = mradiag(&["certs", "--at", "2026-06-01T00:00:00Z", bundle]);
    assert!(
        out.contains("checked at 2026-06-01T00:00:00.000000Z (--at)"),
        "{out}"
    );
    assert!(
        out.contains("✔ CA certificates in the inputs: accepted"),
        "{out}"
    );
    // No fault left, and no sign-in to call ok either: inconclusive, exit 3.
    let (code, out, _) = mradiag(&["analyze", "--at", "2026-06-01T00:00:00Z", bundle]);
    assert_eq!(code, 3, "{out}");
    assert!(!out.contains("tls_expired"), "{out}");
    // A bad --at is a usage error that says what is expected.
    let (code, _, err) = mradiag(&["certs", "--at", "yesterday", bundle]);
    assert_eq!(code, 2);
    assert!(err.contains("--at: \"yesterday\" is not a time"), "{err}");
}

#[test]
fn a_pem_given_alone_is_judged_and_its_own_root_is_not_an_anchor() {
    let (code, out, _) = mradiag(&[
        "certs",
        "--at",
        "2026-01-01T00:00:00Z",
        "samples/lab/certs/expe-expired.pem",
    ]);
    // Its own root is not an anchor: no anchor set accepts it, exit 1.
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("certificate file · SNI (none) · checked at 2026-01-01"),
        "{out}"
    );
    // The file carries its root after the leaf: that is not a trust decision.
    assert!(!out.contains("CA certificates in the inputs"), "{out}");
    assert!(
        out.contains("✘ public roots (webpki-roots): unknown issuer"),
        "{out}"
    );
    let (_, out, _) = mradiag(&[
        "certs",
        "--at",
        "2026-01-01T00:00:00Z",
        "--ca",
        "samples/lab/certs/ca.pem",
        "samples/lab/certs/expe-expired.pem",
    ]);
    assert!(out.contains("✔ --ca files: accepted"), "{out}");
}

#[test]
fn registers_are_followed_through_both_expressways_by_call_id() {
    let (_, json, _) = mradiag(&[
        "analyze",
        "--format",
        "json",
        "samples/bundles-register-trail",
    ]);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let summary = |id: &str| -> Vec<String> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["id"] == id)
            .map(|f| f["summary"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        summary("sip.register_trail"),
        [
            "REGISTER 00ebd5d5-d8c60008@198.51.100.23, sip:7022@example.com: expe received at 14:17:50.000 → expc received at 14:17:50.100 → expc answered 200 at 14:17:50.200 → expe answered 200 at 14:17:50.300"
        ]
    );
    let lost = summary("sip.register_unanswered");
    assert_eq!(lost.len(), 1);
    assert!(
        lost[0].starts_with("REGISTER 7f3c1a2b-91e0aa31@198.51.100.77, sip:7022@example.com: expe received at 14:18:10.000 → expc received at 14:18:10.100, and no final response"),
        "{lost:?}"
    );
}

#[test]
fn the_clock_offset_between_capture_and_expressway_is_shown_not_applied() {
    let (_, json, _) = mradiag(&[
        "analyze",
        "--format",
        "json",
        "samples/merged-capture-expe-clock",
    ]);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let clock: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "clock.offset")
        .collect();
    assert_eq!(clock.len(), 1);
    // The bundle was made 3.25 s ahead of the SYN; the request left 1.7 ms after it.
    let summary = clock[0]["summary"].as_str().unwrap();
    assert!(
        summary.starts_with(
            "expe's log runs +3.249 s from the capture's clock (1 get_edge_config request matched"
        ),
        "{summary}"
    );
    assert_eq!(clock[0]["evidence"][0]["frame"], 15);
    assert_eq!(clock[0]["evidence"][1]["line"], 15);
    // Not applied: the log line keeps its own time.
    assert!(
        clock[0]["evidence"][1]["ts"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-26T15:20:36.97")
    );
}

#[test]
fn a_weak_server_certificate_in_a_bundle_is_named_for_each_weakness() {
    let (code, out, _) = mradiag(&["certs", "samples/bundle-server-cert-weak"]);
    assert_eq!(code, 1, "no anchor set accepts it: {out}");
    for line in [
        "key RSA 1024 · sha1WithRSAEncryption · EKU server_auth",
        "✘ public roots (webpki-roots): unknown issuer: CN=Weak Lab CA",
        "! MRA: no Client Authentication EKU (server_auth)",
        "! MRA: the leaf has a 1024-bit RSA key",
        "! MRA: the leaf is signed with sha1WithRSAEncryption",
    ] {
        assert!(out.contains(line), "missing {line:?} in\n{out}");
    }
}

#[test]
fn scan_rows_of_busy_bundles_name_whose_sign_in_and_count_failing_users() {
    let (code, out, _) = mradiag(&[
        "scan",
        "--format",
        "jsonl",
        "-q",
        "samples/users-200",
        "samples/users-fail-then-ok",
    ]);
    assert_eq!(code, 1, "{out}");
    let rows: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows[0]["user"], "farah.berg150", "{}", rows[0]);
    assert_eq!(rows[0]["failing_users"], 1);
    // The row's time is the verdict's session, not the last of 201.
    assert!(
        rows[0]["start"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-26T08:58:17"),
        "{}",
        rows[0]
    );
    assert_eq!(rows[1]["status"], "ok");
    assert_eq!(rows[1]["failing_users"], 0);
}

#[test]
fn a_ticket_time_without_tz_is_read_in_the_expressways_zone() {
    // The boxes write UTC-03:00 headers; the ticket's 05:36 is theirs: 08:36 UTC.
    let (code, out, _) = mradiag(&[
        "analyze",
        "--color",
        "never",
        "--user",
        "fsilva11",
        "--at",
        "05:36",
        "samples/users-focus-at",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "at 2026-11-26T08:36:00.000000Z (read in UTC-03:00, the Expressway logs' zone"
        ),
        "{out}"
    );
    assert!(
        out.contains("Likely fault: provisioning.auth_failed — fsilva11: "),
        "{out}"
    );
    // An RFC 3339 time needs no zone.
    let (_, out, _) = mradiag(&[
        "analyze",
        "--user",
        "fsilva11",
        "--at",
        "2026-11-26T10:07:00Z",
        "samples/users-focus-at",
    ]);
    assert!(
        out.contains("Likely fault: sip.register_rejected — fsilva11: "),
        "{out}"
    );
}

#[test]
fn keylog_flag_decrypts_and_the_fault_inside_tls_is_named() {
    let capture = "samples/keylog-provisioning-401-tls12/capture.pcap";
    let (code, out, _) = mradiag(&["analyze", capture]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("Verdict: inconclusive"), "{out}");
    let (code, out, _) = mradiag(&[
        "analyze",
        "--keylog",
        "samples/keylog-provisioning-401-tls12/keys.log",
        capture,
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("Likely fault: provisioning.auth_failed"),
        "{out}"
    );
    assert!(out.contains("frame 25 (tcp.stream eq 0)"), "{out}");
    assert!(
        out.contains("TLS key log, secrets for 1 handshake(s)"),
        "{out}"
    );
    assert!(!out.contains("lab-password"), "{out}");
}

#[test]
fn a_keylog_that_cannot_be_read_is_named() {
    let (_, out, _) = mradiag(&[
        "analyze",
        "--keylog",
        "no/such/keys.log",
        "samples/keylog-provisioning-401-tls12/capture.pcap",
    ]);
    assert!(out.contains("no/such/keys.log"), "{out}");
    assert!(out.contains("cannot read"), "{out}");
}

#[test]
fn a_local_time_no_zone_places_is_never_written_as_utc() {
    // A Jabber log alone: its times have no zone, and nothing here tells it.
    let (_, text, _) = mradiag(&["analyze", "samples/jabber-no-home-uds"]);
    assert!(text.contains("14:17:37–14:17:37 local time"), "{text}");
    assert!(!text.contains("14:17:37 UTC"), "{text}");
    let (_, json, _) = mradiag(&["analyze", "--format", "json", "samples/jabber-no-home-uds"]);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let session = &report["sessions"][0];
    assert_eq!(session["local_time"], true);
    assert_eq!(session["start"], "2026-11-26T14:17:37.500000");
    for e in report["verdict"]["evidence"].as_array().unwrap() {
        assert!(!e["ts"].as_str().unwrap().ends_with('Z'), "{e}");
    }
    let (_, events, _) = mradiag(&["events", "samples/jabber-no-home-uds"]);
    let line = events
        .lines()
        .find(|l| l.contains("\"log_signature\""))
        .expect("a hit");
    assert!(
        line.contains("\"ts\":\"2026-11-26T14:17:37.500000\""),
        "{line}"
    );
    // Given its zone, the same log is placed in UTC and said so.
    let (_, text, _) = mradiag(&[
        "analyze",
        "--tz",
        "America/New_York",
        "samples/jabber-no-home-uds",
    ]);
    assert!(text.contains("19:17:37–19:17:37 UTC"), "{text}");
}

#[test]
fn unrecognised_inputs_and_an_empty_folder_say_what_was_seen() {
    let dir = std::env::temp_dir().join(format!("mradiag-unknown-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("empty")).unwrap();
    std::fs::write(dir.join("photo.pcap"), b"\xff\xd8\xff\xe0\x00\x10JFIF").unwrap();
    std::fs::write(dir.join("nothing.pcap"), b"").unwrap();
    let arg = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let (code, out, _) = mradiag(&[
        "analyze",
        &arg("photo.pcap"),
        &arg("nothing.pcap"),
        &arg("empty"),
    ]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("a JPEG image, not a capture"), "{out}");
    assert!(out.contains("empty: no bytes to read"), "{out}");
    assert!(out.contains("an empty folder: no files in it"), "{out}");
}

#[test]
fn a_zone_out_of_range_is_refused_and_a_city_gets_its_name() {
    let case = "samples/users-ticket-register-403";
    let (code, out, err) = mradiag(&["analyze", "-q", "--tz", "+25:00", case]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.contains("--tz: \"+25:00\" is not a UTC offset"),
        "{err}"
    );
    let (code, _, err) = mradiag(&["analyze", "-q", "--tz", "paris", case]);
    assert_eq!(code, 2);
    // Suggestions come from the machine's zone database: where it has Paris, one is made.
    if std::path::Path::new("/usr/share/zoneinfo/Europe/Paris").exists() {
        assert!(err.contains("did you mean Europe/Paris?"), "{err}");
    } else {
        assert!(err.contains("unknown time zone \"paris\""), "{err}");
    }
}

#[test]
fn at_with_a_date_alone_means_that_whole_day() {
    let case = "samples/users-ticket-register-403";
    let args = |day: &'static str| {
        [
            "analyze", "--user", "leap17", "--tz", "+09:00", "--at", day, case,
        ]
    };
    let (code, out, _) = mradiag(&args("2026-11-26"));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("the whole day 2026-11-26, read in UTC+09")
            && out.contains("2026-11-25T15:00:00.000000Z – 2026-11-26T15:00:00.000000Z"),
        "{out}"
    );
    // The day after has no sign-in of that user: said, not the failure of the day before.
    let (code, out, _) = mradiag(&args("2026-11-27"));
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("no sign-in within 15 min of"), "{out}");
}

/// JSON is written as it is serialized: the same bytes on standard output, in a file named
/// with -o, and from the library's `to_json`; a file that cannot be made is named.
#[test]
fn json_streams_the_same_bytes_wherever_it_goes() {
    let sample = "samples/merged-capture-expc-401";
    let (code, out, _) = mradiag(&["analyze", "--format", "json", sample]);
    assert_eq!(code, 1);
    let path = std::env::temp_dir().join(format!("mradiag-report-{}.json", std::process::id()));
    let (code_o, out_o, _) = mradiag(&[
        "analyze",
        "--format",
        "json",
        "-o",
        path.to_str().unwrap(),
        sample,
    ]);
    assert_eq!((code_o, out_o.as_str()), (1, ""));
    let written = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).ok();
    assert_eq!(written, out);
    assert!(out.ends_with("}\n"));
    // The library's whole string, from the same report (ladders drawn, as for JSON).
    let catalog = mradiag::logs::signatures::Catalog::builtin();
    let sample_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(sample);
    let report = mradiag::analyze::judge(
        mradiag::analyze::decode_inputs(&[sample_dir], catalog),
        catalog,
        &mradiag::analyze::Options::default(),
    );
    let mut streamed = Vec::new();
    report.write_json(&mut streamed).unwrap();
    assert_eq!(String::from_utf8(streamed).unwrap(), report.to_json());
    let (code_bad, _, err) = mradiag(&[
        "analyze",
        "--format",
        "json",
        "-o",
        "/nonexistent-dir/r.json",
        sample,
    ]);
    assert_eq!(code_bad, 2);
    assert!(err.contains("/nonexistent-dir/r.json"), "{err}");
}

/// A README quoting a failure, found in a case folder, is set aside without being read as a
/// log (its name says it is a document), and a note without a log header for lacking one; the
/// README named on the command line is searched.
#[test]
fn a_document_or_note_found_beside_the_inputs_is_set_aside_and_one_named_is_searched() {
    let dir = std::env::temp_dir().join(format!("mradiag-docs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let readme = dir.join("README.md");
    std::fs::write(
        &readme,
        "Seen on the user's laptop:\n2026-11-26 14:17:39,100 INFO [0x00000c94] [vices\\impl\\DiscoveryHandlerImpl.cpp(668)] [service-discovery] [CSFUnified::DiscoveryHandlerImpl::evaluateServiceDiscoveryResult] - ServiceDiscoveryHandlerResult return code FAILED_NO_SRV_RECORDS_FOUND\n",
    )
    .unwrap();
    // A note without a log header: set aside too, for lacking one.
    std::fs::write(
        dir.join("notes.txt"),
        "Called the user, 403 again after the password reset. Expressway-E expe1.\n",
    )
    .unwrap();
    let inputs = |path: &std::path::Path| {
        let (_, out, _) = mradiag(&["analyze", "--format", "json", path.to_str().unwrap()]);
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        report["inputs"].clone()
    };
    let all = inputs(&dir);
    let (found, note) = (all[0].clone(), all[1].clone());
    let named = inputs(&readme)[0].clone();
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(note["kind"], "text", "{note}");
    assert_eq!(
        note["anomalies"][0],
        "no Expressway or Jabber log header in it: not read as evidence"
    );
    assert_eq!(found["kind"], "text", "{found}");
    assert_eq!(found["events"], 0);
    assert_eq!(
        found["anomalies"][0],
        "a document or script by its name (.md): not read as evidence"
    );
    assert_eq!(named["kind"], "log", "{named}");
    assert!(named["events"].as_u64().unwrap() >= 1, "{named}");
}
