"""Real disk images for tests, made with qemu-img (never mocked).

A `DiskSpec` says what a virtual disk holds: `size` bytes of deterministic
pseudo-random data (from `seed`), except the `zeros` byte ranges.  The same
spec gives the file (`make_raw`, `make_vhd`) and the bytes a test expects
(`spec.data()`, `spec.chunk()`), so a test never hard-codes contents.

    spec = DiskSpec.standard(9 * MiB + 1536, seed=7)
    raw = make_raw(tmp_path / "disk.raw", spec)             # holes where zero
    vhd = make_vhd(tmp_path / "disk.vhd", spec, "dynamic")  # qemu-img convert
    assert to_raw_bytes(vhd) == spec.data()

Stable API (other test modules and benches use it; extend, don't change):
SECTOR, MiB, GiB, DiskSpec, make_raw, make_vhd, make_empty_vhd, qemu_img,
SampleImage, STANDARD, build_samples,
qemu_img_info, qemu_img_map, to_raw, to_raw_bytes, and the VHD editing
helpers for negative tests: FOOTER, DYNAMIC_HEADER, vhd_checksum,
read_footer, write_footer, edit_footer, edit_dynamic_header.

qemu-img is required: scripts/test.sh installs it, and its absence is an
error, not a skip.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import struct
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

SECTOR = 512
MiB = 1 << 20
GiB = 1 << 30
_BLOCK = 4096  # granularity of the data pattern

Subformat = Literal["fixed", "dynamic"]


def qemu_img() -> str:
    """Path of qemu-img, or a loud failure naming how to get it."""
    path = shutil.which("qemu-img")
    if path is None:
        raise RuntimeError("qemu-img not found: scripts/test.sh installs it (apt qemu-utils)")
    return path


def _run(*args: str) -> str:
    out = subprocess.run([qemu_img(), *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"qemu-img {' '.join(args)} failed: {out.stderr.strip()}")
    return out.stdout


@dataclass(frozen=True)
class DiskSpec:
    """What a virtual disk holds.  `zeros` are (offset, length) byte ranges."""

    size: int
    seed: int = 1
    zeros: tuple[tuple[int, int], ...] = field(default=())

    @classmethod
    def standard(cls, size: int, seed: int = 1) -> DiskSpec:
        """Data with a whole zero 2 MiB block at 2 MiB (unallocated in a
        dynamic VHD) and a 12 KiB zero run inside the block at 6 MiB (inside
        an allocated block), where the disk is big enough for them."""
        zeros = []
        if size >= 4 * MiB:
            zeros.append((2 * MiB, 2 * MiB))
        if size >= 6 * MiB + 16384:
            zeros.append((6 * MiB + 4096, 12288))
        return cls(size, seed, tuple(zeros))

    def chunk(self, offset: int, length: int) -> bytes:
        """The disk's bytes [offset, offset + length), clipped to its size."""
        end = min(offset + length, self.size)
        if offset >= end:
            return b""
        first, last = offset // _BLOCK, (end - 1) // _BLOCK
        buf = bytearray(b"".join(self._block(i) for i in range(first, last + 1)))
        base = first * _BLOCK
        for z_off, z_len in self.zeros:
            lo, hi = max(z_off, base), min(z_off + z_len, base + len(buf))
            if lo < hi:
                buf[lo - base : hi - base] = bytes(hi - lo)
        return bytes(buf[offset - base : end - base])

    def data(self) -> bytes:
        return self.chunk(0, self.size)

    def _block(self, index: int) -> bytes:
        return random.Random(self.seed << 40 | index).randbytes(_BLOCK)


def _pieces(size: int, step: int = MiB) -> Iterator[tuple[int, int]]:
    for off in range(0, size, step):
        yield off, min(step, size - off)


def make_raw(path: Path, spec: DiskSpec) -> Path:
    """A raw file of exactly spec.size bytes; all-zero MiB pieces are holes."""
    with open(path, "wb") as f:
        for off, n in _pieces(spec.size):
            piece = spec.chunk(off, n)
            if piece.count(0) != n:
                f.seek(off)
                f.write(piece)
        f.truncate(spec.size)
    return path


