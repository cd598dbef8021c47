#!/usr/bin/env bash
# A time-boxed fuzz smoke for CI: every target for SECONDS (default 15) from the sample seeds;
# fails on the first crash, leak or timeout, printing the target and libFuzzer's report.
#   fuzz/smoke.sh [SECONDS]
# Needs cargo-fuzz (installed by .ci/run when missing); stable Rust with RUSTC_BOOTSTRAP=1.
set -euo pipefail
cd "$(dirname "$0")"
SECS=${1:-15}
export RUSTC_BOOTSTRAP=1
for t in $(cargo fuzz list); do mkdir -p "corpus/$t"; done
for f in ../samples/*/capture.pcap*; do cp -n "$f" "corpus/capture_file/$(basename "$(dirname "$f")")"; done
# The busy-cluster bundles (users-*) inflate to megabytes: as seeds they would spend the
# whole smoke on a few runs; tests/users.rs and the scenarios judge them.
seeds() { for f in "$@"; do case "$f" in ../samples/users-*) ;; *) echo "$f" ;; esac; done; }
for f in $(seeds ../samples/*/*.tar.gz ../samples/*/*.zip); do cp -n "$f" "corpus/archive/$(basename "$(dirname "$f")")-$(basename "$f")"; done
for f in $(seeds ../samples/*/*.tar.gz ../samples/*/*.zip ../samples/*/capture.pcap); do cp -n "$f" "corpus/report/$(basename "$(dirname "$f")")-$(basename "$f")"; done
for f in $(seeds ../samples/*/*.tar.gz ../samples/*/capture.pcap); do cp -n "$f" "corpus/folder/$(basename "$(dirname "$f")")-$(basename "$f")"; done
for f in ../samples/*/capture.pcap; do cp -n "$f" "corpus/nested_archive/$(basename "$(dirname "$f")")"; done
cargo fuzz build -O
for t in $(cargo fuzz list); do
  log=$(mktemp)
  if ! cargo fuzz run -O "$t" -- -max_total_time="$SECS" -rss_limit_mb=2048 -timeout=10 >"$log" 2>&1; then
    echo "fuzz smoke: $t FAILED"
    tail -40 "$log"
    exit 1
  fi
  echo "fuzz smoke: $t: $(grep -Eo 'Done [0-9]+ runs' "$log" | tail -1) in ${SECS} s, no crash"
  rm -f "$log"
done
