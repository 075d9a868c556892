"""Peer: the plain Python copy loop.  Reads SRC once in 4 MiB chunks, hashes
each chunk (xxh3-128), writes it to every DST, fsyncs each; prints the digest.

usage: python3 pyloop.py SRC DST...
"""

from __future__ import annotations

import os
import sys

import xxhash

CHUNK = 4 << 20


def copy(src: str, dsts: list[str]) -> str:
    digest = xxhash.xxh3_128()
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    outs = [os.open(d, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644) for d in dsts]
    try:
        with open(src, "rb", buffering=0) as f:
            while n := f.readinto(buf):
                digest.update(view[:n])
                for fd in outs:
                    _write_all(fd, view[:n])
        for fd in outs:
            os.fsync(fd)
    finally:
        for fd in outs:
            os.close(fd)
    return str(digest.hexdigest())


def _write_all(fd: int, data: memoryview) -> None:
    while data:
        data = data[os.write(fd, data) :]


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    print(copy(sys.argv[1], sys.argv[2:]))
