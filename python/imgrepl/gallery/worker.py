"""Background replication for `--no-wait`: a detached process that runs
`Client.replicate` and writes its output to `<home>/logs/`.

    python -m imgrepl.gallery.worker HOME GALLERY DEFINITION VERSION [--retry-failed]
        [--cap-mbps MBPS]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
from pathlib import Path

from imgrepl.exceptions import ConflictError
from imgrepl.gallery.access import ENV_PRINCIPAL
from imgrepl.gallery.db import Catalog, VersionRef
from imgrepl.gallery.home import logs_dir

_children: list[subprocess.Popen[bytes]] = []  # kept so finished ones are reaped


def worker_argv(home: Path, ref: VersionRef, retry: bool, cap_mbps: float | None) -> list[str]:
    argv = [sys.executable, "-m", "imgrepl.gallery.worker", str(home), ref.gallery]
    argv += [ref.definition, ref.name] + (["--retry-failed"] if retry else [])
    return argv + ([] if cap_mbps is None else ["--cap-mbps", repr(cap_mbps)])


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m imgrepl.gallery.worker")
    for name in ("home", "gallery", "definition", "version"):
        p.add_argument(name)
    p.add_argument("--retry-failed", action="store_true")
    p.add_argument("--cap-mbps", type=float)
    return p.parse_args(argv)


def spawn(
    home: Path,
    catalog: Catalog,
    ref: VersionRef,
    principal: str,
    retry: bool,
    cap_mbps: float | None = None,
) -> int:
    """Starts the worker process; returns its pid."""
    logs = logs_dir(home)
    logs.mkdir(parents=True, exist_ok=True)
    log = (logs / f"{ref.gallery}-{ref.definition}-{ref.name}.log").open("ab")
    with log:
        child = subprocess.Popen(
            worker_argv(home, ref, retry, cap_mbps),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, ENV_PRINCIPAL: principal},
        )
    _children[:] = [c for c in _children if c.poll() is None] + [child]
    # hand it the job now so `wait` sees it at once; if another process is
    # replicating, the worker takes over when that one finishes
    with contextlib.suppress(ConflictError):
        catalog.claim_job(ref, child.pid)
    return child.pid


async def _main(argv: list[str]) -> int:
    from imgrepl.client import Client

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
