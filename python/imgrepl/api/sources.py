"""The disks a new version is made from: image files given by path (VHD or
raw, inspected by the engine before anything is recorded) or the disks of
another image version (read from one of its completed replicas)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from imgrepl import stores
from imgrepl.catalog import Catalog, ReplicaRow
from imgrepl.exceptions import ValidationError
from imgrepl.gallery.models import DiskImage


async def inspect_file(path: str | os.PathLike[str], lun: int | None) -> DiskImage:
    label = "--os-vhd " if lun is None else f"--data-vhds {lun}="
    p = Path(path).expanduser().absolute()
    if not p.is_file():
        raise ValidationError(f"{label}{path}: no such image file")
    info = await stores.inspect(str(p))
    return DiskImage(lun, str(p), str(info.format), int(info.file_size), int(info.virtual_size))


async def disks_from_files(
    os_vhd: str | os.PathLike[str], data_luns: Sequence[tuple[int, str | os.PathLike[str]]]
) -> list[DiskImage]:
    """`data_luns`: checked (LUN, path) pairs (rules.data_luns)."""
    disks = [await inspect_file(os_vhd, None)]
    for lun, path in data_luns:
        disks.append(await inspect_file(path, lun))
    return disks


def disks_from_version(
    catalog: Catalog, source: tuple[str, str, str], text: str, prefer_region: str
) -> list[DiskImage]:
    """One completed replica of each disk of the source version (home region
    first); `text` is the reference as given, `source` its checked parts."""
    ref = catalog.versions.find(*source)
    version = catalog.versions.get(ref).version
    rows = [r for r in catalog.replicas.rows(ref) if r.state == "Completed"]
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
