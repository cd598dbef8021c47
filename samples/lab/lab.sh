#!/usr/bin/env bash
# The sample lab: two network namespaces joined by a veth pair, real daemons on the "server"
# side (dnsmasq for DNS, openssl s_server as Expressway-E on 8443/5061, prosody for XMPP on
# 5222, sipp for clear SIP), real clients on the "client" side (dig, openssl s_client), and
# tcpdump / dumpcap capturing on the client's interface. Sourced by make-captures.sh.
#
# Addresses (server namespace): 10.77.0.53 DNS · 10.77.0.10 expe1 · 10.77.0.11 expe2 ·
# 10.77.0.20 cucm (internal) · fd77::53, fd77::10 for IPv6. The client is 10.77.0.2 / fd77::2.
# Nothing here talks to any address outside these namespaces.

set -euo pipefail

LAB=${LAB:-/tmp/mradiag-lab}
C=mralab-client
S=mralab-server
CERTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/certs
PIDS=()

inc() { ip netns exec "$C" "$@"; }
ins() { ip netns exec "$S" "$@"; }

lab_up() {
  lab_down 2>/dev/null || true
  mkdir -p "$LAB"
  ip netns add "$C"
  ip netns add "$S"
  ip netns exec "$C" sysctl -qw net.ipv6.conf.default.router_solicitations=0
  ip netns exec "$S" sysctl -qw net.ipv6.conf.default.router_solicitations=0
  ip link add c0 netns "$C" type veth peer name s0 netns "$S"
  inc ip link set lo up
  ins ip link set lo up
  inc sysctl -qw net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0
  ins sysctl -qw net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0
  inc ip link set c0 up
  ins ip link set s0 up
  inc ip addr add 10.77.0.2/24 dev c0
  inc ip -6 addr add fd77::2/64 dev c0 nodad
  for a in 10.77.0.1 10.77.0.53 10.77.0.10 10.77.0.11 10.77.0.20; do ins ip addr add "$a/24" dev s0; done
  for a in fd77::1 fd77::53 fd77::10; do ins ip -6 addr add "$a/64" dev s0 nodad; done
  # No offloads, so captured segments are what went on the wire.
  inc ethtool -K c0 tso off gso off gro off >/dev/null 2>&1 || true
  ins ethtool -K s0 tso off gso off gro off >/dev/null 2>&1 || true
  ins nft add table inet lab
  ins nft add chain inet lab input '{ type filter hook input priority 0; }'
  python3 "$(dirname "${BASH_SOURCE[0]}")/make_certs.py" "$CERTS"
}

lab_down() {
  stop_all
  ip netns del "$C" 2>/dev/null || true
  ip netns del "$S" 2>/dev/null || true
}

# Drop (never answer) a TCP or UDP port on one server address: "tcp 10.77.0.10 8443".
drop() { ins nft add rule inet lab input ip daddr "$2" "$1" dport "$3" drop; }
drop6() { ins nft add rule inet lab input ip6 daddr "$2" "$1" dport "$3" drop; }

# Start a daemon in the server namespace. `ip netns exec` execs the program, so $! is its
# own pid (a shell function here would put a subshell in between, and kill only that).
bg() {
  ip netns exec "$S" "$@" >>"$LAB/daemons.log" 2>&1 &
  PIDS+=($!)
}

stop_all() {
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && wait "$p" 2>/dev/null || true
  done
  PIDS=()
  ins nft flush chain inet lab input 2>/dev/null || true
  # Safety net: anything still running from the lab folder.
  pkill -f -- "$LAB/" 2>/dev/null || true
  sleep 0.2
}

# dnsmasq authoritative for example.com with the given extra options (srv-host=…, host-record=…).
dns() {
  local conf=$LAB/dnsmasq.conf
  {
    echo "no-resolv"
    echo "no-hosts"
    echo "bind-interfaces"
    echo "listen-address=10.77.0.53"
    echo "listen-address=fd77::53"
    [ "${DNS_LOCAL:-yes}" = yes ] && echo "local=/example.com/"
    for line in "$@"; do echo "$line"; done
  } >"$conf"
  bg dnsmasq --keep-in-foreground --conf-file="$conf" --pid-file="$LAB/dnsmasq.pid"
}

