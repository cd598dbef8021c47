#!/usr/bin/env bash
# Side-by-side timing of mradiag against the tools people use today, on generated inputs of
# the shapes users have, in one run (ratios, not absolute numbers, are what holds on a shared
# machine). Sections (SECTIONS="bulk busy bundle mix scan startup" by default):
#   bulk    a client capture whose bytes are almost all payload (SIZE_MB, pcap and pcapng):
#           mradiag analyze vs `tshark -T fields` (the same DNS/TCP/TLS facts) vs
#           `tcpdump -nn -r`; and an Expressway-style log vs `rg -c -f` with the catalog's
#           patterns.
#   busy    a busy network's capture (BUSY_MB, 15% control traffic: hundreds of clients'
#           sign-ins, chains of 3-4 certificates, XMPP, SIP, failures of every kind):
#           analyze -q, decoding alone (`events`), tshark, tcpdump, and the floor under any
#           reader of the file: `dd` copying it to /dev/null.
#   bundle  a multi-user Expressway-E bundle as Expressway writes it (a .tar.gz holding one
#           log of BUNDLE_USERS users over 8 hours, routine lines included, ~15 MB holding
#           ~210 MB): analyze -q vs `tar -xOzf | rg -c -f` with the same patterns, and the
#           floor: the same library inflating it alone (examples/inflate_only); one thread's
#           time over the cores is the best the same work could spread to.
#   mix     the busy capture's clients (BUSY_MB, from ten minutes into the bundle's hours, on
#           Windows-style ports) beside the bundle section's four boxes, which are about
#           other users: analyze -q of both together vs each alone (mixing must not cost
#           more than its parts).
#   scan    CASES case folders (a 1 MB busy capture each): `scan` vs the sum of the
#           single-case runs divided by the cores; peak RSS at a fifth of the cases and at all.
#           Then 4 heavy cases (each the bundle section's four boxes): `scan` vs one case
#           alone, time and peak RSS.
#   startup analyze -q of a tiny capture (a sample's), alone and in its case folder, 50 runs.
#   growth  (not run by default: ~5.5 GB of captures, minutes to make) busy captures of
#           GROW_MB sizes (1024 4096): time and peak RSS of analyze -q, events and JSON at
#           each, and how the peak grows per GiB.
# Counts are checked against the generators' truth files (and rg's against mradiag's)
# before timing. Prints min/median/max seconds, peak RSS and the ratios.
#
#   benches/compare.sh                                # everything, 3 runs each
#   SECTIONS="busy bundle" RUNS=5 benches/compare.sh
#   SIZE_MB=256 BUSY_MB=100 CASES=1000 benches/compare.sh
# Installs tshark, tcpdump and ripgrep from the distribution when missing (needs root).

set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${SIZE_MB:-1024}
BUSY_MB=${BUSY_MB:-100}
BUNDLE_USERS=${BUNDLE_USERS:-3000}
CASES=${CASES:-1000}
RUNS=${RUNS:-3}
GROW_MB=${GROW_MB:-1024 4096}
SECTIONS=${SECTIONS:-bulk busy bundle mix scan startup}
WORK=${WORK:-/tmp/mradiag-bench}
mkdir -p "$WORK"
want() { [[ " $SECTIONS " == *" $1 "* ]]; }

missing=()
command -v tshark >/dev/null || missing+=(tshark)
command -v tcpdump >/dev/null || missing+=(tcpdump)
command -v rg >/dev/null || missing+=(ripgrep)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

cargo build --release --quiet --bin mradiag --example gen_capture --example gen_log \
  --example gen_bundle --example inflate_only
BIN=target/release/mradiag
GEN=target/release/examples
# rg joins the patterns into one line-oriented regex: our named groups (for fields) would
# collide, and it refuses `\n`, which a line never holds anyway.
python3 - >"$WORK/patterns.txt" <<'PY'
import re, tomllib
for s in tomllib.load(open("src/logs/catalog.toml", "rb"))["signature"]:
    p = re.sub(r"\(\?P<\w+>", "(", s["pattern"])
    print(p.replace(r"[^\n]", ".").replace(r"\r\n", r"\r").replace(r"|\n|", "|"))
PY

