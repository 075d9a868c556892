"""Planning at internet scale (issue 12): 60 regions x 100 replicas (6,000
replica jobs) and 200 region agents against one PostgreSQL catalog, with a
simulated data plane: an agent's copy only sleeps (the egress copy
`--egress-seconds`, an in-region fan-out `--copy-seconds`), so what is
measured is the control plane: the real claims, heartbeats, progress and
outcomes of imgrepl.replication.agent.Agent, each agent on its own catalog
connection.  The agents run as coroutines of this one process (200
processes would not fit 2 cores); agent i serves region i mod 60.

Reports catalog operations per second (statements sent), claim latency
p50/p99, the makespan (from the version recorded and its home replica
ingested to Succeeded) against the lower bound (the egress copy, then
ceil(99 / (agents of the region x concurrency)) rounds of in-region
fan-outs, for the region with the fewest agents), and the slowest
statements, by their worst and their total time.

    python3 benches/bench_agents.py planning [--regions 60] [--replicas 100]
        [--agents 200] [--concurrency 8] [--egress-seconds 10] [--copy-seconds 5]

Writes bench-results/agents-planning.json and prints a summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from helpers.postgres import PostgresServer  # noqa: E402
from imgrepl.catalog import AgentJob, Outcome, open_catalog  # noqa: E402
from imgrepl.replication.agent import Agent, AgentConfig  # noqa: E402
from workload import make_source  # noqa: E402


class Server(PostgresServer):
    """The tests' server, with room for one connection per agent."""

    def pg_ctl(self, action: str, mode: str = "fast") -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} "
                   "-c fsync=off -c max_connections=400")  # fmt: skip
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-o", options,
                  "-l", str(self.dir / "log"), "-m", mode, "-w", action)  # fmt: skip