# openssl s_server as an Expressway-E port: ADDR PORT CERT [extra s_server options].
tls_server() {
  local addr=$1 port=$2 cert=$3
  shift 3
  bg openssl s_server -accept "$addr:$port" -cert "$CERTS/$cert.pem" -key "$CERTS/$cert.key" -quiet -naccept 20 "$@"
}

# prosody for example.com on ADDR:5222; TLS=yes offers STARTTLS (required), TLS=no offers none.
# S2S=yes: server-to-server streams on ADDR:5269 too.
xmpp_server() {
  local addr=$1 tls=$2 cfg=$LAB/prosody.cfg.lua
  mkdir -p "$LAB/prosody-data"
  cp "$CERTS/expe-good.pem" "$LAB/xmpp.crt"
  cp "$CERTS/expe-good.key" "$LAB/xmpp.key"
  chmod 644 "$LAB/xmpp.key"
  cat >"$cfg" <<CFG
run_as_root = true
pidfile = "$LAB/prosody.pid"
data_path = "$LAB/prosody-data"
log = { { levels = { min = "info" }, to = "file", filename = "$LAB/prosody.log" } }
modules_enabled = { "saslauth", "dialback", "disco", "ping" $( [ "$tls" = yes ] && echo ', "tls"' ) }
modules_disabled = { $( [ "${S2S:-no}" = yes ] || echo '"s2s",' ) $( [ "$tls" = yes ] || echo '"tls"' ) }
c2s_interfaces = { "$addr" }
c2s_ports = { 5222 }
s2s_interfaces = { "$addr" }
s2s_ports = { $( [ "${S2S:-no}" = yes ] && echo 5269 ) }
c2s_require_encryption = $( [ "$tls" = yes ] && echo true || echo false )
allow_unencrypted_plain_auth = true
VirtualHost "example.com"
CFG
  if [ "$tls" = yes ]; then
    printf 'ssl = { certificate = "%s", key = "%s" }\n' "$LAB/xmpp.crt" "$LAB/xmpp.key" >>"$cfg"
  fi
  # XMPP_USER=name:password: an account the client can log in with.
  if [ -n "${XMPP_USER:-}" ]; then
    ins prosodyctl --config "$cfg" register "${XMPP_USER%%:*}" example.com "${XMPP_USER#*:}" >>"$LAB/daemons.log" 2>&1
  fi
  bg prosody --config "$cfg" -F
}

wait_port() {
  local addr=$1 port=$2
  for _ in $(seq 1 50); do
    if ins ss -Hltn "sport = :$port" | grep -q .; then return 0; fi
    sleep 0.1
  done
  echo "nothing listens on $addr:$port" >&2
  return 1
}

# Capture on the client side: capture_start FILE [tool and options]; capture_stop.
capture_start() {
  local file=$1
  shift
  CAPTURE_FILE=$file
  rm -f "$file"
  if [ "$#" -eq 0 ]; then set -- tcpdump -i c0; fi
  case "$1" in
    tcpdump) ip netns exec "$C" "$@" --immediate-mode -U -s 0 -w "$file" >>"$LAB/capture.log" 2>&1 & ;;
    dumpcap) ip netns exec "$C" "$@" -q -w "$file" >>"$LAB/capture.log" 2>&1 & ;;
  esac
  CAPTURE_PID=$!
  for _ in $(seq 1 50); do [ -s "$file" ] && break; sleep 0.1; done
  sleep 0.3
}

capture_stop() {
  sleep 0.5
  # SIGTERM: background jobs of a script ignore SIGINT. tcpdump and dumpcap flush on TERM.
  kill -TERM "$CAPTURE_PID" 2>/dev/null || true
  wait "$CAPTURE_PID" 2>/dev/null || true
  chmod 644 "$CAPTURE_FILE"
}

