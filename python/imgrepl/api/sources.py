"""The disks a new version is made from: image files given by path (VHD or
raw, inspected by the engine before anything is recorded) or the disks of
another image version (read from one of its completed replicas)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from imgrepl import stores
from imgrepl.catalog import Catalog, ReplicaRow
from imgrepl.exceptions import ValidationError
from imgrepl.gallery.models import DiskImage

MAX_LUN = 63


async def inspect_file(path: str | os.PathLike[str], lun: int | None) -> DiskImage:
    label = "--os-vhd " if lun is None else f"--data-vhds {lun}="
    p = Path(path).expanduser().absolute()
    if not p.is_file():
        raise ValidationError(f"{label}{path}: no such image file")
    info = await stores.inspect(str(p))
    return DiskImage(lun, str(p), str(info.format), int(info.file_size), int(info.virtual_size))


def parse_luns(
    data_vhds: Mapping[int, str | os.PathLike[str]] | None,
) -> dict[int, str | os.PathLike[str]]:
    result: dict[int, str | os.PathLike[str]] = {}
    for lun, path in (data_vhds or {}).items():
        if isinstance(lun, bool) or not isinstance(lun, int) or not 0 <= lun <= MAX_LUN:
            raise ValidationError(f"invalid data disk LUN {lun!r}: use 0..{MAX_LUN}")
        result[lun] = path
    return result


async def disks_from_files(
    os_vhd: str | os.PathLike[str], data_vhds: Mapping[int, str | os.PathLike[str]] | None
) -> list[DiskImage]:
    disks = [await inspect_file(os_vhd, None)]
    for lun, path in sorted(parse_luns(data_vhds).items()):
        disks.append(await inspect_file(path, lun))
    return disks


def split_version_id(text: str) -> tuple[str, str, str]:
    """`G/D/V` or `/galleries/G/images/D/versions/V`."""
    parts = [p for p in str(text).split("/") if p]
    if len(parts) == 6 and parts[0::2] == ["galleries", "images", "versions"]:
        parts = parts[1::2]
    if len(parts) != 3:
        raise ValidationError(
            f"invalid image version reference {text!r}: use GALLERY/DEFINITION/VERSION"
        )
    return parts[0], parts[1], parts[2]


def disks_from_version(catalog: Catalog, text: str, prefer_region: str) -> list[DiskImage]:
    """One completed replica of each disk of the source version (home region first)."""
    gallery, definition, name = split_version_id(text)
    ref = catalog.find_version(gallery, definition, name)
    version = catalog.get_version(ref)
    rows = [r for r in catalog.replica_rows(ref) if r.state == "Completed"]
    disks = []
    for disk in version.disks:
        mine = [r for r in rows if r.lun == disk.lun]
        if not mine:
            raise ValidationError(
                f"source version {text} has no completed replica of disk {disk.label}"
            )
        best: ReplicaRow = min(mine, key=lambda r: (r.region != prefer_region, r.zone, r.index))
        disks.append(
            DiskImage(
                disk.lun,
                stores.engine_path(best.location),
                disk.source_format,
                disk.size,
                disk.virtual_size,
            )
        )
    return disks
