"""`imgrepl copy SRC DST` of one image to one destination against `cp`, on
tmpfs and on disk, interleaved (alternating which goes first), best of --reps.

Both are whole processes started the same way (the CLI's Python start-up is
billed to imgrepl; its modules are byte-compiled first, as an install has
them, since this machine sets PYTHONDONTWRITEBYTECODE).  imgrepl's own
report gives the engine's time too: the process less its start-up.
imgrepl makes its replica durable (fdatasync) before it renames it into
place, so on disk `cp` is followed by `sync DST` (which
fsyncs that file) and the pair is timed together; on tmpfs neither has
anything to flush.  The source is random data (no zero chunks, so neither
can skip anything), read once before each sample so both start from a
cached source; each output is deleted and the filesystem synced before the
next sample.  Target: imgrepl / cp <= 1.0 on both (issue 13).

    python3 benches/bench_copy_n1.py [--size-mib 512] [--reps 7] [--media tmpfs,disk]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

PYTHON = Path(__file__).resolve().parents[1] / "python"
DIRS = {"tmpfs": Path("/dev/shm/imgrepl-bench-n1"), "disk": Path("/var/tmp/imgrepl-bench-n1")}
TARGET = 1.0


def make_source(path: Path, size_mib: int) -> None:
    with path.open("wb") as f:
        for _ in range(size_mib):
            f.write(os.urandom(1 << 20))


def command(tool: str, src: Path, dst: Path, medium: str) -> list[list[str]]:
    if tool == "cp":
        flush = [["sync", str(dst)]] if medium == "disk" else []
        return [["cp", str(src), str(dst)], *flush]
    return [[sys.executable, "-m", "imgrepl", "copy", str(src), str(dst), "-o", "json"]]


def sample(tool: str, src: Path, work: Path, medium: str) -> tuple[float, float]:
    """(wall seconds of the whole command, the engine's own for imgrepl)."""
    dst = work / f"out-{tool}.raw"
    src.read_bytes()  # the source is cached for both
    env = {**os.environ, "PYTHONPATH": str(PYTHON)}
    start = time.perf_counter()
    for cmd in command(tool, src, dst, medium):
        out = subprocess.run(cmd, check=True, env=env, capture_output=True).stdout
    seconds = time.perf_counter() - start
    engine = json.loads(out)["seconds"] if tool == "imgrepl" else seconds
    if dst.stat().st_size != src.stat().st_size:
        raise SystemExit(f"{tool} wrote {dst.stat().st_size} bytes, not {src.stat().st_size}")
    for leftover in work.glob("out-*"):
        leftover.unlink()
    subprocess.run(["sync", "-f", str(work)], check=True)
    time.sleep(0.3)  # let the freed blocks' discard settle before the next tool
    return seconds, engine


def measure(medium: str, size_mib: int, reps: int) -> dict[str, Any]:
    work = DIRS[medium]
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        src = work / "src.raw"
        make_source(src, size_mib)
        runs: dict[str, list[float]] = {"imgrepl": [], "cp": []}
        engine = []
        for rep in range(reps):
            for tool in ("imgrepl", "cp") if rep % 2 == 0 else ("cp", "imgrepl"):
                wall, own = sample(tool, src, work, medium)
                runs[tool].append(wall)
                engine += [own] if tool == "imgrepl" else []
    finally:
        shutil.rmtree(work, ignore_errors=True)
    best = {k: min(v) for k, v in runs.items()}
    return {
        "seconds": runs,
        "engine_seconds": engine,
        "best": best,
        "ratio": best["imgrepl"] / best["cp"],
        "engine_ratio": min(engine) / best["cp"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=512)
    parser.add_argument("--reps", type=int, default=7, help="samples of each tool (best counts)")
    parser.add_argument("--media", default="tmpfs,disk", help="comma-separated: tmpfs, disk")
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(PYTHON / "imgrepl")], check=True)
    results = {}
    for medium in args.media.split(","):
        r = results[medium] = measure(medium, args.size_mib, args.reps)
        flush = " + sync DST" if medium == "disk" else ""
        print(
            f"{medium:<5} {args.size_mib} MiB: imgrepl copy {r['best']['imgrepl']:.3f} s, "
            f"cp{flush} {r['best']['cp']:.3f} s: ratio {r['ratio']:.3f} (target <= {TARGET}), "
            f"engine alone {min(r['engine_seconds']):.3f} s, {r['engine_ratio']:.3f}; "
            f"samples imgrepl {' '.join(f'{s:.3f}' for s in r['seconds']['imgrepl'])}, "
            f"cp {' '.join(f'{s:.3f}' for s in r['seconds']['cp'])}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    sys.exit(0 if all(r["ratio"] <= TARGET for r in results.values()) else 1)


if __name__ == "__main__":
    main()
