"""The benchmark's source image: a fixed VHD made by qemu-img whose data is
random chunks with a share of all-zero chunks, written as zeros (not holes)
so no tool can skip them through SEEK_HOLE, or left as holes (sparse)."""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

VHD_FOOTER = 512
CHUNK = 4 << 20  # the engine's default chunk
_UNITS = {"": 1, "B": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def parse_size(text: str) -> int:
    """'1GiB', '4M', '512k', '1073741824' -> bytes (binary units)."""
    m = re.fullmatch(r"\s*(\d+)\s*([KMGT]?)(?:I?B)?\s*", text.upper())
    if m is None:
        raise ValueError(f"bad size {text!r}: expected a number with an optional K/M/G/T(iB)")
    size = int(m.group(1)) * _UNITS[m.group(2)]
    if size == 0:
        raise ValueError(f"bad size {text!r}: must be more than zero")
    return size


def format_size(size: int) -> str:
    for unit in ("TiB", "GiB", "MiB", "KiB"):
        scale = _UNITS[unit[0]]
        if size >= scale and size % scale == 0:
            return f"{size // scale}{unit}"
    return f"{size}B"


@dataclass(frozen=True)
class Source:
    path: Path
    data_size: int  # the disk's virtual size, a multiple of chunk
    file_size: int  # data + VHD footer
    chunk: int
    zero_chunks: int
    sparse: bool

    @property
    def nonzero_bytes(self) -> int:
        """Bytes a zero-skipping copy must still write (the footer is not zero)."""
        return self.file_size - self.zero_chunks * self.chunk

    def to_json(self) -> dict[str, object]:
        d = asdict(self)
        d["path"] = str(self.path)
        d["nonzero_bytes"] = self.nonzero_bytes
        return d


def zero_chunk_indexes(chunks: int, zero_fraction: float, seed: int = 2) -> set[int]:
    if not 0.0 <= zero_fraction < 1.0:
        raise ValueError(f"bad zero fraction {zero_fraction}: must be in [0, 1)")
    return set(random.Random(seed).sample(range(chunks), round(chunks * zero_fraction)))


def make_source(
    path: Path, size: int, *, zero_fraction: float = 0.25, chunk: int = CHUNK, sparse: bool = False
) -> Source:
    """Create the fixed VHD with qemu-img, then fill its data area in place."""
    if size % chunk:
        raise ValueError(f"image size {size} is not a multiple of the chunk size {chunk}")
    path.unlink(missing_ok=True)
    fixed = ["-f", "vpc", "-o", "subformat=fixed,force_size=on"]
    subprocess.run(["qemu-img", "create", "-q", *fixed, str(path), str(size)], check=True)
    chunks = size // chunk
    zeros = zero_chunk_indexes(chunks, zero_fraction)
    blank = bytes(chunk)
    fd = os.open(path, os.O_WRONLY)
    try:
        for i in range(chunks):
            if i not in zeros:
                os.pwrite(fd, os.urandom(chunk), i * chunk)
            elif not sparse:
                os.pwrite(fd, blank, i * chunk)
        os.fsync(fd)
    finally:
        os.close(fd)
    file_size = path.stat().st_size
    if file_size != size + VHD_FOOTER:
        raise RuntimeError(f"qemu-img made {path} of {file_size} bytes, expected {size + 512}")
    return Source(path, size, file_size, chunk, len(zeros), sparse)


def allocated_bytes(path: Path) -> int:
    return path.stat().st_blocks * 512


def need_space(directory: Path, needed: int, what: str) -> None:
    """Refuse to start a run that would fill the filesystem half-way through."""
    free = shutil.disk_usage(directory).free
    if free < needed:
        raise SystemExit(
            f"not enough space for {what} in {directory}: need {format_size_approx(needed)}, "
            f"{format_size_approx(free)} free (use a smaller --size or fewer --replicas)"
        )


def format_size_approx(size: int) -> str:
    return f"{size / 1024**3:.1f} GiB"
