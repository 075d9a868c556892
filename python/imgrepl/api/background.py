"""The background replication process that `--no-wait` starts
(imgrepl.replication.worker.spawn): runs `Client.replicate` and writes its
log: a timestamped line per region when its state changes and at every
10 % of its bytes, then the outcome.

    python -m imgrepl.api.background HOME GALLERY DEFINITION VERSION [--retry-failed]
        [--cap-mbps MBPS] [--no-delta]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from imgrepl.api.client import Client
from imgrepl.replication.worker import WORKER_MODULE


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog=f"python -m {WORKER_MODULE}")
    for name in ("home", "gallery", "definition", "version"):
        p.add_argument(name)
    p.add_argument("--retry-failed", action="store_true")
    p.add_argument("--cap-mbps", type=float)
    p.add_argument("--no-delta", action="store_true")
    return p.parse_args(argv)


def say(text: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    print(f"{stamp} {text}", flush=True)


class RegionLog:
    """Turns the replicator's progress callback into log lines: each region's
    first report (Replicating) and each further 10 % of its bytes."""

    def __init__(self) -> None:
        self.tenths: dict[str, int] = {}

    def __call__(self, per: dict[str, tuple[int, int]]) -> None:
        for region, (done, total) in sorted(per.items()):
            tenth = 10 if total == 0 else done * 10 // total
            if region not in self.tenths:
                say(f"{region}: Replicating, {done:,} of {total:,} bytes")
            elif tenth > self.tenths[region]:
                say(f"{region}: {tenth * 10}% ({done:,} of {total:,} bytes)")
            else:
                continue
            self.tenths[region] = tenth


async def _main(argv: list[str]) -> int:
    a = parse_args(argv)
    say(f"replicating {a.gallery}/{a.definition}/{a.version}")
    async with Client(a.home) as client:
        result = await client.replicate(
            a.gallery,
            a.definition,
            a.version,
            retry_failed=a.retry_failed,
            cap_mbps=a.cap_mbps,
            delta=not a.no_delta,
            on_progress=RegionLog(),
        )
    status = result.replication_status
    for s in status.summary if status else []:
        say(f"{s.region}: {s.state}" + (f": {s.details}" if s.details else ""))
    say(f"{result.id}: {status.aggregated_state if status else 'Unknown'}")
    return 0 if status is not None and status.aggregated_state == "Completed" else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(_main(sys.argv[1:])))
