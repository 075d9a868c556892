"""A pause point that lets a test change a replica between two steps of a
real replication (a byte flipped after the copy, before its verification),
so verification failures are tested on real files, without a mock engine.

Off unless `$IMGREPL_TEST_PAUSE_DIR` names a directory.  Then at each point
the replicator writes `<dir>/<pid>-<n>.json` = {"point", "location"} and
waits until `<dir>/<pid>-<n>.go` exists.  Points:

    verify  a replica was committed by the engine; it is verified next
    fanout  a region's first replica is complete; its intra-region copies
            read it next
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
from pathlib import Path

ENV = "IMGREPL_TEST_PAUSE_DIR"
POLL_SECONDS = 0.02
_counter = itertools.count()


async def pause(point: str, location: str) -> None:
    root = os.environ.get(ENV)
    if not root:
        return
    stem = Path(root) / f"{os.getpid()}-{next(_counter)}"
    tmp = stem.with_suffix(".tmp")
    tmp.write_text(json.dumps({"point": point, "location": location}))
    tmp.rename(stem.with_suffix(".json"))  # whole, or not there at all
    go = stem.with_suffix(".go")
    while not go.exists():
        await asyncio.sleep(POLL_SECONDS)
