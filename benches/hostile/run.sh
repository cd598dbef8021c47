#!/usr/bin/env bash
# Each hostile input at full size through `mradiag analyze`, with its wall time and peak RSS
# (GNU time), a 120 s limit each. Inputs come from benches/hostile/gen.py (issue 16's table).
#
#   benches/hostile/run.sh [DIR] [--scale S]     DIR defaults to /tmp/mradiag-hostile
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=${1:-/tmp/mradiag-hostile}
shift || true
cargo build --release --quiet --manifest-path "$HERE/../../Cargo.toml"
BIN="$HERE/../../target/release/mradiag"
[ -d "$DIR" ] || python3 "$HERE/gen.py" "$DIR" "$@"
printf '%-22s %10s %8s %10s  %s\n' input size seconds "peak MiB" "what was said"
for f in "$DIR"/*; do
  out=$(mktemp)
  /usr/bin/time -f '%e %M' -o "$out.time" timeout 120 "$BIN" analyze --format json "$f" >"$out" 2>/dev/null || true
  read -r secs kib < <(tail -1 "$out.time") || { secs=timeout; kib=0; }
  [[ "$kib" =~ ^[0-9]+$ ]] || { secs=timeout; kib=0; }
  said=$(python3 -c 'import json,sys
try:
    r = json.load(open(sys.argv[1]))
    notes = [a for i in r["inputs"] for a in (i.get("anomalies") or []) + ([i["error"]] if i.get("error") else [])]
    print((notes[0] if notes else r["verdict"]["summary"])[:90])
except Exception as e:
    print("no report:", e)' "$out")
  printf '%-22s %10s %8s %10s  %s\n' "$(basename "$f")" "$(stat -c %s "$f")" "$secs" "$((kib / 1024))" "$said"
  rm -f "$out" "$out.time"
done
