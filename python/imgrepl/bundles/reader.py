"""Reading a version bundle back into disk image files, checking everything:
each section's check, each chunk's digest against its disk's manifest, the
record count and the whole-bundle check at the end.  Chunks left out because
the receiver has them come from `base` (the receiving gallery's replicas of
the base version), and are checked the same way.  The first bad or missing
chunk is named in the BundleError; the caller records nothing before this
returns.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import zstandard

from imgrepl.bundles.format import (
    CHUNK,
    END,
    FINISH,
    RECORD,
    CheckedReader,
    DiskTable,
    chunk_digest,
    decode_header,
    read_preamble,
)
from imgrepl.bundles.writer import table
from imgrepl.exceptions import BundleError, ImgreplError

Progress = Callable[[int], None]  # bundle bytes read so far


class BaseChunks(Protocol):
    """Chunks the receiver already has, by digest (None when it has not)."""

    def read(self, digest: bytes, length: int) -> bytes | None: ...


@dataclass(frozen=True)
class RestoredDisk:
    lun: int | None
    path: Path
    table: DiskTable
    from_bundle: int  # chunks
    from_base: int


@dataclass(frozen=True)
class Restored:
    header: dict[str, Any]
    disks: list[RestoredDisk]
    bundle_bytes: int


def read_header(r: CheckedReader) -> tuple[dict[str, Any], list[DiskTable]]:
    read_preamble(r)
    header = decode_header(r.section("the header"))
    tables = []
    for n, entry in enumerate(header["disks"]):
        lun = entry.get("lun") if isinstance(entry, dict) else None
        try:
            t = table(lun, r.section(f"the manifest of disk {n}"))
        except ImgreplError as exc:
            raise BundleError(f"the bundle's manifest of disk {n} is invalid: {exc}") from None
        if (entry.get("size"), entry.get("chunkSize")) != (t.size, t.chunk_size):
            raise BundleError(f"the bundle's disk {n} does not match its manifest")
        tables.append(t)
    return header, tables


def restore(
    r: CheckedReader,
    header: dict[str, Any],
    tables: list[DiskTable],
    dest: Path,
    base: BaseChunks | None,
    on_progress: Progress | None = None,
) -> Restored:
    """After `read_header`: writes each disk to `dest/<label>.img` (sparse)."""
    paths = [dest / f"{t.label}.img" for t in tables]
    fds = []
    try:
        for path, t in zip(paths, tables, strict=True):
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
            fds.append(fd)
            os.ftruncate(fd, t.size)
        got = _records(r, tables, fds, on_progress)
        base_counts = [
            _fill_from_base(t, fd, got[n], base, header.get("base"))
            for n, (t, fd) in enumerate(zip(tables, fds, strict=True))
        ]
        for fd in fds:
            os.fsync(fd)
    finally:
        for fd in fds:
            os.close(fd)
    disks = [
        RestoredDisk(t.lun, path, t, len(got[n]), base_counts[n])
        for n, (path, t) in enumerate(zip(paths, tables, strict=True))
    ]
    return Restored(header, disks, r.offset)


def _records(
    r: CheckedReader, tables: list[DiskTable], fds: list[int], on_progress: Progress | None
) -> list[set[int]]:
    got: list[set[int]] = [set() for _ in tables]
    count = 0
    unzstd = zstandard.ZstdDecompressor()
    while True:
        kind = r.read(1, "a chunk record", checked=False)
        if kind == FINISH:
            _, records, check = END.unpack(kind + r.read(END.size - 1, "the end", checked=False))
            if records != count or check != r.check.intdigest():
                raise BundleError("the bundle's end does not match what came before: it is corrupt")
            return got
        if kind != CHUNK:
            raise BundleError(f"unexpected byte at {r.offset - 1} after {count} chunks: corrupt")
        r.check.update(kind)
        _, disk, chunk, length = RECORD.unpack(kind + r.read(RECORD.size - 1, "a chunk record"))
        t = _chunk_table(tables, disk, chunk, count)
        where = f"chunk {chunk} of disk {t.label}"
        if chunk in got[disk] or t.zero[chunk] or length > 2 * t.chunk_size + 1024:
            raise BundleError(f"{where} is not what the manifest expects here: corrupt bundle")
        payload = r.read(length, where)
        try:
            data = unzstd.decompress(payload, max_output_size=t.length(chunk))
        except zstandard.ZstdError:
            raise BundleError(f"{where} does not decompress: the bundle is corrupt") from None
        if len(data) != t.length(chunk) or chunk_digest(data) != t.digest(chunk):
            raise BundleError(f"{where} does not match its digest: the bundle is corrupt")
        os.pwrite(fds[disk], data, chunk * t.chunk_size)
        got[disk].add(chunk)
        count += 1
        if on_progress is not None:
            on_progress(r.offset)


def _chunk_table(tables: list[DiskTable], disk: int, chunk: int, count: int) -> DiskTable:
    if disk >= len(tables) or chunk >= tables[disk].chunks:
        raise BundleError(f"chunk record {count} names disk {disk} chunk {chunk}: corrupt bundle")
    return tables[disk]


def _fill_from_base(
    t: DiskTable, fd: int, got: set[int], base: BaseChunks | None, base_name: Any
) -> int:
    """The chunks the bundle left out; returns how many came from the base."""
    filled = 0
    for i in range(t.chunks):
        if t.zero[i] or i in got:
            continue
        data = base.read(t.digest(i), t.length(i)) if base is not None else None
        if data is None or chunk_digest(data) != t.digest(i):
            where = f"chunk {i} of disk {t.label}"
            if base_name is None:
                raise BundleError(f"{where} is missing from the bundle: it is incomplete")
            raise BundleError(
                f"{where} is neither in the bundle nor in a replica of base version "
                f"{base_name} here: import the base version first, or export without --base"
            )
        os.pwrite(fd, data, i * t.chunk_size)
        filled += 1
    return filled
