"""The interleaved measurement: for each N, for each repetition, every tool
once in a shuffled order.  Between samples the outputs are deleted and the
filesystem synced, then a pause lets ext4's online discard of the freed
blocks finish, so one tool's deletes are not billed to the next tool."""

from __future__ import annotations

import random
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import xxhash
from peers import Tool, run_timed
from workload import Source

CHUNK = 4 << 20


@dataclass(frozen=True)
class Sample:
    tool: str
    n: int
    rep: int
    seconds: float
    peak_rss: int
    cpu_seconds: float = 0.0

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def file_digest(path: Path) -> str:
    digest = xxhash.xxh3_128()
    buf = bytearray(CHUNK)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buf):
            digest.update(memoryview(buf)[:n])
    return str(digest.hexdigest())


def measure(
    source: Source,
    tools: Sequence[Tool],
    ns: Sequence[int],
    *,
    reps: int,
    workdir: Path,
    pause: float,
    seed: int = 1,
    log: Callable[[str], None] = print,
) -> list[Sample]:
    want = file_digest(source.path)  # also pulls the source into the page cache
    rng = random.Random(seed)
    samples: list[Sample] = []
    for n in ns:
        for rep in range(reps):
            order = list(tools)
            rng.shuffle(order)
            for tool in order:
                outdir = workdir / tool.name
                dsts = [outdir / f"replica{i}.vhd" for i in range(n if tool.copies else 1)]
                outdir.mkdir(parents=True, exist_ok=True)
                file_digest(source.path)  # every tool starts with a cached source
                t = run_timed(tool, source.path, dsts)
                # the first sample of each (tool, N) is checked byte for byte
                check_outputs(tool, source, dsts, want if rep == 0 else None)
                samples.append(Sample(tool.name, n, rep, t.seconds, t.peak_rss, t.cpu_seconds))
                cpu = f"{t.cpu_seconds:6.2f} cpu-s"
                log(f"  N={n:<3} rep={rep} {tool.name:<15} {t.seconds:8.3f} s  {cpu}")
                settle(outdir, pause)
    return samples


def check_outputs(tool: Tool, source: Source, dsts: list[Path], digest: str | None) -> None:
    for d in dsts:
        size = d.stat().st_size if d.exists() else None
        if size != source.file_size:
            raise RuntimeError(f"{tool.name} left {d} with size {size}, want {source.file_size}")
    if digest is not None and file_digest(dsts[-1]) != digest:
        raise RuntimeError(f"{tool.name} wrote {dsts[-1]} with content unlike the source")


def settle(outdir: Path, pause: float) -> None:
    """Delete a sample's outputs and let the disk finish discarding them."""
    shutil.rmtree(outdir, ignore_errors=True)
    subprocess.run(["sync", "--file-system", str(outdir.parent)], check=True)
    time.sleep(pause)
