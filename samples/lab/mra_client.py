#!/usr/bin/env python3
"""A Jabber-like MRA client for the sample lab: real TLS (Python's ssl, that is OpenSSL),
verified against the lab CA, with its secrets written to a key log in the NSS format, as
SSLKEYLOGFILE makes curl or a browser do.

  mra_client.py KEYLOG edge-config ADDR [1.2|1.3]         GET get_edge_config on ADDR:8443,
                                                          Basic auth jdoe
  mra_client.py KEYLOG xmpp ADDR USER PASSWORD [1.2|1.3]  XMPP on ADDR:5222: STARTTLS, then
                                                          SASL PLAIN
  mra_client.py KEYLOG register ADDR [1.2|1.3]            SIP REGISTER over TLS on ADDR:5061

MRA_CIPHERS=LIST (environment) restricts TLS 1.2 to those suites, without the
encrypt-then-MAC extension, as a client that does not offer it behaves (CBC suites then
use MAC-then-encrypt).

Every socket times out after 5 s; only the address given is contacted."""

import base64
import os
import socket
import ssl
import sys

KEYLOG, ACTION, ADDR = sys.argv[1], sys.argv[2], sys.argv[3]
VERSION = sys.argv[-1] if sys.argv[-1] in ("1.2", "1.3") else None
HOST = "expe1.example.com"
CA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "certs", "ca.pem")


def context():
    ctx = ssl.create_default_context(cafile=CA)
    ctx.keylog_filename = KEYLOG
    if VERSION == "1.2":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    elif VERSION == "1.3":
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    if os.environ.get("MRA_CIPHERS"):
        ctx.set_ciphers(os.environ["MRA_CIPHERS"])
        ctx.options |= 0x00080000  # SSL_OP_NO_ENCRYPT_THEN_MAC
    return ctx


def connect(port):
    s = socket.create_connection((ADDR, port), timeout=5)
    s.settimeout(5)
    return s


def read_until(conn, *marks):
    buf = b""
    while not any(m in buf for m in marks):
        chunk = conn.recv(4096)
        if not chunk:
            break
        buf += chunk
    return buf


def edge_config():
    domain = base64.b64encode(b"example.com").decode().rstrip("=")
    auth = base64.b64encode(b"jdoe:lab-password").decode()
    with context().wrap_socket(connect(8443), server_hostname=HOST) as t:
        t.sendall(
            (
                "GET /%s/get_edge_config?service_name=_cisco-uds&service_name=_cuplogin HTTP/1.1\r\n"
                "Host: %s:8443\r\nAuthorization: Basic %s\r\nUser-Agent: mradiag-lab\r\n"
                "Accept: */*\r\n\r\n" % (domain, HOST, auth)
            ).encode()
        )
        read_until(t, b"</getEdgeConfigResponse>", b"</html>")


STREAM = (
    "<?xml version='1.0'?><stream:stream to='example.com' xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
)


def xmpp(user, password):
    raw = connect(5222)
    raw.sendall(STREAM.encode())
    read_until(raw, b"</stream:features>")
    raw.sendall(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    read_until(raw, b"<proceed", b"<failure")
    with context().wrap_socket(raw, server_hostname=HOST) as t:
        t.sendall(STREAM.encode())
        read_until(t, b"</stream:features>")
        token = base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()
        t.sendall(
            ("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%s</auth>" % token).encode()
        )
        answer = read_until(t, b"<success", b"</failure>")
        if b"<success" in answer:
            t.sendall(STREAM.encode())
            read_until(t, b"</stream:features>")
            t.sendall(
                b"<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                b"<resource>jabber_lab</resource></bind></iq>"
            )
            read_until(t, b"</iq>")
        t.sendall(b"</stream:stream>")


def register():
    with context().wrap_socket(connect(5061), server_hostname=HOST) as t:
        local = t.getsockname()
        t.sendall(
            (
                "REGISTER sip:example.com SIP/2.0\r\n"
                "Via: SIP/2.0/TLS %s:%d;branch=z9hG4bK-lab-1\r\n"
                "From: <sip:jdoe@example.com>;tag=lab-1\r\nTo: <sip:jdoe@example.com>\r\n"
                "Call-ID: lab-register-1@%s\r\nCSeq: 1 REGISTER\r\n"
                "Contact: <sip:jdoe@%s:%d;transport=tls>;+u.sip!devicename.ccm.cisco.com=\"CSFJDOE\"\r\n"
                "Max-Forwards: 70\r\nExpires: 120\r\nUser-Agent: mradiag-lab\r\nContent-Length: 0\r\n\r\n"
                % (local[0], local[1], local[0], local[0], local[1])
            ).encode()
        )
        read_until(t, b"\r\n\r\n")


try:
    if ACTION == "edge-config":
        edge_config()
    elif ACTION == "xmpp":
        xmpp(sys.argv[4], sys.argv[5])
    elif ACTION == "register":
        register()
except (OSError, ssl.SSLError) as e:
    print("mra_client: %s" % e, file=sys.stderr)
