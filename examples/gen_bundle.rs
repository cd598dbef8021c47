//! Write multi-user Expressway-E and -C diagnostic bundles (see `mradiag::synth::bundle`):
//! one `diagnostic_log_<host>_<stamp>.tar.gz` per box, holding its `loggingsnapshot_*.txt`,
//! and `truth.json` with the planted failures.
//!
//! ```text
//! cargo run --release --example gen_bundle -- --out DIR [--seed 7] [--users 60] [--minutes 120]
//!     [--plant USER:KIND:AT_S[:RECOVER_AFTER_S]]... [--also-healthy] [--no-truth]
//!     [--routine-per-minute N]
//! ```
//! `--routine-per-minute N`: N routine lines about no one per box and minute (a busy box at
//! debug level; the bench's multi-user bundle uses 1500).
//! KIND: uds401, domain403, nexthop502, homecucm, register403, voicemail403, xcp7400 (lines
//! about no user on Expressway-C while the planted user signs in).

use mradiag::synth::bundle::{BundleSpec, FaultKind, Planted, generate};
use std::io::Write;

fn kind(name: &str) -> FaultKind {
    match name {
        "uds401" => FaultKind::UdsAuth401,
        "domain403" => FaultKind::Domain403,
        "nexthop502" => FaultKind::NextHop502,
        "homecucm" => FaultKind::HomeCucmUnknown,
        "register403" => FaultKind::Register403,
        "voicemail403" => FaultKind::Voicemail403,
        "xcp7400" => FaultKind::Xcp7400,
        other => {
            eprintln!("unknown fault kind {other}");
            std::process::exit(2);
        }
    }
}

fn main() -> std::io::Result<()> {
    let mut spec = BundleSpec {
        seed: 7,
        users: 60,
        minutes: 120,
        planted: Vec::new(),
        also_healthy: false,
        routine_per_minute: 0,
    };
    let mut out = std::path::PathBuf::from("generated-bundles");
    let mut truth_file = true;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--out" => out = value().into(),
            "--seed" => spec.seed = value().parse().expect("--seed N"),
            "--users" => spec.users = value().parse().expect("--users N"),
            "--minutes" => spec.minutes = value().parse().expect("--minutes N"),
            "--also-healthy" => spec.also_healthy = true,
            "--routine-per-minute" => {
                spec.routine_per_minute = value().parse().expect("--routine-per-minute N");
            }
            "--no-truth" => truth_file = false,
            "--plant" => {
                let v = value();
                let parts: Vec<&str> = v.split(':').collect();
                if parts.len() < 3 {
                    eprintln!("--plant USER:KIND:AT_S[:RECOVER_AFTER_S]");
                    std::process::exit(2);
                }
                spec.planted.push(Planted {
                    user: parts[0].parse().expect("a user index"),
                    kind: kind(parts[1]),
                    at_s: parts[2].parse().expect("seconds"),
                    recover_after_s: parts.get(3).map(|s| s.parse().expect("seconds")),
                });
            }
            other => {
                eprintln!(
                    "unknown argument {other} (see the doc comment of examples/gen_bundle.rs)"
                );
                std::process::exit(2);
            }
        }
    }
    std::fs::create_dir_all(&out)?;
    let g = generate(&spec);
    let stamp = jiff::Timestamp::from_nanosecond(g.start as i128)
        .expect("in range")
        .strftime("%Y-%m-%d_%H-%M-%S")
        .to_string();
    for b in &g.boxes {
        let member = format!("loggingsnapshot_{}_{stamp}.txt", b.host);
        let mut tar = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_ustar();
        header.set_size(b.log.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(1_764_166_650);
        header.set_cksum();
        tar.append_data(&mut header, &member, b.log.as_bytes())?;
        let bytes = tar.into_inner()?;
        let path = out.join(format!("diagnostic_log_{}_{stamp}.tar.gz", b.host));
        let mut gz = flate2::GzBuilder::new()
            .mtime(0)
            .write(std::fs::File::create(&path)?, flate2::Compression::best());
        gz.write_all(&bytes)?;
        gz.finish()?;
    }
    if truth_file {
        let truth: Vec<serde_json::Value> = g
            .truth
            .iter()
            .map(|(user, fault, at)| {
                serde_json::json!({"user": user, "fault": fault, "at": mradiag::time::format_ns(*at)})
            })
            .collect();
        std::fs::write(
            out.join("truth.json"),
            serde_json::to_string_pretty(&serde_json::json!({
                "shape": g.shape,
                "users": g.users.len(),
                "planted": truth,
            }))? + "\n",
        )?;
    }
    println!(
        "{}: {} boxes, {} users; {}",
        out.display(),
        g.boxes.len(),
        g.users.len(),
        g.shape
    );
    for (user, fault, at) in &g.truth {
        println!("  {user} {fault} at {}", mradiag::time::format_ns(*at));
    }
    Ok(())
}
