"""Region names and region stores.

Region names are normalised like Azure's: `West Europe`, `westeurope` and
`WESTEUROPE` are one region.  A store is addressed by URL and kept opaque
everywhere except here: `replica_location` is the one place that maps a
store URL and a replica's coordinates to where its bytes live.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlparse

from imgrepl.exceptions import ValidationError

_REGION_RE = re.compile(r"^[a-z0-9]{1,64}$")
MAX_ZONES = 3  # Azure regions have at most three availability zones


def normalise_region(name: str) -> str:
    """Azure's canonical spelling: lowercase with the spaces removed."""
    canonical = "".join(str(name).split()).lower()
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
    if not parsed.netloc:
        raise ValidationError(f"store URL {text!r} has no bucket or container")
    return text.rstrip("/")


def replica_location(
    store: str,
    gallery: str,
    definition: str,
    version: str,
    disk: str,
    index: int,
    zone: str = "",
) -> str:
    """Where one replica lives: `<store>/[zone-Z/]<gallery>/<def>/<ver>/<disk>-<i>.vhd`.

    The names were validated (no `/`, `..`), so they are safe path parts.
    """
    parts = ([f"zone-{zone}"] if zone else []) + [gallery, definition, version]
    parts.append(f"{disk}-{index}.vhd")
    return store.rstrip("/") + "/" + "/".join(parts)


def store_of(location: str) -> str:
    """The store URL of a `replica_location` (what errors name): the
    location without its gallery/definition/version/disk parts and zone."""
    store = location.rsplit("/", 4)[0]
    head, _, last = store.rpartition("/")
    return head if re.fullmatch(r"zone-[1-9]", last) and "://" in head else store


def zone_count(zones: int) -> int:
    """How many availability zones a region declares: none, or up to three."""
    if not 0 <= zones <= MAX_ZONES:
        raise ValidationError(f"--zones {zones} is out of range: 0..{MAX_ZONES}")
    return zones
