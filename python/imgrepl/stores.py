"""The one gateway to the copy engine and the region stores.

Locations are store URLs (`regions.replica_location` makes them): `file://`
paths, or `s3://` and `az://` objects.  Every operation the gallery does on
a replica goes through here: preparing its place, copying
(imgrepl.start_copy), verifying and repairing it against a manifest,
copying it to a new disk, checking it exists and deleting it.

A replica is two things at its location: the image and, beside it, its
manifest (manifest_suffix()).  The engine commits the manifest first and the
image last, and `remove` deletes them in the same order, so "exists" means
both are there: an image without its manifest is a replica half deleted
(or never committed) and counts as absent.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from imgrepl.gallery.regions import store_of

if TYPE_CHECKING:  # the engine's exceptions load the extension: only when used
    from imgrepl.exceptions import StoreError

_RANGES_SHOWN = 3
RECOUNT_SECONDS = 0.1  # how often a running fetch asks for its read share
Share = Callable[[], Awaitable[int]]


def manifest_suffix() -> str:
    """Where a replica's manifest is: its address plus this (the engine's constant)."""
    from imgrepl._core import MANIFEST_SUFFIX

    return MANIFEST_SUFFIX


def is_local(location: str) -> bool:
    return urlparse(location).scheme == "file"


def local_path(location: str) -> Path:
    """The filesystem path of a `file://` location (what the engine reads)."""
    parsed = urlparse(location)
    if parsed.scheme != "file":
        from imgrepl.exceptions import ValidationError

        raise ValidationError(f"{location!r} is not a local (file://) location")
    return Path(unquote(parsed.path))


def engine_path(location: str) -> str:
    """A local path for `file://` locations; other URLs go to the engine as they are."""
    return str(local_path(location)) if is_local(location) else location


def check_store_options(store: str, options: dict[str, str]) -> None:
    """Hands a region's options to the engine, which refuses bad keys or values
    at once; the error names the key, never a value."""
    import imgrepl
    from imgrepl.exceptions import ValidationError

    if not options:
        return
    if is_local(store):
        raise ValidationError(
            f"store options ({', '.join(sorted(options))}) apply only to s3:// and az:// "
            f"stores, not to {store}"
        )
    try:
        imgrepl.register_store(store, dict(options))
    except ValueError as exc:
        why = _redacted(str(exc), options.values())
        keys = ", ".join(sorted(options))
        raise ValidationError(f"store options ({keys}) for {store} refused: {why}") from None


def _redacted(text: str, secrets: Iterable[str]) -> str:
    """Some engine errors quote the value they could not parse: hide it."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return text


def forget_store_options(store: str) -> None:
    import imgrepl

    imgrepl.unregister_store(store)


def register_region_stores(stores: dict[str, dict[str, str]]) -> None:
    """Every region's options (store URL -> options), before any copy, verify,
    stat or delete touches its store; in this process, hence on every open."""
    for store, options in stores.items():
        check_store_options(store, options)


async def exists(location: str) -> bool:
    """Both the replica and its manifest are at their final names (see the
    module docstring), asked of the engine for every kind of store.
    StoreError names the store when it cannot answer."""
    import imgrepl
    from imgrepl.exceptions import ImgreplError

    try:
        for url in (location, location + manifest_suffix()):
            if await imgrepl.store_stat_async(engine_path(url)) is None:
                return False
    except (ImgreplError, OSError) as exc:
        raise _store_failure("check", location, exc) from None
    return True


async def exists_if_reachable(location: str) -> bool:
    """`exists`, and False when the store cannot answer (the caller then
    leaves the replica as it is, or copies it and fails with the store's error)."""
    from imgrepl.exceptions import StoreError

    try:
        return await exists(location)
    except StoreError:
        return False


def prepare(location: str) -> None:
    """Creates the replica's directory; an unreachable store fails here, alone."""
    if is_local(location):
        local_path(location).parent.mkdir(parents=True, exist_ok=True)


def remove(location: str) -> None:
    """Deletes a replica through the engine: its manifest first, so a replica
    half deleted is never taken for a whole one, then the image; what is gone
    already is no error.  A store that fails raises StoreError naming it and
    changes nothing more.  In a local store, leftover temporaries and the
    directories left empty go too."""
    import imgrepl
    from imgrepl.exceptions import ImgreplError

    for url in (location + manifest_suffix(), location):
        try:
            imgrepl.store_delete(engine_path(url))
        except (ImgreplError, OSError) as exc:
            raise _store_failure("delete", location, exc) from None
    if is_local(location):
        _tidy_local(local_path(location))


def _tidy_local(path: Path) -> None:
    """Temporary leftovers of an interrupted copy, then the directories the
    replica leaves empty."""
    for leftover in path.parent.glob(f".{path.name}*"):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
    parent = path.parent
    for _ in range(4):  # <version>/<definition>/<gallery>/[zone-N]
        with contextlib.suppress(OSError):
            parent.rmdir()
        parent = parent.parent


def _store_failure(operation: str, location: str, exc: Exception) -> StoreError:
    """The engine's error (which names the object and never a credential)
    with the store and the gallery operation that failed."""
    from imgrepl.exceptions import StoreError

    why = str(exc)
    return StoreError(f"{operation} replica {location} in store {store_of(location)} failed: {why}")


