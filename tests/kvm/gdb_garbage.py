#!/usr/bin/env python3
"""Feeds the tender's gdbstub garbage and malformed packets: every packet
with a good checksum must get a reply, a bad one a '-', and afterwards the
stub must still work ('?' and 'c' to the program's exit, "W07").

usage: gdb_garbage.py PORT"""
import random
import socket
import sys
import time


def csum(b):
    return b"%02x" % (sum(b) & 0xFF)


def packet(b):
    return b"$" + b + b"#" + csum(b)


class Conn:
    def __init__(self, port):
        for _ in range(200):
            try:
                self.s = socket.create_connection(("127.0.0.1", port), timeout=20)
                break
            except OSError:
                time.sleep(0.05)
        else:
            sys.exit("FAIL: cannot connect to the gdbstub")
        self.buf = b""

    def read_reply(self):
        """The next '$...#xx' reply (acks skipped), checksum verified."""
        while True:
            i = self.buf.find(b"$")
            j = self.buf.find(b"#", i + 1) if i >= 0 else -1
            if i >= 0 and j >= 0 and len(self.buf) >= j + 3:
                body, cs = self.buf[i + 1 : j], self.buf[j + 1 : j + 3]
                self.buf = self.buf[j + 3 :]
                if csum(body) != cs:
                    sys.exit("FAIL: reply with a bad checksum: %r" % body)
                return body
            d = self.s.recv(65536)
            if not d:
                sys.exit("FAIL: the stub closed the connection (tender died?)")
            self.buf += d

    def ask(self, body):
        self.s.sendall(packet(body))
        return self.read_reply()


def main():
    port = int(sys.argv[1])
    c = Conn(port)
    rnd = random.Random(7)
    # Noise outside packets, bad checksums, an unterminated packet restart.
    c.s.sendall(bytes(rnd.randrange(256) for _ in range(4096)).replace(b"$", b"%").replace(b"\x03", b"%"))
    c.s.sendall(b"$m0,10#zz")
    c.s.sendall(b"$g#00")
    c.s.sendall(b"$qSupp$?" + b"#" + csum(b"?"))
    r = c.read_reply()
    if not r.startswith(b"T05"):
        sys.exit("FAIL: '?' after a restarted packet: %r" % r)
    # An overlong packet is refused ('-'), not overflowing anything.
    c.s.sendall(packet(b"M0," + b"41" * 20000))
    bad = [
        b"m", b"mzz,10", b"m0", b"m0,", b"mffffffffffffffffff,10", b"m0,ffffffffffffffff",
        b"mffffffffffffffff,ffff", b"M0,4:zz", b"M0,ffffffff:00", b"M0,2:00",
        b"p", b"p999", b"pzz", b"P0=zz", b"P999=00", b"P0", b"G", b"G00",
        b"Hg", b"Hgzz", b"Hg9999", b"Hc1000", b"T", b"T0", b"Tffffffffffffffffff",
        b"Z0", b"Z0,", b"Z0,zz,1", b"Z9,0,1", b"z0,1234,1", b"Z1,1000,1", b"Z2,1000,8",
        b"vCont;x", b"vCont;s:zz", b"vCont;c:1;q", b"vFoo", b"vKil",
        b"qXfer:features:read:target.xml:ffffffffffff,10",
        b"qXfer:features:read:other.xml:0,10", b"qXfer:features:read:target.xml:zz",
        b"qThreadExtraInfo,0", b"qThreadExtraInfo,zz", b"qUnknownThing", b"X0,0:",
        b"C", b"Cz", b"Szz;", b"!", b"\x7f\x80\xff", b"",
    ]
    for _ in range(300):
        bad.append(bytes(rnd.randrange(33, 127) for _ in range(rnd.randrange(1, 40)))
                   .replace(b"$", b"x").replace(b"#", b"y").replace(b"}", b"z")
                   .lstrip(b"cCsSkDv"))
    for b in bad:
        c.ask(b)
    # Still a working stub: registers, memory of the image, features.
    if not c.ask(b"?").startswith(b"T05"):
        sys.exit("FAIL: '?' after garbage")
    g = c.ask(b"g")
    if len(g) < 16 * 16 or any(ch not in b"0123456789abcdef" for ch in g):
        sys.exit("FAIL: 'g' after garbage: %r" % g[:80])
    rip = int.from_bytes(bytes.fromhex(g[256:272].decode()), "little")
    if rip >> 47 != 0x1FFFF:
        sys.exit("FAIL: rip %#x is not in the guest image" % rip)
    if len(c.ask(b"m%x,10" % rip)) != 32:
        sys.exit("FAIL: cannot read the code at rip")
    if not c.ask(b"qXfer:features:read:target.xml:0,40").startswith(b"m<?xml"):
        sys.exit("FAIL: target.xml")
    c.s.sendall(packet(b"c"))
    r = c.read_reply()
    if r != b"W07":
        sys.exit("FAIL: the program's exit was reported as %r, not W07" % r)
    print("PASS: %d malformed packets answered, the program ran to exit 7" % len(bad))


main()
