//! Snapshots of what users read and script against — the text, Markdown and JSON reports of
//! every sample (a summary of the JSON past 20 sessions) — so that any change to them is seen and reviewed. With `CI` set, insta
//! writes nothing and a difference fails; locally, `INSTA_UPDATE=always cargo test --test
//! snapshots` rewrites them for review with `git diff`.

mod common;

use mradiag::analyze;
use mradiag::logs::signatures::Catalog;
use std::path::{Path, PathBuf};

#[test]
fn every_sample_report() {
    // Relative paths, so the reports read the same on every machine.
    let root = Path::new("samples");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expect.toml").exists())
        .collect();
    dirs.sort();
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for dir in &dirs {
            let name = dir.file_name().unwrap().to_string_lossy().to_string();
            let catalog = Catalog::builtin();
            let report = analyze::judge(
                analyze::decode_inputs(std::slice::from_ref(dir), catalog),
                catalog,
                &common::sample_options(dir),
            );
            insta::assert_snapshot!(
                format!("{name}.txt"),
                mradiag::report::text::render(&report)
            );
            insta::assert_snapshot!(
                format!("{name}.md"),
                mradiag::report::markdown::render(&report)
            );
            if report.sessions.len() <= 20 {
                insta::assert_snapshot!(format!("{name}.json"), report.to_json());
            } else {
                // A busy cluster's JSON runs to megabytes (every session's ladder): its
                // verdict, phases, users table and focus are what a script reads first.
                let summary = serde_json::json!({
                    "verdict": report.verdict,
                    "phases": report.phases,
                    "users": report.users,
                    "focus": report.focus,
                    "sessions": report.sessions.len(),
                    "findings": report.findings.len(),
                });
                insta::assert_snapshot!(
                    format!("{name}.summary.json"),
                    serde_json::to_string_pretty(&summary).unwrap()
                );
            }
        }
    });
}
