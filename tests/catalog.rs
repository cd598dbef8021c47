//! Where the built-in catalog's example lines come from: every signature says whether its
//! example is a line a real system wrote (`provenance = "real"`) or one we constructed; a real
//! one must be quoted verbatim, with its public source, in the research notes
//! (`../shared/docs/research/mra-domain.md`, read through `MRADIAG_SHARED`, default
//! `../shared`). The test says so and skips that check when the notes are absent. A
//! signature's `box` is enforced where a configuration dump states a line's box.

use mradiag::logs::signatures::Catalog;
use std::path::PathBuf;

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn every_example_says_where_it_comes_from_and_real_ones_are_quoted_with_a_source() {
    let catalog = Catalog::builtin();
    let mut real = Vec::new();
    for s in &catalog.signatures {
        match s.provenance.as_deref() {
            Some("real") => real.push(s),
            Some("constructed") => {}
            other => panic!("{}: provenance {other:?}", s.id),
        }
        assert!(
            !s.source.trim().is_empty(),
            "{}: no source for its failure",
            s.id
        );
    }
    assert!(real.len() >= 30, "only {} real examples", real.len());
    let shared = std::env::var_os("MRADIAG_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let notes = shared.join("docs/research/mra-domain.md");
    // Real lines the catalog quotes from tests/real-lines/lines.toml carry their source there.
    let real_lines = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/real-lines/lines.toml"
    ))
    .expect("tests/real-lines/lines.toml");
    let real_lines: toml::Value = toml::from_str(&real_lines).expect("lines.toml parses");
    let quoted: Vec<String> = real_lines["line"]
        .as_array()
        .expect("[[line]]")
        .iter()
        .map(|l| collapse(l["text"].as_str().expect("text")))
        .collect();
    let Ok(text) = std::fs::read_to_string(&notes) else {
        eprintln!(
            "SKIPPED: {} is absent, the real examples' quotes are not checked",
            notes.display()
        );
        return;
    };
    let text = collapse(&text);
    for s in real {
        assert!(
            text.contains(&collapse(&s.example)) || quoted.contains(&collapse(&s.example)),
            "{}: marked real, but its example is not quoted in {} nor in tests/real-lines",
            s.id,
            notes.display()
        );
    }
}

/// A line whose signature Expressway-C writes (`box = "c"`), read in a bundle whose own
/// configuration dump says it is Expressway-E, is set aside and said; in Expressway-C's bundle
/// it decides the phase. The XCP line is TAC 117811's (S4), with a syslog header added.
#[test]
fn a_line_from_the_other_box_is_set_aside() {
    let judge = |zone_type: &str| {
        let dir =
            std::env::temp_dir().join(format!("mradiag-box-{zone_type}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("xconf_dump_xwayc.txt"),
            format!(
                "*c xConfiguration IP DNS Hostname: \"xwayc\"\n\
*c xConfiguration Zones Zone 2 Name: \"UC traversal\"\n\
*c xConfiguration Zones Zone 2 Type: {zone_type}\n"
            ),
        )
        .unwrap();
        std::fs::write(
            dir.join("loggingsnapshot_xwayc.txt"),
            "2014-03-25T17:19:45.847+00:00 xwayc XCP_JABBERD[23843]: UTCTime=\"2014-03-25 17:19:45,847\" ThreadID=\"139747212576512\" Module=\"Jabber\" Level=\"ERROR\" CodeLocation=\"mio.c:1121\" Detail=\" Unable to connect to host '10.48.36.171', port 7400 :(111) Connection refused\"\n",
        )
        .unwrap();
        let report = mradiag::analyze::judge(
            mradiag::analyze::decode_inputs(std::slice::from_ref(&dir), Catalog::builtin()),
            Catalog::builtin(),
            &Default::default(),
        );
        std::fs::remove_dir_all(&dir).unwrap();
        serde_json::to_value(&report).unwrap()
    };
    let on_c = judge("TraversalClient");
    assert_eq!(
        on_c["verdict"]["fault"], "xmpp.backend_unreachable",
        "{on_c:#}"
    );
    let on_e = judge("TraversalServer");
    assert_ne!(on_e["verdict"]["fault"], "xmpp.backend_unreachable");
    let aside = on_e["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "logs.other_box")
        .expect("the set-aside line is said");
    assert!(
        aside["evidence"][0]["note"]
            .as_str()
            .unwrap()
            .starts_with("xcp-7400-connect-failed"),
        "{aside:#}"
    );
}
