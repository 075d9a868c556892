"""Shared helpers for the copy-engine tests: real files (random, sparse,
qemu-img VHDs), a full tmpfs, and an independent chunk hasher (the
`xxhash` package, not the engine)."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import xxhash

KIB = 1024
MIB = 1024 * KIB


def noise(seed: int, size: int) -> bytes:
    return random.Random(seed).randbytes(size)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def sparse(path: Path, size: int, pieces: dict[int, bytes]) -> Path:
    """A file of `size` bytes that is a hole except for `pieces`."""
    with path.open("wb") as f:
        f.truncate(size)
        for offset, data in pieces.items():
            f.seek(offset)
            f.write(data)
    return path


def chunk_digests(data: bytes, chunk_size: int) -> list[bytes]:
    """Canonical xxh3-128 of each chunk, computed by the xxhash package."""
    return [
        xxhash.xxh3_128(data[i : i + chunk_size]).digest() for i in range(0, len(data), chunk_size)
    ]


def allocated(path: Path) -> int:
    return os.stat(path).st_blocks * 512


def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def make_vhd(path: Path, size: int, subformat: str, data: bytes | None = None) -> Path:
    """A real VHD from qemu-img: converted from a raw file holding `data`
    (zeros if None) so the image has the content the test expects."""
    raw = path.with_suffix(".src-raw")
    with raw.open("wb") as f:
        f.truncate(size)
        if data:
            f.write(data)
    subprocess.run(
        ["qemu-img", "convert", "-f", "raw", "-O", "vpc",
         "-o", f"subformat={subformat},force_size=on", str(raw), str(path)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    raw.unlink()
    return path


@contextlib.contextmanager
def full_tmpfs(directory: Path, size: str = "8m") -> Iterator[Path | None]:
    """A small tmpfs mounted at `directory` (a real disk that fills up);
    yields None where mounting is not permitted."""
    directory.mkdir(parents=True, exist_ok=True)
    if shutil.which("mount") is None:
        yield None
        return
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory)],
        capture_output=True,
    )
    if mounted.returncode != 0:
        yield None
        return
    try:
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], check=False, capture_output=True)


Threads = dict[int, tuple[str, int, int]]  # thread id: name, highest nice, looks


def look_at_threads(pid: int | str = "self", into: Threads | None = None) -> Threads:
    """One look at every thread of a process, added to `into`: by thread id,
    its name, the highest nice value seen, and how many looks saw it.  Name
    and nice come from one read of its stat, so they belong together."""
    seen: Threads = {} if into is None else into
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
        except OSError:
            continue  # ended meanwhile
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        nice = int(stat[stat.rindex(")") + 1 :].split()[16])
        _, high, looks = seen.get(int(tid), (name, nice, 0))
        seen[int(tid)] = (name, max(high, nice), looks + 1)
    return seen


def nices_by_name(threads: Threads, looks: int = 3) -> dict[str, set[int]]:
    """The highest nice values of the threads seen in at least `looks` looks,
    by name: a thread seen only in its first microseconds may not have its
    name or priority yet."""
    out: dict[str, set[int]] = {}
    for name, nice, seen in threads.values():
        if seen >= looks:
            out.setdefault(name, set()).add(nice)
    return out
