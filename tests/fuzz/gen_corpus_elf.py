#!/usr/bin/env python3
"""Writes the ELF fuzzer's seed corpus (tests/fuzz/corpus_elf): tiny
hand-made x86-64 ELF files, valid and broken in one way each. Run it from
anywhere; it rewrites its own files and keeps the others (regress-*: inputs
that once crashed the fuzzer, kept as regression tests)."""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus_elf")
PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_PHDR = 1, 2, 3, 6
PF_X, PF_W, PF_R = 1, 2, 4
CODE = bytes.fromhex("b83c00000031ff0f05")  # mov $60,%eax; xor %edi,%edi; syscall


def ehdr(etype=2, entry=0x400078, phoff=64, phnum=1, ident=None):
    ident = ident or b"\x7fELF\x02\x01\x01" + bytes(9)
    return ident + struct.pack("<HHIQQQIHHHHHH", etype, 62, 1, entry, phoff, 0, 0, 64, 56,
                               phnum, 64, 0, 0)


def phdr(ptype, flags, off, vaddr, filesz, memsz, align=0x1000):
    return struct.pack("<IIQQQQQQ", ptype, flags, off, vaddr, vaddr, filesz, memsz, align)


def exe(segs, etype=2, entry=0x400078, tail=b"", **kw):
    """Header + program headers + tail; segs are phdr tuples."""
    hdrs = b"".join(phdr(*s) for s in segs)
    return ehdr(etype=etype, entry=entry, phnum=len(segs), **kw) + hdrs + tail


def main():
    os.makedirs(OUT, exist_ok=True)
    size = 64 + 56 + len(CODE)
    files = {}
    # Valid: one RX segment with the code, a BSS tail.
    files["static-exec"] = exe([(PT_LOAD, PF_R | PF_X, 0, 0x400000, size, size)], tail=CODE)
    files["static-bss"] = exe([(PT_LOAD, PF_R | PF_W | PF_X, 0, 0x400000, size, size + 0x3000)],
                              tail=CODE)
    # Position independent, with PT_PHDR, PT_INTERP and PT_DYNAMIC.
    interp = b"/lib64/ld-linux-x86-64.so.2\0"
    n = 4
    base = 64 + 56 * n
    dyn = struct.pack("<QQ", 0, 0)
    tail = CODE + interp + dyn
    files["pie-interp"] = exe([
        (PT_PHDR, PF_R, 64, 64, 56 * n, 56 * n, 8),
        (PT_INTERP, PF_R, base + len(CODE), base + len(CODE), len(interp), len(interp), 1),
        (PT_LOAD, PF_R | PF_X, 0, 0, base + len(tail), base + len(tail)),
        (PT_DYNAMIC, PF_R | PF_W, base + len(CODE) + len(interp),
         base + len(CODE) + len(interp), 16, 16, 8),
    ], etype=3, entry=base, tail=tail)
    # Two segments, the second writable on its own page.
    files["two-loads"] = exe([
        (PT_LOAD, PF_R | PF_X, 0, 0x400000, 64 + 112 + len(CODE), 64 + 112 + len(CODE)),
        (PT_LOAD, PF_R | PF_W, 0, 0x401000, 64, 0x2000),
    ], entry=0x400000 + 64 + 112, tail=CODE)
    # Broken in one way each.
    files["bad-magic"] = b"\x7fELG" + files["static-exec"][4:]
    files["bad-class"] = files["static-exec"][:4] + b"\x01" + files["static-exec"][5:]
    files["bad-machine"] = files["static-exec"][:18] + b"\x03\x00" + files["static-exec"][20:]
    files["short-header"] = files["static-exec"][:40]
    files["phoff-past-end"] = exe([(PT_LOAD, PF_R | PF_X, 0, 0x400000, size, size)],
                                  phoff=4096, tail=CODE)
    files["too-many-phdrs"] = ehdr(phnum=1000) + phdr(PT_LOAD, PF_R, 0, 0x400000, size, size)
    files["misaligned"] = exe([(PT_LOAD, PF_R | PF_X, 0, 0x400001, size, size)], tail=CODE)
    files["filesz-gt-memsz"] = exe([(PT_LOAD, PF_R | PF_X, 0, 0x400000, size, size - 1)],
                                   tail=CODE)
    files["data-past-eof"] = exe([(PT_LOAD, PF_R | PF_X, 0, 0x400000, 0x10000, 0x10000)],
                                 tail=CODE)
    files["huge-memsz"] = exe([(PT_LOAD, PF_R | PF_W, 0, 0x400000, size, 1 << 46)], tail=CODE)
    files["vaddr-wraps"] = exe([(PT_LOAD, PF_R, 0, 0xfffffffffffff000, size, 0x2000)],
                               tail=CODE)
    files["no-loads"] = exe([(PT_PHDR, PF_R, 64, 0x400040, 56, 56)], tail=CODE)
    files["overlapping"] = exe([
        (PT_LOAD, PF_R | PF_X, 0, 0x400000, 0x1000, 0x3000),
        (PT_LOAD, PF_R | PF_W, 0, 0x401000, 0x40, 0x1000),
    ], tail=CODE)
    files["interp-unterminated"] = exe([
        (PT_LOAD, PF_R | PF_X, 0, 0x400000, size, size),
        (PT_INTERP, PF_R, 0, 0, 16, 16, 1),
    ], tail=CODE)
    files["interp-past-eof"] = exe([
        (PT_LOAD, PF_R | PF_X, 0, 0x400000, size, size),
        (PT_INTERP, PF_R, 0x5000, 0, 64, 64, 1),
    ], tail=CODE)
    files["empty"] = b""
    for name, data in files.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
