"""Replica-scaling benchmark (issue 2): imgrepl against cp, rclone, qemu-img
and a Python loop, N = 1..16 replicas, on disk and tmpfs, against the disk's
durable write bandwidth.  See benches/README.md.

    python3 benches/run.py [--size 1GiB] [--fs disk|tmpfs|both] [--out bench-results/]
    python3 benches/run.py --hash-check [--fs both]   # what hashing costs
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import hash_cost
from peers import Tool, all_tools, imgrepl_available, run_timed
from report import analyze, plot, table, write_json
from runner import check_outputs, file_digest, measure
from targets import judge_rss
from workload import format_size, make_source, need_space, parse_size

FS_DIRS = {"disk": Path("/var/tmp/imgrepl-bench"), "tmpfs": Path("/dev/shm/imgrepl-bench")}
GIB = 1024**3
# imgrepl-nohash is measured in pairs by --hash-check, not in the shuffled run
DEFAULT_TOOLS = [t for t in all_tools() if t != "imgrepl-nohash"]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="benches/run.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=parse_size, default=None, help="image data size (default 1GiB)")
    p.add_argument("--zero-fraction", type=float, default=0.25, help="share of zero chunks")
    p.add_argument("--sparse", action="store_true", help="leave the zero chunks as holes")
    p.add_argument("--replicas", default="1,2,4,8,16", help="comma-separated N values")
    p.add_argument("--reps", type=int, default=3, help="repetitions; the best is kept")
    p.add_argument("--fs", choices=["disk", "tmpfs", "both"], default="disk")
    p.add_argument("--disk-dir", type=Path, default=FS_DIRS["disk"])
    p.add_argument("--tmpfs-dir", type=Path, default=FS_DIRS["tmpfs"])
    p.add_argument("--out", type=Path, default=Path("bench-results"))
    p.add_argument("--tools", default=",".join(DEFAULT_TOOLS), help="comma-separated subset")
    p.add_argument("--pause", type=float, default=1.0, help="seconds to settle after deletes")
    p.add_argument("--chunk-size", type=parse_size, default=None, help="imgrepl chunk size")
    p.add_argument(
        "--rss-check", action="store_true", help="only imgrepl's peak RSS at N=16 (4GiB image)"
    )
    p.add_argument(
        "--hash-check",
        action="store_true",
        help="only imgrepl against imgrepl-nohash, in back-to-back pairs",
    )
    p.add_argument("--pairs", type=int, default=7, help="pairs per N for --hash-check")
    args = p.parse_args(argv)
    args.replicas = [int(n) for n in args.replicas.split(",")]
    if args.reps < 1 or args.pairs < 1 or min(args.replicas) < 1:
        p.error("--reps, --pairs and every --replicas value must be at least 1")
    unknown = set(args.tools.split(",")) - set(all_tools())
    if unknown:
        p.error(f"unknown --tools {sorted(unknown)}; known: {sorted(all_tools())}")
    return args


def pick_tools(args: argparse.Namespace) -> tuple[list[Tool], str | None]:
    tools = all_tools(args.chunk_size)
    names = args.tools.split(",")
    missing = imgrepl_available()
    if missing:
        print(f"imgrepl is not measured: {missing}", file=sys.stderr)
        names = [n for n in names if tools[n].kind != "imgrepl"]
    return [tools[n] for n in names], missing


def engine_identity() -> dict[str, str]:
    """Which engine was measured: the tree's commit and the extension's mtime."""
    root = Path(__file__).resolve().parents[1]
    head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True)
    built = [p for p in (root / "python" / "imgrepl").glob("_core*.so")]
    stamp = (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(built[0].stat().st_mtime)) if built else ""
    )
    return {"git_head": head.stdout.decode().strip(), "extension_built": stamp}


def run_fs(args: argparse.Namespace, fs: str) -> dict[str, Any]:
    base: Path = args.disk_dir if fs == "disk" else args.tmpfs_dir
    size = args.size or GIB
    tools, missing = pick_tools(args)
    engine_before = engine_identity()
    base.mkdir(parents=True, exist_ok=True)
    need_space(base, (size + (4 << 20)) * (max(args.replicas) + 1), f"the {fs} run")
    try:
        print(f"== {fs}: making a {format_size(size)} source in {base}", flush=True)
        source = make_source(
            base / "source.vhd", size, zero_fraction=args.zero_fraction, sparse=args.sparse
        )
        samples = measure(
            source, tools, args.replicas, reps=args.reps, workdir=base / "out", pause=args.pause
        )
    finally:
        shutil.rmtree(base, ignore_errors=True)
    results = analyze(samples, source, fs)
    results["imgrepl_unavailable"] = missing
    engine = engine_identity()
    # another engineer's rebuild mid-run would mix two engines in one table
    rebuilt = engine["extension_built"] != engine_before["extension_built"]
    engine["changed_during_run"] = str(rebuilt).lower()
    if rebuilt:
        print(f"WARNING: the engine changed during the run: {engine_before} -> {engine}")
    results["engine"] = engine
    stem = f"replicas-{fs}" + ("-sparse" if args.sparse else "")
    write_json(results, args.out / f"{stem}.json")
    plot(results, args.out / f"{stem}.png")
    print(table(results))
    print(f"wrote {args.out / stem}.json and .png", flush=True)
    return results


def rss_check(args: argparse.Namespace) -> None:
    """imgrepl alone at N=16 on a 4 GiB image, on disk: its peak RSS."""
    size, n = args.size or 4 * GIB, max(args.replicas)
    base: Path = args.disk_dir
    base.mkdir(parents=True, exist_ok=True)
    # imgrepl leaves zero chunks as holes: replicas take the non-zero share
    need_space(base, int(size * (1 + n * (1 - args.zero_fraction))) + GIB, "the RSS check")
    try:
        source = make_source(base / "source.vhd", size, zero_fraction=args.zero_fraction)
        dsts = [base / "out" / f"replica{i}.vhd" for i in range(n)]
        dsts[0].parent.mkdir()
        tool = all_tools(args.chunk_size)["imgrepl"]
        timed = run_timed(tool, source.path, dsts)
        check_outputs(tool, source, dsts, file_digest(source.path))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    verdict = judge_rss(timed.peak_rss, n, size)
    results = {"source": source.to_json(), "replicas": n, "seconds": timed.seconds}
    results |= {"peak_rss_bytes": timed.peak_rss, "verdict": verdict.to_json()}
    write_json(results, args.out / "rss.json")
    print(f"[{'MET' if verdict.met else 'MISSED'}] {verdict.target}: {verdict.measured}")


def hash_check(args: argparse.Namespace, fs: str) -> dict[str, Any]:
    """imgrepl with and without hashing, in pairs (see hash_cost.py)."""
    missing = imgrepl_available()
    if missing:
        raise SystemExit(f"imgrepl is not measured: {missing}")
    base: Path = args.disk_dir if fs == "disk" else args.tmpfs_dir
    size = args.size or GIB
    tools = all_tools(args.chunk_size)
    base.mkdir(parents=True, exist_ok=True)
    need_space(base, (size + (4 << 20)) * (max(args.replicas) + 1), f"the {fs} hash check")
    engine_before = engine_identity()
    try:
        print(f"== {fs}: hashing cost on a {format_size(size)} source in {base}", flush=True)
        source = make_source(base / "source.vhd", size, zero_fraction=args.zero_fraction)
        samples = hash_cost.measure_pairs(
            source,
            tools["imgrepl"],
            tools["imgrepl-nohash"],
            args.replicas,
            reps=args.pairs,
            workdir=base / "out",
            pause=args.pause,
        )
    finally:
        shutil.rmtree(base, ignore_errors=True)
    results = {"fs": fs, "reps": args.pairs, "source": source.to_json()}
    results |= hash_cost.analyze_pairs(samples, "imgrepl", "imgrepl-nohash")
    results["samples"] = [s.to_json() for s in samples]
    results["engine"] = engine_identity()
    if results["engine"]["extension_built"] != engine_before["extension_built"]:
        print("WARNING: the engine changed during the run")
    write_json(results, args.out / f"hash-{fs}.json")
    print(hash_cost.table(results), flush=True)
    return results


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.rss_check:
        rss_check(args)
        return
    for fs in ["disk", "tmpfs"] if args.fs == "both" else [args.fs]:
        if args.hash_check:
            hash_check(args, fs)
        else:
            run_fs(args, fs)


if __name__ == "__main__":
    main()
