"""S3 replication benchmark (issue 4): one image to N = 1, 2, 4 replicas on
an S3 server (`rclone serve s3` on 127.0.0.1, its bucket on disk), imgrepl
against `rclone copyto`, `s5cmd` and boto3 uploading the same bytes, in the
same run, interleaved.  imgrepl must be faster than every peer at every N.

    python3 benches/bench_s3.py [--size 1GiB] [--replicas 1,2,4] [--reps 3]

What is timed, each tool in its own process(es), then `sync -f` of the
server's disk so every copy is durable where the server keeps it:

| tool     | N replicas as                                                   |
| imgrepl  | one `imgrepl.copy(src, [s3://...] * N)` (source read once)      |
| rclone   | N x `rclone copyto SRC remote:bucket/key`                        |
| s5cmd    | one `s5cmd run` of N `cp` lines (its parallel workers)           |
| boto3    | N x `upload_file` (TransferConfig defaults: 8 MiB parts, 10 threads) |

Credentials reach every tool through its usual environment variables.
Keys are fresh per sample; afterwards the first replica of the first
repetition is checked byte for byte, the objects are deleted, the disk is
synced and the harness pauses.  The best of the repetitions counts, and
imgrepl is judged by its ratio to each peer (imgrepl time / peer time).
Writes bench-results/s3.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from helpers.store_servers import RcloneS3, rclone_binary  # noqa: E402
from runner import file_digest  # noqa: E402
from workload import format_size, make_source, parse_size  # noqa: E402

BUCKET = "bench"
TOOLS = ["imgrepl", "rclone", "s5cmd", "boto3"]
PEERS = TOOLS[1:]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="benches/bench_s3.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=parse_size, default=parse_size("1GiB"), help="image data size")
    p.add_argument("--replicas", default="1,2,4", help="comma-separated N values")
    p.add_argument("--reps", type=int, default=3, help="repetitions; the best is kept")
    p.add_argument("--workdir", type=Path, default=Path("/var/tmp/imgrepl-bench-s3"))
    p.add_argument("--out", type=Path, default=Path("bench-results"))
    p.add_argument("--pause", type=float, default=1.0, help="seconds to settle after deletes")
    p.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset")
    args = p.parse_args(argv)
    args.replicas = [int(n) for n in args.replicas.split(",")]
    args.tools = args.tools.split(",")
    if args.reps < 1 or min(args.replicas) < 1 or not set(args.tools) <= set(TOOLS):
        p.error(f"--reps and --replicas must be >= 1; --tools among {TOOLS}")
    return args


def environment(server: RcloneS3) -> dict[str, str]:
    """Every tool's usual variables: AWS_* (imgrepl, s5cmd, boto3) and an
    rclone remote defined by RCLONE_CONFIG_* (no config file)."""
    return {
        **os.environ,
        "AWS_ACCESS_KEY_ID": server.access_key,
        "AWS_SECRET_ACCESS_KEY": server.secret_key,
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT": server.endpoint,  # imgrepl (object_store)
        "AWS_ENDPOINT_URL": server.endpoint,  # boto3
        "AWS_ALLOW_HTTP": "true",
        "RCLONE_CONFIG_BENCHS3_TYPE": "s3",
        "RCLONE_CONFIG_BENCHS3_PROVIDER": "Rclone",
        "RCLONE_CONFIG_BENCHS3_ENDPOINT": server.endpoint,
        "RCLONE_CONFIG_BENCHS3_ACCESS_KEY_ID": server.access_key,
        "RCLONE_CONFIG_BENCHS3_SECRET_ACCESS_KEY": server.secret_key,
    }


def commands(
    tool: str, src: Path, keys: list[str], scratch: Path, endpoint: str
) -> list[list[str]]:
    py = sys.executable
    if tool == "imgrepl":
        urls = [f"s3://{BUCKET}/{k}" for k in keys]
        return [[py, str(HERE / "imgrepl_copy.py"), str(src), *urls]]
    if tool == "rclone":
        rclone = [rclone_binary(), "--config", "", "copyto"]
        return [[*rclone, str(src), f"benchs3:{BUCKET}/{k}"] for k in keys]
    if tool == "s5cmd":
        script = scratch / "s5cmd.txt"
        script.write_text("".join(f"cp {src} s3://{BUCKET}/{k}\n" for k in keys))
        s5cmd = shutil.which("s5cmd") or "s5cmd"
        return [[s5cmd, "--endpoint-url", endpoint, "run", str(script)]]
    return [[py, str(Path(__file__).resolve()), "--boto3-child", str(src), *keys]]


def timed(argvs: list[list[str]], env: dict[str, str], sync_dir: Path) -> tuple[float, float]:
    """Seconds for the tool's processes plus the sync, and the largest peak
    RSS (MiB) of the tool's processes (from wait4, so per child, not the
    harness's running maximum over all children)."""
    start = time.perf_counter()
    peak_kib = 0
    for argv in [*argvs, ["sync", "--file-system", str(sync_dir)]]:
        with tempfile.TemporaryFile() as out:
            child = subprocess.Popen(
                argv, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
            )
            _, status, usage = os.wait4(child.pid, 0)
            child.returncode = os.waitstatus_to_exitcode(status)
            if argv[0] != "sync":
                peak_kib = max(peak_kib, usage.ru_maxrss)
            if child.returncode != 0:
                out.seek(0)
                tail = out.read()[-2000:].decode(errors="replace")
                raise RuntimeError(f"{argv[0]} exited {child.returncode}: {' '.join(argv)}\n{tail}")
    return time.perf_counter() - start, peak_kib / 1024


