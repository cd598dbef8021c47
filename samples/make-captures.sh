#!/usr/bin/env bash
# Regenerate the sample captures that come from real daemons (see samples/README.md).
# Needs root (network namespaces) and: iproute2 nftables tcpdump tshark(dumpcap) dnsmasq
# dnsutils openssl prosody sip-tester python3-cryptography. Installs what is missing with apt.
#
#   sudo samples/make-captures.sh            # every scenario
#   sudo samples/make-captures.sh tls-untrusted srv-failover
#
# Each scenario writes samples/<name>/capture.pcap (or .pcapng) and samples/<name>/README.md;
# the expect.toml beside them is written by hand and is not touched.

set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

need() {
  local missing=()
  for pair in ip:iproute2 nft:nftables tcpdump:tcpdump dumpcap:tshark dnsmasq:dnsmasq dig:dnsutils \
    openssl:openssl prosody:prosody sipp:sip-tester ethtool:ethtool; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  fi
  python3 -c 'import cryptography' 2>/dev/null || pip install -q cryptography
}
need

# shellcheck source=lab/lab.sh
source "$HERE/lab/lab.sh"
trap lab_down EXIT
lab_up

EDGE_SRV="srv-host=_collab-edge._tls.example.com,expe1.example.com,8443,10,10"
EXPE1_A="host-record=expe1.example.com,10.77.0.10,fd77::10"

