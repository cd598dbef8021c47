#!/usr/bin/env python3
"""Scripted TCP servers for the sample lab (real sockets, behaviour no stock daemon has).

  script_server.py reset ADDR PORT          accept, read the first bytes, answer with a TCP RST
  script_server.py xmpp-failure ADDR PORT   XMPP stream that offers STARTTLS, then refuses it
Each serves a few connections and exits after 30 s at most."""

import socket
import struct
import sys
import time

mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
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
        if mode == "reset":
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