def measure(args: argparse.Namespace, server: RcloneS3, src: Path) -> dict[str, Any]:
    env = environment(server)
    want = file_digest(src)
    rng = random.Random(4)
    samples: list[dict[str, Any]] = []
    scratch = Path(tempfile.mkdtemp(prefix="bench-s3-"))
    for n in args.replicas:
        for rep in range(args.reps):
            order = list(args.tools)
            rng.shuffle(order)
            for tool in order:
                keys = [f"{tool}-n{n}-r{rep}/replica{i}.vhd" for i in range(n)]
                file_digest(src)  # every tool starts from a cached source
                argvs = commands(tool, src, keys, scratch, server.endpoint)
                seconds, rss = timed(argvs, env, server.root)
                first = server.path(BUCKET, keys[0])
                if rep == 0 and file_digest(first) != want:
                    raise RuntimeError(f"{tool} stored {first} with different bytes")
                samples.append(
                    {"tool": tool, "n": n, "rep": rep, "seconds": seconds, "peak_rss_mib": rss}
                )
                print(f"  N={n} rep={rep} {tool:<8} {seconds:8.3f} s {rss:8.1f} MiB", flush=True)
                shutil.rmtree(server.path(BUCKET, keys[0]).parent.parent / f"{tool}-n{n}-r{rep}")
                subprocess.run(["sync", "--file-system", str(server.root)], check=True)
                time.sleep(args.pause)
    shutil.rmtree(scratch)
    return summarize(args, samples)


def summarize(args: argparse.Namespace, samples: list[dict[str, Any]]) -> dict[str, Any]:
    best: dict[str, dict[int, float]] = {}
    peak_rss: dict[str, dict[int, float]] = {}
    for s in samples:
        row = best.setdefault(s["tool"], {})
        row[s["n"]] = min(row.get(s["n"], float("inf")), s["seconds"])
        rss = peak_rss.setdefault(s["tool"], {})
        rss[s["n"]] = max(rss.get(s["n"], 0.0), s["peak_rss_mib"])
    ratios = {
        peer: {n: best["imgrepl"][n] / best[peer][n] for n in args.replicas}
        for peer in args.tools
        if peer != "imgrepl" and "imgrepl" in best
    }
    faster = all(r < 1.0 for row in ratios.values() for r in row.values())
    return {
        "size": args.size,
        "replicas": args.replicas,
        "reps": args.reps,
        "samples": samples,
        "best_seconds": best,
        "peak_rss_mib": peak_rss,
        "ratios": ratios,
        "imgrepl_faster_than_every_peer": faster,
    }


def table(results: dict[str, Any]) -> str:
    best, ratios, rss = results["best_seconds"], results["ratios"], results["peak_rss_mib"]
    lines = [
        f"image {format_size(results['size'])}, best of {results['reps']} (seconds), "
        "then each tool's largest peak RSS (MiB)"
    ]
    lines.append(
        "N   "
        + "".join(f"{t:>10}" for t in best)
        + "".join(f"  vs {p:<6}" for p in ratios)
        + "".join(f"{t[:6] + ' MiB':>12}" for t in rss)
    )
    for n in results["replicas"]:
        row = f"{n:<4}" + "".join(f"{best[t][n]:10.2f}" for t in best)
        row += "".join(f"  {ratios[p][n]:8.2f}" for p in ratios)
        lines.append(row + "".join(f"{rss[t][n]:12.0f}" for t in rss))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> dict[str, Any]:
    args.workdir.mkdir(parents=True, exist_ok=True)
    server = RcloneS3(args.workdir / "server")
    src = make_source(args.workdir / "source.vhd", args.size).path
    server.start()
    try:
        server.create_bucket(BUCKET)
        results = measure(args, server, src)
    finally:
        server.stop()
        shutil.rmtree(args.workdir)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "s3.json").write_text(json.dumps(results, indent=2))
    print(table(results))
    return results


def boto3_child(src: str, keys: list[str]) -> None:
    import boto3  # the bench extra

    client = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    for key in keys:
        client.upload_file(src, BUCKET, key)


def test_s3_replication_beats_peers(benchmark: Any) -> None:
    """Under pytest-benchmark; size and repetitions from IMGREPL_BENCH_SIZE /
    IMGREPL_BENCH_REPS.  python3 -m pytest benches/bench_s3.py --benchmark-only -s"""
    size = os.environ.get("IMGREPL_BENCH_SIZE", "1GiB")
    reps = os.environ.get("IMGREPL_BENCH_REPS", "3")
    args = parse_args(["--size", size, "--reps", reps])
    results = benchmark.pedantic(run, args=(args,), rounds=1, iterations=1)
    benchmark.extra_info["ratios"] = results["ratios"]
    assert results["imgrepl_faster_than_every_peer"], table(results)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--boto3-child":
        boto3_child(sys.argv[2], sys.argv[3:])
    else:
        run(parse_args(sys.argv[1:]))
