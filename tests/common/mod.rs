//! What the sample tests share: a sample's focus (`user`, `at`, `tz` in its expect.toml) and
//! Expressway-E's names (`edge`), as the command line's `--user`, `--at`, `--tz` and `--edge`
//! would give them.

use mradiag::analyze;
use std::path::Path;

pub fn sample_options(dir: &Path) -> analyze::Options {
    let text = std::fs::read_to_string(dir.join("expect.toml")).unwrap_or_default();
    let v: toml::Value = toml::from_str(&text).unwrap_or(toml::Value::Table(Default::default()));
    let users = v
        .get("user")
        .and_then(|u| u.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let at = v.get("at").and_then(|a| a.as_str()).map(|a| {
        mradiag::time::Moment::parse(a).unwrap_or_else(|e| panic!("{}: at: {e}", dir.display()))
    });
    let tz = v.get("tz").and_then(|z| z.as_str()).map(|z| {
        mradiag::logs::grammar::parse_zone(z)
            .unwrap_or_else(|e| panic!("{}: tz: {e}", dir.display()))
    });
    let edges = v
        .get("edge")
        .and_then(|u| u.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str())
                .map(|e| {
                    mradiag::mra::EdgeSpec::parse(e)
                        .unwrap_or_else(|err| panic!("{}: edge: {err}", dir.display()))
                })
                .collect()
        })
        .unwrap_or_default();
    analyze::Options {
        users,
        at,
        tz,
        edges,
        ..Default::default()
    }
}
