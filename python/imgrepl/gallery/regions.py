"""Region names and region stores.

Region names are normalised like Azure's: `West Europe`, `westeurope` and
`WESTEUROPE` are one region.  A store is addressed by URL and kept opaque
everywhere except here: `replica_location` is the one place that maps a
store URL and a replica's coordinates to where its bytes live.

A region owns its store location: `store_key` reduces a URL to what the
service would address (for local stores, a path the caller resolved), and
`check_disjoint` refuses a store that is, contains or lies inside another
region's.  Zones live inside their region's store (`zone-N/`), so disjoint
regions have disjoint zones too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlparse

from imgrepl.exceptions import ValidationError

_REGION_RE = re.compile(r"^[a-z0-9]{1,64}$")
# the schemes the engine serves, with their canonical spelling (`azure://` is `az://`)
STORE_SCHEMES = {"file": "file", "s3": "s3", "az": "az", "azure": "az"}
MAX_ZONES = 3  # Azure regions have at most three availability zones


def normalise_region(name: str) -> str:
    """Azure's canonical spelling: lowercase with the spaces removed.  Other
    whitespace (a tab, a newline) is refused, not stripped: it is a typo or
    a pasted fragment, never part of a region's name."""
    text = str(name)
    if any(c.isspace() and c != " " for c in text):
        raise ValidationError(
            f"invalid region name {text!r}: it contains a tab, newline or other "
            "whitespace than spaces"
        )
    canonical = "".join(text.split()).lower()
    if not _REGION_RE.match(canonical):
        raise ValidationError(
            f"invalid region name {name!r}: use letters and digits (spaces are ignored), "
            "at most 64 characters, e.g. 'westeurope' or 'West Europe'"
        )
    return canonical


def zone_names(zones: int) -> list[str]:
    """A region with zones keeps ZRS replicas in each of them: '1', '2', '3'."""
    return [str(z) for z in range(1, zones + 1)]


def normalise_store(store: str) -> str:
    """A `file://` URL for a plain path; other URLs are kept as given."""
    text = str(store).strip()
    if not text:
        raise ValidationError("store URL is empty: give a directory or a file:/// URL")
    if any(ord(c) < 32 for c in text):
        raise ValidationError(f"store URL {text!r} contains control characters")
    parsed = urlparse(text)
    if parsed.scheme in ("", "file"):
        path = Path(unquote(parsed.path) if parsed.scheme else text).expanduser()
        if parsed.scheme == "file" and parsed.netloc not in ("", "localhost"):
            raise ValidationError(f"store URL {text!r}: file URLs must be local (file:///path)")
        return path.absolute().as_uri()
    if parsed.scheme not in STORE_SCHEMES:
        raise ValidationError(
            f"store URL {text!r}: {parsed.scheme}:// stores are not served by this build; "
            "use a directory, file:///path, s3://bucket/prefix or az://container/prefix"
        )
    if not parsed.netloc:
        raise ValidationError(f"store URL {text!r} has no bucket or container")
    if any(part in (".", "..") for part in unquote(parsed.path).split("/")):
        raise ValidationError(
            f"store URL {text!r}: '.' and '..' are not allowed in an object store prefix "
            "(object keys are taken literally)"
        )
    return text.rstrip("/")


StoreKey = tuple[str, ...]


def store_key(store: str, resolved: str | None = None) -> StoreKey:
    """What a normalised store URL addresses, as (scheme, bucket, *key parts):
    percent-encoding decoded, empty parts (`//`, a trailing `/`) dropped.
    Buckets and containers are case-insensitive (S3 and Azure name them in
    lowercase); keys and local paths are compared as they are.  `resolved`
    is a local store's real path (symlinks and `..` resolved by the caller)."""
    parsed = urlparse(store)
    scheme = STORE_SCHEMES.get(parsed.scheme, parsed.scheme)
    if scheme == "file":
        path = resolved if resolved is not None else unquote(parsed.path)
        return ("file", *(p for p in path.split("/") if p))
    parts = (p for p in unquote(parsed.path).split("/") if p)
    return (scheme, unquote(parsed.netloc).lower(), *parts)


def check_disjoint(name: str, key: StoreKey, others: dict[str, tuple[str, StoreKey]]) -> None:
    """Refuses a store that is, contains or lies inside another region's
    (`others`: region -> (store URL, key)): replicas of both would share
    files, and deleting one region's could delete the other's."""
    for other, (url, theirs) in sorted(others.items()):
        if other == name:
            continue
        shorter = min(len(key), len(theirs))
        if key[:shorter] == theirs[:shorter]:
            how = (
                "is the same location as"
                if len(key) == len(theirs)
                else "lies inside"
                if len(key) > len(theirs)
                else "contains"
            )
            raise ValidationError(
                f"region {name!r}: its store {how} the store of region {other!r} ({url}); "
                "every region needs a store location of its own"
            )


def replica_location(
    store: str,
    gallery: str,
    definition: str,
    version: str,
    disk: str,
    index: int,
    zone: str = "",
    scope: Sequence[str] = (),
) -> str:
    """Where one replica lives: `<store>/[zone-Z/][<subscription>/<resource
    group>/]<gallery>/<def>/<ver>/<disk>-<i>.vhd` (`scope`: none for the
    catalog's default subscription and resource group).

    The names were validated (no `/`, `..`), so they are safe path parts.
    """
    parts = ([f"zone-{zone}"] if zone else []) + [*scope, gallery, definition, version]
    parts.append(f"{disk}-{index}.vhd")
    return store.rstrip("/") + "/" + "/".join(parts)


# a subscription (GUID) and resource group ending a path (no gallery name is a GUID)
_SCOPE_TAIL = re.compile(r"/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/[^/]+$")


def store_of(location: str) -> str:
    """The store URL of a `replica_location` (what errors name): the
    location without its gallery/definition/version/disk parts and zone."""
    store = _SCOPE_TAIL.sub("", location.rsplit("/", 4)[0])
    head, _, last = store.rpartition("/")
    return head if re.fullmatch(r"zone-[1-9]", last) and "://" in head else store


def zone_count(zones: int) -> int:
    """How many availability zones a region declares: none, or up to three."""
    if not 0 <= zones <= MAX_ZONES:
        raise ValidationError(f"--zones {zones} is out of range: 0..{MAX_ZONES}")
    return zones
