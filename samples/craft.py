#!/usr/bin/env python3
"""Crafted samples, derived byte by byte from lab captures where no daemon can make the case.

  craft.py vlan SRC DST VLAN_ID      every Ethernet frame gets an 802.1Q tag (the lab kernel
                                     has no 8021q module, so a trunk capture is made this way)
  craft.py truncate SRC DST FRAME    the file is cut half-way through record FRAME (1-based),
                                     as an interrupted upload or a full disk leaves it
  craft.py drop SRC DST FRAME        record FRAME is left out (a client that hangs up without
                                     the alert OpenSSL sends, as some TLS stacks do)
  craft.py retry SRC DST SECONDS     the capture, then a copy of it SECONDS later: the client
                                     (the first frame's source) signs in again from other
                                     ports, under a new Call-ID, and a REGISTER's 403
                                     Forbidden becomes 200 OK (a user whose second try works)
  craft.py shift SRC DST SECONDS     every frame SECONDS later (negative: earlier), as a capture
                                     of another day or another machine's clock
  craft.py scanner SRC DST SERVER    a SIP scanner's OPTIONS over UDP to SERVER:5060, two
                                     seconds after the last frame (svmap's, as every
                                     Internet-facing SIP server receives), from 203.0.113.66
  craft.py cooked SRC DST 0           every Ethernet frame as `tcpdump -i any` writes it: a
                                     Linux cooked (SLL) header in place of the Ethernet one,
                                     any VLAN tag kept after it (libpcap puts back the tag the
                                     kernel took off)
Only little-endian microsecond pcap (what tcpdump writes here) is handled."""

import struct
import sys


def records(data):
    off = 24
    n = 0
    while off + 16 <= len(data):
        caplen = struct.unpack_from("<I", data, off + 8)[0]
        n += 1
        yield n, off, data[off : off + 16], data[off + 16 : off + 16 + caplen]
        off += 16 + caplen


def vlan(src, dst, vid):
    data = open(src, "rb").read()
    assert data[:4] == b"\xd4\xc3\xb2\xa1" and struct.unpack_from("<I", data, 20)[0] == 1, "LE Ethernet pcap only"
    out = bytearray(data[:24])
    tag = struct.pack(">HH", 0x8100, vid)
    for _, _, header, frame in records(data):
        sec, usec, caplen, origlen = struct.unpack("<IIII", header)
        frame = frame[:12] + tag + frame[12:]
        out += struct.pack("<IIII", sec, usec, caplen + 4, origlen + 4) + frame
    open(dst, "wb").write(out)


def cooked(src, dst, _unused):
    data = open(src, "rb").read()
    assert data[:4] == b"\xd4\xc3\xb2\xa1" and struct.unpack_from("<I", data, 20)[0] == 1, "LE Ethernet pcap only"
    out = bytearray(data[:20]) + struct.pack("<I", 113)
    for _, _, header, frame in records(data):
        sec, usec, caplen, origlen = struct.unpack("<IIII", header)
        # Packet type 0 (to us), ARPHRD_ETHER, a 6-byte address (the source MAC) padded to 8,
        # then the EtherType and what followed it (a VLAN tag's TCI and inner type included).
        sll = struct.pack(">HHH", 0, 1, 6) + frame[6:12] + b"\x00\x00" + frame[12:]
        out += struct.pack("<IIII", sec, usec, caplen + 2, origlen + 2) + sll
    open(dst, "wb").write(out)


