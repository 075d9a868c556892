"""The disks a new version is made from: image files given by path (a
regular file holding a raw image or a fixed or dynamic VHD, inspected by
the engine before anything is recorded) or the disks of another image
version (read from one of its completed replicas)."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from imgrepl import stores
from imgrepl.catalog import Catalog, ReplicaRow
from imgrepl.exceptions import ValidationError
from imgrepl.files import file_kind
from imgrepl.gallery.models import DiskImage

SECTOR = 512  # raw images and VHDs are made of 512-byte sectors


async def inspect_file(path: str | os.PathLike[str], lun: int | None) -> DiskImage:
    """A disk image file, checked before anything is recorded: a regular
    file (stat'ed first, so a FIFO or a device is never opened and nothing
    hangs), then what the engine reads in it (image_problem)."""
    label = "--os-vhd" if lun is None else f"--data-vhds {lun}="
    where = f"{label} {path}" if lun is None else f"{label}{path}"
    p = Path(path).expanduser().absolute()
    try:
        st = await asyncio.to_thread(os.stat, p)
    except FileNotFoundError:
        raise ValidationError(f"{where}: no such image file") from None
    except OSError as exc:
        raise ValidationError(f"{where}: cannot be read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise ValidationError(f"{where}: not a regular file ({file_kind(st.st_mode)})")
    if st.st_size == 0:  # also what /proc files say: nothing to copy
        raise ValidationError(f"{where}: the file is empty")
    info = await stores.inspect(str(p))
    problem = image_problem(info)
    if problem:
        raise ValidationError(f"{where}: {problem}")
    return DiskImage(lun, str(p), str(info.format), int(info.file_size), int(info.virtual_size))


def image_problem(info: Any) -> str | None:
    """Why the engine's ImageInfo is no image a version can hold, or None:
    a raw image is non-empty and whole 512-byte sectors (a fixed VHD cut
    short reads as raw and fails here); a VHD is fixed or dynamic (a
    differencing one needs its parent) with a non-zero virtual size."""
    size = int(info.file_size)
    if info.format == "raw":
        if size == 0:
            return "the file is empty"
        if size % SECTOR:
            return (
                f"its size ({size} bytes) is not a whole number of {SECTOR}-byte sectors: "
                "not a raw image (a VHD cut short?)"
            )
        return None
    if info.vhd_type not in ("fixed", "dynamic"):
        return (
            f"a {info.vhd_type} VHD is not a whole image (it needs its parent): "
            "convert it to a fixed or dynamic VHD first"
        )
    if int(info.virtual_size) == 0:
        return f"a {info.vhd_type} VHD with a virtual size of 0 bytes holds no disk"
    return None


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
