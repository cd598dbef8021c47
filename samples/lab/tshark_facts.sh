#!/usr/bin/env bash
# The facts tshark reads inside TLS with a key log, one per line: FRAME KIND VALUE
# (http_request METHOD, http_response CODE, sip_request METHOD, sip_response CODE,
# xmpp_auth success|failure). tests/keylog.rs checks mradiag's decrypted events against them.
#   samples/lab/tshark_facts.sh CAPTURE KEYLOG > tshark-facts.txt
set -euo pipefail
echo "# tshark $(tshark --version 2>/dev/null | head -1 | awk '{print $3}') -o tls.keylog_file:KEYLOG on $(basename "$1")"
tshark -r "$1" -o "tls.keylog_file:$2" -Y "http or sip or xmpp" -T fields -E separator=/t \
  -e frame.number -e http.request.method -e http.response.code -e sip.Method -e sip.Status-Code \
  -e xmpp.success -e xmpp.failure 2>/dev/null |
  awk -F'\t' '
    $2 != "" { print $1, "http_request", $2 }
    $3 != "" { print $1, "http_response", $3 }
    $4 != "" && $5 == "" { print $1, "sip_request", $4 }
    $5 != "" { print $1, "sip_response", $5 }
    $6 != "" { print $1, "xmpp_auth", "success" }
    $7 != "" { print $1, "xmpp_auth", "failure" }'
