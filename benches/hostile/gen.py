#!/usr/bin/env python3
"""Hostile inputs at full size (issue 16), for benches/hostile/run.sh; `cargo test` runs the
same shapes at small sizes (tests/hostile.rs).

  benches/hostile/gen.py OUT_DIR [--scale S]    S < 1 makes every input smaller

Each input is written as OUT_DIR/<name>; what it holds is in its name and in INPUTS below."""

import gzip
import io
import os
import random
import struct
import sys
import tarfile
import zipfile
import zlib

SCALE = 1.0


def n(count):
    return max(1, int(count * SCALE))


def pcap(frames):
    """A little-endian microsecond pcap of Ethernet frames [(ts_seconds, bytes)]."""
    out = io.BytesIO()
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for ts, frame in frames:
        out.write(struct.pack("<IIII", int(ts), int((ts % 1) * 1e6), len(frame), len(frame)))
        out.write(frame)
    return out.getvalue()


def eth(ip_packet, v6=False):
    return b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02" + (b"\x86\xdd" if v6 else b"\x08\x00") + ip_packet


def ipv4(src, dst, proto, payload, ident=0, flags_frag=0):
    total = 20 + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident, flags_frag, 64, proto, 0,
                      bytes(src), bytes(dst))
    return hdr + payload


def tcp(sport, dport, seq, flags, payload=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0) + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def addr(i):
    return [10, (i >> 16) & 255, (i >> 8) & 255, i & 255]


def syn_flood(path):
    """2,000,000 SYNs to 8443 from distinct clients."""
    def frames():
        for i in range(n(2_000_000)):
            yield 1.0 + i * 1e-6, eth(ipv4(addr(i), [198, 51, 100, 7], 6, tcp(40000, 8443, i, 0x02)))
    write_pcap(path, frames())


def dns_answers(path):
    """5,100,000 DNS answers (an A record each) for distinct names."""
    def frames():
        for i in range(n(5_100_000)):
            name = b"".join(bytes([len(p)]) + p for p in [b"h%d" % i, b"example", b"com"]) + b"\x00"
            msg = struct.pack("!HHHHHH", i & 0xFFFF, 0x8180, 1, 1, 0, 0) + name + b"\x00\x01\x00\x01"
            msg += b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + bytes([192, 0, 2, i & 255])
            yield 1.0 + i * 1e-6, eth(ipv4([10, 0, 0, 53], [10, 0, 0, 2], 17, udp(53, 40000, msg)))
    write_pcap(path, frames())


def fragments(path):
    """1,000,000 first fragments of UDP datagrams that never complete, all at one time."""
    def frames():
        for i in range(n(1_000_000)):
            payload = udp(53, 53, b"x" * 24)
            yield 1.0, eth(ipv4(addr(i), [10, 0, 0, 2], 17, payload, ident=i & 0xFFFF, flags_frag=0x2000))
    write_pcap(path, frames())


def holes(path):
    """4,000 connections to 8443, each with a one-byte hole and 250 KB held behind it."""
    def frames():
        chunk = b"\x17" * 1400
        t = 1.0
        for c in range(n(4_000)):
            src = addr(c)
            yield t, eth(ipv4(src, [198, 51, 100, 7], 6, tcp(40000, 8443, 1000, 0x02)))
            for k in range(180):
                t += 1e-6
                yield t, eth(ipv4(src, [198, 51, 100, 7], 6, tcp(40000, 8443, 1002 + k * 1400, 0x10, chunk)))
    write_pcap(path, frames())


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for ts, frame in frames:
            f.write(struct.pack("<IIII", int(ts), int(round((ts % 1) * 1e6)) % 1000000, len(frame), len(frame)))
            f.write(frame)


def zip_overlap(path):
    """10,000 zip entries that all point at one 250 MiB deflated member."""
    data_len = n(250 << 20)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    crc = 0
    deflated = bytearray()
    block = b"\0" * (1 << 20)
    left = data_len
    while left:
        piece = block[: min(left, len(block))]
        crc = zlib.crc32(piece, crc)
        deflated += comp.compress(piece)
        left -= len(piece)
    deflated += comp.flush()
    name = b"log.txt"
    out = bytearray(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(deflated), data_len, len(name), 0))
    out += name + deflated
    cd = len(out)
    entries = n(10_000)
    for i in range(entries):
        e = b"log%05d.txt" % i
        out += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(deflated), data_len,
                           len(e), 0, 0, 0, 0, 0, 0) + e
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, entries, entries, len(out) - cd, cd, 0)
    open(path, "wb").write(out)


def nested_zips(path):
    """Zips stored in zips, 8 deep, in a .gz: every level holds the next."""
    data = os.urandom(n(8 << 20))
    for depth in range(8):
        b = io.BytesIO()
        with zipfile.ZipFile(b, "w", zipfile.ZIP_STORED) as z:
            z.writestr("level%d.%s" % (depth, "bin" if depth == 0 else "zip"), data)
        data = b.getvalue()
    open(path, "wb").write(gzip.compress(data, 1))


def tar_longname(path):
    """A .tar.gz whose GNU long-name entry is 1 GiB, then a small member."""
    size = n(1 << 30)
    with gzip.open(path, "wb", compresslevel=1) as g:
        hdr = tarfile.TarInfo("././@LongLink")
        hdr.type = tarfile.GNUTYPE_LONGNAME
        hdr.size = size
        g.write(hdr.tobuf(format=tarfile.GNU_FORMAT))
        block = b"a" * (1 << 20)
        left = size
        while left:
            g.write(block[: min(left, len(block))])
            left -= min(left, len(block))
        g.write(b"\0" * ((512 - size % 512) % 512))
        body = b"2024-03-05T10:06:00.000+01:00 expe tvcs: hello\n"
        t = tarfile.TarInfo("small.log")
        t.size = len(body)
        g.write(t.tobuf(format=tarfile.GNU_FORMAT) + body + b"\0" * ((512 - len(body) % 512) % 512))
        g.write(b"\0" * 1024)


def fanout(path):
    """A 42.zip-style fan-out: 16 zips of 16 zips of 16 logs of 258 MiB each (1.4 MB)."""
    line = b'2024-03-05T10:06:00.000+01:00 expe tvcs: UTCTime="2024-03-05 09:06:00,000" Module="x" Level="INFO": Detail="nothing"\n'
    size = n(258 << 20)
    data = (line * (size // len(line) + 1))[:size]

    def zipped(members):
        b = io.BytesIO()
        with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
            for name, body in members:
                z.writestr(name, body)
        return b.getvalue()

    level = zipped([("log%02d.txt" % i, data) for i in range(16)])
    for prefix in "bc":
        level = zipped([("%s%02d.zip" % (prefix, i), level) for i in range(16)])
    open(path, "wb").write(level)


INPUTS = {
    "syn-flood.pcap": syn_flood,
    "dns-answers.pcap": dns_answers,
    "fragments.pcap": fragments,
    "holes.pcap": holes,
    "zip-overlap.zip": zip_overlap,
    "nested-zips.gz": nested_zips,
    "tar-longname.tar.gz": tar_longname,
    "fanout-42.zip": fanout,
}

if __name__ == "__main__":
    args = sys.argv[1:]
    if "--scale" in args:
        i = args.index("--scale")
        SCALE = float(args[i + 1])
        del args[i : i + 2]
    out_dir = args[0]
    os.makedirs(out_dir, exist_ok=True)
    random.seed(1)
    for name, make in INPUTS.items():
        make(os.path.join(out_dir, name))
        print(name, os.path.getsize(os.path.join(out_dir, name)))
