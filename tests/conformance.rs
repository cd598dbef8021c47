//! Conformance against a peer: for every capture in `../shared/corpus/real/` (override with
//! `MRADIAG_CORPUS`), the facts `mradiag events` decodes must equal what tshark reported in the
//! stored `*.tshark.tsv` (and `*.certs.txt`): DNS names, types, rcodes, SRV/A/AAAA answers,
//! TCP SYN/SYN-ACK/RST frames with their `tcp.stream`, TLS hellos, SNI, versions, alerts,
//! certificate fingerprints, XMPP STARTTLS/proceed, SIP methods and status codes.
//! Every difference must be fixed or listed with its reason in `tests/conformance-allowlist.toml`.

use mradiag::model::{DnsRecord, Event, EventKind};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn corpus_dir() -> PathBuf {
    std::env::var_os("MRADIAG_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"))
        .join("real")
}

fn tshark_facts(tsv: &str, certs: Option<&str>) -> BTreeSet<String> {
    let mut lines = tsv.lines();
    let header: Vec<&str> = lines.next().expect("header row").split('\t').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let (frame, stream, flags) = (col("frame.number"), col("tcp.stream"), col("tcp.flags"));
    let (resp, rcode, qname, qtype) = (
        col("dns.flags.response"),
        col("dns.flags.rcode"),
        col("dns.qry.name"),
        col("dns.qry.type"),
    );
    let (a, aaaa, srv) = (col("dns.a"), col("dns.aaaa"), col("dns.srv.target"));
    let (hs_type, hs_version, sni, sup) = (
        col("tls.handshake.type"),
        col("tls.handshake.version"),
        col("tls.handshake.extensions_server_name"),
        col("tls.handshake.extensions.supported_version"),
    );
    let (alert_level, alert_desc) = (
        col("tls.alert_message.level"),
        col("tls.alert_message.desc"),
    );
    let (starttls, proceed, method, status) = (
        col("xmpp.starttls"),
        col("xmpp.proceed"),
        col("sip.Method"),
        col("sip.Status-Code"),
    );
    let mut facts = BTreeSet::new();
    for line in lines {
        let c: Vec<&str> = line.split('\t').collect();
        let get = |i: usize| c.get(i).copied().unwrap_or("");
        let f = get(frame);
        if !get(flags).is_empty() {
            let bits = u16::from_str_radix(get(flags).trim_start_matches("0x"), 16).unwrap_or(0);
            let s = get(stream);
            match (bits & 0x02 != 0, bits & 0x10 != 0) {
                (true, false) => facts.insert(format!("F{f} tcp syn stream={s}")),
                (true, true) => facts.insert(format!("F{f} tcp syn-ack stream={s}")),
                _ => false,
            };
            if bits & 0x04 != 0 {
                facts.insert(format!("F{f} tcp rst stream={s}"));
            }
        }
        if !get(qname).is_empty() || !get(resp).is_empty() {
            // Several DNS messages in one frame (DNS over TCP) are aggregated with commas:
            // one flag per message, one name and type per message.
            let flags: Vec<&str> = get(resp).split(',').collect();
            let names: Vec<&str> = get(qname).split(',').collect();
            let types: Vec<&str> = get(qtype).split(',').collect();
            let rcodes: Vec<&str> = get(rcode).split(',').collect();
            let per_message = flags.len() > 1;
            let mut responses = 0;
            for (i, flag) in flags.iter().enumerate() {
                let j = if per_message { i } else { 0 };
                let name = names.get(j).unwrap_or(&"").to_ascii_lowercase();
                let t = types.get(j).unwrap_or(&"");
                if *flag == "1" {
                    let r = rcodes.get(responses).unwrap_or(&"");
                    responses += 1;
                    facts.insert(format!("F{f} dns response name={name} type={t} rcode={r}"));
                } else {
                    facts.insert(format!("F{f} dns query name={name} type={t}"));
                }
            }
            for (kind, col) in [("srv", srv), ("a", a), ("aaaa", aaaa)] {
                for v in get(col).split(',').filter(|v| !v.is_empty()) {
                    facts.insert(format!("F{f} dns {kind} {}", v.to_ascii_lowercase()));
                }
            }
        }
        let types: Vec<&str> = get(hs_type).split(',').collect();
        if types.contains(&"1") {
            let name = if get(sni).is_empty() { "-" } else { get(sni) };
            facts.insert(format!("F{f} tls client_hello sni={name}"));
        }
        if types.contains(&"2") {
            let v = if get(sup).is_empty() {
                get(hs_version).split(',').next().unwrap_or("")
            } else {
                get(sup).split(',').next().unwrap_or("")
            };
            facts.insert(format!("F{f} tls server_hello version={v}"));
        }
        if !get(alert_desc).is_empty() {
            for (l, d) in get(alert_level).split(',').zip(get(alert_desc).split(',')) {
                facts.insert(format!("F{f} tls alert level={l} desc={d}"));
            }
        }
        if !get(starttls).is_empty() {
            facts.insert(format!("F{f} xmpp starttls"));
        }
        if !get(proceed).is_empty() {
            facts.insert(format!("F{f} xmpp proceed"));
        }
        for m in get(method).split(',').filter(|m| !m.is_empty()) {
            facts.insert(format!("F{f} sip request {m}"));
        }
        for s in get(status).split(',').filter(|m| !m.is_empty()) {
            facts.insert(format!("F{f} sip response {s}"));
        }
    }
    for line in certs.unwrap_or("").lines() {
        let fields: BTreeMap<&str, &str> = line
            .split('\t')
            .filter_map(|kv| kv.split_once('='))
            .collect();
        if let (Some(f), Some(i), Some(h)) = (
            fields.get("frame"),
            fields.get("idx"),
            fields.get("sha256_16"),
        ) {
            facts.insert(format!("F{f} cert idx={i} sha256_16={h}"));
        }
    }
    facts
}

