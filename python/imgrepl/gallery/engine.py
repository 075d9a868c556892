"""The gallery's only contact with the copy engine (imgrepl._core via
imgrepl.copy and imgrepl.inspect).  Locations are store URLs; this module
turns them into what the engine takes and keeps the engine's file naming
(manifests beside replicas, temporary names) in one place."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imgrepl.gallery.regions import is_local, local_path

MANIFEST_SUFFIX = ".imgrepl-manifest"


def engine_path(location: str) -> str:
    """A local path for `file://` locations; other URLs go to the engine as they are."""
    return str(local_path(location)) if is_local(location) else location


def exists(location: str) -> bool:
    return is_local(location) and local_path(location).exists()


def prepare(location: str) -> None:
    """Creates the replica's directory; an unreachable store fails here, alone."""
    if is_local(location):
        local_path(location).parent.mkdir(parents=True, exist_ok=True)


async def inspect(path: str) -> Any:
    import imgrepl

    return await asyncio.to_thread(imgrepl.inspect, path)


def start_copy(source: str, destinations: list[str], cap_mbps: float | None = None) -> Any:
    """One fan-out job: the source is read once and written to every destination.
    `cap_mbps` caps the source reads (AzCopy's --cap-mbps)."""
    import imgrepl

    bwlimit = None if cap_mbps is None else max(1, int(cap_mbps * 1_000_000))
    return imgrepl.start_copy(source, destinations, overwrite=True, bwlimit=bwlimit)


@dataclass(frozen=True)
class Check:
    ok: bool
    reason: str | None
    bad_ranges: list[tuple[int, int]]


async def verify(location: str, digest: str | None) -> Check:
    """Re-reads a replica against its manifest, and the manifest against the
    source's digest (so a replica of some other image cannot pass)."""
    import imgrepl
    from imgrepl.exceptions import ImgreplError

    path = engine_path(location)
    try:
        manifest = await asyncio.to_thread(imgrepl.load_manifest, path + MANIFEST_SUFFIX)
        report = await imgrepl.verify_async(path)
    except (OSError, ImgreplError) as exc:
        return Check(False, f"verify {location}: {exc}", [])
    if digest is not None and manifest.digest != digest:
        return Check(
            False, f"verify {location}: digest {manifest.digest} is not the source's {digest}", []
        )
    ranges = [(int(a), int(b)) for a, b in report.bad_ranges]
    if not report.ok:
        what = "size differs" if not report.size_ok else f"{len(ranges)} bad ranges"
        return Check(False, f"verify {location}: {what} from its manifest", ranges)
    return Check(True, None, [])


async def manifest_digest(location: str) -> str:
    import imgrepl

    manifest = await asyncio.to_thread(
        imgrepl.load_manifest, engine_path(location) + MANIFEST_SUFFIX
    )
    return str(manifest.digest)


async def repair(location: str, good: str) -> Any:
    import imgrepl

    return await imgrepl.repair_async(engine_path(location), engine_path(good))


def remove(location: str) -> None:
    """Deletes a replica, its manifest and any temporary leftovers, then the
    directories it leaves empty."""
    if not is_local(location):
        return
    path = local_path(location)
    for leftover in [path, Path(str(path) + MANIFEST_SUFFIX), *path.parent.glob(f".{path.name}*")]:
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
    parent = path.parent
    for _ in range(4):  # <version>/<definition>/<gallery>/[zone-N]
        with contextlib.suppress(OSError):
            parent.rmdir()
        parent = parent.parent
