#!/usr/bin/env bash
# Regenerate the crafted samples from the lab captures (run after make-captures.sh).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
craft() { python3 "$HERE/craft.py" "$@"; }
readme() {
  printf '# %s\n\n%s\n\nCrafted by `samples/make-crafted.sh` (see `samples/craft.py`) from the lab capture named above.\n' "$1" "$2" >"$HERE/$1/README.md"
}

mkdir -p "$HERE/vlan-tcp-refused" "$HERE/truncated-capture"
craft vlan "$HERE/tcp-8443-refused/capture.pcap" "$HERE/vlan-tcp-refused/capture.pcap" 100
readme vlan-tcp-refused "tcp-8443-refused with an 802.1Q tag (VLAN 100) inserted in every frame, as a capture on a trunk port shows it. Nothing listens on 8443."
# Cut inside the server's answer on 5222, after provisioning completed.
frame=$(tshark -r "$HERE/happy-tls12/capture.pcap" -Y 'tcp.port == 5222 && tcp.len > 0' -T fields -e frame.number | sed -n 2p)
craft truncate "$HERE/happy-tls12/capture.pcap" "$HERE/truncated-capture/capture.pcap" "$frame"
readme truncated-capture "happy-tls12 cut half-way through the server's first XMPP answer, as an interrupted upload leaves a file: every complete frame must still be read, and the cut named."