def make_vhd(path: Path, spec: DiskSpec, subformat: Subformat, *, force_size: bool = True) -> Path:
    """A VHD holding `spec`, by `qemu-img convert` from a raw file.  With
    force_size=False qemu rounds the disk up to its CHS geometry; the extra
    bytes read as zeros."""
    if spec.size % SECTOR:
        raise ValueError(f"a VHD holds whole sectors; {spec.size} is not a multiple of 512")
    raw = make_raw(path.with_name(path.name + ".src.raw"), spec)
    try:
        opts = f"subformat={subformat},force_size={'on' if force_size else 'off'}"
        _run("convert", "-f", "raw", "-O", "vpc", "-o", opts, str(raw), str(path))
    finally:
        raw.unlink()
    return path


def make_empty_vhd(path: Path, size: int, subformat: Subformat, *, force_size: bool = True) -> Path:
    """A VHD of `size` virtual bytes, all zeros, by `qemu-img create`."""
    opts = f"subformat={subformat},force_size={'on' if force_size else 'off'}"
    _run("create", "-q", "-f", "vpc", "-o", opts, str(path), str(size))
    return path


def qemu_img_info(path: Path, fmt: str = "vpc") -> dict[str, Any]:
    """`qemu-img info --output=json`.  The format is forced: qemu probes a
    fixed VHD as raw, because its footer is at the end."""
    info: dict[str, Any] = json.loads(_run("info", "-f", fmt, "--output=json", str(path)))
    return info


def qemu_img_map(path: Path, fmt: str = "vpc") -> list[dict[str, Any]]:
    """`qemu-img map --output=json`: extents with `data` true where stored."""
    extents: list[dict[str, Any]] = json.loads(_run("map", "-f", fmt, "--output=json", str(path)))
    return extents


def to_raw(path: Path, out: Path, fmt: str = "vpc") -> Path:
    """The virtual disk as qemu reads it, written to a raw file."""
    _run("convert", "-f", fmt, "-O", "raw", str(path), str(out))
    return out


def to_raw_bytes(path: Path, fmt: str = "vpc") -> bytes:
    out = path.with_name(path.name + ".qemu.raw")
    try:
        return to_raw(path, out, fmt).read_bytes()
    finally:
        out.unlink(missing_ok=True)


# --- The session's sample images (conftest.py's sample_images fixture) ------


@dataclass(frozen=True)
class SampleImage:
    path: Path
    spec: DiskSpec
    format: str  # "raw" | "vhd"
    vhd_type: str | None  # "fixed" | "dynamic" | None
    force_size: bool | None  # how qemu-img made it; None for raw


#: The data of the `raw`, `fixed*` and `dynamic*` samples.
STANDARD = DiskSpec.standard(9 * MiB + 1536, seed=7)


def build_samples(root: Path) -> dict[str, SampleImage]:
    """The session's sample images (see conftest.py for the list)."""
    odd = DiskSpec(1000, seed=3)
    images = {
        "raw": SampleImage(make_raw(root / "raw.img", STANDARD), STANDARD, "raw", None, None),
        "raw_odd": SampleImage(make_raw(root / "odd.img", odd), odd, "raw", None, None),
    }
    subformats: tuple[Subformat, ...] = ("fixed", "dynamic")
    for sub in subformats:
        for force, suffix in ((True, ""), (False, "_chs")):
            name = f"{sub}{suffix}"
            path = make_vhd(root / f"{name}.vhd", STANDARD, sub, force_size=force)
            images[name] = SampleImage(path, STANDARD, "vhd", sub, force)
    empty = make_empty_vhd(root / "empty.vhd", 64 * MiB, "dynamic")
    images["dynamic_empty"] = SampleImage(empty, DiskSpec(0), "vhd", "dynamic", True)
    huge = make_empty_vhd(root / "huge.vhd", 200 * GiB, "dynamic", force_size=False)
    images["dynamic_huge"] = SampleImage(huge, DiskSpec(0), "vhd", "dynamic", False)
    return images


