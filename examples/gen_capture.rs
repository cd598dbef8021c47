//! Write a deterministic client-like capture (see `mradiag::synth::capture`) and its truth.
//!
//! ```text
//! cargo run --release --example gen_capture -- --size-mb 1024 --out big.pcap [--pcapng] [--seed 7] [--keylog FILE]
//! cargo run --release --example gen_capture -- --profile busy --size-mb 100 --out busy.pcap [--control-percent 15] [--start-unix S] [--first-port P]
//! ```
//! `--profile bulk` (the default) is a client-like capture whose bytes are almost all bulk
//! payload; `--profile busy` a busy network's (`mradiag::synth::busy`): hundreds of clients'
//! sign-ins, chains of three or four certificates, failures of every kind, and a set share
//! of control traffic.
//! Writes `OUT.truth.json` beside the capture: the counts a correct decoder must find. With
//! `--keylog FILE`, the TLS sessions are sealed for real (AES-128-GCM) and their secrets
//! written to FILE, for measuring decryption (`mradiag analyze --keylog FILE OUT`).

use mradiag::synth::busy::{BusySpec, write_busy_capture};
use mradiag::synth::capture::{CaptureSpec, write_capture};
use std::io::BufWriter;

fn main() -> std::io::Result<()> {
    let mut spec = CaptureSpec {
        size_bytes: 64 << 20,
        seed: 7,
        pcapng: false,
        keylog: false,
    };
    let mut out = String::from("generated.pcap");
    let mut keylog_file: Option<String> = None;
    let mut busy: Option<BusySpec> = None;
    let mut control_percent = BusySpec::default().control_percent;
    let mut start_us = BusySpec::default().start_us;
    let mut first_port = BusySpec::default().first_port;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--size-mb" => spec.size_bytes = value().parse::<u64>().expect("--size-mb N") << 20,
            "--out" => out = value(),
            "--pcapng" => spec.pcapng = true,
            "--seed" => spec.seed = value().parse().expect("--seed N"),
            "--profile" => match value().as_str() {
                "bulk" => busy = None,
                "busy" => busy = Some(BusySpec::default()),
                other => panic!("--profile bulk|busy, not {other}"),
            },
            "--control-percent" => {
                control_percent = value().parse().expect("--control-percent N");
            }
            "--start-unix" => {
                start_us = value().parse::<u64>().expect("--start-unix SECONDS") * 1_000_000;
            }
            "--first-port" => first_port = value().parse().expect("--first-port P"),
            "--keylog" => {
                keylog_file = Some(value());
                spec.keylog = true;
            }
            other => {
                eprintln!(
                    "unknown argument {other}\nusage: gen_capture [--profile bulk|busy] [--size-mb N] [--out FILE] [--pcapng] [--seed N] [--keylog FILE] [--control-percent N] [--start-unix S] [--first-port P]"
                );
                std::process::exit(2);
            }
        }
    }
    let file = BufWriter::with_capacity(1 << 20, std::fs::File::create(&out)?);
    let truth = match busy {
        Some(_) => write_busy_capture(
            BusySpec {
                size_bytes: spec.size_bytes,
                seed: spec.seed,
                pcapng: spec.pcapng,
                control_percent,
                start_us,
                first_port,
            },
            file,
        )?,
        None => write_capture(spec, file)?,
    };
    std::fs::write(
        format!("{out}.truth.json"),
        serde_json::to_string_pretty(&truth)? + "\n",
    )?;
    if let Some(path) = keylog_file {
        std::fs::write(path, &truth.keylog)?;
    }
    eprintln!("{out}: {} frames, {} MiB", truth.frames, truth.bytes >> 20);
    Ok(())
}
