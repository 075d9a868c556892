"""Region-agent benchmarks (issue 12).

Scale-out: the same version (a 1 GiB fixed VHD, 25 % zero chunks) to 8
regions x 4 replicas on local stores, replicated in-process by the CLI
(the peer) and by 1, 2 and 4 `imgrepl agent` processes, each serving all
8 regions, on one PostgreSQL catalog; every configuration in each
repetition, in a shuffled order, best of the repetitions.  Reports each
time, its ratio to in-process (the overhead at 1 agent; the target is
at most 1.10), and the control plane's share: the seconds each agent
spent in catalog calls (claims, heartbeats, progress, outcomes; its
Prometheus counter) over the wall time (target under 5 %).

    python3 benches/bench_agents.py scale-out [--size 1GiB] [--reps 2]
    python3 benches/bench_agents.py planning    (benches/bench_agents_sim.py)

Writes bench-results/agents-scale-out.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from helpers.postgres import PostgresServer  # noqa: E402
from workload import format_size, make_source, parse_size  # noqa: E402

REGIONS = [f"region{i}" for i in range(8)]
REPLICAS = 4
CONFIGS = ["in-process", "agents-1", "agents-2", "agents-4"]


def imgrepl(home: Path, url: str, *args: str) -> None:
    env = {**os.environ, "IMGREPL_CATALOG": url}
    subprocess.run([sys.executable, "-m", "imgrepl", *args, "--home", str(home), "-o", "none"],
                   check=True, env=env, stdout=subprocess.DEVNULL)  # fmt: skip


def setup(work: Path, url: str, agents: bool) -> Path:
    home = work / "home"
    for region in REGIONS:
        served = ["--agent-served"] if agents else []
        imgrepl(home, url, "region", "add", region, "--store", str(work / region), *served)
    imgrepl(home, url, "sig", "create", "-r", "G", "-l", REGIONS[0])
    imgrepl(home, url, "sig", "image-definition", "create", "-r", "G", "-i", "D",
            "--publisher", "P", "--offer", "O", "--sku", "S", "--os-type", "Linux")  # fmt: skip
    return home


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def control_seconds(port: int) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        for line in resp.read().decode().splitlines():
            if line.startswith("imgrepl_agent_control_plane_seconds_total"):
                return float(line.split()[-1])
    return 0.0


def succeeded(url: str) -> bool:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT provisioning_state FROM versions").fetchone()
    return row is not None and row[0] == "Succeeded"


def one_run(config: str, work: Path, url: str, source: Path) -> dict[str, Any]:
    n = 0 if config == "in-process" else int(config.split("-")[1])
    home = setup(work, url, agents=n > 0)
    env = {**os.environ, "IMGREPL_CATALOG": url}
    agents, ports = [], []
    for i in range(n):
        ports.append(free_port())
        argv = [sys.executable, "-m", "imgrepl", "agent", "--home", str(work / f"agent{i}"),
                "--concurrency", "32", "--metrics-port", str(ports[-1])]  # fmt: skip
        for region in REGIONS:
            argv += ["--region", region]
        agents.append(subprocess.Popen(argv, env=env, stderr=subprocess.DEVNULL))
    time.sleep(1.5 if n else 0)  # agents up and polling before the clock starts
    targets = [f"{r}={REPLICAS}" for r in REGIONS]
    started = time.monotonic()
    imgrepl(home, url, "sig", "image-version", "create", "-r", "G", "-i", "D", "-e", "1.0.0",
            "-l", REGIONS[0], "--os-vhd", str(source), "--target-regions", *targets)  # fmt: skip
    while n and not succeeded(url):
        time.sleep(0.05)
    wall = time.monotonic() - started
    control = [control_seconds(p) for p in ports]
    for a in agents:
        a.send_signal(signal.SIGTERM)
    for a in agents:
        a.wait(60)
    return {"config": config, "seconds": wall,
            "control_share": max(control) / wall if control else None}  # fmt: skip


def scale_out(args: argparse.Namespace) -> dict[str, Any]:
    work_root = Path(args.dir)
    work_root.mkdir(parents=True, exist_ok=True)
    source = make_source(work_root / "source.vhd", parse_size(args.size)).path
    pg = PostgresServer().start()
    samples: list[dict[str, Any]] = []
    try:
        for rep in range(args.reps):
            for config in random.sample(CONFIGS, len(CONFIGS)):
                work = work_root / "run"
                shutil.rmtree(work, ignore_errors=True)
                work.mkdir()
                sample = one_run(config, work, pg.fresh(), source) | {"rep": rep}
                print(json.dumps(sample), flush=True)
                samples.append(sample)
                shutil.rmtree(work, ignore_errors=True)
                subprocess.run(["sync", "-f", str(work_root)], check=False)
                time.sleep(args.pause)
    finally:
        pg.stop()
        source.unlink(missing_ok=True)
    best = {c: min(s["seconds"] for s in samples if s["config"] == c) for c in CONFIGS}
    share = {c: min((s["control_share"] for s in samples if s["config"] == c
                     and s["control_share"] is not None), default=None)
             for c in CONFIGS}  # fmt: skip
    return {
        "size": args.size, "regions": len(REGIONS), "replicas_per_region": REPLICAS,
        "reps": args.reps, "samples": samples, "best_seconds": best,
        "ratio_to_in_process": {c: best[c] / best["in-process"] for c in CONFIGS},
        "control_plane_share": share,
        "targets": {
            "overhead_at_1_agent_le_10pct": best["agents-1"] / best["in-process"] <= 1.10,
            "control_plane_lt_5pct": all(v < 0.05 for v in share.values() if v is not None),
        },
    }  # fmt: skip


def table(r: dict[str, Any]) -> str:
    head = "config       seconds  vs in-process  control plane"
    lines = [f"{r['size']} to {r['regions']} regions x {r['replicas_per_region']} replicas, "
             f"best of {r['reps']}", head]  # fmt: skip
    for c in CONFIGS:
        share = r["control_plane_share"][c]
        lines.append(f"{c:<12} {r['best_seconds'][c]:7.2f}  {r['ratio_to_in_process'][c]:13.3f}"
                     f"  {'' if share is None else f'{share * 100:.2f} %'}")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("what", choices=["scale-out", "planning"])
    p.add_argument("--size", default="1GiB", help="image data size (default 1GiB)")
    p.add_argument("--reps", type=int, default=2)
    p.add_argument("--pause", type=float, default=1.0)
    p.add_argument("--dir", default="/var/tmp/imgrepl-bench-agents")
    p.add_argument("--out", default="bench-results")
    args, rest = p.parse_known_args()
    if args.what == "planning":
        import bench_agents_sim

        bench_agents_sim.main(rest)
        return
    result = scale_out(args)
    Path(args.out).mkdir(exist_ok=True)
    (Path(args.out) / "agents-scale-out.json").write_text(json.dumps(result, indent=2))
    print(table(result))
    print(f"(source {format_size(parse_size(args.size))})")


if __name__ == "__main__":
    main()