# tshark's reading of a capture, as ../shared/corpus/real's references were made (its
# SOURCES.md): CAPTURE.tshark.tsv beside it, for tests/conformance.rs.
tshark_reference() {
  local f=$1 args=()
  local fields='frame.number frame.time_epoch frame.interface_id frame.len frame.cap_len vlan.id ip.src ip.dst ipv6.src ipv6.dst tcp.stream tcp.srcport tcp.dstport tcp.flags udp.srcport udp.dstport dns.id dns.flags.response dns.flags.rcode dns.qry.name dns.qry.type dns.resp.type dns.a dns.aaaa dns.cname dns.srv.priority dns.srv.weight dns.srv.port dns.srv.target tls.record.version tls.handshake.type tls.handshake.version tls.handshake.extensions_server_name tls.handshake.extensions.supported_version tls.alert_message.level tls.alert_message.desc xmpp.starttls xmpp.proceed sip.Method sip.Status-Code sip.r-uri'
  for x in $fields; do args+=(-e "$x"); done
  TZ=UTC tshark -n -r "$f" -Y 'dns or tls.handshake or tls.alert_message or tcp.flags.syn==1 or tcp.flags.reset==1 or xmpp.starttls or xmpp.proceed or sip' \
    -T fields -E header=y -E separator=/t -E occurrence=a -E aggregator=, "${args[@]}" >"${f%.*}.tshark.tsv"
  # The certificates tshark extracts, one line each: frame, stream, index in the chain, the
  # first 16 hex digits of the DER's SHA-256, subject and issuer (openssl).
  TZ=UTC tshark -n -r "$f" -Y 'tls.handshake.type==11' -T fields -E occurrence=a -E aggregator=, \
    -e frame.number -e tcp.stream -e tls.handshake.certificate |
    python3 -c '
import hashlib, subprocess, sys
for row in sys.stdin:
    frame, stream, chain = (row.rstrip("\n").split("\t") + ["", ""])[:3]
    for idx, der in enumerate(bytes.fromhex(h) for h in chain.split(",") if h):
        names = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-subject", "-issuer", "-nameopt", "RFC2253"],
                               input=der, capture_output=True).stdout.decode().split("\n")
        print(f"frame={frame}\tstream={stream}\tidx={idx}\tsha256_16={hashlib.sha256(der).hexdigest()[:16]}\t"
              + "\t".join(n.strip() for n in names if n.strip()))
' >"${f%.*}.certs.txt"
}

# ---- client actions (each bounded in time)
srv() { inc dig +tries=1 +time=2 +noedns @"${DNS:-10.77.0.53}" SRV "$1" >/dev/null || true; }
addr() { inc dig +tries=1 +time=2 +noedns @"${DNS:-10.77.0.53}" "${2:-A}" "$1" >/dev/null || true; }

# TLS like a Jabber client: verify the chain against the lab CA and the name against the SNI.
tls() {
  local host=$1 port=$2 sni=$3
  shift 3
  local name_check=(-verify_hostname "$sni")
  # LATE_NAME_CHECK=1: a client that checks the name only after the handshake (and then
  # hangs up without a request), as some HTTP stacks do.
  [ "${LATE_NAME_CHECK:-0}" = 1 ] && name_check=()
  inc timeout "${TLS_TIMEOUT:-4}" openssl s_client -connect "$host:$port" -servername "$sni" \
    -CAfile "$CERTS/ca.pem" -verify_return_error "${name_check[@]}" "$@" </dev/null >/dev/null 2>&1 || true
}

xmpp() {
  local host=$1
  shift
  inc timeout 4 openssl s_client -connect "$host:5222" -starttls xmpp -xmpphost example.com \
    -CAfile "$CERTS/ca.pem" -verify_return_error "$@" </dev/null >/dev/null 2>&1 || true
}

# The Jabber-like client (python3's ssl, i.e. OpenSSL) that writes a key log: KEYLOG ACTION
# ADDR [args] (see mra_client.py). The key log is written by the client, as SSLKEYLOGFILE is.
mra_client() {
  inc timeout 10 python3 "$(dirname "${BASH_SOURCE[0]}")/mra_client.py" "$@" >>"$LAB/client.log" 2>&1 || true
}

# A scripted TCP server (python3, real sockets) for behaviours no daemon above has:
# "reset" answers the first bytes with a TCP reset; "xmpp-failure" offers STARTTLS, then
# answers <starttls/> with <failure/>.
script_server() {
  bg python3 "$(dirname "${BASH_SOURCE[0]}")/script_server.py" "$@"
}
