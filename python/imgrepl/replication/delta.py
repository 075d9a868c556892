"""Delta replication: the base each region's first replica is built from.

A region that already holds a Completed (hence verified) replica of an
earlier version of the same definition, for the same disk (LUN), needs only
the chunks that changed to cross into it: the engine takes the others from
that replica, checking each against its digest.  The base is chosen from the
manifests alone, no data is read: the earlier version with the most chunks
in common at the same index with the new version's manifest; while the new
manifest is not known yet (a version's first copy reads its source for the
first time) the nearest earlier version, which is what a weekly golden image
shares most with.  Bases must have the copy's chunk size.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from imgrepl import stores
from imgrepl.catalog import Catalog, ReplicaRow, VersionRef

CHUNK_SIZE = 4 << 20  # the chunk size stores.start_copy copies with


@dataclass(frozen=True)
class Base:
    version: str
    location: str
    manifest: bytes


Key = tuple[str, int | None]  # (region, disk LUN)


def version_key(name: str) -> tuple[int, ...]:
    return tuple(int(p) for p in name.split("."))


def common_chunks(a: bytes, b: bytes) -> int:
    """Data chunks the two manifests hold unchanged at the same index (zero
    chunks are never read from a base, so they do not count)."""
    import numpy as np  # here, not at the top: listing versions never needs numpy

    from imgrepl._core import Manifest
    from imgrepl.manifest import diff, zero_flags

    ma, mb = Manifest.from_bytes(a), Manifest.from_bytes(b)
    if ma.chunk_size != mb.chunk_size:
        return 0
    n = min(ma.chunk_count, mb.chunk_count)
    same = np.ones(n, dtype=np.bool_)
    changed = diff(ma, mb)
    same[changed[changed < n]] = False
    return int((same & ~zero_flags(ma)[:n]).sum())


def pick(
    candidates: Iterable[tuple[str, ReplicaRow, bytes]], new_manifest: bytes | None
) -> Base | None:
    """The best of (version, replica, manifest): most chunks in common with
    the new manifest if it is known, else the highest version."""
    best: tuple[tuple[int, ...], Base] | None = None
    for version, row, manifest in candidates:
        score = (common_chunks(manifest, new_manifest),) if new_manifest else ()
        rank = score + version_key(version) + (int(row.egress),)
        if best is None or rank > best[0]:
            best = (rank, Base(version, row.location, manifest))
    return best[1] if best else None


async def choose_bases(
    catalog: Catalog,
    ref: VersionRef,
    wanted: Iterable[Key],
    new_manifests: Mapping[int | None, bytes | None],
) -> dict[Key, Base]:
    """A base per (region, LUN) in `wanted` that has one; `new_manifests`
    maps a LUN to the new version's manifest of that disk, if known."""
    wanted = set(wanted)
    if not wanted:
        return {}
    stored = await asyncio.to_thread(catalog.versions.all, ref.gallery, ref.definition)
    found: dict[Key, list[tuple[str, ReplicaRow, bytes]]] = {}
    for sv in stored:
        name = sv.version.name
        if version_key(name) >= version_key(ref.name):
            continue
        old = await asyncio.to_thread(catalog.versions.find, ref.gallery, ref.definition, name)
        for row in await asyncio.to_thread(catalog.replicas.rows, old):
            key = (row.region, row.lun)
            if key not in wanted or row.state != "Completed" or row.digest != row.disk_digest:
                continue
            manifest = await asyncio.to_thread(catalog.versions.disk_manifest, row.disk_id)
            if manifest is None or _chunk_size(manifest) != CHUNK_SIZE:
                continue
            found.setdefault(key, []).append((name, row, manifest))
    chosen = {key: pick(c, new_manifests.get(key[1])) for key, c in found.items()}
    return {k: b for k, b in chosen.items() if b is not None}


def _chunk_size(manifest: bytes) -> int:
    from imgrepl._core import Manifest

    return int(Manifest.from_bytes(manifest).chunk_size)


def same_filesystem(base: Base, location: str) -> bool:
    """Whether a local replica at `location` can take `base`'s chunks inside
    the kernel (shared blocks on XFS or btrfs): an in-region copy, which
    crosses no region, gains from a base only then."""
    if not (stores.is_local(base.location) and stores.is_local(location)):
        return False
    try:
        there = stores.local_path(base.location).stat().st_dev
        return there == stores.local_path(location).parent.stat().st_dev
    except OSError:
        return False


def engine_bases(bases: Sequence[Base | None]) -> list[tuple[str, bytes] | None] | None:
    """What the engine takes: (address, manifest) per destination, None if none has one."""
    if not any(bases):
        return None
    return [None if b is None else (stores.engine_path(b.location), b.manifest) for b in bases]
