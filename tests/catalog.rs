//! Where the built-in catalog's example lines come from: every signature says whether its
//! example is a line a real system wrote (`provenance = "real"`) or one we constructed; a real
//! one must be quoted verbatim, with its public source, in the research notes
//! (`../shared/docs/research/mra-domain.md`, read through `MRADIAG_SHARED`, default
//! `../shared`). The test says so and skips that check when the notes are absent.

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
