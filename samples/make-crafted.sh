#!/usr/bin/env bash
# Regenerate the crafted samples from the lab captures (run after make-captures.sh).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
craft() { python3 "$HERE/craft.py" "$@"; }
readme() {
  printf '# %s\n\n%s\n\nCrafted by `samples/make-crafted.sh` (see `samples/craft.py`) from the lab capture named above.\n' "$1" "$2" >"$HERE/$1/README.md"
}

mkdir -p "$HERE/vlan-tcp-refused" "$HERE/truncated-capture" "$HERE/tls-untrusted-silent"
craft vlan "$HERE/tcp-8443-refused/capture.pcap" "$HERE/vlan-tcp-refused/capture.pcap" 100
readme vlan-tcp-refused "tcp-8443-refused with an 802.1Q tag (VLAN 100) inserted in every frame, as a capture on a trunk port shows it. Nothing listens on 8443."
# The same trunk capture as `tcpdump -i any` writes it: Linux cooked headers, the VLAN tag
# after them.
mkdir -p "$HERE/sll-vlan-tcp-refused"
craft cooked "$HERE/vlan-tcp-refused/capture.pcap" "$HERE/sll-vlan-tcp-refused/capture.pcap" 0
readme sll-vlan-tcp-refused "vlan-tcp-refused as \`tcpdump -i any\` on the trunk writes it: a Linux cooked (SLL) header in every frame, with EtherType 802.1Q and the VLAN tag after it, as libpcap puts back the tag the kernel took off. Nothing listens on 8443."
# Cut inside the server's answer on 5222, after provisioning completed.
frame=$(tshark -r "$HERE/happy-tls12/capture.pcap" -Y 'tcp.port == 5222 && tcp.len > 0' -T fields -e frame.number | sed -n 2p)
craft truncate "$HERE/happy-tls12/capture.pcap" "$HERE/truncated-capture/capture.pcap" "$frame"
readme truncated-capture "happy-tls12 cut half-way through the server's first XMPP answer, as an interrupted upload leaves a file: every complete frame must still be read, and the cut named."
# The client's fatal alert left out: it only hangs up after the untrusted certificate.
alert=$(tshark -r "$HERE/tls-untrusted/capture.pcap" -Y 'tls.alert_message.desc' -T fields -e frame.number | head -1)
craft drop "$HERE/tls-untrusted/capture.pcap" "$HERE/tls-untrusted-silent/capture.pcap" "$alert"
readme tls-untrusted-silent "tls-untrusted without the client's alert: the client just hangs up after Expressway-E's certificate from \"Temporary CA\", as some TLS stacks do. Only a path validation of the chain (no anchor set accepts it) tells why."
# The same user signs in again a minute later, from other ports, and this time the REGISTER
# is answered 200 OK: the first attempt's 403 must stay its own.
mkdir -p "$HERE/sip-register-403-then-ok"
craft retry "$HERE/sip-register-rejected/capture.pcap" "$HERE/sip-register-403-then-ok/capture.pcap" 60
readme sip-register-403-then-ok "sip-register-rejected, then the same client's second sign-in 60 s later (a copy of the first from ports 1000 higher, under Call-ID 2-…, the REGISTER answered 200 OK). Each attempt is judged on its own: the second's 200 OK does not make the first one's REGISTER ok."
# A SIP scanner's OPTIONS to Expressway-E after the client's provisioning: another sender's
# datagram, which proves nothing of the client's edge configuration.
mkdir -p "$HERE/provisioning-only-sip-scanner"
craft scanner "$HERE/provisioning-only/capture.pcap" "$HERE/provisioning-only-sip-scanner/capture.pcap" 10.77.0.10
readme provisioning-only-sip-scanner "provisioning-only, then a SIP scanner's OPTIONS over UDP to Expressway-E's 5060 (svmap's \"friendly-scanner\", from 203.0.113.66), as every Internet-facing SIP server receives. It is not the client's: the client still never connected after provisioning."
# Two users' captures of one incident, each laptop behind its own home router at the same
# private address: bob's (tcp-8443-refused, moved to the second before alice's) fails, then
# alice's (keylog-happy-tls13, with its key log) signs in. Bob's failure is not alice's retry.
D="$HERE/two-captures-one-address"
mkdir -p "$D"
cp "$HERE/keylog-happy-tls13/capture.pcap" "$D/alice.pcap"
cp "$HERE/keylog-happy-tls13/keys.log" "$D/alice-keys.log"
first() { tshark -r "$1" -c 1 -T fields -e frame.time_epoch | cut -d. -f1; }
craft shift "$HERE/tcp-8443-refused/capture.pcap" "$D/bob.pcap" \
  $(($(first "$D/alice.pcap") - $(first "$HERE/tcp-8443-refused/capture.pcap") - 1))
readme two-captures-one-address "Two users' captures of one incident, side by side: alice.pcap (keylog-happy-tls13, with its key log) signs in; bob.pcap (tcp-8443-refused, moved to the second before alice's) is refused on 8443. Both laptops sit behind home routers that gave them the same private address, 10.77.0.2. Each capture's client is its own: bob's refusal is not a failure alice recovered from a second later, and the verdict is bob's failure."
# Expressway-E's bundle with an expired server certificate beside a test client's capture
# taken inside the office: that sign-in never meets Expressway-E.
D="$HERE/inside-client-beside-expired-edge-cert"
mkdir -p "$D"
cp "$HERE/bundle-server-cert-expired/"diagnostic_log_expe_*.tar.gz "$HERE/inside-network/capture.pcap" "$D/"
printf '# %s\n\n%s\n\nCrafted by `samples/make-crafted.sh` from the two samples named above (copied side by side).\n' \
  inside-client-beside-expired-edge-cert "Expressway-E's bundle (bundle-server-cert-expired: its server certificate expired a month before) beside a test client's capture taken inside the office (inside-network: _cisco-uds answers, the client signs in to CUCM directly and never meets Expressway-E). The inside sign-in says nothing of MRA: the expired certificate is still the fault, not a failure some later sign-in got past." >"$D/README.md"
# The client's key log carried inside the capture, as Wireshark's editcap injects it: a
# pcapng Decryption Secrets Block before the first packet, no keys.log beside it.
mkdir -p "$HERE/keylog-embedded-sip-403"
editcap --inject-secrets "tls,$HERE/keylog-sip-403-tls13/keys.log" -F pcapng \
  "$HERE/keylog-sip-403-tls13/capture.pcap" "$HERE/keylog-embedded-sip-403/capture.pcapng"
readme keylog-embedded-sip-403 "keylog-sip-403-tls13 with its client's key log inside the file: \`editcap --inject-secrets\` wrote a pcapng with a Decryption Secrets Block. The REGISTER over TLS 1.3 is answered 403, read with the embedded secrets alone."
"$HERE/lab/tshark_facts.sh" "$HERE/keylog-embedded-sip-403/capture.pcapng" /dev/null \
  >"$HERE/keylog-embedded-sip-403/tshark-facts.txt"