# start NAME DESCRIPTION: begin a scenario; its README says what it shows and how it was made.
start() {
  NAME=$1
  mkdir -p "$HERE/$NAME"
  cat >"$HERE/$NAME/README.md" <<README
# $NAME

$2

Made by \`samples/make-captures.sh $NAME\`: real daemons in a network namespace
(see \`samples/lab/lab.sh\` for the addresses), captured on the client's interface.
README
}

finish() {
  capture_stop
  stop_all
  echo "$NAME: $(stat -c %s "$CAPTURE_FILE") bytes"
}

# The client's usual sequence: both SRV lookups, then the A lookup of the edge target.
discover() {
  srv _cisco-uds._tcp.example.com
  srv _collab-edge._tls.example.com
  addr expe1.example.com
}

scenario_happy_tls12() {
  start happy-tls12 "A complete sign-in over TLS 1.2: SRV and A lookups, HTTPS on 8443, XMPP with STARTTLS on 5222, SIP over TLS on 5061. No fault. The daemons accept the sign-in, but the capture shows only the TLS handshakes: without keys or Expressway logs mradiag says inconclusive, never ok."
  dns "$EDGE_SRV" "$EXPE1_A"
  tls_server 10.77.0.10 8443 expe-good -tls1_2
  tls_server 10.77.0.10 5061 expe-good -tls1_2
  xmpp_server 10.77.0.10 yes
  wait_port 10.77.0.10 5222
  capture_start "$HERE/$NAME/capture.pcap"
  discover
  tls 10.77.0.10 8443 expe1.example.com -tls1_2
  xmpp 10.77.0.10 -tls1_2
  tls 10.77.0.10 5061 expe1.example.com -tls1_2
  finish
}

scenario_happy_tls13() {
  start happy-tls13 "A complete sign-in over TLS 1.3 (certificates encrypted, so not visible). No fault. The daemons accept the sign-in, but the capture shows only the TLS handshakes: without keys or Expressway logs mradiag says inconclusive, never ok."
  dns "$EDGE_SRV" "$EXPE1_A"
  tls_server 10.77.0.10 8443 expe-good -tls1_3
  tls_server 10.77.0.10 5061 expe-good -tls1_3
  xmpp_server 10.77.0.10 yes
  wait_port 10.77.0.10 5222
  capture_start "$HERE/$NAME/capture.pcap"
  discover
  tls 10.77.0.10 8443 expe1.example.com
  xmpp 10.77.0.10
  tls 10.77.0.10 5061 expe1.example.com
  finish
}

scenario_srv_nxdomain() {
  start srv-nxdomain "Neither _cisco-uds nor _collab-edge exists: both SRV lookups answer NXDOMAIN (F01)."
  dns
  capture_start "$HERE/$NAME/capture.pcap"
  srv _cisco-uds._tcp.example.com
  srv _collab-edge._tls.example.com
  finish
}

scenario_dns_unanswered() {
  start dns-unanswered "The DNS server never answers: every query times out."
  drop udp 10.77.0.53 53
  capture_start "$HERE/$NAME/capture.pcap"
  srv _cisco-uds._tcp.example.com
  srv _collab-edge._tls.example.com
  finish
}

scenario_dns_refused() {
  start dns-refused "The resolver refuses the SRV lookups (REFUSED: dnsmasq with no zone and no upstream for example.com)."
  DNS_LOCAL=no dns
  capture_start "$HERE/$NAME/capture.pcap"
  srv _cisco-uds._tcp.example.com
  srv _collab-edge._tls.example.com
  finish
}

scenario_edge_host_unresolved() {
  start edge-host-unresolved "_collab-edge answers expe1.example.com:8443, but expe1.example.com has no A record (F03)."
  dns "$EDGE_SRV"
  capture_start "$HERE/$NAME/capture.pcap"
  discover
  addr expe1.example.com AAAA
  finish
}

scenario_uds_exposed() {
  start uds-exposed "_cisco-uds answers outside the network; the client tries CUCM's internal address on 8443 and gets no answer (F02)."
  dns "srv-host=_cisco-uds._tcp.example.com,cucm.example.com,8443,10,10" "host-record=cucm.example.com,10.77.0.20" "$EDGE_SRV" "$EXPE1_A"
  drop tcp 10.77.0.20 8443
  capture_start "$HERE/$NAME/capture.pcap"
  srv _cisco-uds._tcp.example.com
  srv _collab-edge._tls.example.com
  addr cucm.example.com
  TLS_TIMEOUT=4 tls 10.77.0.20 8443 cucm.example.com
  finish
}

scenario_inside_network() {
  start inside-network "_cisco-uds answers and CUCM is reachable: the client is inside the network and does not use MRA. No fault."
  dns "srv-host=_cisco-uds._tcp.example.com,cucm.example.com,8443,10,10" "host-record=cucm.example.com,10.77.0.20"
  tls_server 10.77.0.20 8443 cucm
  wait_port 10.77.0.20 8443
  capture_start "$HERE/$NAME/capture.pcap"
  srv _cisco-uds._tcp.example.com
  srv _collab-edge._tls.example.com
  addr cucm.example.com
  tls 10.77.0.20 8443 cucm.example.com
  finish
}

scenario_tcp_8443_unanswered() {
  start tcp-8443-unanswered "Discovery works, but SYNs to Expressway-E:8443 are dropped by a firewall (F07)."
  dns "$EDGE_SRV" "$EXPE1_A"
  drop tcp 10.77.0.10 8443
  capture_start "$HERE/$NAME/capture.pcap"
  discover
  TLS_TIMEOUT=4 tls 10.77.0.10 8443 expe1.example.com
  finish
}

scenario_tcp_8443_refused() {
  start tcp-8443-refused "Discovery works, but nothing listens on Expressway-E:8443: the SYN is answered with RST (F07)."
  dns "$EDGE_SRV" "$EXPE1_A"
  capture_start "$HERE/$NAME/capture.pcap"
  discover
  tls 10.77.0.10 8443 expe1.example.com
  finish
}

scenario_tls_untrusted() {
  start tls-untrusted "Expressway-E presents a certificate issued by \"Temporary CA\", which the client does not trust; over TLS 1.2 the client sends the fatal alert unknown_ca (F08)."
  dns "$EDGE_SRV" "$EXPE1_A"
  tls_server 10.77.0.10 8443 expe-untrusted -tls1_2
  wait_port 10.77.0.10 8443
  capture_start "$HERE/$NAME/capture.pcap"
  discover
  tls 10.77.0.10 8443 expe1.example.com -tls1_2
  finish
}

scenario_tls_name_mismatch() {
  start tls-name-mismatch "Expressway-E's certificate is for www.example.net only; the client asked for expe1.example.com and aborts the TLS 1.2 handshake (F09)."
  dns "$EDGE_SRV" "$EXPE1_A"
  tls_server 10.77.0.10 8443 expe-wrong-name -tls1_2
  wait_port 10.77.0.10 8443
  capture_start "$HERE/$NAME/capture.pcap"
  discover
  tls 10.77.0.10 8443 expe1.example.com -tls1_2
  finish
}

scenario_tls_expired() {
  start tls-expired "Expressway-E's certificate expired weeks before the capture; the client sends certificate_expired (TLS 1.2)."
  dns "$EDGE_SRV" "$EXPE1_A"
  tls_server 10.77.0.10 8443 expe-expired -tls1_2
  wait_port 10.77.0.10 8443
  capture_start "$HERE/$NAME/capture.pcap"
  discover
  tls 10.77.0.10 8443 expe1.example.com -tls1_2
  finish
}

scenario_tls_version_mismatch() {
  start tls-version-mismatch "Expressway-E accepts only TLS 1.3; the client offers at most TLS 1.2: the server answers protocol_version."
  dns "$EDGE_SRV" "$EXPE1_A"
  tls_server 10.77.0.10 8443 expe-good -tls1_3
  wait_port 10.77.0.10 8443
  capture_start "$HERE/$NAME/capture.pcap"
  discover
  tls 10.77.0.10 8443 expe1.example.com -tls1_2
  finish
}

scenario_tls13_untrusted() {
  start tls13-untrusted "Like tls-untrusted but over TLS 1.3: the certificate is encrypted, the client's alert too; only its shape shows."
  dns "$EDGE_SRV" "$EXPE1_A"
  tls_server 10.77.0.10 8443 expe-untrusted -tls1_3
  wait_port 10.77.0.10 8443
  capture_start "$HERE/$NAME/capture.pcap"
  discover
  tls 10.77.0.10 8443 expe1.example.com
  finish
}

scenario_tls13_name_mismatch() {
  start tls13-name-mismatch "Like tls-name-mismatch but over TLS 1.3: Expressway-E's certificate (CN=www.example.net) is encrypted in the capture; the client rejects the name and says so with an alert. The folder merged-tls13-server-pem adds Expressway-E's bundle, whose server certificate tells the reason."
  dns "$EDGE_SRV" "$EXPE1_A"
  tls_server 10.77.0.10 8443 expe-wrong-name -tls1_3
  wait_port 10.77.0.10 8443
  capture_start "$HERE/$NAME/capture.pcap"
  discover
  tls 10.77.0.10 8443 expe1.example.com
  finish
}

scenario_srv_failover() {
  start srv-failover "Two Expressway-E in the SRV answer; the first (priority 10) drops SYNs, the client fails over to the second, and the sign-in completes. A warning, not a fault. The daemons accept the sign-in, but the capture shows only the TLS handshakes: without keys or Expressway logs mradiag says inconclusive, never ok."
  dns "$EDGE_SRV" "srv-host=_collab-edge._tls.example.com,expe2.example.com,8443,20,10" "$EXPE1_A" "host-record=expe2.example.com,10.77.0.11"
  drop tcp 10.77.0.10 8443
  tls_server 10.77.0.11 8443 expe-good -tls1_2
  tls_server 10.77.0.11 5061 expe-good -tls1_2
  xmpp_server 10.77.0.11 yes
  wait_port 10.77.0.11 5222
  capture_start "$HERE/$NAME/capture.pcap"
  discover
  addr expe2.example.com
  TLS_TIMEOUT=3 tls 10.77.0.10 8443 expe1.example.com -tls1_2
  tls 10.77.0.11 8443 expe2.example.com -tls1_2
  xmpp 10.77.0.11 -tls1_2
  tls 10.77.0.11 5061 expe2.example.com -tls1_2
  finish
}

scenario_xmpp_no_starttls() {
  start xmpp-no-starttls "Provisioning works; the XMPP server on 5222 does not offer STARTTLS in its stream features."
  dns "$EDGE_SRV" "$EXPE1_A"
  tls_server 10.77.0.10 8443 expe-good -tls1_2
  xmpp_server 10.77.0.10 no
  wait_port 10.77.0.10 5222
  capture_start "$HERE/$NAME/capture.pcap"
  discover
  tls 10.77.0.10 8443 expe1.example.com -tls1_2
  xmpp 10.77.0.10
  finish
}

scenario_xmpp_refused() {
  start xmpp-refused "Provisioning works; nothing listens on 5222 (F33)."
  dns "$EDGE_SRV" "$EXPE1_A"
  tls_server 10.77.0.10 8443 expe-good -tls1_2
  wait_port 10.77.0.10 8443
  capture_start "$HERE/$NAME/capture.pcap"
  discover
  tls 10.77.0.10 8443 expe1.example.com -tls1_2
  xmpp 10.77.0.10
  finish
}

scenario_sip_unanswered() {
  start sip-unanswered "Provisioning and XMPP work; SYNs to 5061 are dropped by a firewall (F40)."
  dns "$EDGE_SRV" "$EXPE1_A"
  tls_server 10.77.0.10 8443 expe-good -tls1_2
  xmpp_server 10.77.0.10 yes
  drop tcp 10.77.0.10 5061
  wait_port 10.77.0.10 5222
  capture_start "$HERE/$NAME/capture.pcap"
  discover
  tls 10.77.0.10 8443 expe1.example.com -tls1_2
  xmpp 10.77.0.10 -tls1_2
  TLS_TIMEOUT=4 tls 10.77.0.10 5061 expe1.example.com -tls1_2
  finish
}

scenario_ipv6_tls_untrusted() {
  start ipv6-tls-untrusted "The whole exchange over IPv6 (AAAA lookup, TLS to [fd77::10]:8443); the certificate is untrusted (unknown_ca)."
  dns "$EDGE_SRV" "$EXPE1_A"
  tls_server "[fd77::10]" 8443 expe-untrusted -tls1_2
  wait_port fd77::10 8443
  capture_start "$HERE/$NAME/capture.pcap"
  DNS=fd77::53 srv _cisco-uds._tcp.example.com
  DNS=fd77::53 srv _collab-edge._tls.example.com
  DNS=fd77::53 addr expe1.example.com AAAA
  tls "[fd77::10]" 8443 expe1.example.com -tls1_2
  finish
}

scenario_sll2_tls_expired() {
  start sll2-tls-expired "Captured with \`tcpdump -i any -y LINUX_SLL2\` (Linux cooked v2 headers); the certificate has expired."
  dns "$EDGE_SRV" "$EXPE1_A"
  tls_server 10.77.0.10 8443 expe-expired -tls1_2
  wait_port 10.77.0.10 8443
  capture_start "$HERE/$NAME/capture.pcap" tcpdump -i any -y LINUX_SLL2
  discover
  tls 10.77.0.10 8443 expe1.example.com -tls1_2
  finish
}

scenario_pcapng_two_interfaces() {
  start pcapng-two-interfaces "A pcapng written by dumpcap on two interfaces (the client's veth and loopback); the sign-in fails on an untrusted certificate."
  dns "$EDGE_SRV" "$EXPE1_A"
  tls_server 10.77.0.10 8443 expe-untrusted -tls1_2
  wait_port 10.77.0.10 8443
  capture_start "$HERE/$NAME/capture.pcapng" dumpcap -i c0 -i lo
  inc dig +tries=1 +time=1 @127.0.0.1 example.com >/dev/null || true
  discover
  tls 10.77.0.10 8443 expe1.example.com -tls1_2
  finish
}

scenario_sip_register_rejected() {
  start sip-register-rejected "Signalling in clear for once: after provisioning, the client's REGISTER over TCP 5060 to the edge is answered 403 Forbidden (sipp on both sides)."
  dns "$EDGE_SRV" "$EXPE1_A"
  tls_server 10.77.0.10 8443 expe-good -tls1_2
  bg sipp -sf "$HERE/lab/register-403-uas.xml" -t t1 -i 10.77.0.10 -p 5060 -m 1 -nostdin -bg
  wait_port 10.77.0.10 5060
  capture_start "$HERE/$NAME/capture.pcap"
  discover
  tls 10.77.0.10 8443 expe1.example.com -tls1_2
  inc timeout 5 sipp -sf "$HERE/lab/register-uac.xml" -t t1 -i 10.77.0.2 -m 1 -nostdin 10.77.0.10:5060 >/dev/null 2>&1 || true
  finish
  pkill -f register-403-uas.xml || true
}

scenario_retry_then_ok() {
  start retry-then-ok "Two sign-in attempts: the first while 8443 was closed (refused), the second, after the service came up, succeeds. The verdict follows the last attempt. The daemons accept the sign-in, but the capture shows only the TLS handshakes: without keys or Expressway logs mradiag says inconclusive, never ok."
  dns "$EDGE_SRV" "$EXPE1_A"
  capture_start "$HERE/$NAME/capture.pcap"
  discover
  tls 10.77.0.10 8443 expe1.example.com -tls1_2
  tls_server 10.77.0.10 8443 expe-good -tls1_2
  tls_server 10.77.0.10 5061 expe-good -tls1_2
  xmpp_server 10.77.0.10 yes
  wait_port 10.77.0.10 5222
  sleep 1
  discover
  tls 10.77.0.10 8443 expe1.example.com -tls1_2
  xmpp 10.77.0.10 -tls1_2
  tls 10.77.0.10 5061 expe1.example.com -tls1_2
  finish
}

scenario_tcp_reset() {
  start tcp-reset "The TCP connection to 8443 is accepted, but the ClientHello is answered with a reset (a scripted python3 socket server closing with SO_LINGER 0, as an IPS or a broken load balancer would)."
  dns "$EDGE_SRV" "$EXPE1_A"
  script_server reset 10.77.0.10 8443
  wait_port 10.77.0.10 8443
  capture_start "$HERE/$NAME/capture.pcap"
  discover
  tls 10.77.0.10 8443 expe1.example.com -tls1_2
  finish
}

scenario_xmpp_starttls_failure() {
  start xmpp-starttls-failure "Provisioning works; on 5222 the server offers STARTTLS but answers <starttls/> with <failure/> (a scripted python3 XMPP server)."
  dns "$EDGE_SRV" "$EXPE1_A"
  tls_server 10.77.0.10 8443 expe-good -tls1_2
  script_server xmpp-failure 10.77.0.10 5222
  wait_port 10.77.0.10 5222
  capture_start "$HERE/$NAME/capture.pcap"
  discover
  tls 10.77.0.10 8443 expe1.example.com -tls1_2
  xmpp 10.77.0.10
  finish
}

scenario_cached_discovery() {
  start cached-discovery "A re-login: the client reuses its cached discovery, so the capture has no SRV lookup at all; 8443, 5222 and 5061 all work. No fault. The daemons accept the sign-in, but the capture shows only the TLS handshakes: without keys or Expressway logs mradiag says inconclusive, never ok."
  tls_server 10.77.0.10 8443 expe-good -tls1_2
  tls_server 10.77.0.10 5061 expe-good -tls1_2
  xmpp_server 10.77.0.10 yes
  wait_port 10.77.0.10 5222
  capture_start "$HERE/$NAME/capture.pcap"
  tls 10.77.0.10 8443 expe1.example.com -tls1_2
  xmpp 10.77.0.10 -tls1_2
  tls 10.77.0.10 5061 expe1.example.com -tls1_2
  finish
}

scenario_sip_icmp_prohibited() {
  start sip-icmp-prohibited "Provisioning and XMPP work; a firewall rejects 5061 with ICMP administratively prohibited."
  dns "$EDGE_SRV" "$EXPE1_A"
  tls_server 10.77.0.10 8443 expe-good -tls1_2
  xmpp_server 10.77.0.10 yes
  ins nft add rule inet lab input ip daddr 10.77.0.10 tcp dport 5061 reject with icmp type admin-prohibited
  wait_port 10.77.0.10 5222
  capture_start "$HERE/$NAME/capture.pcap"
  discover
  tls 10.77.0.10 8443 expe1.example.com -tls1_2
  xmpp 10.77.0.10 -tls1_2
  tls 10.77.0.10 5061 expe1.example.com -tls1_2
  finish
}

scenario_glue_only_refused() {
  start glue-only-refused "The SRV answer carries the target's address as glue and the client connects without an A lookup; nothing listens on 8443."
  dns "$EDGE_SRV" "$EXPE1_A"
  capture_start "$HERE/$NAME/capture.pcap"
  srv _cisco-uds._tcp.example.com
  srv _collab-edge._tls.example.com
  tls 10.77.0.10 8443 expe1.example.com
  finish
}

scenario_provisioning_only() {
  start provisioning-only "Discovery and the TLS handshake on 8443 succeed, then the client stops: no XMPP, no SIP. What get_edge_config answered is inside TLS; only the Expressway logs can tell (see merged-capture-expc-401)."
  dns "$EDGE_SRV" "$EXPE1_A"
  tls_server 10.77.0.10 8443 expe-good -tls1_2
  wait_port 10.77.0.10 8443
  capture_start "$HERE/$NAME/capture.pcap"
  discover
  tls 10.77.0.10 8443 expe1.example.com -tls1_2
  finish
}

scenario_tls_name_checked_late() {
  start tls-name-checked-late "The client completes the TLS 1.2 handshake with a certificate for www.example.net only, then hangs up without a request: a client that checks the name after the handshake (no alert on the wire)."
  dns "$EDGE_SRV" "$EXPE1_A"
  tls_server 10.77.0.10 8443 expe-wrong-name -tls1_2
  wait_port 10.77.0.10 8443
  capture_start "$HERE/$NAME/capture.pcap"
  discover
  LATE_NAME_CHECK=1 tls 10.77.0.10 8443 expe1.example.com -tls1_2
  finish
}

# ---- with key logs: the client writes its TLS secrets (keys.log beside the capture), so what
# was said inside TLS (HTTP on 8443, the XMPP login, SIP on 5061) can be judged.

# keylog_scenario NAME VERSION DESCRIPTION: start a scenario whose client logs its keys.
keylog_start() {
  start "$1" "$3 The client logged its TLS secrets (keys.log, NSS format, written by the client's OpenSSL as SSLKEYLOGFILE does)."
  KEYS="$HERE/$1/keys.log"
  TLSV=$2
  rm -f "$KEYS"
}

keylog_finish() {
  finish
  chmod 644 "$KEYS"
  # What tshark reads inside TLS with the same key log: tests/keylog.rs compares.
  "$HERE/lab/tshark_facts.sh" "$CAPTURE_FILE" "$KEYS" >"$HERE/$NAME/tshark-facts.txt"
}

scenario_keylog_provisioning_401_tls12() {
  keylog_start keylog-provisioning-401-tls12 1.2 "Inside TLS 1.2 on 8443, get_edge_config is answered 401 Unauthorized: the user's credentials are refused."
  dns "$EDGE_SRV" "$EXPE1_A"
  script_server https 10.77.0.10 8443 401 "$TLSV"
  wait_port 10.77.0.10 8443
  capture_start "$HERE/$NAME/capture.pcap"
  discover
  mra_client "$KEYS" edge-config 10.77.0.10 "$TLSV"
  keylog_finish
}

scenario_keylog_provisioning_403_tls13() {
  keylog_start keylog-provisioning-403-tls13 1.3 "Inside TLS 1.3 on 8443, get_edge_config is answered 403 Forbidden: the domain is not enabled for MRA."
  dns "$EDGE_SRV" "$EXPE1_A"
  script_server https 10.77.0.10 8443 403 "$TLSV"
  wait_port 10.77.0.10 8443
  capture_start "$HERE/$NAME/capture.pcap"
  discover
  mra_client "$KEYS" edge-config 10.77.0.10 "$TLSV"
  keylog_finish
}

scenario_keylog_provisioning_401_cbc() {
  keylog_start keylog-provisioning-401-cbc 1.2 "Inside TLS 1.2 with a CBC suite (ECDHE-ECDSA-AES128-SHA256, MAC then encrypt: the client offers no encrypt-then-MAC), get_edge_config is answered 401 Unauthorized."
  dns "$EDGE_SRV" "$EXPE1_A"
  script_server https 10.77.0.10 8443 401 "$TLSV"
  wait_port 10.77.0.10 8443
  capture_start "$HERE/$NAME/capture.pcap"
  discover
  MRA_CIPHERS=ECDHE-ECDSA-AES128-SHA256 mra_client "$KEYS" edge-config 10.77.0.10 "$TLSV"
  keylog_finish
}

# The edge configuration is served (HTTP 200), then XMPP with a wrong password.
keylog_xmpp_refused() {
  dns "$EDGE_SRV" "$EXPE1_A"
  script_server https 10.77.0.10 8443 200 "$TLSV"
  XMPP_USER=jdoe:lab-password xmpp_server 10.77.0.10 yes
  wait_port 10.77.0.10 8443
  wait_port 10.77.0.10 5222
  capture_start "$HERE/$NAME/capture.pcap"
  discover
  mra_client "$KEYS" edge-config 10.77.0.10 "$TLSV"
  mra_client "$KEYS" xmpp 10.77.0.10 jdoe wrong-password "$TLSV"
  keylog_finish
}

scenario_keylog_xmpp_auth_failed_tls12() {
  keylog_start keylog-xmpp-auth-failed-tls12 1.2 "The edge configuration is served inside TLS 1.2; on 5222, after STARTTLS, prosody refuses the XMPP login (SASL failure, not-authorized)."
  keylog_xmpp_refused
}

scenario_keylog_xmpp_auth_failed_tls13() {
  keylog_start keylog-xmpp-auth-failed-tls13 1.3 "The edge configuration is served inside TLS 1.3; on 5222, after STARTTLS, prosody refuses the XMPP login (SASL failure, not-authorized)."
  keylog_xmpp_refused
}

# The edge configuration is served, then REGISTER over TLS on 5061 answered CODE.
keylog_register() {
  dns "$EDGE_SRV" "$EXPE1_A"
  script_server https 10.77.0.10 8443 200 "$TLSV"
  script_server sip-tls 10.77.0.10 5061 "$1" "$TLSV"
  wait_port 10.77.0.10 8443
  wait_port 10.77.0.10 5061
  capture_start "$HERE/$NAME/capture.pcap"
  discover
  mra_client "$KEYS" edge-config 10.77.0.10 "$TLSV"
  mra_client "$KEYS" register 10.77.0.10 "$TLSV"
  keylog_finish
}

scenario_keylog_sip_403_tls12() {
  keylog_start keylog-sip-403-tls12 1.2 "The edge configuration is served inside TLS 1.2; the REGISTER over TLS on 5061 is answered 403 Forbidden."
  keylog_register 403
}

scenario_keylog_sip_403_tls13() {
  keylog_start keylog-sip-403-tls13 1.3 "The edge configuration is served inside TLS 1.3; the REGISTER over TLS on 5061 is answered 403 Forbidden."
  keylog_register 403
}

scenario_keylog_happy_tls13() {
  keylog_start keylog-happy-tls13 1.3 "A sign-in that works, seen inside TLS 1.3: get_edge_config answered 200 with the edge configuration, the XMPP login accepted by prosody, the REGISTER over TLS answered 200 OK."
  dns "$EDGE_SRV" "$EXPE1_A"
  script_server https 10.77.0.10 8443 200 "$TLSV"
  script_server sip-tls 10.77.0.10 5061 200 "$TLSV"
  XMPP_USER=jdoe:lab-password xmpp_server 10.77.0.10 yes
  wait_port 10.77.0.10 8443
  wait_port 10.77.0.10 5061
  wait_port 10.77.0.10 5222
  capture_start "$HERE/$NAME/capture.pcap"
  discover
  mra_client "$KEYS" edge-config 10.77.0.10 "$TLSV"
  mra_client "$KEYS" xmpp 10.77.0.10 jdoe lab-password "$TLSV"
  mra_client "$KEYS" register 10.77.0.10 "$TLSV"
  keylog_finish
}

scenario_edge_443_cached() {
  start edge-443-cached "A re-login from cached discovery (no DNS in the capture) to an Expressway-E whose _collab-edge record names port 443, not 8443; its certificate is issued by \"Temporary CA\", which the client rejects (unknown_ca, TLS 1.2). Without --edge nothing says 10.77.0.10:443 is Expressway-E: mradiag finds no sign-in and lists the TLS connection whose role is unknown; expect.toml gives --edge expe1.example.com:443, and provisioning fails with tls_untrusted."
  tls_server 10.77.0.10 443 expe-untrusted -tls1_2
  wait_port 10.77.0.10 443
  capture_start "$HERE/$NAME/capture.pcap"
  tls 10.77.0.10 443 expe1.example.com -tls1_2
  finish
}

scenario_xmpp_s2s_starttls() {
  start xmpp-s2s-starttls "Not a sign-in: a server-to-server XMPP stream (jabber:server) on 5269 that upgrades with STARTTLS (prosody, openssl s_client -starttls xmpp-server). The TLS after STARTTLS is decoded on this port as on 5222 (tshark's reference in capture.tshark.tsv, checked by tests/conformance.rs); the connection's role is unknown, so no sign-in is judged."
  S2S=yes xmpp_server 10.77.0.10 yes
  wait_port 10.77.0.10 5269
  capture_start "$HERE/$NAME/capture.pcap"
  inc timeout 4 openssl s_client -connect 10.77.0.10:5269 -starttls xmpp-server -xmpphost example.com \
    -CAfile "$CERTS/ca.pem" -tls1_2 </dev/null >/dev/null 2>&1 || true
  finish
  tshark_reference "$HERE/$NAME/capture.pcap"
}

scenario_proxy_connect_untrusted() {
  start proxy-connect-untrusted "A client behind an HTTP proxy (10.77.0.11:3128): it looks up _collab-edge itself, then asks the proxy for a tunnel to expe1.example.com:8443 (CONNECT) and speaks TLS 1.2 inside it (openssl s_client -proxy); the proxy never resolves in the capture. Expressway-E's certificate is issued by \"Temporary CA\", which the client rejects (unknown_ca): provisioning.tls_untrusted, judged on the tunnel although the capture only shows the proxy's address."
  dns "$EDGE_SRV" "$EXPE1_A"
  tls_server 10.77.0.10 8443 expe-untrusted -tls1_2
  script_server connect-proxy 10.77.0.11 3128 200
  wait_port 10.77.0.10 8443
  wait_port 10.77.0.11 3128
  capture_start "$HERE/$NAME/capture.pcap"
  srv _cisco-uds._tcp.example.com
  srv _collab-edge._tls.example.com
  inc timeout 4 openssl s_client -proxy 10.77.0.11:3128 -connect expe1.example.com:8443 -servername expe1.example.com \
    -CAfile "$CERTS/ca.pem" -verify_return_error -verify_hostname expe1.example.com -tls1_2 </dev/null >/dev/null 2>&1 || true
  finish
  tshark_reference "$HERE/$NAME/capture.pcap"
}

scenario_proxy_connect_503() {
  start proxy-connect-503 "A client behind an HTTP proxy that refuses the tunnel to expe1.example.com:8443 with 503 Service Unavailable (as in TAC 212081): the sign-in never reaches Expressway-E; mradiag names the proxy's answer, not a missing Expressway."
  dns "$EDGE_SRV" "$EXPE1_A"
  script_server connect-proxy 10.77.0.11 3128 503
  wait_port 10.77.0.11 3128
  capture_start "$HERE/$NAME/capture.pcap"
  srv _cisco-uds._tcp.example.com
  srv _collab-edge._tls.example.com
  inc timeout 4 openssl s_client -proxy 10.77.0.11:3128 -connect expe1.example.com:8443 -servername expe1.example.com \
    -CAfile "$CERTS/ca.pem" -verify_return_error -tls1_2 </dev/null >/dev/null 2>&1 || true
  finish
}

ALL=(happy_tls12 happy_tls13 srv_nxdomain dns_unanswered dns_refused edge_host_unresolved uds_exposed
  inside_network tcp_8443_unanswered tcp_8443_refused tls_untrusted tls_name_mismatch tls_expired
  tls_version_mismatch tls13_untrusted srv_failover xmpp_no_starttls xmpp_refused sip_unanswered
  ipv6_tls_untrusted sll2_tls_expired pcapng_two_interfaces sip_register_rejected
  retry_then_ok tcp_reset xmpp_starttls_failure cached_discovery sip_icmp_prohibited
  glue_only_refused provisioning_only tls_name_checked_late tls13_name_mismatch
  keylog_provisioning_401_tls12 keylog_provisioning_401_cbc keylog_provisioning_403_tls13 keylog_xmpp_auth_failed_tls12
  keylog_xmpp_auth_failed_tls13 keylog_sip_403_tls12 keylog_sip_403_tls13 keylog_happy_tls13
  edge_443_cached xmpp_s2s_starttls proxy_connect_untrusted proxy_connect_503)

if [ "$#" -gt 0 ]; then
  for name in "$@"; do "scenario_${name//-/_}"; done
else
  for s in "${ALL[@]}"; do "scenario_$s"; done
fi
