"""Verification of replicas against the source manifest of their disk.

`image-version verify [--repair]` re-reads every completed replica (and
every failed one still present: a repair may save it); with `--repair` the
chunks that differ are rewritten from a good replica of the same disk (same
region first) and the replica is verified again.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence

from imgrepl import stores
from imgrepl.catalog import Catalog, ReplicaRow, VersionRef
from imgrepl.gallery.models import ReplicaCheck


async def source_manifest(
    catalog: Catalog, disk_id: int, digest: str | None, rows: Sequence[ReplicaRow]
) -> bytes | None:
    """The manifest stage one recorded for the disk.  Catalogs from before
    manifests were recorded (schema 1) have only the digest: the manifest of
    a completed replica whose digest is the disk's is taken, and recorded."""
    manifest = await asyncio.to_thread(catalog.versions.disk_manifest, disk_id)
    if manifest is not None or digest is None:
        return manifest
    for peer in rows:
        if peer.disk_id != disk_id or peer.state != "Completed":
            continue
        try:
            candidate = await stores.read_manifest(peer.location)
        except Exception:  # unreadable: try the next replica
            continue
        if stores.manifest_digest(candidate) == digest:
            await asyncio.to_thread(catalog.versions.set_disk_source, disk_id, digest, candidate)
            return candidate
    return None


async def _check(catalog: Catalog, row: ReplicaRow, rows: list[ReplicaRow]) -> stores.Check:
    manifest = await source_manifest(catalog, row.disk_id, row.disk_digest, rows)
    if manifest is None:
        return stores.Check(False, f"no source manifest recorded to verify {row.location}", [])
    return await stores.verify(row.location, manifest)


async def verify_version(catalog: Catalog, ref: VersionRef, *, repair: bool) -> list[ReplicaCheck]:
    # a Failed replica still in its store is checked too: a repair may save it
    rows = [
        r
        for r in await asyncio.to_thread(catalog.replicas.rows, ref)
        if r.state == "Completed"
        or (r.state == "Failed" and r.digest and await stores.exists_if_reachable(r.location))
    ]
    checks = {r.id: await _check(catalog, r, rows) for r in rows}
    results = []
    for row in rows:
        check = checks[row.id]
        repaired = False
        if not check.ok and repair:
            good = _good_peer(row, rows, checks)
            manifest = await asyncio.to_thread(catalog.versions.disk_manifest, row.disk_id)
            if good is not None and manifest is not None:
                await stores.repair(row.location, good.location, manifest)
                check = await stores.verify(row.location, manifest)
                repaired = check.ok
        state = "Completed" if check.ok else "Failed"  # a Failed one is recopied by a retry
        if state != row.state or not check.ok:
            await asyncio.to_thread(catalog.replicas.set_state, row.id, state, details=check.reason)
        model = dataclasses.replace(row.to_model(), state=state, details=check.reason)
        results.append(ReplicaCheck(model, check.ok, check.reason, check.bad_ranges, repaired))
    return results


def _good_peer(
    row: ReplicaRow, rows: list[ReplicaRow], checks: dict[int, stores.Check]
) -> ReplicaRow | None:
    peers = [r for r in rows if r.disk_id == row.disk_id and r.id != row.id and checks[r.id].ok]
    peers.sort(key=lambda r: (r.region != row.region, r.zone, r.index))
    return peers[0] if peers else None
