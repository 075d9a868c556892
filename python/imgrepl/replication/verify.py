"""Verification of replicas against the source manifest of their disk.

`image-version verify [--repair]` re-reads every completed replica (and
every failed one that once completed: a repair may save it); one whose
image or manifest is gone is reported missing.  With `--repair` the chunks
that differ are rewritten from a good replica of the same disk (same
region first); a replica that is missing, or whose own manifest is
unreadable or not the source's, is copied whole from the good one; either
way it is verified again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Sequence

from imgrepl import stores
from imgrepl.catalog import Catalog, ReplicaRow, VersionRef
from imgrepl.gallery.models import ReplicaCheck


def readable_source(disk_id: int, source: str, rows: Sequence[ReplicaRow], home: str) -> str:
    """The disk's source or, once that file is gone (the service removes
    what it staged when every region holds the version), a Completed replica
    (the home region's first), as Azure copies to a region added later."""
    if "://" in source or os.path.exists(source):
        return source
    done = [r for r in rows if r.disk_id == disk_id and r.state == "Completed"]
    if not done:
        return source  # the copy fails, naming the missing file
    best = min(done, key=lambda r: (r.region != home, not r.egress, r.zone, r.index))
    return best.location


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
    if not await stores.exists_if_reachable(row.location):
        why = f"replica {row.location} is missing (its image or its manifest is gone)"
        return stores.Check(False, why, [])
    return await stores.verify(row.location, manifest)


async def verify_version(catalog: Catalog, ref: VersionRef, *, repair: bool) -> list[ReplicaCheck]:
    # a Failed replica with a digest completed once: a repair may save it
    rows = [
        r
        for r in await asyncio.to_thread(catalog.replicas.rows, ref)
        if r.state == "Completed" or (r.state == "Failed" and r.digest)
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
                check = await _rebuild(row.location, good.location, manifest)
                repaired = check.ok
        state = "Completed" if check.ok else "Failed"  # a Failed one is recopied by a retry
        if state != row.state or not check.ok:
            await asyncio.to_thread(catalog.replicas.set_state, row.id, state, details=check.reason)
        model = dataclasses.replace(row.to_model(), state=state, details=check.reason)
        results.append(ReplicaCheck(model, check.ok, check.reason, check.bad_ranges, repaired))
    return results


async def _rebuild(location: str, good: str, manifest: bytes) -> stores.Check:
    """Rewrites the chunks that differ from `good`; when that cannot save
    the replica (it is missing, a different size, or its own manifest is
    bad: the engine patches bytes, not manifests), copies `good` whole over
    it.  The result is verified against the source manifest."""
    from imgrepl.exceptions import ImgreplError

    if await stores.exists_if_reachable(location):
        try:
            await stores.repair(location, good, manifest)
            check = await stores.verify(location, manifest)
            if check.ok:
                return check
        except (OSError, ImgreplError):
            pass  # copied whole below
    try:
        await asyncio.to_thread(stores.prepare, location)
        report = await stores.start_copy(good, [location]).wait_async()
    except (OSError, ImgreplError) as exc:
        return stores.Check(False, f"rebuilding {location} from {good} failed: {exc}", [])
    result = report.destinations[0]
    if not result.ok:
        return stores.Check(False, f"rebuilding {location} from {good} failed: {result.error}", [])
    return await stores.verify(location, manifest)


def _good_peer(
    row: ReplicaRow, rows: list[ReplicaRow], checks: dict[int, stores.Check]
) -> ReplicaRow | None:
    peers = [r for r in rows if r.disk_id == row.disk_id and r.id != row.id and checks[r.id].ok]
    peers.sort(key=lambda r: (r.region != row.region, r.zone, r.index))
    return peers[0] if peers else None
