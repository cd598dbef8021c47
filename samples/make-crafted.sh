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
# Cut inside the server's answer on 5222, after provisioning completed.
frame=$(tshark -r "$HERE/happy-tls12/capture.pcap" -Y 'tcp.port == 5222 && tcp.len > 0' -T fields -e frame.number | sed -n 2p)
craft truncate "$HERE/happy-tls12/capture.pcap" "$HERE/truncated-capture/capture.pcap" "$frame"
readme truncated-capture "happy-tls12 cut half-way through the server's first XMPP answer, as an interrupted upload leaves a file: every complete frame must still be read, and the cut named."
# The client's fatal alert left out: it only hangs up after the untrusted certificate.
alert=$(tshark -r "$HERE/tls-untrusted/capture.pcap" -Y 'tls.alert_message.desc' -T fields -e frame.number | head -1)
craft drop "$HERE/tls-untrusted/capture.pcap" "$HERE/tls-untrusted-silent/capture.pcap" "$alert"
readme tls-untrusted-silent "tls-untrusted without the client's alert: the client just hangs up after Expressway-E's certificate from \"Temporary CA\", as some TLS stacks do. Only a path validation of the chain (no anchor set accepts it) tells why."
# The client's key log carried inside the capture, as Wireshark's editcap injects it: a
# pcapng Decryption Secrets Block before the first packet, no keys.log beside it.
mkdir -p "$HERE/keylog-embedded-sip-403"
editcap --inject-secrets "tls,$HERE/keylog-sip-403-tls13/keys.log" -F pcapng \
  "$HERE/keylog-sip-403-tls13/capture.pcap" "$HERE/keylog-embedded-sip-403/capture.pcapng"
readme keylog-embedded-sip-403 "keylog-sip-403-tls13 with its client's key log inside the file: \`editcap --inject-secrets\` wrote a pcapng with a Decryption Secrets Block. The REGISTER over TLS 1.3 is answered 403, read with the embedded secrets alone."
"$HERE/lab/tshark_facts.sh" "$HERE/keylog-embedded-sip-403/capture.pcapng" /dev/null \
  >"$HERE/keylog-embedded-sip-403/tshark-facts.txt"
