//! Write a deterministic Expressway-style log (see `mradiag::synth::log`) and its truth.
//!
//! ```text
//! cargo run --release --example gen_log -- --size-mb 1024 --out big.log [--seed 7] [--plant-every 20000]
//! ```
//! Writes `OUT.truth.json` beside it: per signature, how many lines the scan must find.

use mradiag::logs::signatures::Catalog;
use mradiag::synth::log::{LogSpec, write_log};
use std::io::BufWriter;

fn main() -> std::io::Result<()> {
    let mut spec = LogSpec {
        size_bytes: 64 << 20,
        seed: 7,
        plant_every: 20_000,
    };
    let mut out = String::from("generated.log");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--size-mb" => spec.size_bytes = value().parse::<u64>().expect("--size-mb N") << 20,
            "--out" => out = value(),
            "--seed" => spec.seed = value().parse().expect("--seed N"),
            "--plant-every" => spec.plant_every = value().parse().expect("--plant-every N"),
            other => {
                eprintln!(
                    "unknown argument {other}\nusage: gen_log --size-mb 1024 --out big.log [--seed 7] [--plant-every 20000]"
                );
                std::process::exit(2);
            }
        }
    }
    let file = BufWriter::with_capacity(1 << 20, std::fs::File::create(&out)?);
    let truth = write_log(spec, Catalog::builtin(), file)?;
    std::fs::write(
        format!("{out}.truth.json"),
        serde_json::to_string_pretty(&truth)? + "\n",
    )?;
    eprintln!(
        "{out}: {} lines, {} MiB, {} planted",
        truth.lines,
        truth.bytes >> 20,
        truth.planted
    );
    Ok(())
}
