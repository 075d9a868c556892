"""`image-version verify [--repair]`: re-read every completed replica against
its manifest and the source digest; repair bad chunks from a good replica of
the same disk (same region first), then verify again."""

from __future__ import annotations

import asyncio
import dataclasses

from imgrepl.gallery import engine
from imgrepl.gallery.db import Catalog, ReplicaRow, VersionRef
from imgrepl.gallery.models import ReplicaCheck


async def verify_version(catalog: Catalog, ref: VersionRef, *, repair: bool) -> list[ReplicaCheck]:
    # Completed replicas, and those a verify failed before (a repair may save them)
    rows = [
        r
        for r in await asyncio.to_thread(catalog.replica_rows, ref)
        if r.state == "Completed"
        or (r.state == "Failed" and r.digest and engine.exists(r.location))
    ]
    checks = {r.id: await engine.verify(r.location, r.disk_digest) for r in rows}
    results = []
    for row in rows:
        check = checks[row.id]
        repaired = False
        if not check.ok and repair:
            good = _good_peer(row, rows, checks)
            if good is not None:
                await engine.repair(row.location, good.location)
                check = await engine.verify(row.location, row.disk_digest)
                repaired = check.ok
        state = "Completed" if check.ok else "Failed"  # a Failed one is recopied by a retry
        if state != row.state or not check.ok:
            await asyncio.to_thread(catalog.set_replica, row.id, state, details=check.reason)
        model = dataclasses.replace(row.to_model(), state=state, details=check.reason)
        results.append(ReplicaCheck(model, check.ok, check.reason, check.bad_ranges, repaired))
    return results


def _good_peer(
    row: ReplicaRow, rows: list[ReplicaRow], checks: dict[int, engine.Check]
) -> ReplicaRow | None:
    peers = [r for r in rows if r.disk_id == row.disk_id and r.id != row.id and checks[r.id].ok]
    peers.sort(key=lambda r: (r.region != row.region, r.zone, r.index))
    return peers[0] if peers else None
