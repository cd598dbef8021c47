//! Reading against judging, side by side; the judge should cost no more than the read.
//! `users_1000`: a busy cluster's bundle (1,000 users, four hours, two clusters;
//! `synth::bundle`), every user's sign-ins judged (link, attempts, verdict).
//! `busy_capture`: a busy network's 64 MiB capture (`synth::busy`, 15% control traffic),
//! judged without ladders (text, `-q`) and with them (JSON, HTML).

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use mradiag::analyze;
use mradiag::logs::signatures::Catalog;
use mradiag::synth::bundle::{BundleSpec, FaultKind, Planted, generate};
use mradiag::synth::busy::{BusySpec, write_busy_capture};
use std::hint::black_box;
use std::path::PathBuf;

fn bench(c: &mut Criterion) {
    let g = generate(&BundleSpec {
        seed: 21,
        users: 1000,
        minutes: 240,
        planted: vec![Planted {
            user: 612,
            kind: FaultKind::Register403,
            at_s: 9000,
            recover_after_s: None,
        }],
        also_healthy: false,
        routine_per_minute: 0,
    });
    let dir = std::env::temp_dir().join(format!("mradiag-bench-users-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let paths: Vec<PathBuf> = g
        .boxes
        .iter()
        .map(|b| {
            let p = dir.join(format!("loggingsnapshot_{}_x.txt", b.host));
            std::fs::write(&p, &b.log).unwrap();
            p
        })
        .collect();
    let catalog = Catalog::builtin();
    let options = analyze::Options::default();
    let mut group = c.benchmark_group("users_1000");
    group.sample_size(10);
    group.bench_function("decode", |b| {
        b.iter(|| analyze::decode_inputs(black_box(&paths), catalog).len())
    });
    group.bench_function("judge", |b| {
        b.iter_batched(
            || analyze::decode_inputs(&paths, catalog),
            |decoded| analyze::judge(decoded, catalog, &options).sessions.len(),
            BatchSize::LargeInput,
        )
    });
    group.finish();
    std::fs::remove_dir_all(&dir).unwrap();
}

fn busy_capture(c: &mut Criterion) {
    let path = std::env::temp_dir().join(format!("mradiag-bench-busy-{}.pcap", std::process::id()));
    let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    write_busy_capture(
        BusySpec {
            size_bytes: 64 << 20,
            ..BusySpec::default()
        },
        file,
    )
    .unwrap();
    let paths = vec![path.clone()];
    let catalog = Catalog::builtin();
    let mut group = c.benchmark_group("busy_capture");
    group.sample_size(10);
    group.bench_function("decode", |b| {
        b.iter(|| analyze::decode_inputs(black_box(&paths), catalog).len())
    });
    for (name, skip_ladders) in [("judge_text", true), ("judge_json", false)] {
        let options = analyze::Options {
            skip_ladders,
            ..Default::default()
        };
        group.bench_function(name, |b| {
            b.iter_batched(
                || analyze::decode_inputs(&paths, catalog),
                |decoded| analyze::judge(decoded, catalog, &options).sessions.len(),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
    std::fs::remove_file(&path).unwrap();
}

criterion_group!(benches, bench, busy_capture);
criterion_main!(benches);
