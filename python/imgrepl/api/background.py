"""The background replication process that `--no-wait` starts
(imgrepl.replication.worker.spawn): runs `Client.replicate` and prints one
line with the outcome to its log.

    python -m imgrepl.api.background HOME GALLERY DEFINITION VERSION [--retry-failed]
        [--cap-mbps MBPS]
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from imgrepl.api.client import Client
from imgrepl.replication.worker import WORKER_MODULE


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog=f"python -m {WORKER_MODULE}")
    for name in ("home", "gallery", "definition", "version"):
        p.add_argument(name)
    p.add_argument("--retry-failed", action="store_true")
    p.add_argument("--cap-mbps", type=float)
    return p.parse_args(argv)


async def _main(argv: list[str]) -> int:
    a = parse_args(argv)
    async with Client(a.home) as client:
        result = await client.replicate(
            a.gallery, a.definition, a.version, retry_failed=a.retry_failed, cap_mbps=a.cap_mbps
        )
    status = result.replication_status
    print(f"{result.id}: {status.aggregated_state if status else 'Unknown'}", flush=True)
    return 0 if status is not None and status.aggregated_state == "Completed" else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(_main(sys.argv[1:])))
