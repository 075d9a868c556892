"""Background replication for `--no-wait`: a detached process that runs
`Client.replicate` and writes its output to `<home>/logs/`.

    python -m imgrepl.gallery.worker HOME GALLERY DEFINITION VERSION [--retry-failed]
        [--cap-mbps MBPS]
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from pathlib import Path

from imgrepl.exceptions import ConflictError
from imgrepl.gallery.access import ENV_PRINCIPAL
from imgrepl.gallery.db import Catalog, VersionRef
from imgrepl.gallery.home import logs_dir

_children: list[subprocess.Popen[bytes]] = []  # kept so finished ones are reaped


def spawn(
    home: Path,
    catalog: Catalog,
    ref: VersionRef,
    principal: str,
    retry: bool,
    cap_mbps: float | None = None,
) -> int:
    """Starts the worker process; returns its pid."""
    import os

    logs = logs_dir(home)
    logs.mkdir(parents=True, exist_ok=True)
    argv = [
        sys.executable,
        "-m",
        "imgrepl.gallery.worker",
        str(home),
        ref.gallery,
        ref.definition,
        ref.name,
    ] + (["--retry-failed"] if retry else [])
    log = (logs / f"{ref.gallery}-{ref.definition}-{ref.name}.log").open("ab")
    with log:
        child = subprocess.Popen(
            argv,
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

    home, gallery, definition, version = argv[:4]
    flags = argv[4:]
    cap = float(flags[flags.index("--cap-mbps") + 1]) if "--cap-mbps" in flags else None
    async with Client(home) as client:
        result = await client.replicate(
            gallery, definition, version, retry_failed="--retry-failed" in flags, cap_mbps=cap
        )
    status = result.replication_status
    print(f"{result.id}: {status.aggregated_state if status else 'Unknown'}", flush=True)
    return 0 if status is not None and status.aggregated_state == "Completed" else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(_main(sys.argv[1:])))
