//! Log scanning throughput: the whole signature catalog over a generated Expressway-style log
//! (rare planted lines, multi-line SIPMSG blocks), whole-buffer scan and the chunked decoder.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mradiag::logs::signatures::Catalog;
use mradiag::synth::log::{LogSpec, write_log};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let catalog = Catalog::builtin();
    let mut text = Vec::new();
    write_log(
        LogSpec {
            size_bytes: 64 << 20,
            seed: 7,
            plant_every: 20_000,
        },
        catalog,
        &mut text,
    )
    .expect("in memory");
    let mut group = c.benchmark_group("scan_logs");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("catalog_scan", |b| {
        b.iter(|| catalog.scan(black_box(&text)).len())
    });
    group.bench_function("decode_chunked", |b| {
        b.iter(|| {
            mradiag::logs::decode(black_box(&text), catalog)
                .events
                .len()
        })
    });
    group.bench_function("count_lines_floor", |b| {
        b.iter(|| memchr::memchr_iter(b'\n', black_box(&text)).count())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