fn our_facts(events: &[Event]) -> BTreeSet<String> {
    let mut facts = BTreeSet::new();
    for e in events {
        let f = e.frame;
        match &e.kind {
            EventKind::TcpSyn { stream, .. } => {
                facts.insert(format!("F{f} tcp syn stream={stream}"));
            }
            EventKind::TcpSynAck { stream, .. } => {
                facts.insert(format!("F{f} tcp syn-ack stream={stream}"));
            }
            EventKind::TcpRst { stream, .. } => {
                facts.insert(format!("F{f} tcp rst stream={stream}"));
            }
            EventKind::DnsQuery { name, qtype, .. } => {
                facts.insert(format!(
                    "F{f} dns query name={} type={qtype}",
                    name.to_ascii_lowercase()
                ));
            }
            EventKind::DnsResponse {
                name,
                qtype,
                rcode,
                answers,
                additional,
                ..
            } => {
                facts.insert(format!(
                    "F{f} dns response name={} type={qtype} rcode={rcode}",
                    name.to_ascii_lowercase()
                ));
                for r in answers.iter().chain(additional) {
                    let fact = match r {
                        DnsRecord::Srv { target, .. } => {
                            format!("F{f} dns srv {}", target.to_ascii_lowercase())
                        }
                        DnsRecord::A { addr, .. } => format!("F{f} dns a {addr}"),
                        DnsRecord::Aaaa { addr, .. } => format!("F{f} dns aaaa {addr}"),
                        _ => continue,
                    };
                    facts.insert(fact);
                }
            }
            EventKind::TlsClientHello { sni, .. } => {
                facts.insert(format!(
                    "F{f} tls client_hello sni={}",
                    sni.as_deref().unwrap_or("-")
                ));
            }
            EventKind::TlsServerHello { version, .. } => {
                facts.insert(format!("F{f} tls server_hello version=0x{version:04x}"));
            }
            // tshark counts a HelloRetryRequest as a ServerHello (handshake type 2), TLS 1.3.
            EventKind::TlsHelloRetryRequest { .. } => {
                facts.insert(format!("F{f} tls server_hello version=0x0304"));
            }
            EventKind::TlsAlert {
                level, description, ..
            } => {
                facts.insert(format!("F{f} tls alert level={level} desc={description}"));
            }
            EventKind::TlsCertificate { chain, .. } => {
                for (i, c) in chain.iter().enumerate() {
                    facts.insert(format!("F{f} cert idx={i} sha256_16={}", &c.sha256[..16]));
                }
            }
            EventKind::XmppStartTls { .. } => {
                facts.insert(format!("F{f} xmpp starttls"));
            }
            EventKind::XmppProceed { .. } => {
                facts.insert(format!("F{f} xmpp proceed"));
            }
            EventKind::SipRequest(r) => {
                facts.insert(format!("F{f} sip request {}", r.method));
            }
            EventKind::SipResponse(r) => {
                facts.insert(format!("F{f} sip response {}", r.code));
            }
            _ => {}
        }
    }
    facts
}

#[derive(serde::Deserialize)]
struct AllowList {
    allow: Vec<Allowed>,
}

#[derive(serde::Deserialize)]
struct Allowed {
    capture: String,
    /// `missing` (tshark has it, we do not) or `extra` (we have it, tshark does not).
    side: String,
    fact: String,
    reason: String,
}

