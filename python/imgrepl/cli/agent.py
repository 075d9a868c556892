"""`imgrepl agent`: run a region agent, or `imgrepl agent list` the live ones."""

from __future__ import annotations

import argparse
import math
from typing import Any

from imgrepl.cli.common import add_common, emit
from imgrepl.cli.output import positive_int
from imgrepl.cli.parser import add_command

COLUMNS = ["id", "regions", "lastHeartbeat", "jobs", "bytesCopied", "bytesPerSecond"]


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, not {text!r}")
    return value


def port(text: str) -> int:
    value = positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port (1-65535)")
    return value


def _catalog(args: argparse.Namespace) -> Any:
    from imgrepl.catalog import resolve_catalog
    from imgrepl.home import resolve_home

    return resolve_home(args.home), resolve_catalog(resolve_home(args.home), args.catalog)


def _run(args: argparse.Namespace) -> int:
    import asyncio

    home, catalog = _catalog(args)
    if args.action == "list":
        return _list(args, catalog)
    if not args.region:
        raise ValueError("--region is required: the regions this agent serves")
    from imgrepl.api.agents import run_agent

    asyncio.run(
        run_agent(
            home,
            catalog,
            args.region,
            concurrency=args.concurrency,
            lease_s=args.lease_seconds,
            drain_s=args.drain_seconds,
            metrics_port=args.metrics_port,
            metrics_addr=args.metrics_addr,
            cap_mbps=args.cap_mbps,
        )
    )
    return 0


def _list(args: argparse.Namespace, catalog: Any) -> int:
    import asyncio
    import time

    from imgrepl.api.agents import list_agents

    found = asyncio.run(list_agents(catalog, args.stale_after))
    emit(
        args,
        [
            {
                "id": a.id,
                "host": a.host,
                "pid": a.pid,
                "regions": a.regions,
                "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(a.started)),
                "lastHeartbeat": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(a.heartbeat)),
                "jobs": a.jobs,
                "bytesCopied": a.bytes_copied,
                "bytesPerSecond": round(a.bytes_per_second),
            }
            for a in found
        ],
    )
    return 0


def register(sub: Any, summary: str) -> None:
    p = add_command(
        sub,
        "agent",
        _run,
        help=summary,
        description="Run a region agent: it claims the replica jobs of its regions (those "
        "added with --agent-served) from a shared catalog, copies each replica from inside "
        "the region (the first from the home region's store), verifies it and records it.  "
        "Give it only its own region's store credentials (env: or file: references in the "
        "region's store options, or a --home holding its secrets).  SIGTERM drains it.  "
        "`imgrepl agent list` shows the live agents.",
        example=[
            ("Serve East US from a PostgreSQL catalog.",
             "imgrepl agent --catalog postgresql://imgrepl@db/imgrepl --region eastus"),
            ("Two regions, four copies at once, metrics on port 9464.",
             "imgrepl agent --region eastus --region westus --concurrency 4 "
             "--metrics-port 9464"),
            ("The live agents.", "imgrepl agent list --catalog postgresql://imgrepl@db/imgrepl"),
        ],
    )  # fmt: skip
    p.add_argument("action", nargs="?", choices=["run", "list"], default="run",
                   help="run an agent (the default) or list the live ones")  # fmt: skip
    p.add_argument("--region", action="append", metavar="REGION", help="a region to serve")
    p.add_argument("--concurrency", type=positive_int, default=2, metavar="N",
                   help="replica jobs copied at once (default 2)")  # fmt: skip
    p.add_argument("--lease-seconds", type=seconds, default=30.0, metavar="S",
                   help="a claimed job is held this long without a heartbeat (30)")  # fmt: skip
    p.add_argument("--drain-seconds", type=seconds, default=10.0, metavar="S",
                   help="on SIGTERM, how long running copies may finish (default 10)")  # fmt: skip
    p.add_argument("--cap-mbps", type=seconds, metavar="MBPS",
                   help="cap each copy's source reads at this many MB/s")  # fmt: skip
    p.add_argument("--metrics-port", type=port, metavar="P",
                   help="serve Prometheus metrics on this port")  # fmt: skip
    p.add_argument("--metrics-addr", default="127.0.0.1", metavar="ADDR",
                   help="the metrics listen address (default 127.0.0.1)")  # fmt: skip
    p.add_argument("--stale-after", type=seconds, default=90.0, metavar="S",
                   help="agent list: agents heard from within this many seconds")  # fmt: skip
    add_common(p)
    p.set_defaults(columns=COLUMNS)
