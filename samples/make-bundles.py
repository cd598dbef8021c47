#!/usr/bin/env python3
"""Crafted Expressway diagnostic bundles and Jabber problem reports for samples/.

No Expressway or Jabber runs here, so these are built from the real log lines quoted in
research/mra-domain.md (section 2.7 and 3.5, with their flattening and odd spacing), placed
in time, surrounded by routine lines of the same grammar, and packed the way the products
pack them: a .tar.gz with loggingsnapshot_<host>_<time>.txt (Expressway), a .zip with
csf-unified.log (Jabber PRT). Deterministic: fixed times, gzip mtime 0.

    python3 samples/make-bundles.py            # writes every bundle-*/ and jabber-*/ folder
"""

import gzip
import io
import struct
import tarfile
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
T0 = datetime(2026, 11, 26, 14, 17, 30, tzinfo=timezone.utc)
STAMP = "2026-11-26_14-17-30"


def ex_time(t, offset_h=1):
    """Expressway header time (local, with offset) and UTCTime value."""
    local = t.astimezone(timezone(timedelta(hours=offset_h)))
    head = local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}" + local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:]
    utc = t.strftime("%Y-%m-%d %H:%M:%S,") + f"{t.microsecond // 1000:03d}"
    return head, utc


def routine(host, t, i):
    """Everyday lines of the grammar, so that a fault line is found among others."""
    head, utc = ex_time(t)
    kinds = [
        f'{head} {host} tvcs: UTCTime="{utc}" Module="network.sip" Level="INFO":  Action="Received" Local-ip="10.0.30.2" Local-port="7001" Src-ip="10.0.30.10" Src-port="25{i % 90:03d}" Detail="Receive Request Method=OPTIONS, CSeq={3000 + i}, To=sip:10.0.30.2:7001, Call-ID=opt{i}@10.0.30.10, From-Tag=f{i}, To-Tag=, Msg-Hash={10_000_000 + i}"',
        f'{head} {host} tvcs: UTCTime="{utc}" Module="network.sip" Level="INFO":  Action="Sent" Local-ip="10.0.30.2" Local-port="7001" Dst-ip="10.0.30.10" Dst-port="25{i % 90:03d}" Detail="Sending Response Code=200, Method=OPTIONS, CSeq={3000 + i}, To=sip:10.0.30.2:7001, Call-ID=opt{i}@10.0.30.10, From-Tag=f{i}, To-Tag=t{i}, Msg-Hash={20_000_000 + i}"',
        f'{head} {host} tvcs: UTCTime="{utc}" Module="network.tcp" Level="DEBUG":  Src-ip="10.0.30.2" Src-port="{40000 + i}" Dst-ip="10.0.40.5" Dst-port="8443" Detail="TCP Connecting"',
        f'{head} {host} tvcs: UTCTime="{utc}" Module="network.tcp" Level="DEBUG":  Src-ip="10.0.30.2" Src-port="{40000 + i}" Dst-ip="10.0.40.5" Dst-port="8443" Detail="TCP Connection Established"',
        f'{head} {host} tvcs: UTCTime="{utc}" Module="network.dns" Level="DEBUG":  Detail="Sending DNS query" Name="cucm{i % 3}.example.local" Type="A and AAAA"',
        f'{head} {host} tvcs: UTCTime="{utc}" Module="developer.ssl" Level="INFO" CodeLocation="ppcmains/ssl/ttssl/ttssl_openssl.cpp(1974)" Method="::ttssl_continueHandshake" Thread="0x7f29ddefa700":  Detail=" Handshake in progress " Reason="want read/write"',
    ]
    return kinds[i % len(kinds)]


def snapshot(host, faults, start=T0, lines=240):
    """A loggingsnapshot: markers, routine lines every half second, fault lines at their times."""
    head, utc = ex_time(start)
    out = [f'{head} {host} tvcs: Event="Diagnostic Logging" Detail="DEBUG_MARKER Started" Level="1" UTCTime="{utc}"']
    out.append(f'{head} {host} alarm: Level="WARN" Event="Alarm Raised" Id="25019" UUID="3bca6888-f622-11df-93be-07cc953d7b99" Severity="warning" Detail="Verbose log levels configured" UTCTime="{utc}"')
    timed = sorted(faults, key=lambda f: f[0])
    for i in range(lines):
        t = start + timedelta(milliseconds=500 * i)
        while timed and start + timedelta(seconds=timed[0][0]) <= t:
            secs, make = timed.pop(0)
            ft = start + timedelta(seconds=secs)
            out.extend(make(host, *ex_time(ft)).split("\n"))
        out.append(routine(host, t, i))
    return "\n".join(out) + "\n"


