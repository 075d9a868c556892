"""`imgrepl disk create`: a new disk from a replica of an image version."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from imgrepl.cli.common import add_common, runner

if TYPE_CHECKING:
    from imgrepl.api.client import Client


async def _create(c: Client, a: argparse.Namespace) -> Any:
    return await c.create_disk(a.image, a.location, a.out, lun=a.lun, overwrite=a.overwrite)


def register(sub: Any) -> None:
    p = sub.add_parser("disk", help="make disks from image versions")
    cmds = p.add_subparsers(dest="disk_command", metavar="COMMAND", required=True)
    create = add_common(cmds.add_parser("create", help="create a disk from a region's replica"))
    create.add_argument("--image", required=True, help="GALLERY/DEFINITION/VERSION or .../latest")
    create.add_argument("--location", "-l", required=True, help="region to deploy in")
    create.add_argument("--out", required=True, help="path of the new disk")
    create.add_argument("--lun", type=int, help="a data disk instead of the OS disk")
    create.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    create.set_defaults(run=runner(_create), columns=["path", "region", "sizeInBytes", "seconds"])
