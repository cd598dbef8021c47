#!/usr/bin/env bash
# Seed the corpora from samples/ and run every target for SECONDS each (default 60).
#   fuzz/run-all.sh [SECONDS]
# Needs cargo-fuzz (cargo install cargo-fuzz); stable Rust with RUSTC_BOOTSTRAP=1.
set -euo pipefail
cd "$(dirname "$0")"
SECS=${1:-60}
for t in $(cargo fuzz list); do mkdir -p "corpus/$t"; done
for f in ../samples/*/capture.pcap*; do cp -n "$f" "corpus/capture_file/$(basename "$(dirname "$f")")"; done
# The busy-cluster bundles (users-*) inflate to megabytes: too slow as seeds.
seeds() { for f in "$@"; do case "$f" in ../samples/users-*) ;; *) echo "$f" ;; esac; done; }
for f in $(seeds ../samples/*/*.tar.gz ../samples/*/*.zip ../samples/*/capture.pcap*); do cp -n "$f" "corpus/archive/$(basename "$(dirname "$f")")-$(basename "$f")"; done
for f in $(seeds ../samples/*/*.tar.gz ../samples/*/*.zip ../samples/*/capture.pcap*); do cp -n "$f" "corpus/report/$(basename "$(dirname "$f")")-$(basename "$f")"; done
for f in $(seeds ../samples/*/*.tar.gz ../samples/*/capture.pcap); do cp -n "$f" "corpus/folder/$(basename "$(dirname "$f")")-$(basename "$f")"; done
for f in ../samples/*/capture.pcap; do cp -n "$f" "corpus/nested_archive/$(basename "$(dirname "$f")")"; done
for t in $(cargo fuzz list); do
  RUSTC_BOOTSTRAP=1 cargo fuzz run -O "$t" -- -max_total_time="$SECS" -rss_limit_mb=2048 2>&1 | grep -E "^(#[0-9]+ +DONE|==[0-9]+== ERROR|SUMMARY|Done)" | sed "s/^/$t: /" || true
done
