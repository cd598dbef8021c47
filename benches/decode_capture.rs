//! Capture decoding throughput on a generated client-like capture (pcap and pcapng): from a
//! stream, in place on one thread and on two (as a mapped file is), and the floor: the frame
//! walk alone (reader + link + IP), in place. `decrypt`: the same kind of capture with its
//! TLS sessions sealed for real (AES-128-GCM), decoded with its key log and without.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mradiag::synth::capture::{CaptureSpec, write_capture};
use std::hint::black_box;

fn capture(pcapng: bool) -> Vec<u8> {
    generated(pcapng, false).0
}

/// A generated capture, and its key log when its sessions are sealed for real.
fn generated(pcapng: bool, keylog: bool) -> (Vec<u8>, String) {
    let mut bytes = Vec::new();
    let truth = write_capture(
        CaptureSpec {
            size_bytes: 64 << 20,
            seed: 7,
            pcapng,
            keylog,
        },
        &mut bytes,
    )
    .expect("in memory");
    (bytes, truth.keylog)
}

fn decrypt(c: &mut Criterion) {
    let mut group = c.benchmark_group("decrypt");
    group.sample_size(10);
    let (bytes, keylog) = generated(false, true);
    let mut keys = mradiag::proto::keylog::KeyLog::default();
    keys.add_text(&keylog);
    let keys = std::sync::Arc::new(keys);
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    for (name, with) in [("without_keys", None), ("with_keys", Some(keys))] {
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a pool");
            group.bench_function(format!("{name}_{threads}_thread"), |b| {
                b.iter(|| {
                    pool.install(|| {
                        mradiag::capture::decode_slice_with_keys(
                            black_box(&bytes[..]),
                            None,
                            with.clone(),
                        )
                    })
                    .events
                    .len()
                })
            });
        }
    }
    group.finish();
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode_capture");
    group.sample_size(10);
    for (name, pcapng) in [("pcap", false), ("pcapng", true)] {
        let bytes = capture(pcapng);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(format!("{name}_stream"), |b| {
            b.iter(|| mradiag::capture::decode(black_box(&bytes[..])).events.len())
        });
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a pool");
            group.bench_function(format!("{name}_in_place_{threads}_thread"), |b| {
                b.iter(|| {
                    pool.install(|| mradiag::capture::decode_slice(black_box(&bytes[..]), None))
                        .events
                        .len()
                })
            });
        }
        group.bench_function(format!("{name}_frame_walk"), |b| {
            b.iter(|| {
                let mut tcp = 0u64;
                mradiag::capture::reader::read_frames_slice(black_box(&bytes[..]), None, |f| {
                    if let Ok((ip, _)) = mradiag::capture::packet::strip_link(f.linktype, f.data)
                        && let Some(p) = mradiag::capture::packet::decode_ip(ip)
                        && matches!(p.transport, mradiag::capture::packet::Transport::Tcp(_))
                    {
                        tcp += 1;
                    }
                });
                tcp
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench, decrypt);
criterion_main!(benches);
