"""`imgrepl sig image-version export / import`: a version as one bundle file
or stream (`-`), so `export ... --out - | ssh host imgrepl ... import
--bundle -` carries it to a gallery with no other path to this one.
Arguments only at import time; the actions import the client when run."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from imgrepl.cli.common import add_version_args, home_command
from imgrepl.cli.config import add_location
from imgrepl.cli.parser import choice

if TYPE_CHECKING:
    from imgrepl.api.client import Client

CMD = "imgrepl sig image-version"
EXPORT_COLUMNS = ["bundle", "sizeInBytes", "chunks", "zeroChunks", "baseChunks"]


async def export(c: Client, a: argparse.Namespace) -> Any:
    import sys

    from imgrepl.cli.progress import region_bars

    to_stdout = a.out == "-"
    update, stop = region_bars(a)
    try:
        stats = await c.export_version(
            a.gallery_name,
            a.gallery_image_definition,
            a.gallery_image_version,
            sys.stdout.buffer if to_stdout else a.out,
            base=a.base,
            on_progress=lambda done, total: update({"export": (done, total)}),
        )
    finally:
        stop()
    if to_stdout:
        return None  # stdout is the bundle: nothing else may go there
    return {
        "bundle": a.out,
        "sizeInBytes": stats.bytes_out,
        "chunks": stats.chunks,
        "zeroChunks": stats.zero_chunks,
        "baseChunks": stats.base_chunks,
        "chunkBytes": stats.bytes_in,
        "base": a.base,
    }


async def import_(c: Client, a: argparse.Namespace) -> Any:
    import sys

    from imgrepl.cli import version_actions

    return await version_actions._replicated(  # bars, failed regions, exit status as create
        c,
        a,
        lambda on_progress: c.import_version(
            a.gallery_name,
            a.gallery_image_definition,
            sys.stdin.buffer if a.bundle == "-" else a.bundle,
            location=a.location,
            name=a.gallery_image_version,
            target_regions=a.target_regions,
            replica_count=a.replica_count,
            storage_account_type=a.storage_account_type,
            on_progress=on_progress,
        ),
    )


def register(cmds: Any) -> None:
    ex = home_command(
        cmds,
        "export",
        export,
        columns=EXPORT_COLUMNS,
        help="write a version as one bundle file (or - for stdout)",
        description="Write a version's metadata, disk manifests and chunks (zstd-compressed; "
        "zero chunks left out) to one file, to publish it in another gallery with "
        "`import`.  With --base, chunks that the base version also holds are left out too: "
        "the receiving gallery must have the base version.  Format: docs/bundle-format.md.",
        example=[
            ("Export 1.0.0 to a file.", f"{CMD} export -r G -i D -e 1.0.0 --out v1.bundle"),
            (
                "Only what changed since 1.0.0, to stdout (pipe it into `ssh host imgrepl "
                "sig image-version import ... --bundle -`).",
                f"{CMD} export -r G -i D -e 1.1.0 --base 1.0.0 --out -",
            ),
        ],
    )
    add_version_args(ex)
    ex.add_argument(
        "--gallery-image-version", "-e", required=True, help="version name, MAJOR.MINOR.PATCH"
    )
    ex.add_argument("--out", required=True, metavar="FILE", help="the bundle to write; - = stdout")
    ex.add_argument(
        "--base",
        metavar="VERSION",
        help="leave out chunks this earlier version holds (the receiver must have it)",
    )

    im = home_command(
        cmds,
        "import",
        import_,
        help="publish a version from a bundle",
        description="Check every chunk of a bundle made by `export`, rebuild its disks "
        "(taking chunks left out with --base from this gallery's replicas of the base "
        "version), then publish and replicate it as `create` does.  A truncated, corrupt "
        "or unmatched bundle is refused naming the first bad chunk, and nothing is recorded.",
        example=[
            (
                "Publish a bundle to two regions.",
                f"{CMD} import -r G -i D -l westeurope --bundle v1.bundle "
                "--target-regions westeurope=2 eastus",
            )
        ],
    )
    im.set_defaults(table=None, no_wait=False)
    add_version_args(im)
    im.add_argument("--bundle", required=True, metavar="FILE", help="the bundle; - = stdin")
    im.add_argument(
        "--gallery-image-version",
        "-e",
        help="name of the new version (default: the bundle's version name)",
    )
    add_location(im, "source (home) region of the new version", required=True)
    im.add_argument(
        "--target-regions",
        nargs="+",
        metavar="REGION[=COUNT[=TYPE]]",
        help="regions to replicate to, e.g. westeurope=2 eastus (default: the source region)",
    )
    im.add_argument(
        "--replica-count", type=int, default=1, help="default replicas per region (1-100)"
    )
    im.add_argument(
        "--storage-account-type",
        default="Standard_LRS",
        help="default storage type of the target regions",
        **choice("Standard_LRS", "Standard_ZRS", "Premium_LRS"),
    )
