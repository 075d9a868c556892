"""The checks a region's store passes at `region add`, before anything is
recorded: a scheme this build serves (gallery.regions), a location no
other region is, contains or lies inside (symlinks and `..` resolved for
local stores), a local path that is or can become a directory, and, unless
the caller opts out, an object store that answers within a short time."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from imgrepl import stores
from imgrepl.exceptions import StoreError, ValidationError
from imgrepl.gallery.models import Region
from imgrepl.gallery.regions import StoreKey, check_disjoint, store_key

# long enough for a healthy remote endpoint, short enough for a typo to fail fast
REACH_TIMEOUT = 10.0
PROBE_NAME = ".imgrepl-region-check"  # stat'ed, never written


def key_of(store: str) -> StoreKey:
    """The store's key with a local path's symlinks and `..` resolved (a
    path not there yet resolves as far as it exists)."""
    if not stores.is_local(store):
        return store_key(store)
    return store_key(store, os.path.realpath(stores.local_path(store)))


def check_unshared(region: Region, others: list[Region]) -> None:
    """`region`'s store is disjoint from every other region's.  The engine
    registers store options by URL prefix (longest prefix wins), so this is
    also what makes each object a region writes take that region's own
    options: no other region's prefix can be equal to or nest with it."""
    keys = {r.name: (r.store, key_of(r.store)) for r in others}
    check_disjoint(region.name, key_of(region.store), keys)


def check_local(region: Region, *, writable: bool) -> None:
    """A local store must be a directory, or a path one can be made at:
    nothing on the way may be a regular file (ENOTDIR) or anything else
    that is not a directory."""
    if not stores.is_local(region.store):
        return
    path = Path(os.path.realpath(stores.local_path(region.store)))
    where = f"region {region.name!r}: store {region.store}"
    try:
        path.lstat()
    except (FileNotFoundError, NotADirectoryError):
        pass  # below: whether one can be made
    except OSError as exc:  # a name too long, say: nothing could ever be stored there
        raise ValidationError(f"{where}: {exc.strerror}") from None
    found = path
    while not os.path.lexists(found) and found != found.parent:
        found = found.parent
    if not found.is_dir():
        if found == path:
            raise ValidationError(f"{where}: {path} exists and is not a directory")
        raise ValidationError(f"{where}: {found} is not a directory, so {path} cannot be made")
    if writable and not os.access(found, os.W_OK | os.X_OK):
        raise ValidationError(f"{where}: {found} is not writable by this user")


async def check_reachable(region: Region) -> None:
    """An object store answers a stat of a name below the region's prefix
    within REACH_TIMEOUT (its options registered already)."""
    if stores.is_local(region.store):
        return
    hint = "check its endpoint and credentials, or add the region with --no-check"
    probe = f"{region.store.rstrip('/')}/{PROBE_NAME}"
    try:
        async with asyncio.timeout(REACH_TIMEOUT):
            await stores.exists(probe)
    except TimeoutError:
        raise StoreError(
            f"region {region.name!r}: store {region.store} did not answer within "
            f"{REACH_TIMEOUT:g} s; {hint}"
        ) from None
    except StoreError as exc:  # the engine's cause, without the replica wording
        why = str(exc).partition(" failed: ")[2] or str(exc)
        raise StoreError(
            f"region {region.name!r}: store {region.store} is not reachable: {why}; {hint}"
        ) from None