async def fetch(location: str, dest: Path, share: Share | None = None) -> None:
    """Copies a replica to the local file `dest` with the engine (holes kept,
    object stores read in ranges, in parallel), without the manifest the
    engine writes beside every copy.  `share()`, when given, is the read cap
    in bytes/s, asked again every RECOUNT_SECONDS and handed to the running
    copy.  Cancel-safe: nothing is left at `dest`."""
    import imgrepl
    from imgrepl import _aio
    from imgrepl.exceptions import ImgreplError, StoreError

    bwlimit = None if share is None else await share()
    try:
        # no hashing: the caller verifies the copy against the replica's manifest
        job = imgrepl.start_copy(engine_path(location), [str(dest)], overwrite=True,
                                 bwlimit=bwlimit, hash=False)  # fmt: skip
        done = asyncio.ensure_future(job.wait_async())
        try:
            while not done.done():
                await asyncio.wait([done], timeout=RECOUNT_SECONDS)
                if share is not None and not done.done():
                    job.set_bwlimit(await share())
            report = done.result()
        except asyncio.CancelledError:
            done.cancel()
            await _aio.cancel_and_wait(job)  # its temporaries are gone, then we go
            raise
    except ImgreplError as exc:
        raise _store_failure("read", location, exc) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(str(dest) + manifest_suffix())
    result = report.destinations[0]
    if not result.ok:
        raise _store_failure("read", location, StoreError(str(result.error)))


async def inspect(path: str) -> Any:
    import imgrepl

    return await asyncio.to_thread(imgrepl.inspect, path)


def start_copy(
    source: str,
    destinations: list[str],
    cap_mbps: float | None = None,
    bases: list[tuple[str, bytes] | None] | None = None,
) -> Any:
    """One fan-out job: the source is read once and written to every destination.
    `cap_mbps` caps the source reads (AzCopy's --cap-mbps).  `bases` gives a
    destination an earlier replica (engine address, manifest) to take its
    unchanged chunks from (delta replication)."""
    from imgrepl._core import CopyJob

    bwlimit = None if cap_mbps is None else max(1, int(cap_mbps * 1_000_000))
    paths = [engine_path(d) for d in destinations]
    return CopyJob(engine_path(source), paths, overwrite=True, bwlimit=bwlimit, bases=bases)


# --- manifests and verification -------------------------------------------------


async def read_manifest(location: str) -> bytes:
    """The manifest beside a replica, as bytes from any store, checked as it
    is parsed; FileNotFoundError when there is none."""
    import imgrepl
    from imgrepl import Manifest

    data = await imgrepl.read_manifest_bytes_async(engine_path(location))
    if data is None:
        raise FileNotFoundError(f"{location}{manifest_suffix()}: no manifest (not found)")
    return bytes(Manifest.from_bytes(data).to_bytes())


def manifest_digest(manifest: bytes) -> str:
    from imgrepl import Manifest

    return str(Manifest.from_bytes(manifest).digest)


@dataclass(frozen=True)
class Check:
    ok: bool
    reason: str | None
    bad_ranges: list[tuple[int, int]]


def describe_ranges(ranges: list[tuple[int, int]], chunk_size: int) -> str:
    """'bytes 0-4194304 (chunk 0), ...': which parts differ, by byte and chunk."""
    parts = []
    for start, end in ranges[:_RANGES_SHOWN]:
        first, last = start // chunk_size, (end - 1) // chunk_size
        chunks = f"chunk {first}" if first == last else f"chunks {first}-{last}"
        parts.append(f"bytes {start}-{end} ({chunks})")
    more = len(ranges) - _RANGES_SHOWN
    return ", ".join(parts) + (f" and {more} more ranges" if more > 0 else "")


async def verify_bytes(path: str, manifest: bytes, what: str) -> Check:
    """Re-reads `path` (a location or a local path) against `manifest`."""
    import imgrepl
    from imgrepl import Manifest
    from imgrepl.exceptions import ImgreplError

    try:
        report = await imgrepl.verify_async(engine_path(path), manifest)
    except (OSError, ImgreplError) as exc:
        return Check(False, f"verification of {what} failed: {exc}", [])
    if report.ok:
        return Check(True, None, [])
    ranges = [(int(a), int(b)) for a, b in report.bad_ranges]
    if not report.size_ok:
        why = f"its size is {report.size}, the source's {report.expected_size}"
    else:
        chunk = Manifest.from_bytes(manifest).chunk_size
        why = f"{describe_ranges(ranges, chunk)} differ from the source manifest"
    return Check(False, f"verification of {what} failed: {why}", ranges)


async def verify(location: str, manifest: bytes) -> Check:
    """Checks a replica's bytes against the source manifest, and that the
    manifest stored beside it is the source's (later checks read that one)."""
    check = await verify_bytes(location, manifest, location)
    if not check.ok:
        return check
    from imgrepl.exceptions import ImgreplError

    try:
        own = manifest_digest(await read_manifest(location))
    except (OSError, ImgreplError) as exc:
        return Check(False, f"verification of {location} failed: its manifest: {exc}", [])
    if own != manifest_digest(manifest):
        why = f"its manifest (digest {own}) is not the source's"
        return Check(False, f"verification of {location} failed: {why}", [])
    return check


async def repair(location: str, good: str, manifest: bytes) -> Any:
    """Rewrites the chunks of `location` that differ from `manifest` from `good`."""
    import imgrepl

    return await imgrepl.repair_async(engine_path(location), engine_path(good), manifest)
