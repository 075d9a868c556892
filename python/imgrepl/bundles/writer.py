"""Writing a version bundle: the version's metadata, each disk's manifest,
and its chunks zstd-compressed, one frame per chunk.  Zero chunks and chunks
the receiver already has (`skip`: the digests of a base version) are left
out.  Every chunk read is checked against the manifest first, so a corrupt
replica is never exported.

Chunks are read and compressed on a few threads (zstd and xxh3 release the
GIL) and written in order; at most `2 * threads` are in flight.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import zstandard

from imgrepl._core import Manifest
from imgrepl.bundles.format import (
    CHUNK,
    FORMAT,
    MAGIC,
    PREAMBLE,
    RECORD,
    CheckedWriter,
    DiskTable,
    chunk_digest,
    encode_header,
)
from imgrepl.exceptions import BundleError

LEVEL = 1  # zstd's fastest standard level: bundles are made on the publish path
Progress = Callable[[int, int], None]  # bytes done, bytes in all


@dataclass(frozen=True)
class DiskSource:
    """A disk to bundle: a local image file and the manifest it must match."""

    lun: int | None
    path: str
    manifest: bytes


@dataclass
class BundleStats:
    bytes_in: int = 0  # chunk bytes read and compressed
    bytes_out: int = 0  # the bundle's size
    chunks: int = 0  # chunks written
    zero_chunks: int = 0
    base_chunks: int = 0  # left out: the receiver has them
    per_disk: dict[str, int] = field(default_factory=dict)  # label -> chunks written


def table(lun: int | None, manifest: bytes) -> DiskTable:
    m = Manifest.from_bytes(manifest)
    if not m.hashed:
        raise BundleError("a manifest without chunk digests cannot be bundled")
    return DiskTable(
        lun, m.source_size, m.chunk_size, m.digest_bytes(), m.zero_flags(), bytes(manifest)
    )


def write_bundle(
    out: BinaryIO,
    header: dict[str, Any],
    disks: list[DiskSource],
    *,
    skip: frozenset[bytes] = frozenset(),
    threads: int = 2,
    on_progress: Progress | None = None,
) -> BundleStats:
    tables = [table(d.lun, d.manifest) for d in disks]
    header = dict(header, format=FORMAT, disks=[_disk_entry(t) for t in tables])
    w = CheckedWriter(out)
    w.write(PREAMBLE.pack(MAGIC, FORMAT, 0))
    w.section(encode_header(header))
    for t in tables:
        w.section(t.manifest)
    stats = BundleStats()
    total = sum(t.size for t in tables)
    done = 0
    for index, (disk, t) in enumerate(zip(disks, tables, strict=True)):
        wanted = []
        for i in range(t.chunks):
            if t.zero[i]:
                stats.zero_chunks += 1
            elif t.digest(i) in skip:
                stats.base_chunks += 1
            else:
                wanted.append(i)
        stats.per_disk[t.label] = len(wanted)
        fd = os.open(disk.path, os.O_RDONLY)
        try:
            for chunk, payload in _compressed(fd, t, wanted, threads):
                w.write(RECORD.pack(CHUNK, index, chunk, len(payload)))
                w.write(payload)
                stats.chunks += 1
                stats.bytes_in += t.length(chunk)
                if on_progress is not None:
                    on_progress(done + (chunk + 1) * t.chunk_size, total)
        finally:
            os.close(fd)
        done += t.size
    w.finish(stats.chunks)
    stats.bytes_out = w.written
    if on_progress is not None:
        on_progress(total, total)
    return stats


def _disk_entry(t: DiskTable) -> dict[str, Any]:
    return {"lun": t.lun, "size": t.size, "chunkSize": t.chunk_size, "chunks": t.chunks}


def _compressed(
    fd: int, t: DiskTable, wanted: list[int], threads: int
) -> Iterator[tuple[int, bytes]]:
    """(chunk, zstd frame) in chunk order, made on `threads` threads."""
    local = threading.local()

    def job(i: int) -> bytes:
        start, length = i * t.chunk_size, t.length(i)
        data = os.pread(fd, length, start)
        if len(data) != length:
            raise BundleError(f"chunk {i} of disk {t.label} is short: the image is truncated")
        if chunk_digest(data) != t.digest(i):
            raise BundleError(
                f"chunk {i} of disk {t.label} does not match its manifest: "
                "the replica is corrupt (verify --repair it first)"
            )
        if not hasattr(local, "z"):
            local.z = zstandard.ZstdCompressor(level=LEVEL)
        return bytes(local.z.compress(data))

    window: deque[tuple[int, Future[bytes]]] = deque()
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        try:
            for i in wanted:
                window.append((i, pool.submit(job, i)))
                if len(window) >= 2 * threads:
                    j, f = window.popleft()
                    yield j, f.result()
            while window:
                j, f = window.popleft()
                yield j, f.result()
        finally:
            for _, f in window:
                f.cancel()
