#!/usr/bin/env python3
"""Scripted TCP servers for the sample lab (real sockets, behaviour no stock daemon has).

  script_server.py reset ADDR PORT          accept, read the first bytes, answer with a TCP RST
  script_server.py xmpp-failure ADDR PORT   XMPP stream that offers STARTTLS, then refuses it
  script_server.py https ADDR PORT CODE [1.2|1.3]
                                            Expressway-E's 8443 over TLS (the lab certificate):
                                            every HTTP request answered CODE (200 with an edge
                                            configuration, 401 with a Basic challenge, 403, 502)
  script_server.py sip-tls ADDR PORT CODE [1.2|1.3]
                                            SIP over TLS on 5061: REGISTER answered CODE
  script_server.py connect-proxy ADDR PORT CODE
                                            an HTTP proxy: CONNECT answered CODE; on 200 the
                                            tunnel is relayed to the lab address of the name
                                            asked for (expe1.example.com is 10.77.0.10)
Each serves a few connections and exits after 30 s at most."""

import os
import select
import socket
import ssl
import struct
import sys
import time

mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
code = int(sys.argv[4]) if len(sys.argv) > 4 else 200
version = sys.argv[5] if len(sys.argv) > 5 else None
CERTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "certs")


def tls_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(CERTS, "expe-good.pem"), os.path.join(CERTS, "expe-good.key"))
    if version == "1.2":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    elif version == "1.3":
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    return ctx


def read_head(conn):
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = conn.recv(4096)
        if not chunk:
            break
        buf += chunk
    return buf.decode("utf-8", "replace")


REASONS = {200: "OK", 401: "Unauthorized", 403: "Forbidden", 502: "Bad Gateway"}
EDGE_CONFIG = (
    "<getEdgeConfigResponse><version>1.0</version><serviceConfig><service><name>_cisco-uds</name>"
    "<server><priority>1</priority><weight>1</weight><port>8443</port>"
    "<address>cucm.example.com</address></server></service></serviceConfig>"
    "<sipEdgeServer><server><address>expe1.example.com</address><tlsPort>5061</tlsPort></server>"
    "</sipEdgeServer><xmppEdgeServer><server><address>expe1.example.com</address>"
    "<tlsPort>5222</tlsPort></server></xmppEdgeServer></getEdgeConfigResponse>"
)


def https(conn):
    head = read_head(conn)
    if not head:
        return
    body = EDGE_CONFIG if code == 200 else "<html><body>%d</body></html>" % code
    extra = 'WWW-Authenticate: Basic realm="Cisco-Edge"\r\n' if code == 401 else ""
    conn.sendall(
        (
            "HTTP/1.1 %d %s\r\nContent-Type: text/xml\r\n%sContent-Length: %d\r\n\r\n%s"
            % (code, REASONS.get(code, "Error"), extra, len(body), body)
        ).encode()
    )
    time.sleep(0.2)


def sip_tls(conn):
    head = read_head(conn)
    if not head.startswith("REGISTER"):
        return
    keep = [l for l in head.split("\r\n") if l.split(":")[0].lower() in ("via", "from", "to", "call-id", "cseq")]
    to = [l for l in keep if l.lower().startswith("to:")]
    lines = [l for l in keep if not l.lower().startswith("to:")] + [t + ";tag=lab1" for t in to]
    conn.sendall(
        (
            "SIP/2.0 %d %s\r\n%s\r\nServer: mradiag-lab\r\nContent-Length: 0\r\n\r\n"
            % (code, REASONS.get(code, "Error"), "\r\n".join(lines))
        ).encode()
    )
    time.sleep(0.2)
LAB_HOSTS = {"expe1.example.com": "10.77.0.10", "expe2.example.com": "10.77.0.11"}


def connect_proxy(conn):
    head = read_head(conn)
    if not head.startswith("CONNECT "):
        return
    if code != 200:
        reason = {403: "Forbidden", 407: "Proxy Authentication Required", 503: "Service Unavailable"}
        conn.sendall(("HTTP/1.1 %d %s\r\nContent-Length: 0\r\n\r\n" % (code, reason.get(code, "Error"))).encode())
        time.sleep(0.2)
        return
    host, port = head.split()[1].rsplit(":", 1)
    upstream = socket.create_connection((LAB_HOSTS.get(host, host), int(port)), timeout=5)
    conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    # Relay both ways until either side closes (or 10 s pass).
    end = time.time() + 10
    peers = {conn: upstream, upstream: conn}
    while time.time() < end:
        ready, _, _ = select.select(list(peers), [], [], 0.5)
        for s in ready:
            data = s.recv(65536)
            if not data:
                upstream.close()
                return
            peers[s].sendall(data)
    upstream.close()


family = socket.AF_INET6 if ":" in addr else socket.AF_INET
srv = socket.socket(family, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((addr, port))
srv.listen(4)
srv.settimeout(30)
deadline = time.time() + 30

XMPP_OPEN = (
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' from='example.com' id='lab1' version='1.0'>"
)
FEATURES = "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>"
FAILURE = "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>"

for _ in range(3):
    if time.time() > deadline:
        break
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        break
    conn.settimeout(5)
    try:
        if mode in ("https", "sip-tls"):
            conn = tls_context().wrap_socket(conn, server_side=True)
            (https if mode == "https" else sip_tls)(conn)
        elif mode == "connect-proxy":
            connect_proxy(conn)
        elif mode == "reset":
            conn.recv(4096)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif mode == "xmpp-failure":
            buf = b""
            while b"<stream:stream" not in buf:
                buf += conn.recv(4096)
            conn.sendall((XMPP_OPEN + FEATURES).encode())
            buf = b""
            while b"starttls" not in buf:
                buf += conn.recv(4096)
            conn.sendall(FAILURE.encode())
            time.sleep(0.2)
    except (OSError, socket.timeout):
        pass
    conn.close()