class Statements:
    """Every statement the catalog sends, timed on the client (lock waits included)."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.lock = threading.Lock()

    def install(self) -> None:
        from imgrepl.catalog.postgres import PgConnection

        original = PgConnection._execute
        stats = self

        def timed(conn: Any, sql: str, params: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(conn, sql, params)
            finally:
                with stats.lock:
                    stats.times[" ".join(sql.split())[:90]].append(time.perf_counter() - started)

        PgConnection._execute = timed  # type: ignore[method-assign]

    def count(self) -> int:
        return sum(len(v) for v in self.times.values())


class SimAgent(Agent):
    """An agent whose data plane only sleeps."""

    egress_s = 10.0
    copy_s = 5.0
    claims: ClassVar[list[float]] = []

    async def _claim(self, free: int) -> list[AgentJob]:
        started = time.perf_counter()
        try:
            return await super()._claim(free)
        finally:
            SimAgent.claims.append(time.perf_counter() - started)

    async def _copy(self, jobs: list[AgentJob]) -> None:
        await asyncio.sleep(self.egress_s if jobs[0].egress else self.copy_s)
        await self.record_all([Outcome(j, "Completed", None, "simulated", j.size) for j in jobs])


async def publish(url: str, work: Path, regions: list[str], replicas: int) -> None:
    from imgrepl import Client

    source = make_source(work / "source.vhd", 4 << 20).path
    async with Client(work / "home", catalog=url) as c:
        for r in regions:
            await c.add_region(r, str(work / r), check=False, agent_served=True)
        await c.create_gallery("G", regions[0])
        await c.create_image_definition(
            "G", "D", publisher="P", offer="O", sku="S", os_type="Linux"
        )
        await c.create_image_version(
            "G", "D", "1.0.0", location=regions[0], os_vhd=source,
            target_regions=[f"{r}={replicas}" for r in regions],
        )  # fmt: skip


def succeeded(url: str) -> bool:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT provisioning_state FROM versions").fetchone()
    return row is not None and row[0] == "Succeeded"


async def simulate(args: argparse.Namespace, url: str, work: Path) -> dict[str, Any]:
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(args.agents + 32))
    regions = [f"region{i:02d}" for i in range(args.regions)]
    SimAgent.egress_s, SimAgent.copy_s = args.egress_seconds, args.copy_seconds
    stats = Statements()
    stats.install()
    await publish(url, work, regions, args.replicas)  # the home replica ingested for real
    catalogs = [await asyncio.to_thread(open_catalog, url) for _ in range(args.agents)]
    agents = [
        SimAgent(c, AgentConfig([regions[i % len(regions)]], args.concurrency, args.lease_seconds))
        for i, c in enumerate(catalogs)
    ]
    SimAgent.claims.clear()
    stats.times.clear()  # publishing is not what is measured
    ops_before = stats.count()
    started = time.monotonic()
    tasks = [asyncio.create_task(a.run()) for a in agents]
    while not await asyncio.to_thread(succeeded, url):
        await asyncio.sleep(0.25)
    makespan = time.monotonic() - started
    ops = stats.count() - ops_before
    for a in agents:
        a.drain()
    await asyncio.gather(*tasks)
    for c in catalogs:
        c.close()
    fewest = min(sum(1 for i in range(args.agents) if i % len(regions) == r)
                 for r in range(len(regions)))  # fmt: skip
    rounds = math.ceil((args.replicas - 1) / (fewest * args.concurrency))
    bound = args.egress_seconds + rounds * args.copy_seconds
    claims = sorted(SimAgent.claims)
    slowest = sorted(stats.times.items(), key=lambda kv: -max(kv[1]))[:5]
    heaviest = sorted(stats.times.items(), key=lambda kv: -sum(kv[1]))[:5]
    return {
        "regions": args.regions, "replicas_per_region": args.replicas,
        "jobs": args.regions * args.replicas - 1, "agents": args.agents,
        "concurrency": args.concurrency, "egress_seconds": args.egress_seconds,
        "copy_seconds": args.copy_seconds, "makespan_seconds": makespan,
        "lower_bound_seconds": bound, "makespan_over_bound": makespan / bound,
        "catalog_ops": ops, "catalog_ops_per_second": ops / makespan,
        "claims": len(claims),
        "claim_p50_ms": 1000 * statistics.median(claims),
        "claim_p99_ms": 1000 * claims[int(0.99 * (len(claims) - 1))],
        "slowest_statements": [
            {"sql": sql, "max_ms": 1000 * max(t), "count": len(t)} for sql, t in slowest
        ],
        "heaviest_statements": [
            {"sql": sql, "total_s": sum(t), "count": len(t)} for sql, t in heaviest
        ],
        "target_within_15pct": makespan / bound <= 1.15,
    }  # fmt: skip


def summary(r: dict[str, Any]) -> str:
    lines = [
        f"{r['jobs']} replica jobs, {r['regions']} regions, {r['agents']} agents x "
        f"{r['concurrency']}: makespan {r['makespan_seconds']:.1f} s, lower bound "
        f"{r['lower_bound_seconds']:.1f} s ({r['makespan_over_bound']:.3f} x)",
        f"catalog: {r['catalog_ops_per_second']:.0f} statements/s; claims: {r['claims']}, "
        f"p50 {r['claim_p50_ms']:.1f} ms, p99 {r['claim_p99_ms']:.1f} ms",
        "slowest statements (worst single execution):",
    ]
    lines += [f"  {s['max_ms']:8.1f} ms  x{s['count']:<6} {s['sql']}" for s in
              r["slowest_statements"]]  # fmt: skip
    lines.append("heaviest statements (total time):")
    lines += [f"  {s['total_s']:8.2f} s   x{s['count']:<6} {s['sql']}" for s in
              r["heaviest_statements"]]  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="bench_agents.py planning")
    p.add_argument("--regions", type=int, default=60)
    p.add_argument("--replicas", type=int, default=100)
    p.add_argument("--agents", type=int, default=200)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--egress-seconds", type=float, default=10.0)
    p.add_argument("--copy-seconds", type=float, default=5.0)
    p.add_argument("--lease-seconds", type=float, default=30.0)
    p.add_argument("--out", default="bench-results")
    args = p.parse_args(argv)
    pg = Server().start()
    try:
        with tempfile.TemporaryDirectory(prefix="imgrepl-sim-") as work:
            result = asyncio.run(simulate(args, pg.fresh(), Path(work)))
    finally:
        pg.stop()
    Path(args.out).mkdir(exist_ok=True)
    (Path(args.out) / "agents-planning.json").write_text(json.dumps(result, indent=2))
    print(summary(result))


if __name__ == "__main__":
    main()