def truncate(src, dst, frame_no):
    data = open(src, "rb").read()
    for n, off, _, frame in records(data):
        if n == frame_no:
            open(dst, "wb").write(data[: off + 16 + len(frame) // 2])
            return
    sys.exit(f"{src} has no frame {frame_no}")


def drop(src, dst, frame_no):
    data = open(src, "rb").read()
    out = bytearray(data[:24])
    for n, off, header, frame in records(data):
        if n != frame_no:
            out += header + frame
    open(dst, "wb").write(out)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def again(frame, client):
    """The frame as the client's second sign-in sends it: its ports moved by 1000, the SIP
    answer turned (same length, so TCP sequence numbers hold) and the Call-ID new."""
    if frame[12:14] != b"\x08\x00":
        return frame
    ip = 14
    ihl = (frame[ip] & 0x0F) * 4
    proto = frame[ip + 9]
    if proto not in (6, 17):
        return frame
    src, dst = frame[ip + 12 : ip + 16], frame[ip + 16 : ip + 20]
    l4 = ip + ihl
    total = struct.unpack_from("!H", frame, ip + 2)[0]
    pseudo = lambda seg: src + dst + struct.pack("!BBH", 0, proto, len(seg))
    # A capture on the sending host holds checksums the NIC was to fill (offload): those are
    # left as they were, and a valid one is made valid again.
    valid = checksum(pseudo(frame[l4 : ip + total]) + frame[l4 : ip + total]) == 0
    out = bytearray(frame)
    moved = lambda port: port + 1000 if port + 1000 <= 65535 else port - 1000
    for at, addr in ((l4, src), (l4 + 2, dst)):
        port = struct.unpack_from("!H", frame, at)[0]
        if addr == client and port >= 1024:
            struct.pack_into("!H", out, at, moved(port))
    head = ((out[l4 + 12] >> 4) * 4) if proto == 6 else 8
    body = bytes(out[l4 + head :])
    body = body.replace(b"Call-ID: 1-", b"Call-ID: 2-")
    if body.startswith(b"SIP/2.0 403 Forbidden\r\n"):
        body = body.replace(b"SIP/2.0 403 Forbidden", b"SIP/2.0 200 OK", 1)
        body = body.replace(b"SIPpTag011\r\n", b"SIPpTag011-second\r\n", 1)
    out[l4 + head :] = body
    assert len(out) == len(frame), "the rewrite must keep every length"
    if valid:
        sum_at = l4 + (16 if proto == 6 else 6)
        struct.pack_into("!H", out, sum_at, 0)
        segment = bytes(out[l4 : ip + total])
        value = checksum(pseudo(segment) + segment) or (0xFFFF if proto == 17 else 0)
        struct.pack_into("!H", out, sum_at, value)
    return bytes(out)


def retry(src, dst, seconds):
    data = open(src, "rb").read()
    assert data[:4] == b"\xd4\xc3\xb2\xa1" and struct.unpack_from("<I", data, 20)[0] == 1, "LE Ethernet pcap only"
    frames = list(records(data))
    first = frames[0][3]
    client = first[14 + 12 : 14 + 16]
    out = bytearray(data)
    for _, _, header, frame in frames:
        sec, usec, caplen, origlen = struct.unpack("<IIII", header)
        frame = again(frame, client)
        out += struct.pack("<IIII", sec + seconds, usec, caplen, origlen) + frame
    open(dst, "wb").write(out)


def shift(src, dst, seconds):
    data = open(src, "rb").read()
    out = bytearray(data[:24])
    for _, _, header, frame in records(data):
        sec, usec, caplen, origlen = struct.unpack("<IIII", header)
        out += struct.pack("<IIII", sec + seconds, usec, caplen, origlen) + frame
    open(dst, "wb").write(out)


def scanner(src, dst, server):
    data = open(src, "rb").read()
    assert data[:4] == b"\xd4\xc3\xb2\xa1" and struct.unpack_from("<I", data, 20)[0] == 1, "LE Ethernet pcap only"
    frames = list(records(data))
    server_ip = bytes(int(b) for b in server.split("."))
    # The MAC addresses of a frame to the server: the scanner's datagram comes the same way.
    macs = next(f[:12] for _, _, _, f in frames if f[12:14] == b"\x08\x00" and f[30:34] == server_ip)
    scanner_ip = bytes([203, 0, 113, 66])
    sip = (
        f"OPTIONS sip:100@{server} SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 203.0.113.66:5070;branch=z9hG4bK-1866411812;rport\r\n"
        "Max-Forwards: 70\r\n"
        f"To: \"sipvicious\"<sip:100@{server}>\r\n"
        "From: \"sipvicious\"<sip:100@1.1.1.1>;tag=6133396332613864313363340131393533373830373336\r\n"
        "User-Agent: friendly-scanner\r\n"
        "Call-ID: 779640683064484016474046\r\n"
        "Contact: sip:100@203.0.113.66:5070\r\n"
        "CSeq: 1 OPTIONS\r\n"
        "Accept: application/sdp\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()
    udp = struct.pack("!HHHH", 5070, 5060, 8 + len(sip), 0) + sip
    pseudo = scanner_ip + server_ip + struct.pack("!BBH", 0, 17, len(udp))
    udp = udp[:6] + struct.pack("!H", checksum(pseudo + udp) or 0xFFFF) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0x1d2c, 0, 52, 17, 0, scanner_ip, server_ip)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    frame = macs + b"\x08\x00" + ip + udp
    sec, usec = struct.unpack_from("<II", frames[-1][2])
    out = bytearray(data) + struct.pack("<IIII", sec + 2, usec, len(frame), len(frame)) + frame
    open(dst, "wb").write(out)


if __name__ == "__main__":
    cmd, src, dst, arg = sys.argv[1:5]
    if cmd == "scanner":
        scanner(src, dst, arg)
    else:
        {"vlan": vlan, "cooked": cooked, "truncate": truncate, "drop": drop, "retry": retry, "shift": shift}[cmd](src, dst, int(arg))