# check_capture BIN CAPTURE: the decoded counts must equal the generator's truth file.
check_capture() {
  python3 - "$BIN" "$1" <<'PY'
import json, subprocess, sys, collections
bin_, cap = sys.argv[1:3]
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
print(f"{cap}: counts vs truth:", "OK" if not bad else f"MISMATCH {bad}")
sys.exit(1 if bad else 0)
PY
}

# bench NAME CMD...: a command to time; race: time every command benched since the last
# race, RUNS rounds of one run each in turn (a machine that slows down for a while slows
# them all, not the one that happened to run then: the ratios hold), inputs in page cache;
# prints one table row per command.
declare -A MEDIAN
declare -A RSS
declare -A COMMAND
BENCHED=()
bench() {
  BENCHED+=("$1")
  COMMAND[$1]=$(printf '%q ' "${@:2}")
}
race() {
  local name
  declare -A times=()
  declare -A peak=()
  for name in "${BENCHED[@]}"; do
    eval "set -- ${COMMAND[$name]}"
    cat "$@" >/dev/null 2>&1 || true
  done
  for _ in $(seq "$RUNS"); do
    for name in "${BENCHED[@]}"; do
      eval "set -- ${COMMAND[$name]}"
      # mradiag exits 1 when it finds a fault: the status is not the measure here (each
      # peer command is checked once before it is timed).
      # Wall time to the millisecond (GNU time's %e has 10 ms steps, too coarse for the
      # busy capture); the peak RSS from GNU time, whose own is small (a process's peak
      # counts the image it was started from: a Python parent's would be ~13 MiB).
      python3 -c 'import subprocess, sys, time
t = time.perf_counter()
subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
t = time.perf_counter() - t
rss = open(sys.argv[1] + ".rss").read().split()[-1]
open(sys.argv[1], "w").write(f"{t:.4f} {rss}\n")' \
        "$WORK/time.txt" /usr/bin/time -f %M -o "$WORK/time.txt.rss" "$@" || true
      local out
      out=$(tail -1 "$WORK/time.txt")
      times[$name]+="${out% *} "
      [ "${out#* }" -gt "${peak[$name]:-0}" ] && peak[$name]=${out#* }
    done
  done
  for name in "${BENCHED[@]}"; do
    local sorted min med max
    sorted=$(printf '%s\n' ${times[$name]} | sort -g)
    min=$(echo "$sorted" | head -1)
    max=$(echo "$sorted" | tail -1)
    med=$(echo "$sorted" | sed -n "$(((RUNS + 1) / 2))p")
    MEDIAN[$name]=$med
    RSS[$name]=${peak[$name]}
    printf '%-30s min %7.3f  median %7.3f  max %7.3f s   peak RSS %7d KiB\n' "$name" "$min" "$med" "$max" "${peak[$name]}"
  done
  BENCHED=()
}

ratio() { python3 -c "a,b=$1,$2; print(f'{a/b:8.1f}x' if b>0 else '   n/a')"; }

echo "$(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ), $RUNS runs"
FIELDS=(-e frame.number -e dns.qry.name -e dns.flags.rcode -e dns.srv.target -e tcp.stream -e tcp.flags
  -e tls.handshake.type -e tls.handshake.extensions_server_name -e tls.alert_message.desc)
FILTER='dns or tls.handshake or tls.alert_message or tcp.flags.syn==1 or tcp.flags.reset==1'

if want bulk; then
  CAP=$WORK/capture-$SIZE_MB.pcap
  CAPNG=$WORK/capture-$SIZE_MB.pcapng
  # The log's planted lines and truth come from the catalog: a new catalog, a new log.
  LOG=$WORK/expressway-$SIZE_MB-$(sha256sum src/logs/catalog.toml src/synth/log.rs | sha256sum | cut -c1-12).log
  [ -s "$CAP" ] || $GEN/gen_capture --size-mb "$SIZE_MB" --out "$CAP"
  [ -s "$CAPNG" ] || $GEN/gen_capture --size-mb "$SIZE_MB" --out "$CAPNG" --pcapng
  [ -s "$LOG" ] || $GEN/gen_log --size-mb "$SIZE_MB" --out "$LOG"
  check_capture "$CAP"
  python3 - "$BIN" "$LOG" <<'PY'
import json, subprocess, sys, collections
bin_, log = sys.argv[1:3]
truth = json.load(open(log + ".truth.json"))
hits = collections.Counter()
for line in subprocess.run([bin_, "events", log], capture_output=True, text=True, check=True).stdout.splitlines():
    hits[json.loads(line)["signature"]] += 1
ok = dict(hits) == truth["hits"]
print("log hits vs truth:", "OK" if ok else f"MISMATCH {dict(hits)} != {truth['hits']}")
sys.exit(0 if ok else 1)
PY
  echo
  echo "== bulk: $SIZE_MB MiB"
  bench mradiag-pcap "$BIN" analyze "$CAP"
  bench mradiag-pcap-1-thread env RAYON_NUM_THREADS=1 "$BIN" analyze "$CAP"
  bench mradiag-pcapng "$BIN" analyze "$CAPNG"
  bench tshark-fields tshark -n -r "$CAP" -Y "$FILTER" -T fields "${FIELDS[@]}"
  bench tcpdump-nn tcpdump -nn -r "$CAP"
  bench mradiag-log "$BIN" analyze "$LOG"
  bench mradiag-log-1-thread env RAYON_NUM_THREADS=1 "$BIN" analyze "$LOG"
  bench rg-patterns rg -c -f "$WORK/patterns.txt" "$LOG"
  race
  echo "tshark fields / mradiag (pcap):   $(ratio "${MEDIAN[tshark-fields]}" "${MEDIAN[mradiag-pcap]}")"
  echo "tcpdump -nn / mradiag (pcap):     $(ratio "${MEDIAN[tcpdump-nn]}" "${MEDIAN[mradiag-pcap]}")"
  echo "mradiag pcapng / pcap:            $(ratio "${MEDIAN[mradiag-pcapng]}" "${MEDIAN[mradiag-pcap]}")"
  echo "rg -f / mradiag (log):            $(ratio "${MEDIAN[rg-patterns]}" "${MEDIAN[mradiag-log]}")"
  echo "1 thread / 2 threads (pcap):      $(ratio "${MEDIAN[mradiag-pcap-1-thread]}" "${MEDIAN[mradiag-pcap]}")"
  echo "1 thread / 2 threads (log):       $(ratio "${MEDIAN[mradiag-log-1-thread]}" "${MEDIAN[mradiag-log]}")"
fi

if want busy; then
  BUSY=$WORK/busy-$BUSY_MB-$(sha256sum src/synth/busy.rs src/synth/capture.rs | sha256sum | cut -c1-12).pcap
  [ -s "$BUSY" ] || $GEN/gen_capture --profile busy --size-mb "$BUSY_MB" --out "$BUSY"
  check_capture "$BUSY"
  echo
  echo "== busy: $BUSY_MB MiB, $(python3 -c "import json; t=json.load(open('$BUSY.truth.json')); print(f\"{t['sign_in_attempts']} sign-ins, {t['dns_queries']} DNS queries, {t['tls_client_hellos']} TLS handshakes, {100*t['control_bytes']//t['bytes']}% control\")")"
  bench busy-analyze-q "$BIN" analyze -q "$BUSY"
  bench busy-analyze-json "$BIN" analyze --format json "$BUSY"
  bench busy-events "$BIN" events "$BUSY"
  bench busy-tshark tshark -n -r "$BUSY" -Y "$FILTER" -T fields "${FIELDS[@]}"
  bench busy-tcpdump tcpdump -nn -r "$BUSY"
  # The floor under any reader of the file: its bytes copied from page cache, nothing done.
  bench busy-read dd if="$BUSY" of=/dev/null bs=1M status=none
  race
  echo "tshark fields / analyze -q:       $(ratio "${MEDIAN[busy-tshark]}" "${MEDIAN[busy-analyze-q]}")"
  echo "tshark fields / reading alone:    $(ratio "${MEDIAN[busy-tshark]}" "${MEDIAN[busy-read]}") (the most any reader of the file reaches)"
  echo "tcpdump -nn / analyze -q:         $(ratio "${MEDIAN[busy-tcpdump]}" "${MEDIAN[busy-analyze-q]}")"
  echo "analyze -q / events (decoding):   $(ratio "${MEDIAN[busy-analyze-q]}" "${MEDIAN[busy-events]}")"
fi

DIR=$WORK/bundle-$BUNDLE_USERS-$(sha256sum src/synth/bundle.rs | sha256sum | cut -c1-12)
if want bundle || want mix || want scan; then
  [ -d "$DIR" ] || $GEN/gen_bundle --out "$DIR" --users "$BUNDLE_USERS" --minutes 480 \
    --routine-per-minute 1500 --no-truth
fi

if want bundle; then
  BUNDLE=$(ls "$DIR"/diagnostic_log_*.tar.gz | head -1)
  hits=$("$BIN" events "$BUNDLE" | wc -l)
  rg_hits=$(tar -xOzf "$BUNDLE" | rg -c -f "$WORK/patterns.txt")
  echo
  echo "== bundle: $(du -m "$BUNDLE" | cut -f1) MB .tar.gz holding $(tar -tvzf "$BUNDLE" | awk '{s+=$3} END {print int(s/1048576)}') MiB, $BUNDLE_USERS users; $hits hits, rg $rg_hits lines"
  [ "$hits" = "$rg_hits" ] || { echo "MISMATCH: rg counts $rg_hits lines, mradiag $hits hits"; exit 1; }
  bench bundle-analyze-q "$BIN" analyze -q "$BUNDLE"
  bench bundle-analyze-q-1-thread env RAYON_NUM_THREADS=1 "$BIN" analyze -q "$BUNDLE"
  bench bundle-events "$BIN" events "$BUNDLE"
  bench bundle-tar-rg bash -c "tar -xOzf '$BUNDLE' | rg -c -f '$WORK/patterns.txt'"
  bench bundle-inflate-only $GEN/inflate_only "$BUNDLE"
  race
  echo "tar | rg / analyze -q:            $(ratio "${MEDIAN[bundle-tar-rg]}" "${MEDIAN[bundle-analyze-q]}")"
  echo "analyze -q / inflating alone:     $(ratio "${MEDIAN[bundle-analyze-q]}" "${MEDIAN[bundle-inflate-only]}")"
  echo "1 thread / 2 threads:             $(ratio "${MEDIAN[bundle-analyze-q-1-thread]}" "${MEDIAN[bundle-analyze-q]}")"
  # One thread's time is the work to do; spread perfectly over every core, that work cannot
  # take less than this share of the inflate floor.
  echo "best spread over $(nproc) cores / floor: $(ratio "$(python3 -c "print(${MEDIAN[bundle-analyze-q-1-thread]} / $(nproc))")" "${MEDIAN[bundle-inflate-only]}")"
fi

if want mix; then
  # The bundle generator's logs start at 2026-11-26T08:00Z (synth::bundle's T0_S).
  MIXCAP=$WORK/busy-mix-$BUSY_MB-$(sha256sum src/synth/busy.rs | sha256sum | cut -c1-12).pcap
  [ -s "$MIXCAP" ] || $GEN/gen_capture --profile busy --size-mb "$BUSY_MB" --out "$MIXCAP" \
    --start-unix $((1795680000 + 600)) --first-port 49152 2>/dev/null
  echo
  echo "== mix: a $BUSY_MB MiB busy capture beside the $BUNDLE_USERS-user bundle's four boxes, same hours"
  bench mix-analyze-q "$BIN" analyze -q "$MIXCAP" "$DIR"
  bench mix-capture-alone "$BIN" analyze -q "$MIXCAP"
  bench mix-bundle-alone "$BIN" analyze -q "$DIR"
  race
  echo "together / (each alone, summed):  $(python3 -c "print(f'{${MEDIAN[mix-analyze-q]} / (${MEDIAN[mix-capture-alone]} + ${MEDIAN[mix-bundle-alone]}):8.2f}x')")"
fi

if want scan; then
  CDIR=$WORK/cases-$CASES-$(sha256sum src/synth/busy.rs | sha256sum | cut -c1-12)
  if [ ! -d "$CDIR" ]; then
    for i in $(seq 1 "$CASES"); do
      mkdir -p "$CDIR/case$i"
      $GEN/gen_capture --profile busy --size-mb 1 --seed "$i" --out "$CDIR/case$i/client.pcap" 2>/dev/null
      rm -f "$CDIR/case$i/client.pcap.truth.json"
    done
  fi
  FIFTH=$WORK/cases-fifth
  rm -rf "$FIFTH" && mkdir -p "$FIFTH"
  for d in $(ls "$CDIR" | head -$((CASES / 5))); do cp -al "$CDIR/$d" "$FIFTH/$d"; done
  echo
  echo "== scan: $CASES cases of a 1 MB busy capture each"
  bench scan-all "$BIN" scan -q "$CDIR"
  bench scan-fifth "$BIN" scan -q "$FIFTH"
  race
  # The single runs, one after the other, as a script calling analyze per case would.
  start=$(date +%s.%N)
  for d in "$CDIR"/*; do "$BIN" analyze -q "$d" >/dev/null || true; done
  singles=$(python3 -c "import time; print(time.time() - $start)")
  echo "sum of $CASES single runs: $singles s; / $(nproc) cores: $(python3 -c "print(round($singles / $(nproc), 3))") s"
  echo "scan / (singles / cores):         $(python3 -c "print(f'{${MEDIAN[scan-all]} / ($singles / $(nproc)):8.2f}x')")"
  echo "peak RSS, all / a fifth:          ${RSS[scan-all]} / ${RSS[scan-fifth]} KiB"
  # Heavy cases: each the bundle section's four boxes. Each takes its turn alone, so the
  # scan holds no more than one of them does.
  HEAVY=$WORK/cases-heavy
  rm -rf "$HEAVY"
  for c in 1 2 3 4; do mkdir -p "$HEAVY/c$c" && cp -al "$DIR"/*.tar.gz "$HEAVY/c$c/"; done
  echo
  echo "== scan: 4 heavy cases, each four boxes' multi-user bundles ($BUNDLE_USERS users)"
  bench scan-heavy "$BIN" scan -q "$HEAVY"
  bench heavy-case-alone "$BIN" analyze -q "$HEAVY/c1"
  race
  echo "scan / (4 x one case):            $(python3 -c "print(f'{${MEDIAN[scan-heavy]} / (4 * ${MEDIAN[heavy-case-alone]}):8.2f}x')")"
  echo "peak RSS, scan / one case:        ${RSS[scan-heavy]} / ${RSS[heavy-case-alone]} KiB"
fi

if want startup; then
  echo
  echo "== startup: a tiny capture (samples/happy-tls12)"
  # /usr/bin/time counts in hundredths: the mean of 50 runs, by the nanosecond clock.
  start=$(date +%s%N)
  for _ in $(seq 50); do "$BIN" analyze -q samples/happy-tls12/capture.pcap >/dev/null || true; done
  echo "startup-analyze-q              mean $(python3 -c "print(round(($(date +%s%N) - $start) / 50e6, 1))") ms"
  # The same capture in its case folder, beside the sample's README.md and expect.toml
  # (documents: set aside unread).
  start=$(date +%s%N)
  for _ in $(seq 50); do "$BIN" analyze -q samples/happy-tls12 >/dev/null || true; done
  echo "startup-folder-analyze-q       mean $(python3 -c "print(round(($(date +%s%N) - $start) / 50e6, 1))") ms"
  start=$(date +%s%N)
  for _ in $(seq 50); do /bin/true; done
  echo "(spawning /bin/true            mean $(python3 -c "print(round(($(date +%s%N) - $start) / 50e6, 1))") ms)"
fi

if want growth; then
  declare -A GROW_RSS
  for mb in $GROW_MB; do
    GROW=$WORK/busy-$mb-$(sha256sum src/synth/busy.rs src/synth/capture.rs | sha256sum | cut -c1-12).pcap
    [ -s "$GROW" ] || $GEN/gen_capture --profile busy --size-mb "$mb" --out "$GROW" 2>/dev/null
    echo
    echo "== growth: a $mb MiB busy capture"
    bench "grow-$mb-analyze-q" "$BIN" analyze -q "$GROW"
    bench "grow-$mb-events" "$BIN" events "$GROW"
    bench "grow-$mb-json" "$BIN" analyze --format json "$GROW"
    race
    for c in analyze-q events json; do GROW_RSS[$c]+="$mb:${RSS[grow-$mb-$c]} "; done
  done
  # How the peak grows needs two sizes at least.
  for c in $([ "$(echo "$GROW_MB" | wc -w)" -ge 2 ] && echo analyze-q events json); do
    echo "peak RSS growth, $c: $(python3 -c "
pts = [tuple(map(int, p.split(':'))) for p in '${GROW_RSS[$c]}'.split()]
(a, ra), (b, rb) = pts[0], pts[-1]
print(f'{ra // 1024} MiB at {a} MiB, {rb // 1024} MiB at {b} MiB: {(rb - ra) / 1024 / ((b - a) / 1024):.1f} MiB per GiB')")"
  done
fi