# --- Editing VHD metadata, for negative tests --------------------------------

#: Footer field -> (offset, struct format), from the VHD specification.
FOOTER: dict[str, tuple[int, str]] = {
    "cookie": (0, "8s"),
    "features": (8, ">I"),
    "file_format_version": (12, ">I"),
    "data_offset": (16, ">Q"),
    "timestamp": (24, ">I"),
    "creator_app": (28, "4s"),
    "creator_version": (32, ">I"),
    "creator_host_os": (36, "4s"),
    "original_size": (40, ">Q"),
    "current_size": (48, ">Q"),
    "cylinders": (56, ">H"),
    "heads": (58, "B"),
    "sectors_per_track": (59, "B"),
    "disk_type": (60, ">I"),
    "checksum": (64, ">I"),
    "unique_id": (68, "16s"),
    "saved_state": (84, "B"),
}

#: Dynamic header field -> (offset, struct format).
DYNAMIC_HEADER: dict[str, tuple[int, str]] = {
    "cookie": (0, "8s"),
    "data_offset": (8, ">Q"),
    "table_offset": (16, ">Q"),
    "header_version": (24, ">I"),
    "max_table_entries": (28, ">I"),
    "block_size": (32, ">I"),
    "checksum": (36, ">I"),
    "parent_uuid": (40, "16s"),
    "parent_timestamp": (56, ">I"),
    "parent_unicode_name": (64, "512s"),
}

Fields = dict[str, tuple[int, str]]


def vhd_checksum(buf: bytes | bytearray, checksum_at: int) -> int:
    """One's complement of the byte sum, the checksum field counted as 0."""
    total = sum(buf) - sum(buf[checksum_at : checksum_at + 4])
    return ~total & 0xFFFFFFFF


def get_field(buf: bytes | bytearray, layout: Fields, name: str) -> Any:
    off, fmt = layout[name]
    return struct.unpack_from(fmt, buf, off)[0]


def set_field(buf: bytearray, layout: Fields, name: str, value: Any) -> None:
    off, fmt = layout[name]
    struct.pack_into(fmt, buf, off, value)


def _reseal(buf: bytearray, layout: Fields) -> None:
    set_field(buf, layout, "checksum", vhd_checksum(buf, layout["checksum"][0]))


def read_footer(path: Path) -> bytearray:
    with open(path, "rb") as f:
        f.seek(-SECTOR, os.SEEK_END)
        return bytearray(f.read(SECTOR))


def write_footer(path: Path, footer: bytes, *, copy: bool = False) -> None:
    """Writes the footer at the end (and, with copy=True, the dynamic
    disk's copy at offset 0)."""
    with open(path, "r+b") as f:
        f.seek(-SECTOR, os.SEEK_END)
        f.write(footer)
        if copy:
            f.seek(0)
            f.write(footer)


def edit_footer(path: Path, edit: Callable[[bytearray], None], *, reseal: bool = True) -> None:
    """Applies `edit` to the footer (and to the copy at 0 of a dynamic
    disk), then re-computes the checksum unless reseal=False, so the edit
    reaches the checks behind the checksum."""
    footer = read_footer(path)
    dynamic = get_field(footer, FOOTER, "disk_type") != 2
    edit(footer)
    if reseal:
        _reseal(footer, FOOTER)
    write_footer(path, footer, copy=dynamic)


def edit_dynamic_header(
    path: Path, edit: Callable[[bytearray], None], *, reseal: bool = True
) -> None:
    at = get_field(read_footer(path), FOOTER, "data_offset")
    with open(path, "r+b") as f:
        f.seek(at)
        header = bytearray(f.read(1024))
        edit(header)
        if reseal:
            _reseal(header, DYNAMIC_HEADER)
        f.seek(at)
        f.write(header)
