"""`imgrepl sig image-version export / import`: a version as one bundle file
or stream (`-`), so `export ... --out - | ssh host imgrepl ... import
--bundle -` carries it to a gallery with no other path to this one.
Arguments only at import time."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from imgrepl.cli.common import add_common, add_version_args, progress_bars, runner

if TYPE_CHECKING:
    from imgrepl.api.client import Client

EXPORT_COLUMNS = ["bundle", "sizeInBytes", "chunks", "zeroChunks", "baseChunks"]


async def _export(c: Client, a: argparse.Namespace) -> Any:
    import sys

    to_stdout = a.out == "-"
    update, stop = progress_bars(a)
    try:
        stats = await c.export_version(
            a.gallery_name,
            a.gallery_image_definition,
            a.gallery_image_version,
            sys.stdout.buffer if to_stdout else a.out,
            base=a.base,
            on_progress=None if update is None else lambda d, t: update({"export": (d, t)}),
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


async def _import(c: Client, a: argparse.Namespace) -> Any:
    import sys

    update, stop = progress_bars(a)
    try:
        version = await c.import_version(
            a.gallery_name,
            a.gallery_image_definition,
            sys.stdin.buffer if a.bundle == "-" else a.bundle,
            location=a.location,
            name=a.gallery_image_version,
            target_regions=a.target_regions,
            replica_count=a.replica_count,
            storage_account_type=a.storage_account_type,
            on_progress=update,
        )
    finally:
        stop()
    data = version.to_azure()
    status = data.get("replicationStatus") or {}
    return (data, 0 if status.get("aggregatedState") == "Completed" else 1)


def _exit_with(action: Any) -> Any:
    """Prints the resource and exits 1 when a region failed, like `create`."""

    async def run(c: Client, a: argparse.Namespace) -> Any:
        from imgrepl.cli.common import emit

        data, status = await action(c, a)
        emit(a, data)
        return status

    return run


def register(cmds: Any) -> None:
    ex = add_common(
        cmds.add_parser("export", help="write a version as one bundle file (or - for stdout)")
    )
    add_version_args(ex)
    ex.add_argument("--gallery-image-version", "-e", required=True, help="MAJOR.MINOR.PATCH")
    ex.add_argument("--out", required=True, metavar="FILE", help="the bundle to write; - = stdout")
    ex.add_argument(
        "--base",
        metavar="VERSION",
        help="leave out chunks this earlier version holds (the receiver must have it)",
    )
    ex.set_defaults(run=runner(_export), columns=EXPORT_COLUMNS)

    im = add_common(cmds.add_parser("import", help="publish a version from a bundle"))
    add_version_args(im)
    im.add_argument("--bundle", required=True, metavar="FILE", help="the bundle; - = stdin")
    im.add_argument(
        "--gallery-image-version", "-e", help="name of the new version (default: the bundle's)"
    )
    im.add_argument("--location", "-l", required=True, help="source (home) region here")
    im.add_argument(
        "--target-regions",
        nargs="+",
        metavar="REGION[=COUNT[=TYPE]]",
        help="regions to replicate to, e.g. westeurope=2 eastus",
    )
    im.add_argument("--replica-count", type=int, default=1, help="default replicas per region")
    im.add_argument(
        "--storage-account-type",
        default="Standard_LRS",
        help="Standard_LRS, Standard_ZRS or Premium_LRS",
    )
    im.set_defaults(run=runner(_exit_with(_import)), columns=None)
