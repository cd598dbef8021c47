#!/usr/bin/env python3
"""Crafted samples, derived byte by byte from lab captures where no daemon can make the case.

  craft.py vlan SRC DST VLAN_ID      every Ethernet frame gets an 802.1Q tag (the lab kernel
                                     has no 8021q module, so a trunk capture is made this way)
  craft.py truncate SRC DST FRAME    the file is cut half-way through record FRAME (1-based),
                                     as an interrupted upload or a full disk leaves it
  craft.py drop SRC DST FRAME        record FRAME is left out (a client that hangs up without
                                     the alert OpenSSL sends, as some TLS stacks do)
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


if __name__ == "__main__":
    cmd, src, dst, arg = sys.argv[1:5]
    {"vlan": vlan, "truncate": truncate, "drop": drop}[cmd](src, dst, int(arg))
