#!/usr/bin/env bash
# Side-by-side timing of mradiag against the tools people use today, on generated inputs of
# the same shape as real ones, in one run (ratios, not absolute numbers, are what holds on a
# shared machine):
#   - a client-like capture: mradiag analyze vs `tshark -T fields` (the same DNS/TCP/TLS
#     facts) vs `tcpdump -nn -r`; pcap and pcapng;
#   - an Expressway-style log: mradiag analyze vs `rg -c -f` with the same signature patterns.
# It checks that mradiag's counts equal the generators' truth files, and prints
# min/median/max seconds, peak RSS and the ratio to mradiag's median.
#
#   benches/compare.sh                  # 1 GiB inputs, 3 runs each
#   SIZE_MB=256 RUNS=5 benches/compare.sh
# Installs tshark, tcpdump and ripgrep from the distribution when missing (needs root).

set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${SIZE_MB:-1024}
RUNS=${RUNS:-3}
WORK=${WORK:-/tmp/mradiag-bench}
mkdir -p "$WORK"

missing=()
command -v tshark >/dev/null || missing+=(tshark)
command -v tcpdump >/dev/null || missing+=(tcpdump)
command -v rg >/dev/null || missing+=(ripgrep)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

cargo build --release --quiet --bin mradiag --example gen_capture --example gen_log
BIN=target/release/mradiag
CAP=$WORK/capture-$SIZE_MB.pcap
CAPNG=$WORK/capture-$SIZE_MB.pcapng
# The log's planted lines and truth come from the catalog: a new catalog, a new log.
LOG=$WORK/expressway-$SIZE_MB-$(sha256sum src/logs/catalog.toml src/synth/log.rs | sha256sum | cut -c1-12).log
[ -s "$CAP" ] || target/release/examples/gen_capture --size-mb "$SIZE_MB" --out "$CAP"
[ -s "$CAPNG" ] || target/release/examples/gen_capture --size-mb "$SIZE_MB" --out "$CAPNG" --pcapng
[ -s "$LOG" ] || target/release/examples/gen_log --size-mb "$SIZE_MB" --out "$LOG"
# rg joins the patterns into one regex: named groups (ours, for fields) would collide.
python3 -c "import re,tomllib; [print(re.sub(r'\(\?P<\w+>', '(', s['pattern'])) for s in tomllib.load(open('src/logs/catalog.toml','rb'))['signature']]" >"$WORK/patterns.txt"

# Correctness first: what mradiag decodes must equal the truth files.
python3 - "$BIN" "$CAP" "$LOG" <<'PY'
import json, subprocess, sys, collections
bin_, cap, log = sys.argv[1:4]
truth = json.load(open(cap + ".truth.json"))
c = collections.Counter()
for line in subprocess.run([bin_, "events", cap], capture_output=True, text=True, check=True).stdout.splitlines():
    e = json.loads(line); k = e["kind"]
    c[k] += 1
    if k == "dns_response" and e["rcode"] == 3: c["nx"] += 1
    if k == "tcp_syn": c["syn_re" if e["retransmission"] else "syn"] += 1
got = {"dns_queries": c["dns_query"], "dns_responses": c["dns_response"], "dns_nxdomain": c["nx"],
       "tcp_connections": c["tcp_connection"], "tcp_syn_first": c["syn"], "tcp_syn_retransmissions": c["syn_re"],
       "tcp_syn_acks": c["tcp_syn_ack"], "tcp_rsts": c["tcp_rst"], "tls_client_hellos": c["tls_client_hello"],
       "tls_server_hellos": c["tls_server_hello"], "tls_alerts": c["tls_alert"]}
bad = {k: (v, truth[k]) for k, v in got.items() if v != truth[k]}
print("capture counts vs truth:", "OK" if not bad else f"MISMATCH {bad}")
ltruth = json.load(open(log + ".truth.json"))
hits = collections.Counter()
for line in subprocess.run([bin_, "events", log], capture_output=True, text=True, check=True).stdout.splitlines():
    hits[json.loads(line)["signature"]] += 1
print("log hits vs truth:", "OK" if dict(hits) == ltruth["hits"] else f"MISMATCH {dict(hits)} != {ltruth['hits']}")
if bad or dict(hits) != ltruth["hits"]:
    sys.exit(1)
PY

# measure NAME CMD...: RUNS timed runs, file in page cache; prints one table row.
declare -A MEDIAN
measure() {
  local name=$1
  shift
  cat "$@" >/dev/null 2>&1 || true
  local times=() rss=0
  for _ in $(seq "$RUNS"); do
    local out
    # mradiag exits 1 when it finds a fault: the status is not the measure here.
    /usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$@" >/dev/null 2>&1 || true
    out=$(tail -1 "$WORK/time.txt")
    times+=("${out% *}")
    [ "${out#* }" -gt "$rss" ] && rss=${out#* }
  done
  local sorted
  sorted=$(printf '%s\n' "${times[@]}" | sort -g)
  local min med max
  min=$(echo "$sorted" | head -1)
  max=$(echo "$sorted" | tail -1)
  med=$(echo "$sorted" | sed -n "$(((RUNS + 1) / 2))p")
  MEDIAN[$name]=$med
  printf '%-28s min %7.2f  median %7.2f  max %7.2f s   peak RSS %7d KiB\n' "$name" "$min" "$med" "$max" "$rss"
}

ratio() { python3 -c "a,b=$1,$2; print(f'{a/b:8.1f}x' if b>0 else '   n/a')"; }

echo
echo "inputs: $SIZE_MB MiB each, $RUNS runs, $(nproc) cores, $(uname -r)"
FIELDS=(-e frame.number -e dns.qry.name -e dns.flags.rcode -e dns.srv.target -e tcp.stream -e tcp.flags
  -e tls.handshake.type -e tls.handshake.extensions_server_name -e tls.alert_message.desc)
FILTER='dns or tls.handshake or tls.alert_message or tcp.flags.syn==1 or tcp.flags.reset==1'
measure mradiag-pcap "$BIN" analyze "$CAP"
measure mradiag-pcap-1-thread env RAYON_NUM_THREADS=1 "$BIN" analyze "$CAP"
measure mradiag-pcapng "$BIN" analyze "$CAPNG"
measure tshark-fields tshark -n -r "$CAP" -Y "$FILTER" -T fields "${FIELDS[@]}"
measure tcpdump-nn tcpdump -nn -r "$CAP"
measure mradiag-log "$BIN" analyze "$LOG"
measure mradiag-log-1-thread env RAYON_NUM_THREADS=1 "$BIN" analyze "$LOG"
measure rg-patterns rg -c -f "$WORK/patterns.txt" "$LOG"

echo
echo "tshark fields / mradiag (pcap):   $(ratio "${MEDIAN[tshark-fields]}" "${MEDIAN[mradiag-pcap]}")"
echo "tcpdump -nn / mradiag (pcap):     $(ratio "${MEDIAN[tcpdump-nn]}" "${MEDIAN[mradiag-pcap]}")"
echo "mradiag pcapng / pcap:            $(ratio "${MEDIAN[mradiag-pcapng]}" "${MEDIAN[mradiag-pcap]}")"
echo "rg -f / mradiag (log):            $(ratio "${MEDIAN[rg-patterns]}" "${MEDIAN[mradiag-log]}")"
echo "1 thread / 2 threads (pcap):      $(ratio "${MEDIAN[mradiag-pcap-1-thread]}" "${MEDIAN[mradiag-pcap]}")"
echo "1 thread / 2 threads (log):       $(ratio "${MEDIAN[mradiag-log-1-thread]}" "${MEDIAN[mradiag-log]}")"
