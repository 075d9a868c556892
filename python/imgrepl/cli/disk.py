"""`imgrepl disk create`: a new disk from a replica of an image version."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from imgrepl.cli.common import home_command
from imgrepl.cli.config import add_location
from imgrepl.cli.parser import add_group

if TYPE_CHECKING:
    from imgrepl.api.client import Client


async def _create(c: Client, a: argparse.Namespace) -> Any:
    return await c.create_disk(a.image, a.location, a.out, lun=a.lun, overwrite=a.overwrite)


def register(sub: Any, summary: str) -> None:
    cmds = add_group(
        sub,
        "disk",
        summary,
        "Disks made from the replicas of image versions.",
    )
    create = home_command(
        cmds,
        "create",
        _create,
        columns=["path", "region", "sizeInBytes", "seconds"],
        help="create a disk from a region's replica",
        description="Write a new disk from a replica in the given region, as a VM deployment "
        "does; `latest` resolves in that region.",
        example=[
            (
                "The OS disk of the latest version in East US.",
                "imgrepl disk create --image MyGallery/MyImage/latest -l eastus --out vm1.vhd",
            )
        ],
    )
    create.add_argument("--image", required=True, help="GALLERY/DEFINITION/VERSION or .../latest")
    add_location(create, "region to deploy in", required=True)
    create.add_argument("--out", required=True, help="path of the new disk")
    create.add_argument("--lun", type=int, help="a data disk instead of the OS disk")
    create.add_argument("--overwrite", action="store_true", help="replace an existing --out")
