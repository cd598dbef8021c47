//! The crate's layers, listed once here and in ARCHITECTURE.md: a module may use what is in its
//! own layer or below, never above. Reads every `crate::` path in `src/` (test modules left
//! out: a test may use the generators) so that no import cycle comes back.

use std::collections::BTreeMap;
use std::path::Path;

/// Lowest first.
const LAYERS: &[&[&str]] = &[
    &["time", "limits", "faults", "text", "terminal", "intern"],
    &["model"],
    &["input", "proto"],
    &["capture", "logs"],
    &["certs"],
    &["report"],
    &["decoded"],
    &["align"],
    &["mra"],
    &["analyze", "scan", "synth"],
];

fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The top-level modules a source text names through `crate::`, grouped imports included.
fn named(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                out.push(name);
            }
        } else {
            out.push(
                rest.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect(),
            );
        }
    }
    out.retain(|n| !n.is_empty());
    out
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_module_uses_a_layer_above_its_own() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    files(&src, &mut paths);
    paths.sort();
    let mut upward: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut unlisted = Vec::new();
    for path in &paths {
        let rel = path
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .to_string();
        let top = rel
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_string();
        if top == "main" || top == "lib" {
            continue;
        }
        let Some(own) = rank(&top) else {
            unlisted.push(top);
            continue;
        };
        let text = std::fs::read_to_string(path).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or(&text);
        for name in named(code) {
            match rank(&name) {
                Some(r) if r > own => upward
                    .entry(format!("{rel} uses {name}"))
                    .or_default()
                    .push(format!("layer {own} → {r}")),
                Some(_) => {}
                None => unlisted.push(name),
            }
        }
    }
    unlisted.sort();
    unlisted.dedup();
    assert!(
        unlisted.is_empty(),
        "modules missing from LAYERS (add them here and in ARCHITECTURE.md): {unlisted:?}"
    );
    assert!(
        upward.is_empty(),
        "imports from a layer above:\n{}",
        upward
            .iter()
            .map(|(k, v)| format!("{k} ({})", v[0]))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_reader_finds_grouped_and_inline_paths() {
    let text = "use crate::model::{Event, EventKind};\nuse crate::{report::Finding, time};\nlet x = crate::mra::Tagged;";
    assert_eq!(named(text), vec!["model", "report", "time", "mra"]);
}