/// A capture and its tshark reference, named as the allow-list names it.
struct Reference {
    name: String,
    tsv: PathBuf,
    capture: PathBuf,
    certs: Option<PathBuf>,
}

/// The corpus's captures (`NAME.tshark.tsv` beside `NAME.pcap[ng]`).
fn corpus_references(dir: &Path) -> Vec<Reference> {
    let mut tsvs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".tshark.tsv"))
        .collect();
    tsvs.sort();
    tsvs.into_iter()
        .map(|tsv| {
            let stem = tsv
                .file_name()
                .unwrap()
                .to_string_lossy()
                .trim_end_matches(".tshark.tsv")
                .to_string();
            let capture = ["pcap", "pcapng"]
                .iter()
                .map(|ext| dir.join(format!("{stem}.{ext}")))
                .find(|p| p.exists())
                .expect("capture beside its reference");
            let certs = Some(dir.join(format!("{stem}.certs.txt"))).filter(|p| p.exists());
            Reference {
                name: capture.file_name().unwrap().to_string_lossy().to_string(),
                tsv,
                capture,
                certs,
            }
        })
        .collect()
}

/// Our own lab captures that carry a tshark reference (`samples/NAME/capture.tshark.tsv` and
/// `capture.certs.txt`, made by `samples/lab/lab.sh`'s `tshark_reference` as the corpus's
/// were), named `NAME/capture.pcap`.
fn sample_references() -> Vec<Reference> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut out: Vec<Reference> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|d| d.join("capture.tshark.tsv").exists())
        .map(|d| Reference {
            name: format!("{}/capture.pcap", d.file_name().unwrap().to_string_lossy()),
            tsv: d.join("capture.tshark.tsv"),
            capture: d.join("capture.pcap"),
            certs: Some(d.join("capture.certs.txt")).filter(|p| p.exists()),
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

#[test]
fn events_agree_with_tshark_on_the_real_corpus() {
    let dir = corpus_dir();
    let mut references = sample_references();
    assert!(
        !references.is_empty(),
        "no sample carries a tshark reference"
    );
    if dir.is_dir() {
        let corpus = corpus_references(&dir);
        assert!(
            !corpus.is_empty(),
            "no tshark references in {}",
            dir.display()
        );
        references.extend(corpus);
    } else {
        eprintln!(
            "SKIPPED (the corpus part): conformance corpus not found at {} (set MRADIAG_CORPUS); only the samples' own tshark references are compared",
            dir.display()
        );
    }
    let allow: AllowList =
        toml::from_str(include_str!("conformance-allowlist.toml")).expect("allow-list parses");
    for a in &allow.allow {
        assert!(
            !a.reason.trim().is_empty(),
            "allow-list entry without a reason: {}",
            a.fact
        );
    }
    let mut problems = Vec::new();
    let mut used = BTreeSet::new();
    let mut compared = 0;
    for r in &references {
        let certs = r
            .certs
            .as_ref()
            .map(|p| std::fs::read_to_string(p).unwrap());
        let expected = tshark_facts(&std::fs::read_to_string(&r.tsv).unwrap(), certs.as_deref());
        let file = std::io::BufReader::new(std::fs::File::open(&r.capture).unwrap());
        let streamed = mradiag::capture::decode(file).events;
        // The in-place reader (used for mapped files) must see exactly what the stream sees.
        let bytes = std::fs::read(&r.capture).unwrap();
        assert_eq!(
            serde_json::to_string(&mradiag::capture::decode_slice(&bytes, None).events).unwrap(),
            serde_json::to_string(&streamed).unwrap(),
            "{}: slice and stream readers differ",
            r.capture.display()
        );
        let got = our_facts(&streamed);
        let name = &r.name;
        for (side, diff) in [
            ("missing", expected.difference(&got)),
            ("extra", got.difference(&expected)),
        ] {
            for fact in diff {
                match allow
                    .allow
                    .iter()
                    .position(|a| a.capture == *name && a.side == side && a.fact == *fact)
                {
                    Some(i) => {
                        used.insert(i);
                    }
                    None => problems.push(format!("{name}: {side}: {fact}")),
                }
            }
        }
        compared += expected.len();
    }
    for (i, a) in allow.allow.iter().enumerate() {
        // Corpus entries are stale only when the corpus was there to compare.
        if !used.contains(&i) && (dir.is_dir() || a.capture.contains('/')) {
            problems.push(format!(
                "stale allow-list entry (no longer differs): {} {} {}",
                a.capture, a.side, a.fact
            ));
        }
    }
    eprintln!(
        "compared {compared} tshark facts over {} captures",
        references.len()
    );
    assert!(
        problems.is_empty(),
        "{} differences from tshark:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