def tar_gz(path, members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, text in members:
            data = text if isinstance(text, bytes) else text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1764166650
            tar.addfile(info, io.BytesIO(data))
    with open(path, "wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", mtime=0) as gz:
            gz.write(buf.getvalue())


def bundle(folder, host, faults, readme, extra=()):
    d = HERE / folder
    d.mkdir(exist_ok=True)
    stamp = "2026-11-26_14-17-30"
    members = [(f"loggingsnapshot_{host}_{stamp}.txt", snapshot(host, faults))]
    members += list(extra)
    tar_gz(d / f"diagnostic_log_{host}_{stamp}.tar.gz", members)
    (d / "README.md").write_text(f"# {folder}\n\n{readme}\n\nCrafted by `samples/make-bundles.py` from the real lines quoted in research/mra-domain.md, among routine lines of the same grammar, packed as an Expressway diagnostic bundle (.tar.gz).\n")


# ---- Expressway fault lines (real lines from the research file, re-timed)

def uds_401(host, head, utc):
    return (
        f'{head} {host} edgeconfigprovisioning UTCTime="{utc}" Module="network.http.edgeconfigprovisioning" Level="DEBUG" Action="Received" Request-url="https://10.0.40.5:8443/cucm-uds/user/alice/devices" HTTPMSG: |HTTP/1.1 401 Unauthorized Expires: Wed, 31 Dec 1969 19:00:00 EST Server: Cache-Control: private Content-Type: text/html;charset=utf-8 WWW-Authenticate: Basic realm="Cisco Web Services Realm"\n'
        f'{head} {host} edgeconfigprovisioning: Level="INFO" Detail="Failed to authenticate user against server" Username="alice" Server="(\'https\', \'10.0.40.5\', 8443)" Reason="<twisted.python.failure.Failure <type \'exceptions.Exception\'>>" UTCTime="{utc}"'
    )


def expe_403(host, head, utc):
    return (
        f'{head} {host} traffic_server[15550]: UTCTime="{utc}" Module="network.http.trafficserver" Level="DEBUG": Detail="Sending Response" Txn-id="2" Dst-ip="198.51.100.23" Dst-port="50314" HTTPMSG: |HTTP/1.1 403 Forbidden Date: Thu, 26 Nov 2026 14:17:40 GMT Connection: close Server: CE_E Content-Length: 0\n'
        f'{head} {host} traffic_server[15550]: Event="Sending HTTP error response" Status="403" Reason="Forbidden" Dst-ip="198.51.100.23" Dst-port="50314" UTCTime="{utc}"'
    )


def expe_502(host, head, utc):
    return f'{head} {host} traffic_server[15550]: Event="Sending HTTP error response" Status="502" Reason="Next Hop Connection Failed" Dst-ip="198.51.100.23" Dst-port="50320" UTCTime="{utc}"'


def home_cucm(host, head, utc):
    return f'{head} {host} edgeconfigprovisioning: Level="ERROR" Detail="Unable to determine home CUCM - Unknown CUCM cluster for node" Node="cucm-pub" Username="alice" UTCTime="{utc}"'


def traversal_identity(host, head, utc):
    return f'{head} {host} tvcs: Event="Outbound TLS Negotiation Error" Service="SIP" Src-ip="10.0.30.2" Src-port="25697" Dst-ip="203.0.113.10" Dst-port="7001" Detail= "Peer\'s TLS certificate identity was unacceptable" Protocol="TLS" Common-name="203.0.113.10" Level="1" UTCTime="{utc}"'


def traversal_auth(host, head, utc):
    return (
        f'{head} {host} tvcs: UTCTime="{utc}" Module="developer.nomodule" Level="WARN" CodeLocation="ppcmains/sip/sipproxy/ SipProxyAuthentication.cpp(686)" Method="SipProxyAuthentication:: checkDigestSAResponse" Thread="0x7f2485cb0700": calculated response does not match supplied response, calculatedResponse=769c8f488f71eebdf28b61ab1dc9f5e9 , response=319a0bb365decf98c1bb7b3ce350f6ec\n'
        f'{head} {host} tvcs: Event="Authentication Failed" Service="SIP" Src-ip="10.0.30.2" Src-port="25723" Detail=" Incorrect authentication credential for user " Protocol="TLS" Method="OPTIONS" Level="1" UTCTime="{utc}"'
    )


def xcp_7400(host, head, utc):
    return (
        f'{head} {host} XCP_JABBERD[23843]: UTCTime="{utc}" ThreadID= "139747212576512" Module="Jabber" Level="INFO " CodeLocation="mio.c:1109" Detail="Connecting on fd 28 to host \'10.0.30.10\', port 7400"\n'
        f'{head} {host} XCP_JABBERD[23843]: UTCTime="{utc}" ThreadID="139747212576512" Module="Jabber" Level="ERROR" CodeLocation="mio.c:1121" Detail=" Unable to connect to host \'10.0.30.10\', port 7400 :(111) Connection refused"\n'
        f'{head} {host} XCP_JABBERD[23843]: UTCTime="{utc}" ThreadID="139747406935808" Module="Jabber" Level="ERROR" CodeLocation= "base_connection.cpp:104" Detail=" Failed to connect to component jabberd-port-1.expc-example-com"'
    )


def service_408(host, head, utc):
    return "\n".join([
        f'{head} {host} tvcs: UTCTime="{utc}" Module="network.sip" Level="DEBUG":  Action="Received"  Local-ip="10.0.30.2"  Local-port="27901"  Src-ip="64.100.0.10"  Src-port="7003"  Msg-Hash="123456789123456789"',
        " SIPMSG:",
        " |SERVICE sip:serviceserver@cucm02.example.local SIP/2.0",
        " Via: SIP/2.0/TLS 64.100.0.10:7003;egress-zone=UCTraversal;branch=z9hG4bK1;proxy-call-id=c1;rport",
        " Call-ID: abcd12345678@127.0.0.1",
        " CSeq: 4616 SERVICE",
        " Route: <sip:64.100.0.10:4401;transport=tls;apparent;ds;lr>",
        " Event: service",
        " Content-Length: 0",
        "  |",
        f'{head} {host} tvcs: UTCTime="{utc}" Module="network.tcp" Level="ERROR":  Src-ip="10.0.30.2" Src-port="27921" Dst-ip="64.100.0.10" Dst-port="4401" Detail="TCP Connection Failed"',
        f'{head} {host} tvcs: UTCTime="{utc}" Module="network.sip" Level="INFO":  Action="Sent"  Local-ip="10.0.30.2"  Local-port="27901"  Dst-ip="64.100.0.10"  Dst-port="7003"   Detail="Sending Response Code=408, Method=SERVICE, CSeq=4616, To=sip:serviceserver@cucm02.example.local, Call-ID=abcd12345678@127.0.0.1, From-Tag=0987654321aaaa, To-Tag=0987654321bbbb, Msg-Hash=123456789123456789"',
        f'{head} {host} tvcs: UTCTime="{utc}" Module="network.sip" Level="DEBUG":  Action="Sent"  Local-ip="10.0.30.2"  Local-port="27901"  Dst-ip="64.100.0.10"  Dst-port="7003"  Msg-Hash="123456789123456789"',
        " SIPMSG:",
        " |SIP/2.0 408 Request Timeout",
        " Call-ID: abcd12345678@127.0.0.1",
        " CSeq: 4616 SERVICE",
        ' Warning: 399 10.0.30.2:5061 "Request Timeout"',
        " Content-Length: 0",
    ])


def cucm_unknown_ca(host, head, utc):
    return (
        f'{head} {host} traffic_server[2030]: UTCTime="{utc}" Module="network.http.trafficserver" Level="DEBUG": Detail="Sending Request" Txn-id="3028" Dst-ip="10.0.40.5" Dst-port="6972"\n'
        "HTTPMSG:\n|GET /CSFalice.cnf.xml HTTP/1.1\n Host: cucm1.example.local:6972\n Accept: */*\n User-Agent: Jabber\n \n |\n"
        f"{head} {host} traffic_server[2030]:[ET_NET 1]ERROR:SSL connection failed for 'cucm1.example.local':error:14094418: SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca"
    )

def edge_config_response(host, head, utc):
    """The getEdgeConfigResponse quoted by TAC (S3), names moved to the lab's domains, as the
    multi-line HTTPMSG block Expressway-C writes when it answers the client."""
    xml = (
        "<?xml version='1.0' encoding='UTF-8'?> <getEdgeConfigResponse version=\"1.0\"><serviceConfig>"
        "<service><name>_cisco-phone-tftp</name><error>NameError</error></service>"
        "<service><name>_cuplogin</name><error>NameError</error></service>"
        "<service><name>_cisco-uds</name><server><priority>1</priority><weight>1</weight><port>8443</port><address>cucm1.example.local</address></server></service>"
        "<service><name>tftpServer</name><address></address><address></address></service></serviceConfig>"
        "<edgeConfig><sipEdgeServer><server><address>expe1.example.com</address><tlsPort>5061</tlsPort></server></sipEdgeServer>"
        "<sipRequest><route>&lt;sip:10.0.30.2:5061;transport=tls;zone-id=3;directed;lr&gt;</route></sipRequest>"
        "<xmppEdgeServer><server><address>expe1.example.com</address><tlsPort>5222</tlsPort></server></xmppEdgeServer>"
        "<httpEdgeServer><server><address>expe1.example.com</address><tlsPort>8443</tlsPort></server></httpEdgeServer>"
        "<turnEdgeServer/> <userUdsServer><server><address></address><tlsPort>8443</tlsPort></server></userUdsServer> </edgeConfig></getEdgeConfigResponse>"
    )
    return "\n".join([
        f'{head} {host} traffic_server[2030]: UTCTime="{utc}" Module="network.http.trafficserver" Level="DEBUG":  Detail="Sending Response" Txn-id="7" Dst-ip="10.0.30.10" Dst-port="44120"',
        " HTTPMSG:",
        " |HTTP/1.1 200 OK",
        " Content-Type: application/xml",
        " ",
        f" {xml}",
        "  |",
    ])


def alarms(host, head, utc):
    return (
        f'{head} {host} alarm: Level="WARN" Event="Alarm Raised" Id="15032" UUID="1e2f" Severity="warning" Detail="Unified CM server unavailable" UTCTime="{utc}"\n'
        f'{head} {host} alarm: Level="WARN" Event="Alarm Raised" Id="25022" UUID="2e3f" Severity="warning" Detail="Time not synchronized over traversal zone" UTCTime="{utc}"'
    )


bundle("bundle-expc-uds-401", "expc", [(10, uds_401)],
       "Expressway-C: CUCM UDS answers 401 to the user's devices request and the provisioning service reports that it could not authenticate the user (F10).")
bundle("bundle-expe-403-domain", "expe", [(10, expe_403)],
       "Expressway-E answers get_edge_config with 403 Forbidden, Server: CE_E: the domain is not enabled for MRA (F14).")
bundle("bundle-expe-502-next-hop", "expe", [(10, expe_502)],
       "Expressway-E answers 502 (next hop failed): it cannot reach Expressway-C (F16).")
bundle("bundle-expc-home-cucm", "expc", [(10, home_cucm)],
       "Expressway-C cannot tell the user's home CUCM: the node CUCM reports is not among its configured Unified CM servers, while credentials and DNS are fine (the field report in issue 3).")
bundle("bundle-traversal-identity", "expc", [(10, traversal_identity)],
       "Expressway-C: the traversal zone's peer is an IP address not in Expressway-E's certificate (F41).")
bundle("bundle-traversal-auth", "expe", [(10, traversal_auth)],
       "Expressway-E: the traversal zone's credentials do not match (F42).")
bundle("bundle-xcp-7400", "expc", [(10, xcp_7400)],
       "Expressway-C cannot reach Expressway-E on TCP 7400 for XMPP (F37).")
bundle("bundle-sip-service-408", "expc", [(10, service_408)],
       "Expressway-C: the SIP SERVICE from Expressway-E times out (408) because of source NAT between C and E (F44). The 408 response is a multi-line SIPMSG block.")
bundle("bundle-cucm-unknown-ca", "expc", [(10, cucm_unknown_ca)],
       "Expressway-C → CUCM: CUCM answers Expressway-C's TLS with unknown ca after a certificate renewal (F22).")
bundle("bundle-edge-config-no-home-uds", "expc", [(10, edge_config_response)],
       "Expressway-C answers get_edge_config with the services it resolved: _cisco-uds found, TFTP and _cuplogin NameError, and an empty userUdsServer: the user's home UDS is unknown (F20).")
bundle("bundle-alarms-only", "expc", [(10, alarms)],
       "Expressway-C with alarms only (a CUCM node unreachable, clocks not in step over the traversal zone): warnings, no sign-in fault.")

# A weak server certificate (the unit tests' fixture: RSA 1024, SHA-1, server-auth EKU only),
# in an Expressway-E bundle collected the day after it was issued.
weak = HERE / "bundle-server-cert-weak"
weak.mkdir(exist_ok=True)
day_after = T0 + timedelta(days=1)
weak_stamp = day_after.strftime("%Y-%m-%d_%H-%M-%S")
tar_gz(weak / f"diagnostic_log_expe_{weak_stamp}.tar.gz", [
    (f"loggingsnapshot_expe_{weak_stamp}.txt", snapshot("expe", [], start=day_after)),
    (f"server_expe_{weak_stamp}.pem", (HERE.parent / "src" / "proto" / "fixtures" / "weak-leaf.pem").read_text()),
])
(weak / "README.md").write_text(
    "# bundle-server-cert-weak\n\nAn Expressway-E bundle whose log shows nothing wrong and whose server certificate is weak: "
    "a 1024-bit RSA key, a SHA-1 signature, and the server-authentication EKU only (no client authentication), issued "
    "by a CA that is in no trust store here. `mradiag certs` names each problem; it is the certificate of "
    "`src/proto/fixtures/weak-leaf.pem`.\n\nCrafted by `samples/make-bundles.py`.\n"
)

# REGISTERs followed through both Expressways by Call-ID: one answered 200 by CUCM and back,
# one received by E and C and never answered. Lines in the S22 grammar (section 2.7).
def register_line(action, call_id, cseq, code=None, aor="sip:7022@example.com"):
    def make(host, head, utc):
        local = "10.0.10.2" if host == "expe" else "10.0.30.2"
        if code is None:
            detail = f"Receive Request Method=REGISTER, CSeq={cseq}, To={aor}, Call-ID={call_id}, From-Tag=a1{cseq}, To-Tag=, Msg-Hash={30_000_000 + cseq}"
            dir_ = 'Action="Received" Local-ip="%s" Local-port="5061" Src-ip="198.51.100.23" Src-port="50209"' % local
        else:
            detail = f"Sending Response Code={code}, Method=REGISTER, CSeq={cseq}, To={aor}, Call-ID={call_id}, From-Tag=a1{cseq}, To-Tag=b2{cseq}, Msg-Hash={40_000_000 + cseq}"
            dir_ = 'Action="Sent" Local-ip="%s" Local-port="5061" Dst-ip="198.51.100.23" Dst-port="50209"' % local
        return f'{head} {host} tvcs: UTCTime="{utc}" Module="network.sip" Level="INFO":  {dir_} Detail="{detail}"'
    return make


trail = HERE / "bundles-register-trail"
trail.mkdir(exist_ok=True)
ok_id, lost_id = "00ebd5d5-d8c60008@198.51.100.23", "7f3c1a2b-91e0aa31@198.51.100.77"
tar_gz(trail / f"diagnostic_log_expe_{STAMP}.tar.gz", [(f"loggingsnapshot_expe_{STAMP}.txt", snapshot("expe", [
    (20.0, register_line("received", ok_id, 1176)),
    (20.3, register_line("sent", ok_id, 1176, 200)),
    (40.0, register_line("received", lost_id, 311)),
]))])
tar_gz(trail / f"diagnostic_log_expc_{STAMP}.tar.gz", [(f"loggingsnapshot_expc_{STAMP}.txt", snapshot("expc", [
    (20.1, register_line("received", ok_id, 1176)),
    (20.2, register_line("sent", ok_id, 1176, 200)),
    (40.1, register_line("received", lost_id, 311)),
]))])
(trail / "README.md").write_text(
    "# bundles-register-trail\n\nExpressway-E and Expressway-C bundles of the same minute. One REGISTER goes through E, then C, "
    "is accepted and the 200 comes back through C and E; a second REGISTER reaches E and C and is never answered in these "
    "logs. Followed by Call-ID across both boxes: a trail note for the first, a warning for the second.\n\n"
    "Crafted by `samples/make-bundles.py`.\n"
)

# A bundle's own certificates: Expressway-E's server certificate (the lab's, which expired on
# 2026-10-22) and its CA list, judged as of the bundle (2026-11-26), not as of today.
LAB_CERTS = HERE / "lab" / "certs"
bundle("bundle-server-cert-expired", "expe", [],
       "An Expressway-E bundle whose log shows nothing wrong, but whose server certificate (server_expe_*.pem, the lab's expe-expired.pem) expired a month before the bundle was collected; its ca_expe_*.pem holds the lab CA that issued it. Clients reject the certificate on 8443 (provisioning.tls_expired).",
       extra=[(f"server_expe_{STAMP}.pem", (LAB_CERTS / "expe-expired.pem").read_text().split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"),
              (f"ca_expe_{STAMP}.pem", (LAB_CERTS / "ca.pem").read_text())])

# The merged case: the client capture of a sign-in whose TLS works everywhere, and
# Expressway-C's bundle of the same minute, which shows the credentials refused by CUCM.
merged = HERE / "merged-capture-expc-401"
merged.mkdir(exist_ok=True)
for old in merged.glob("diagnostic_log_*.tar.gz"):  # named after the capture's time
    old.unlink()
(merged / "client.pcap").write_bytes((HERE / "provisioning-only" / "capture.pcap").read_bytes())
capture_bytes = (merged / "client.pcap").read_bytes()
sec, usec = struct.unpack_from("<II", capture_bytes, 24)  # the capture's first frame
cap_start = datetime.fromtimestamp(sec, timezone.utc) + timedelta(microseconds=usec)
log_start = cap_start.replace(microsecond=0) - timedelta(seconds=5)
stamp = log_start.strftime("%Y-%m-%d_%H-%M-%S")
# Expressway-C asks CUCM UDS a moment after the client's get_edge_config reached Expressway-E.
tar_gz(merged / f"diagnostic_log_expc_{stamp}.tar.gz", [(f"loggingsnapshot_expc_{stamp}.txt", snapshot("expc", [(5.3, uds_401)], start=log_start))])
(merged / "README.md").write_text(
    "# merged-capture-expc-401\n\nThe client's capture of one sign-in (a copy of happy-tls12: every TLS handshake succeeds) "
    "and Expressway-C's diagnostic bundle of the same minute, in which CUCM refuses the user's credentials. The capture "
    "alone cannot see inside TLS; merged, the fault is pinned on Expressway-C's UDS request.\n\n"
    "Crafted by `samples/make-bundles.py`.\n"
)

# TLS 1.3 hides the certificate: the client's capture (tls13-name-mismatch, a real lab run)
# with Expressway-E's bundle of the same minute, whose server_*.pem names the reason.
merged = HERE / "merged-tls13-server-pem"
merged.mkdir(exist_ok=True)
for old in merged.glob("diagnostic_log_*.tar.gz"):
    old.unlink()
(merged / "client.pcap").write_bytes((HERE / "tls13-name-mismatch" / "capture.pcap").read_bytes())
sec, usec = struct.unpack_from("<II", (merged / "client.pcap").read_bytes(), 24)
log_start = datetime.fromtimestamp(sec, timezone.utc).replace(microsecond=0) - timedelta(seconds=5)
stamp = log_start.strftime("%Y-%m-%d_%H-%M-%S")
tar_gz(merged / f"diagnostic_log_expe_{stamp}.tar.gz", [
    (f"loggingsnapshot_expe_{stamp}.txt", snapshot("expe", [], start=log_start)),
    (f"server_expe_{stamp}.pem", (LAB_CERTS / "expe-wrong-name.pem").read_text().split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"),
    (f"ca_expe_{stamp}.pem", (LAB_CERTS / "ca.pem").read_text()),
])
(merged / "README.md").write_text(
    "# merged-tls13-server-pem\n\nThe client's capture of a TLS 1.3 sign-in (a copy of tls13-name-mismatch: the certificate is "
    "encrypted, the client answers with bad_certificate) and Expressway-E's diagnostic bundle of the same minute. Alone, the "
    "capture cannot say what was wrong with the certificate; the bundle's server_expe_*.pem (CN=www.example.net) does: it does "
    "not cover expe1.example.com, the name the client asked for.\n\nCrafted by `samples/make-bundles.py`.\n"
)

# Clocks apart: the client's capture of a sign-in (a copy of provisioning-only) and
# Expressway-E's bundle, whose clock runs 3.25 s ahead. E logs the client's get_edge_config
# request with the client's source port (no NAT in the lab), then answers 403.
def first_syn(pcap, port):
    """(time, client port) of the first SYN to `port` in a little-endian Ethernet/IPv4 pcap."""
    at = 24
    while at + 16 <= len(pcap):
        sec, usec, caplen, _ = struct.unpack_from("<IIII", pcap, at)
        frame = pcap[at + 16: at + 16 + caplen]
        at += 16 + caplen
        if len(frame) < 54 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
            continue
        ihl = (frame[14] & 0x0F) * 4
        tcp = frame[14 + ihl:]
        sport, dport = struct.unpack_from(">HH", tcp, 0)
        if dport == port and tcp[13] & 0x12 == 0x02:
            return datetime.fromtimestamp(sec, timezone.utc) + timedelta(microseconds=usec), sport
    raise SystemExit("no SYN to %d" % port)


def merged_case(folder, source, skew=timedelta(0)):
    """A folder holding a copy of a lab capture, and the times its bundles are named after:
    (folder, capture bytes, first SYN to 8443, its client port, log start, stamp). `skew`:
    how far ahead the Expressway's clock runs."""
    d = HERE / folder
    d.mkdir(exist_ok=True)
    for old in d.glob("diagnostic_log_*.tar.gz"):  # named after the capture's time
        old.unlink()
    capture = (HERE / source / "capture.pcap").read_bytes()
    (d / "client.pcap").write_bytes(capture)
    syn_at, client_port = first_syn(capture, 8443)
    log_start = (syn_at + skew).replace(microsecond=0) - timedelta(seconds=5)
    return d, capture, syn_at, client_port, log_start, log_start.strftime("%Y-%m-%d_%H-%M-%S")


skew = timedelta(seconds=3.25)
clock, capture, syn_at, client_port, log_start, stamp = merged_case("merged-capture-expe-clock", "provisioning-only", skew)
request_at = (syn_at + skew + timedelta(milliseconds=2) - log_start).total_seconds()


def edge_config_request(txn, src_ip, src_port):
    """Expressway-E receiving a client's get_edge_config request, as traffic_server logs it."""
    def make(host, head, utc):
        return (f'{head} {host} traffic_server[15550]: UTCTime="{utc}" Module="network.http.trafficserver" Level="DEBUG": '
                f'Detail="Receive Request" Txn-id="{txn}" Src-ip="{src_ip}" Src-port="{src_port}" '
                'Msg="GET /ZXhhbXBsZS5jb20/get_edge_config?service_name=_cisco-uds&service_name=_cuplogin HTTP/1.1"')
    return make


def edge_403(host, head, utc):
    return expe_403(host, head, utc).replace('Dst-ip="198.51.100.23" Dst-port="50314"', f'Dst-ip="10.77.0.2" Dst-port="{client_port}"')


tar_gz(clock / f"diagnostic_log_expe_{stamp}.tar.gz", [(f"loggingsnapshot_expe_{stamp}.txt",
       snapshot("expe", [(request_at, edge_config_request(2, "10.77.0.2", client_port)), (request_at + 0.01, edge_403)], start=log_start))])
(clock / "README.md").write_text(
    "# merged-capture-expe-clock\n\nThe client's capture of one sign-in (a copy of provisioning-only: the TLS handshake to "
    "8443 succeeds) and Expressway-E's bundle, whose clock runs 3.25 s ahead of the capture's. Expressway-E logs the "
    "client's get_edge_config request with the client's source port, then answers it 403 (domain not enabled). The "
    "request matched by port gives the clock offset; the ladder draws E's lines on the capture's clock and says so (the evidence keeps the logged times); the fault is pinned on Expressway-E.\n\n"
    "Crafted by `samples/make-bundles.py`.\n"
)

# ---- Jabber problem reports


def jabber_time(t):
    return t.strftime("%Y-%m-%d %H:%M:%S,") + f"{t.microsecond // 1000:03d}"


def jabber_log(lines, start=T0):
    routine_lines = [
        "INFO  [0x00001a2c] [s\\adapters\\imp\\components\\Presence.cpp(77)] [IMPServices] [CSFUnified::Presence::update] - presence update",
        "DEBUG [0x00001a2c] [ls\\src\\http\\BasicHttpClientImpl.cpp(132)] [csf.httpclient] [csf::http::BasicHttpClientImpl::AsyncTask::execute] - request queued",
        "INFO  [0x00000c94] [vices\\impl\\DiscoveryHandlerImpl.cpp(402)] [service-discovery] [CSFUnified::DiscoveryHandlerImpl::start] - starting service discovery",
    ]
    out = []
    for i in range(60):
        t = start + timedelta(milliseconds=250 * i)
        out.append(f"{jabber_time(t)} {routine_lines[i % 3]}")
        if i == 30:
            for j, l in enumerate(lines):
                out.append(f"{jabber_time(t + timedelta(milliseconds=j))} {l}")
    return "\n".join(out) + "\n"


def prt(folder, lines, readme):
    d = HERE / folder
    d.mkdir(exist_ok=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("Logs/csf-unified.log", date_time=(2026, 11, 26, 14, 18, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, jabber_log(lines))
        info = zipfile.ZipInfo("Logs/jabber-config.xml", date_time=(2026, 11, 26, 14, 18, 0))
        z.writestr(info, "<config version=\"1.0\"><Policies/></config>\n")
    (d / "jabber-prt.zip").write_bytes(buf.getvalue())
    (d / "README.md").write_text(f"# {folder}\n\n{readme}\n\nCrafted by `samples/make-bundles.py`: a Jabber problem report (zip) whose csf-unified.log holds the real lines quoted in research/mra-domain.md §3.5 among routine lines. Jabber logs local time without an offset.\n")


prt("jabber-no-srv-records", [
    "WARN [0x00003398] [src\\dnsutils\\win32\\win32DnsUtils.cpp(52)] [csf.dns] [csf::dns::mapFromWindowsDNSResult] - *-----* DNS query PII_CED_Exception{_cisco-uds._tcp.example.com.} has failed: DNS name does not exist.",
    "WARN [0x00002788] [src\\dnsutils\\win32\\win32DnsUtils.cpp(52)] [csf.dns] [csf::dns::mapFromWindowsDNSResult] - *-----* DNS query PII_CED_Exception{_collab-edge._tls.example.com.} has failed: DNS name does not exist.",
    "INFO [0x00000c94] [vices\\impl\\DiscoveryHandlerImpl.cpp(668)] [service-discovery] [CSFUnified::DiscoveryHandlerImpl::evaluateServiceDiscoveryResult] - ServiceDiscoveryHandlerResult return code FAILED_NO_SRV_RECORDS_FOUND",
    "WARN [0x000024a0] [ices\\impl\\DiscoveryHandlerImpl.cpp(1061)] [service-discovery] [CSFUnified::DiscoveryHandlerImpl::callOnFailedDiscoveryResultOnDispatcherThread] - Discovery Failure -> (id) name :: (1005) ServiceDiscoveryNoSRVRecordsFound",
], "Jabber cannot find _collab-edge (nor _cisco-uds): FAILED_NO_SRV_RECORDS_FOUND (F01).")

prt("jabber-no-home-uds", [
    "INFO [0x000019d0] [cm-config\\uds\\LocatorUdsResponse.cpp(82)] [csf.config] [csf::ucm90::LocatorUdsResponse::parseResult] - No Home UDS Location found",
    "ERROR [0x000019d0] [\\ucm-config\\uds\\LocatorUdsQuery.cpp(172)] [csf.config] [csf::ucm90::LocatorUdsQuery::run] - Locator UDS request has failed",
    "WARN [0x000019d0] [ces\\impl\\ucm-config\\UdsProvider.cpp(761)] [csf.config] [csf::ucm90::UdsProvider::getLocatorUdsInformation] - LocatorUdsQuery has failed with result: NO_HOME_UDS_FOUND",
    "WARN [0x000019d0] [m90configflows\\UcmRetrievalFlow.cpp(152)] [service-discovery] [CSFUnified::Ucm90ConfigRetrievalFlow::mapUcm90ResultCodeToServiceDiscoveryResult] - CUCM Result : Failed - User lookup failure.",
], "No CUCM cluster is the user's home cluster: the locator UDS query finds no home (F12).")

prt("jabber-home-uds-forbidden", [
    "INFO [0x000004c4] [ls\\src\\http\\BasicHttpClientImpl.cpp(675)] [csf.httpclient] [csf::http::performRequest] - *-----* HTTP response code 403 connect code 0 for request #4 to PII_CED_Exception{https://expe.example.com:8443/ZXhhbXBsZS5jb20vaHR0cHMvY3VjbTEuZXhhbXBsZS5jb20vODQ0Mw/cucm-uds/user/alice}",
    "ERROR [0x000004c4] [\\ucm-config\\uds\\HomeUdsUtilities.cpp(64)] [csf.config] [csf::ucm90::HomeUdsUtilities::convertHttpUtilsResult] - Home Uds query failed responseCode =[403]",
    "DEBUG [0x000004c4] [cm-config\\uds\\HomeUdsHttpRequest.cpp(27)] [csf.log] [csf::ucm90::HomeUdsHttpRequest::performHttpRequest] - Result of UDS result conversion - UDS Result: HOME_UDS_QUERY_FAILED.",
], "CUCM UDS answers 403 to the home-cluster query: HOME_UDS_QUERY_FAILED (F13).")

prt("jabber-certificate-validation", [
    "INFO [0x00002fd0] [tutils\\adapters\\HttpCertAdapter.cpp(109)] [csf.httpclient] [csf::netutils::adapters::HttpCertAdapter::verifyCertificate] - *-----* Certificate Verification Result: FAILURE",
    "INFO [0x00002fd0] [ls\\src\\http\\BasicHttpClientImpl.cpp(675)] [csf.httpclient] [csf::http::performRequest] - *-----* HTTP response code 0 connect code 0 for request #0 to PII_CED_Exception{https://expe.example.com:8443/ZXhhbXBsZS5jb20/get_edge_config?service_name=_cisco-uds}",
    "ERROR [0x00002fd0] [ls\\src\\http\\BasicHttpClientImpl.cpp(568)] [csf.httpclient] [csf::http::executeImpl] - There was an issue performing the call to curl_easy_perform for request #0: CERTIFICATE_VALIDATION_ERROR",
], "Jabber rejects Expressway-E's certificate on get_edge_config: CERTIFICATE_VALIDATION_ERROR (F08).")

prt("jabber-lerr-jabber-cert", [
    "INFO [0x000021c4] [\\jwcpp\\xmppcore\\src\\clientbase.cpp(1719)] [csf.jwcpp] [gloox::ClientBase::onSend] - @XmppSDK: #0, 62, Send:<starttls xmlns=\"urn:ietf:params:xml:ns:xmpp-tls\" cookie=\"0\"/>",
    "INFO [0x000021c4] [rwerx\\jwcpp\\xmppcore\\src\\client.cpp(254)] [csf.jwcpp] [gloox::Client::handleNormalNode] - @XmppSDK: #0, starting TLS handshake...",
    "ERROR [0x000021c4] [x\\jwcpp\\xmppcore\\src\\clientbase.cpp(394)] [csf.jwcpp] [gloox::ClientBase::handleHandshakeResult] - @XmppSDK: #0, TLS handshake failed!",
    "INFO [0x000021c4] [jwcpp\\xmppcore\\patch\\TriClient.cpp(1540)] [csf.jwcpp] [gloox::CTriClient::handleLeaveSession] - @XmppSDK: #0, handleLeaveSession, reason:13",
    "INFO [0x000021c4] [s\\adapters\\imp\\components\\Login.cpp(129)] [IMPServices] [CSFUnified::IMPStackCap::Login::OnLoginError] - OnLoginError: LERR_JABBER_CERT <15>: Certificate Failure",
], "IM login fails on the XMPP certificate after STARTTLS: TLS handshake failed!, LERR_JABBER_CERT (F34).")

# A Jabber problem report beside the client's capture of the same sign-in (a copy of
# tls-untrusted). Jabber writes local time without an offset: here New York's in November
# (UTC-05:00), its clock 0.35 s ahead of the capture's. The lookup of _collab-edge and the
# request to expe1.example.com:8443 are in both; they place the log (zone inferred, said).


def frame_times(pcap):
    """(time, frame bytes) of every record in a little-endian pcap."""
    at = 24
    while at + 16 <= len(pcap):
        sec, usec, caplen, _ = struct.unpack_from("<IIII", pcap, at)
        yield datetime.fromtimestamp(sec, timezone.utc) + timedelta(microseconds=usec), pcap[at + 16: at + 16 + caplen]
        at += 16 + caplen


zoned = HERE / "merged-capture-jabber-zone"
zoned.mkdir(exist_ok=True)
capture = (HERE / "tls-untrusted" / "capture.pcap").read_bytes()
(zoned / "client.pcap").write_bytes(capture)
# The answer for _collab-edge (from port 53), the client's alert on the 8443 connection.
srv_answer = next(t for t, f in frame_times(capture) if f[34:36] == b"\x00\x35" and b"\x0c_collab-edge" in f)
syn_at, _ = first_syn(capture, 8443)
alert_at = next(t for t, f in frame_times(capture) if f[36:38] == b"\x20\xfb" and b"\x15\x03\x03\x00\x02\x02" in f)
local = timedelta(hours=-5) + timedelta(seconds=0.35)
j = "[0x00002fd0]"
edge_url = "https://expe1.example.com:8443/ZXhhbXBsZS5jb20/get_edge_config?service_name=_cisco-uds&service_name=_cuplogin"
events = [
    (srv_answer + timedelta(milliseconds=2), "INFO [0x000028a8] [src\\dnsutils\\win32\\win32DnsUtils.cpp(47)] [csf.dns] [csf::dns::mapFromWindowsDNSResult] - *-----* DNS query PII_CED_Exception{_collab-edge._tls.example.com.} has succeeded."),
    (syn_at - timedelta(milliseconds=21), f"INFO  {j} [etutils\\src\\http\\CurlHttpUtils.cpp(1087)] [csf.httpclient] [csf::http::CurlHttpUtils::configureEasyRequest] - *-----* Configuring request #0 GET {edge_url}"),
    (alert_at - timedelta(microseconds=100), f"INFO {j} [tutils\\adapters\\HttpCertAdapter.cpp(109)] [csf.httpclient] [csf::netutils::adapters::HttpCertAdapter::verifyCertificate] - *-----* Certificate Verification Result: FAILURE"),
    (alert_at + timedelta(milliseconds=3), f"INFO {j} [ls\\src\\http\\BasicHttpClientImpl.cpp(675)] [csf.httpclient] [csf::http::performRequest] - *-----* HTTP response code 0 connect code 0 for request #0 to PII_CED_Exception{{{edge_url}}}"),
    (alert_at + timedelta(milliseconds=4), f"ERROR {j} [ls\\src\\http\\BasicHttpClientImpl.cpp(568)] [csf.httpclient] [csf::http::executeImpl] - There was an issue performing the call to curl_easy_perform for request #0: CERTIFICATE_VALIDATION_ERROR"),
]
queued = "DEBUG [0x00001a2c] [ls\\src\\http\\BasicHttpClientImpl.cpp(132)] [csf.httpclient] [csf::http::BasicHttpClientImpl::AsyncTask::execute] - request queued"
lines = [(srv_answer - timedelta(seconds=3) + timedelta(milliseconds=250 * i), queued) for i in range(24)] + events
lines.sort(key=lambda tl: tl[0])
current = "".join(f"{jabber_time(t + local)} {l}\n" for t, l in lines)
# The file Jabber rotated the day before: nothing in common with the capture.
rotated = "".join(f"{jabber_time(srv_answer + local - timedelta(days=1, seconds=60 - i))} {queued}\n" for i in range(20))
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
    for name, text in [("Logs/csf-unified.log", current), ("Logs/csf-unified.log.1", rotated)]:
        info = zipfile.ZipInfo(name, date_time=(2026, 11, 26, 10, 20, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, text)
(zoned / "jabber-prt.zip").write_bytes(buf.getvalue())
(zoned / "README.md").write_text(
    "# merged-capture-jabber-zone\n\nThe client's capture of one sign-in (a copy of tls-untrusted: the client rejects "
    "Expressway-E's certificate with an unknown_ca alert) and the Jabber problem report of the same sign-in. Jabber writes "
    "local time without an offset, here UTC-05:00, its clock 0.35 s ahead of the capture's. The answer for "
    "_collab-edge._tls.example.com and the request to expe1.example.com:8443 are in both: they place the log in UTC "
    "(the zone is inferred and said in a clock.local_zone finding; the 0.35 s are shown, not corrected), and the rotated "
    "csf-unified.log.1, which shares nothing with the capture, takes the same zone.\n\nCrafted by `samples/make-bundles.py`.\n"
)

# Two bundles whose host names do not say E or C (edge01, core01): their configuration dumps
# do. Expressway-C's traversal zone reaches Expressway-E at an IP address its certificate
# (server_edge01_*.pem, SAN expe1/expe2/example.com/collab-edge) does not hold; C's status
# dump shows the zone failed, and C's log the identity error (F41).


def xconf(hostname, zones):
    lines = ["xconfiguration",
             f'*c xConfiguration IP DNS Hostname: "{hostname}"',
             '*c xConfiguration IP DNS Domain Name: "example.com"',
             f'*c xConfiguration SystemUnit Name: "{hostname}.example.com"',
             '*c xConfiguration Zones Zone 1 Name: "DefaultZone"',
             '*c xConfiguration Zones Zone 1 Type: Default']
    for n, (name, kind, peers) in enumerate(zones, start=2):
        lines.append(f'*c xConfiguration Zones Zone {n} Name: "{name}"')
        lines.append(f'*c xConfiguration Zones Zone {n} Type: {kind}')
        for p, peer in enumerate(peers + [""] * (6 - len(peers)), start=1):
            if kind == "TraversalClient":
                lines.append(f'*c xConfiguration Zones Zone {n} TraversalClient Peer {p} Address: "{peer}"')
        lines.append(f'*c xConfiguration Zones Zone {n} {kind} SIP Port: 7001')
        lines.append(f'*c xConfiguration Zones Zone {n} {kind} SIP TLS Verify Mode: On')
    return "\n".join(lines + ["OK", ""])


def xstat(version, zones):
    lines = ["*s SystemUnit:", "    Software:", f'        Version: "{version}"', "*s/end", "*s Zones:"]
    for n, (name, status) in enumerate(zones, start=2):
        lines += [f"    Zone {n}:", f'        Name: "{name}"', f"        Status: {status}"]
    return "\n".join(lines + ["*s/end", "OK", ""])


def traversal_identity_ip(host, head, utc):
    return traversal_identity(host, head, utc).replace("203.0.113.10", "10.77.0.10")


config = HERE / "bundles-config-traversal-peer"
config.mkdir(exist_ok=True)
server_pem = (LAB_CERTS / "expe-good.pem").read_text().split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"
tar_gz(config / f"diagnostic_log_edge01_{STAMP}.tar.gz", [
    (f"loggingsnapshot_edge01_{STAMP}.txt", snapshot("edge01", [], lines=60)),
    (f"xconf_dump_edge01_{STAMP}.txt", xconf("edge01", [("UC traversal", "TraversalServer", [])])),
    (f"xstat_dump_edge01_{STAMP}.txt", xstat("X14.3.1", [("UC traversal", "Active")])),
    (f"server_edge01_{STAMP}.pem", server_pem),
    (f"ca_edge01_{STAMP}.pem", (LAB_CERTS / "ca.pem").read_text()),
])
tar_gz(config / f"diagnostic_log_core01_{STAMP}.tar.gz", [
    (f"loggingsnapshot_core01_{STAMP}.txt", snapshot("core01", [(10, traversal_identity_ip)], lines=60)),
    (f"xconf_dump_core01_{STAMP}.txt", xconf("core01", [("UC traversal", "TraversalClient", ["10.77.0.10"])])),
    (f"xstat_dump_core01_{STAMP}.txt", xstat("X14.3.1", [("UC traversal", "Failed")])),
])
(config / "README.md").write_text(
    "# bundles-config-traversal-peer\n\nAn Expressway-E and an Expressway-C bundle whose host names (edge01, core01) do not say "
    "which is which: their configuration dumps (xconf_dump_*) do, by their traversal zones (server on E, client on C). "
    "Expressway-C's traversal zone has 10.77.0.10 as its peer address, which Expressway-E's certificate "
    "(server_edge01_*.pem) does not hold; C's status dump (xstat_dump_*) shows the zone Failed and C's log the identity "
    "error (F41).\n\nThe dumps follow the API's text form (`*c xConfiguration …` lines, indented `*s` blocks); no real "
    "dump was at hand to copy, see samples/README.md. Crafted by `samples/make-bundles.py`.\n"
)

# One Expressway-E and one Expressway-C bundle of the same minute holding three users: alice's
# credentials are refused by CUCM UDS (C), bob registers (E, C, 200 back), carol's REGISTER
# is refused by CUCM with 403 (C, then E). One session per user; the verdict is carol's, the
# latest to fail; a note lists all three.
users = HERE / "bundles-many-users"
users.mkdir(exist_ok=True)
bob, carol = "4b1d0c2e-77aa0001@198.51.100.41", "9c2e1d3f-88bb0002@198.51.100.52"
tar_gz(users / f"diagnostic_log_expe_{STAMP}.tar.gz", [(f"loggingsnapshot_expe_{STAMP}.txt", snapshot("expe", [
    (12.0, register_line("received", bob, 2001, aor="sip:bob@example.com")),
    (12.3, register_line("sent", bob, 2001, 200, aor="sip:bob@example.com")),
    (20.0, register_line("received", carol, 3001, aor="sip:carol@example.com")),
    (20.3, register_line("sent", carol, 3001, 403, aor="sip:carol@example.com")),
]))])
tar_gz(users / f"diagnostic_log_expc_{STAMP}.tar.gz", [(f"loggingsnapshot_expc_{STAMP}.txt", snapshot("expc", [
    (5.3, uds_401),
    (12.1, register_line("received", bob, 2001, aor="sip:bob@example.com")),
    (12.2, register_line("sent", bob, 2001, 200, aor="sip:bob@example.com")),
    (20.1, register_line("received", carol, 3001, aor="sip:carol@example.com")),
    (20.2, register_line("sent", carol, 3001, 403, aor="sip:carol@example.com")),
]))])
(users / "README.md").write_text(
    "# bundles-many-users\n\nExpressway-E and Expressway-C bundles of the same minute with three users in them: CUCM UDS "
    "refuses alice's credentials (Expressway-C), bob's REGISTER goes through E and C and is accepted, carol's is refused "
    "with 403 by CUCM and the 403 comes back through C and E. One session per user (by the user name, the UDS URL, the "
    "AOR); the verdict is carol's, the latest failure not followed by a success, and a note lists the three.\n\nCrafted by `samples/make-bundles.py`.\n"
)

# The SIP SERVICE Expressway-E sends through Expressway-C before a client's first REGISTER,
# followed by Call-ID: E sends it, C receives it, C answers 408 (behind source NAT, CUCM's
# answer never finds its way back), E gets the 408 (F44).


def service_line(kind, call_id, cseq, code=None):
    def make(host, head, utc):
        if host == "expe":
            ends = 'Local-ip="10.0.10.2" Local-port="7003" Dst-ip="10.0.30.2" Dst-port="27901"'
            back = 'Local-ip="10.0.10.2" Local-port="7003" Src-ip="10.0.30.2" Src-port="27901"'
        else:
            ends = 'Local-ip="10.0.30.2" Local-port="27901" Src-ip="64.100.0.10" Src-port="7003"'
            back = 'Local-ip="10.0.30.2" Local-port="27901" Dst-ip="64.100.0.10" Dst-port="7003"'
        to = "sip:serviceserver@cucm02.example.local"
        tags = f"From-Tag=5e{cseq}, To-Tag={'' if code is None else '6f' + str(cseq)}"
        if kind == "send":
            body = f'Action="Sent" {ends} Detail="Sending Request Method=SERVICE, CSeq={cseq}, To={to}, Call-ID={call_id}, {tags}, Msg-Hash={50_000_000 + cseq}"'
        elif kind == "receive":
            body = f'Action="Received" {ends} Detail="Receive Request Method=SERVICE, CSeq={cseq}, To={to}, Call-ID={call_id}, {tags}, Msg-Hash={50_000_000 + cseq}"'
        elif kind == "answer":
            body = f'Action="Sent" {back} Detail="Sending Response Code={code}, Method=SERVICE, CSeq={cseq}, To={to}, Call-ID={call_id}, {tags}, Msg-Hash={60_000_000 + cseq}"'
        else:
            body = f'Action="Received" {back} Detail="Receive Response Code={code}, Method=SERVICE, CSeq={cseq}, To={to}, Call-ID={call_id}, {tags}, Msg-Hash={60_000_000 + cseq}"'
        return f'{head} {host} tvcs: UTCTime="{utc}" Module="network.sip" Level="INFO":  {body}'
    return make


service = HERE / "bundles-service-trail"
service.mkdir(exist_ok=True)
svc = "abcd12345678@127.0.0.1"
tar_gz(service / f"diagnostic_log_expe_{STAMP}.tar.gz", [(f"loggingsnapshot_expe_{STAMP}.txt", snapshot("expe", [
    (10.0, service_line("send", svc, 4616)),
    (42.1, service_line("got", svc, 4616, 408)),
]))])
tar_gz(service / f"diagnostic_log_expc_{STAMP}.tar.gz", [(f"loggingsnapshot_expc_{STAMP}.txt", snapshot("expc", [
    (10.1, service_line("receive", svc, 4616)),
    (42.0, service_line("answer", svc, 4616, 408)),
]))])
(service / "README.md").write_text(
    "# bundles-service-trail\n\nExpressway-E and Expressway-C bundles of the same minute: the SIP SERVICE that E sends "
    "through C before a client's first REGISTER is received by C and answered 408 32 s later, and E gets the 408 (the "
    "answer from CUCM never came back: source NAT between C and E, F44). Followed by Call-ID across both boxes.\n\n"
    "Crafted by `samples/make-bundles.py`.\n"
)

# The issue's own case: a folder with Expressway-E's bundle, Expressway-C's bundle and the
# client's capture of one failed sign-in (a copy of provisioning-only). Between the client and
# Expressway-E a NAT translates 10.77.0.2:40132 to 198.51.100.23:50314, and E's clock runs
# 1.75 s ahead: the one get_edge_config request is paired by time alone. E relays it to C,
# C asks CUCM UDS for alice's devices and gets 401: the fault is C's line.
skew = timedelta(seconds=1.75)
three, capture, syn_at, _, log_start, stamp = merged_case("merged-capture-expe-expc-nat", "provisioning-only", skew)
request_at = (syn_at + skew + timedelta(milliseconds=2) - log_start).total_seconds()


tar_gz(three / f"diagnostic_log_expe_{stamp}.tar.gz", [(f"loggingsnapshot_expe_{stamp}.txt",
       snapshot("expe", [(request_at, edge_config_request(7, "198.51.100.23", 50314))], start=log_start))])
# C's clock is E's (both on the same NTP): the UDS query follows E's request by 0.3 s.
tar_gz(three / f"diagnostic_log_expc_{stamp}.tar.gz", [(f"loggingsnapshot_expc_{stamp}.txt",
       snapshot("expc", [(request_at + 0.3, uds_401)], start=log_start))])
(three / "README.md").write_text(
    "# merged-capture-expe-expc-nat\n\nA folder with what an engineer gets for one failed sign-in: the client's capture (a "
    "copy of provisioning-only: the TLS handshake to 8443 succeeds, the rest is encrypted), Expressway-E's bundle and "
    "Expressway-C's bundle. A NAT between the client and Expressway-E translates 10.77.0.2:40132 to 198.51.100.23:50314 "
    "and E's clock runs 1.75 s ahead, so the get_edge_config request E logged is paired with the capture's by time alone "
    "(said, with the translation). E relays it to C; CUCM UDS refuses alice's credentials: the fault is pinned on "
    "Expressway-C's line.\n\nCrafted by `samples/make-bundles.py`.\n"
)

# Expressway-E's own capture in its bundle (eth0_diagnostic_logging_tcpdump*.pcap) beside
# the client's (a copy of tls-untrusted): E sees the client's connection to 8443 through a
# NAT (10.77.0.2 → 198.51.100.23, port 47992 → 61001), its clock 0.6 s ahead, and none of
# the client's DNS. Paired by timing, not judged twice.


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def expressway_view(pcap, nat_ip, nat_port, client_port, skew):
    """The frames of TCP port 8443, as Expressway-E's interface saw them."""
    out = bytearray(pcap[:24])
    client_ip = bytes([10, 77, 0, 2])
    at = 24
    while at + 16 <= len(pcap):
        sec, usec, caplen, origlen = struct.unpack_from("<IIII", pcap, at)
        frame = bytearray(pcap[at + 16: at + 16 + caplen])
        at += 16 + caplen
        if len(frame) < 54 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
            continue
        ihl = (frame[14] & 0x0F) * 4
        tcp = 14 + ihl
        sport, dport = struct.unpack_from(">HH", frame, tcp)
        if 8443 not in (sport, dport):
            continue
        if frame[26:30] == client_ip and sport == client_port:
            frame[26:30] = nat_ip
            struct.pack_into(">H", frame, tcp, nat_port)
        if frame[30:34] == client_ip and dport == client_port:
            frame[30:34] = nat_ip
            struct.pack_into(">H", frame, tcp + 2, nat_port)
        struct.pack_into(">H", frame, 24, 0)
        struct.pack_into(">H", frame, 24, checksum(bytes(frame[14:tcp])))
        total = struct.unpack_from(">H", frame, 16)[0]
        segment = frame[tcp:14 + total]
        struct.pack_into(">H", segment, 16, 0)
        pseudo = bytes(frame[26:34]) + struct.pack(">BBH", 0, 6, len(segment))
        struct.pack_into(">H", segment, 16, checksum(pseudo + bytes(segment)))
        frame[tcp:14 + total] = segment
        t = datetime.fromtimestamp(sec, timezone.utc) + timedelta(microseconds=usec) + skew
        out += struct.pack("<IIII", int(t.timestamp()), t.microsecond, len(frame), origlen) + frame
    return bytes(out)


view, capture, syn_at, client_port, log_start, stamp = merged_case("merged-capture-expe-tcpdump", "tls-untrusted")
edge_pcap = expressway_view(capture, bytes([198, 51, 100, 23]), 61001, client_port, timedelta(seconds=0.6))
tar_gz(view / f"diagnostic_log_expe_{stamp}.tar.gz", [
    (f"loggingsnapshot_expe_{stamp}.txt", snapshot("expe", [], start=log_start, lines=40)),
    (f"eth0_diagnostic_logging_tcpdump00_expe_{stamp}.pcap", edge_pcap),
])
(view / "README.md").write_text(
    "# merged-capture-expe-tcpdump\n\nThe client's capture (a copy of tls-untrusted: the client rejects Expressway-E's "
    "certificate with unknown_ca) and Expressway-E's bundle with its own capture, eth0_diagnostic_logging_tcpdump00_*.pcap: "
    "the same connection to 8443 as E's interface saw it, through a NAT (10.77.0.2:" + str(client_port) + " → "
    "198.51.100.23:61001) and with E's clock 0.6 s ahead; no DNS. The two captures are paired by timing (said, with the "
    "translation), and the sign-in is judged once.\n\nE's capture is derived from the client's by `samples/make-bundles.py` "
    "(addresses, port, checksums and times rewritten).\n"
)

# F04: the client reaches Expressway-E as expe1.example.com (the _collab-edge SRV target in
# its capture, a copy of provisioning-only), but Expressway-E's own domain is
# corp.example.net: it answers get_edge_config 200 and sets its X-Auth cookie for
# .corp.example.net, which the client refuses.
cookie, capture, syn_at, client_port, log_start, stamp = merged_case("merged-capture-expe-cookie", "provisioning-only")
request_at = (syn_at + timedelta(milliseconds=3) - log_start).total_seconds()


def cookie_response(host, head, utc):
    return (f'{head} {host} traffic_server[15550]: UTCTime="{utc}" Module="network.http.trafficserver" Level="DEBUG": '
            f'Detail="Sending Response" Txn-id="3" Dst-ip="10.77.0.2" Dst-port="{client_port}" HTTPMSG: |HTTP/1.1 200 OK '
            'Date: Thu, 26 Nov 2026 15:20:34 GMT Server: CE_E Set-Cookie: X-Auth=1e1111e1-dddb-49e9-ad0d-ab34526e2b00; '
            'Expires=Thu, 26 Nov 2026 23:20:34 GMT; Domain=.corp.example.net ; Path=/; Secure Content-Type: text/xml')


tar_gz(cookie / f"diagnostic_log_expe_{stamp}.tar.gz", [(f"loggingsnapshot_expe_{stamp}.txt",
       snapshot("expe", [(request_at, edge_config_request(3, "10.77.0.2", client_port)), (request_at + 0.4, cookie_response)], start=log_start))])
(cookie / "README.md").write_text(
    "# merged-capture-expe-cookie\n\nThe client's capture (a copy of provisioning-only: the _collab-edge SRV target is "
    "expe1.example.com, the TLS handshake to 8443 succeeds) and Expressway-E's bundle: E answers get_edge_config 200 and "
    "sets its X-Auth cookie for .corp.example.net, its own domain. The name the client reached E by is outside it, so the "
    "client refuses the cookie (F04): the capture and the log together show what neither shows alone.\n\n"
    "Crafted by `samples/make-bundles.py`.\n"
)

# A Jabber problem report and Expressway-E's bundle, no capture: Jabber writes Tokyo's local
# time (UTC+09:00) without an offset; its two get_edge_config requests are the two E logged
# (and answered 403: the domain is not enabled for MRA), which places the log in UTC.


prt_case = HERE / "bundle-jabber-expe-zone"
prt_case.mkdir(exist_ok=True)
asks = [(8.0, 50314), (18.0, 50402)]  # seconds into E's log, the client's port as E saw it
tar_gz(prt_case / f"diagnostic_log_expe_{STAMP}.tar.gz", [(f"loggingsnapshot_expe_{STAMP}.txt", snapshot("expe", [
    x for at, port in asks for x in [
        (at, edge_config_request(port % 100, "198.51.100.23", port)),
        (at + 0.01, lambda host, head, utc, port=port: expe_403(host, head, utc).replace('Dst-port="50314"', f'Dst-port="{port}"')),
    ]
], lines=60))])
tokyo = timedelta(hours=9)
url = "https://expe.example.com:8443/ZXhhbXBsZS5jb20/get_edge_config?service_name=_cisco-uds&service_name=_cuplogin"
events = []
for n, (at, _) in enumerate(asks):
    t = T0 + timedelta(seconds=at)
    events.append((t - timedelta(milliseconds=40), f"INFO  [0x00002540] [etutils\\src\\http\\CurlHttpUtils.cpp(1087)] [csf.httpclient] [csf::http::CurlHttpUtils::configureEasyRequest] - *-----* Configuring request #{n + 3} GET {url}"))
    events.append((t + timedelta(milliseconds=30), f"INFO  [0x00002540] [ls\\src\\http\\BasicHttpClientImpl.cpp(675)] [csf.httpclient] [csf::http::performRequest] - *-----* HTTP response code 403 connect code 0 for request #{n + 3} to PII_CED_Exception{{{url}}}"))
queued = "DEBUG [0x00001a2c] [ls\\src\\http\\BasicHttpClientImpl.cpp(132)] [csf.httpclient] [csf::http::BasicHttpClientImpl::AsyncTask::execute] - request queued"
lines = [(T0 + timedelta(milliseconds=500 * i), queued) for i in range(50)] + events
lines.sort(key=lambda tl: tl[0])
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
    info = zipfile.ZipInfo("Logs/csf-unified.log", date_time=(2026, 11, 26, 23, 20, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, "".join(f"{jabber_time(t + tokyo)} {l}\n" for t, l in lines))
(prt_case / "jabber-prt.zip").write_bytes(buf.getvalue())
(prt_case / "README.md").write_text(
    "# bundle-jabber-expe-zone\n\nA Jabber problem report and Expressway-E's bundle of the same sign-in, no capture. Jabber "
    "writes Tokyo's local time (UTC+09:00) without an offset. Its two get_edge_config requests are the two Expressway-E "
    "logged receiving (and answered 403: the domain is not enabled for MRA); they place the Jabber log in UTC (a "
    "clock.local_zone finding says so) and its lines join Expressway-E's; the second request, after the first 403, starts a second attempt of the same client, and the verdict is the latest.\n\nCrafted by "
    "`samples/make-bundles.py`.\n"
)

# The field report with Expressway-C's configuration dump: CUCM names the home node
# "cucm-pub", Expressway-C has its Unified CM server configured as the FQDN
# cucm-pub.example.local: a host name against an FQDN.
home = HERE / "bundle-expc-home-cucm-config"
home.mkdir(exist_ok=True)
ucm_config = xconf("expc", [("UC traversal", "TraversalClient", ["expe1.example.com"])]).replace(
    "OK\n",
    '*c xConfiguration EdgeConfigProvisioning UnifiedCM Server 1 Address: "cucm-pub.example.local"\n'
    '*c xConfiguration EdgeConfigProvisioning UnifiedCM Server 2 Address: "cucm-sub1.example.local"\n'
    "OK\n")
tar_gz(home / f"diagnostic_log_expc_{STAMP}.tar.gz", [
    (f"loggingsnapshot_expc_{STAMP}.txt", snapshot("expc", [(10, home_cucm)], lines=60)),
    (f"xconf_dump_expc_{STAMP}.txt", ucm_config),
])
(home / "README.md").write_text(
    "# bundle-expc-home-cucm-config\n\nExpressway-C logs that it cannot determine the user's home CUCM, the cluster of "
    "node cucm-pub being unknown to it (the field report in issue 3). Its configuration dump lists the Unified CM servers as FQDNs "
    "(cucm-pub.example.local, cucm-sub1.example.local): a host name against an FQDN, which the report names with the "
    "dump's line.\n\nThe dump's Unified CM server lines (`*c xConfiguration EdgeConfigProvisioning UnifiedCM Server N "
    "Address`) are an assumed form: no real dump was at hand. Crafted by `samples/make-bundles.py`.\n"
)

# alice's capture (a copy of provisioning-only) and Expressway-C's bundle of the same minute,
# which holds two users: CUCM UDS refuses alice's credentials 0.3 s after her request, and
# bob's REGISTER is refused 403 twenty seconds later (inside the capture's time margin). The
# capture shows one sign-in: alice's lines stay with it, bob's make their own session, and
# the verdict is the captured sign-in's.
two, capture, syn_at, _, log_start, stamp = merged_case("merged-capture-two-users", "provisioning-only")
at = (syn_at - log_start).total_seconds()
bob_id = "5d2e3f40-99cc0003@198.51.100.61"
tar_gz(two / f"diagnostic_log_expc_{stamp}.tar.gz", [(f"loggingsnapshot_expc_{stamp}.txt", snapshot("expc", [
    (at + 0.3, uds_401),
    (at + 20.0, register_line("received", bob_id, 4001, aor="sip:bob@example.com")),
    (at + 20.1, register_line("sent", bob_id, 4001, 403, aor="sip:bob@example.com")),
], start=log_start))])
(two / "README.md").write_text(
    "# merged-capture-two-users\n\nalice's capture of one sign-in (a copy of provisioning-only: the TLS handshake to 8443 "
    "succeeds) and Expressway-C's bundle of the same minute, which holds two users: CUCM UDS refuses alice's credentials "
    "0.3 s after her request, and bob's REGISTER is refused 403 twenty seconds later, inside the capture's time margin. "
    "The capture shows one sign-in: alice's lines stay with it, bob's are judged in their own session, and the verdict is "
    "the captured sign-in's.\n\nCrafted by `samples/make-bundles.py`.\n"
)

# Expressway-C's clock runs 3.9 s behind Expressway-E's: as logged, C receives each REGISTER
# before E does. Two REGISTERs of one user both boxes log under their Call-IDs (one accepted,
# the refresh refused 403 by CUCM) tell the offset; the ladder draws C's lines on E's clock.
behind = HERE / "bundles-expc-clock-behind"
behind.mkdir(exist_ok=True)
first, refresh = "1a2b3c4d-55ee0001@198.51.100.71", "1a2b3c4d-55ee0002@198.51.100.71"
dana = "sip:dana@example.com"
tar_gz(behind / f"diagnostic_log_expe_{STAMP}.tar.gz", [(f"loggingsnapshot_expe_{STAMP}.txt", snapshot("expe", [
    (10.0, register_line("received", first, 5001, aor=dana)),
    (10.3, register_line("sent", first, 5001, 200, aor=dana)),
    (40.0, register_line("received", refresh, 5002, aor=dana)),
    (40.3, register_line("sent", refresh, 5002, 403, aor=dana)),
]))])
c_start = T0 - timedelta(seconds=3.9)
c_stamp = c_start.strftime("%Y-%m-%d_%H-%M-%S")
tar_gz(behind / f"diagnostic_log_expc_{c_stamp}.tar.gz", [(f"loggingsnapshot_expc_{c_stamp}.txt", snapshot("expc", [
    (10.1, register_line("received", first, 5001, aor=dana)),
    (10.2, register_line("sent", first, 5001, 200, aor=dana)),
    (40.1, register_line("received", refresh, 5002, aor=dana)),
    (40.2, register_line("sent", refresh, 5002, 403, aor=dana)),
], start=c_start))])
(behind / "README.md").write_text(
    "# bundles-expc-clock-behind\n\nExpressway-E and Expressway-C bundles of the same minute, C's clock 3.9 s behind E's. "
    "dana's REGISTER goes through E and C and is accepted; her refresh half a minute later is refused 403 by CUCM and the "
    "403 comes back through C and E. As logged, C receives each REGISTER before E does. The two REGISTERs both boxes "
    "logged under one Call-ID give the offset (finding clock.between_logs); the ladder draws C's lines on E's clock, in "
    "the order the messages really passed, and says so; the evidence keeps the logged times.\n\n"
    "Crafted by `samples/make-bundles.py`.\n"
)
