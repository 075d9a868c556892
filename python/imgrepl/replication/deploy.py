"""`disk create`: a new disk from a replica in the region, spreading
concurrent requests over the region's replicas (least busy first), verified
against the replica's manifest before it appears at its final name.

The engine copies it, as it copies replicas: holes stay holes, object
stores are read in ranges, in parallel, and the disk is made durable.

A region may declare `replica_read_mbps`, the read bandwidth of one replica
(a store's per-blob limit).  Readers of one replica share it: each reads at
limit / current readers, re-counted from the catalog's leases as they come
and go, in this process or another, and handed to the running copy.  That
sharing is what makes more replicas deploy more disks at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

from imgrepl import stores
from imgrepl.catalog import Catalog, ReplicaRow, VersionRef
from imgrepl.exceptions import ConflictError, VerifyError
from imgrepl.files import check_replaceable
from imgrepl.gallery.models import DeployedDisk


async def create_disk(
    catalog: Catalog,
    ref: VersionRef,
    region: str,
    out: Path,
    lun: int | None,
    overwrite: bool,
) -> DeployedDisk:
    out = out.expanduser().absolute()
    if check_replaceable(out, "--out") and not overwrite:
        raise ConflictError(f"--out {out} exists already; pass --overwrite to replace it")
    if not out.parent.is_dir():
        raise FileNotFoundError(f"--out {out}: directory {out.parent} does not exist")
    info = await asyncio.to_thread(catalog.regions.get, region)
    lease, replica = await asyncio.to_thread(catalog.leases.acquire, ref, region, lun)
    tmp = out.with_name(f".{out.name}.imgrepl-tmp")
    started = time.monotonic()
    try:
        await _copy(catalog, replica, tmp, info.replica_read_mbps)
        await _verify_copy(catalog, replica, tmp)
        check_replaceable(out, "--out")  # again: a device may have been put there
        tmp.replace(out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        await asyncio.shield(asyncio.to_thread(catalog.leases.release, lease))
    image = f"{ref.gallery}/{ref.definition}/{ref.name}"
    seconds = time.monotonic() - started
    return DeployedDisk(
        str(out), image, region, replica.location, replica.size, seconds, replica.disk_digest
    )


async def _copy(catalog: Catalog, replica: ReplicaRow, tmp: Path, mbps: float | None) -> None:
    share = None
    if mbps is not None:

        async def share() -> int:
            readers = await asyncio.to_thread(catalog.leases.readers, replica.id)
            return max(1, int(mbps * 1_000_000 / max(1, readers)))

    await stores.fetch(replica.location, tmp, share)


async def _verify_copy(catalog: Catalog, replica: ReplicaRow, tmp: Path) -> None:
    """Checks the new disk against the replica's manifest (itself checked
    against the source's digest).  On a mismatch the replica is checked too:
    a corrupt one is marked Failed so no later disk is made from it."""
    manifest = await stores.read_manifest(replica.location)
    if stores.manifest_digest(manifest) != replica.disk_digest:
        why = f"the manifest of {replica.location} is not the source's"
        await asyncio.to_thread(catalog.replicas.set_state, replica.id, "Failed", details=why)
        raise VerifyError(f"disk create: {why}; the replica is marked Failed")
    check = await stores.verify_bytes(str(tmp), manifest, f"the new disk from {replica.location}")
    if check.ok:
        return
    source = await stores.verify(replica.location, manifest)
    hint = ""
    if not source.ok:
        await asyncio.to_thread(
            catalog.replicas.set_state, replica.id, "Failed", details=source.reason
        )
        hint = (
            "; the replica itself is corrupt and is marked Failed (repair it with "
            "`imgrepl sig image-version verify --repair`)"
        )
    raise VerifyError(f"disk create: {check.reason}{hint}; nothing was written at --out")
