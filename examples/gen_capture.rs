//! Write a deterministic client-like capture (see `mradiag::synth::capture`) and its truth.
//!
//! ```text
//! cargo run --release --example gen_capture -- --size-mb 1024 --out big.pcap [--pcapng] [--seed 7]
//! ```
//! Writes `OUT.truth.json` beside the capture: the counts a correct decoder must find.

use mradiag::synth::capture::{CaptureSpec, write_capture};
use std::io::BufWriter;

fn main() -> std::io::Result<()> {
    let mut spec = CaptureSpec {
        size_bytes: 64 << 20,
        seed: 7,
        pcapng: false,
    };
    let mut out = String::from("generated.pcap");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--size-mb" => spec.size_bytes = value().parse::<u64>().expect("--size-mb N") << 20,
            "--out" => out = value(),
            "--pcapng" => spec.pcapng = true,
            "--seed" => spec.seed = value().parse().expect("--seed N"),
            other => {
                eprintln!(
                    "unknown argument {other}\nusage: gen_capture [--size-mb N] [--out FILE] [--pcapng] [--seed N]"
                );
                std::process::exit(2);
            }
        }
    }
    let file = BufWriter::with_capacity(1 << 20, std::fs::File::create(&out)?);
    let truth = write_capture(spec, file)?;
    std::fs::write(
        format!("{out}.truth.json"),
        serde_json::to_string_pretty(&truth)? + "\n",
    )?;
    eprintln!("{out}: {} frames, {} MiB", truth.frames, truth.bytes >> 20);
    Ok(())
}
