"""`imgrepl sig image-version ...`: the commands' arguments, summaries,
descriptions and examples (what they do is in version_actions).  Only
arguments at import time, so `imgrepl --help` stays fast."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from imgrepl.cli import sig_bundles
from imgrepl.cli import version_actions as act
from imgrepl.cli.common import Action, add_version_args, home_command
from imgrepl.cli.config import add_location
from imgrepl.cli.formats import compile_query
from imgrepl.cli.parser import add_group, choice
from imgrepl.cli.updates import add_generic_update, add_tags

CMD = "imgrepl sig image-version"
ONE = "-r MyGallery -i MyImage -e 1.0.0"
STORAGE_TYPES = ("Standard_LRS", "Standard_ZRS", "Premium_LRS")


def _cmd(
    cmds: Any,
    name: str,
    action: Action,
    help: str,
    description: str,
    example: Sequence[tuple[str, str]],
    columns: list[str] | None = None,
) -> argparse.ArgumentParser:
    """A command on one version (every version for `list`); without
    `columns`, the version's own table."""
    p = home_command(
        cmds, name, action, help=help, description=description, example=example, columns=columns
    )
    p.set_defaults(table=None if columns else act.version_table)
    add_version_args(p)
    if name != "list":
        p.add_argument(
            "--gallery-image-version",
            "-e",
            required=True,
            help="version name, MAJOR.MINOR.PATCH" + (", or latest" if name == "show" else ""),
        )
    return p


def _flag(p: argparse.ArgumentParser, name: str, help_: str) -> None:
    p.add_argument(name, action="store_true", help=help_)


def _background(p: argparse.ArgumentParser) -> None:
    _flag(p, "--no-wait", "return at once; a background process replicates (see `wait`)")
    p.add_argument("--cap-mbps", type=float, help="cap each copy job's source reads (MB/s)")
    _flag(
        p,
        "--no-delta",
        "copy every region's first replica in full, even where the region holds an "
        "earlier version of the definition to take unchanged chunks from",
    )


def _polling(p: argparse.ArgumentParser) -> None:
    p.add_argument("--timeout", type=float, help="give up after this many seconds")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between polls (default 1)")


def _publishing(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--target-regions",
        nargs="+",
        action="extend",
        metavar="REGION[=COUNT[=TYPE]]",
        help="regions to replicate to, with replica count and storage type; the source "
        "region must be one, e.g. westeurope=2 eastus northeurope=1=Standard_ZRS",
    )
    p.add_argument(
        "--replica-count",
        type=int,
        help="replicas in a region that gives no count (1-100, default 1)",
    )
    p.add_argument(
        "--exclude-from-latest",
        nargs="?",
        const="true",  # the bare flag, as imgrepl's create took it, means true
        metavar="true|false",
        help="true: `latest` never resolves to this version (as in az, on create and update)",
    )
    p.add_argument("--end-of-life-date", help="ISO-8601 date, e.g. 2030-12-31 (informational)")
    _flag(p, "--allow-replicated-location-deletion", "allow removing regions that hold replicas")
    _background(p)


def _create(cmds: Any) -> None:
    create = _cmd(
        cmds,
        "create",
        act.create,
        help="create a version and replicate it",
        description="Create an image version from a VHD or raw file (or another version) and "
        "copy it to every target region, showing progress per region.  The source is read "
        "once; replicas in a region are made inside it.  Exit status 1 if a region failed; "
        "`replicate --retry-failed` retries it.  Regions come from `imgrepl region add`.",
        example=[
            (
                "Publish 1.0.0 to three regions: two replicas in West Europe (the source), one in "
                "East US, one zone-redundant in North Europe.",
                f"{CMD} create {ONE} -l westeurope --os-vhd ./disk.vhd --target-regions "
                "westeurope=2 eastus northeurope=1=Standard_ZRS",
            ),
            (
                "With a data disk at LUN 0, returning at once.",
                f"{CMD} create -r MyGallery -i MyImage -e 1.1.0 -l westeurope --os-vhd os.vhd "
                "--data-vhds 0=data.vhd --no-wait",
            ),
        ],
    )
    add_location(create, "the source (home) region", required=True)
    create.add_argument(
        "--os-vhd", "--os-vhd-uri", dest="os_vhd", help="OS disk image: a VHD or raw file"
    )
    create.add_argument(
        "--data-vhds",
        nargs="+",
        action="extend",  # given twice: both lists, checked for duplicate LUNs
        metavar="LUN=PATH",
        help="data disk images by LUN (0-63), e.g. 0=data.vhd 1=logs.raw",
    )
    create.add_argument(
        "--data-vhds-uris",
        nargs="+",
        action="extend",
        metavar="URI",
        help="az's form: data disk images, at --data-vhds-luns (default 0, 1, ...)",
    )
    create.add_argument(
        "--data-vhds-luns",
        nargs="+",
        action="extend",
        type=int,
        metavar="LUN",
        help="LUNs of --data-vhds-uris, one each",
    )
    for flag in ("--os-vhd-storage-account", "--data-vhds-storage-accounts"):
        # az needs the storage account of a blob; imgrepl reads the file or URL itself
        create.add_argument(
            flag,
            nargs="+",
            metavar="ACCOUNT",
            help="accepted for az scripts; not needed, so not used",
        )
    create.add_argument(
        "--image-version",
        help="source: another version of the same resource group, GALLERY/DEF/VERSION or its "
        "ARM id (/subscriptions/.../versions/X.Y.Z)",
    )
    create.add_argument(
        "--storage-account-type",
        default="Standard_LRS",
        help="storage type of regions that give none (default Standard_LRS; Standard_ZRS "
        "keeps each replica in every zone of the region)",
        **choice(*STORAGE_TYPES),
    )
    add_tags(create, "version")
    _publishing(create)


def _update(cmds: Any) -> None:
    update = _cmd(
        cmds,
        "update",
        act.update,
        help="change regions, counts, latest or end-of-life",
        description="Change what may change after creation: target regions and their replica "
        "counts (a new region is replicated to; a lower count or a removed region deletes "
        "replicas), exclude-from-latest and the end-of-life date.",
        example=[
            (
                "Add a region with two replicas.",
                f"{CMD} update {ONE} --add-target-region eastus2=2",
            ),
            ("Keep 1.0.0 out of `latest`.", f"{CMD} update {ONE} --exclude-from-latest true"),
        ],
    )
    _publishing(update)
    update.add_argument(
        "--add-target-region",
        action="append",
        metavar="REGION[=COUNT[=TYPE]]",
        help="a region to add (repeatable)",
    )
    update.add_argument(
        "--remove-target-region", action="append", metavar="REGION", help="a region to remove"
    )
    add_tags(update, "version (replacing them all)")
    add_generic_update(update, "publishingProfile.replicaCount=2")


def _read_only(cmds: Any) -> None:
    show = _cmd(
        cmds,
        "show",
        act.show,
        help="show a version",
        description="Show a version; --expand ReplicationStatus adds each region's state and "
        "progress.",
        example=[
            (
                "The version `latest` resolves to in East US, with its replication status.",
                f"{CMD} show -r MyGallery -i MyImage -e latest -l eastus "
                "--expand ReplicationStatus",
            )
        ],
    )
    show.add_argument("--expand", help="add replicationStatus", **choice("ReplicationStatus"))
    add_location(show, "region for resolving `latest`", required=False)
    _flag(show, "--watch", "follow the replication with bars per region until it ends")
    _polling(show)
    ls = _cmd(
        cmds,
        "list",
        act.list_versions,
        help="list versions",
        description="List the versions of an image definition with their replication state.",
        example=[
            (
                "Names of the versions that succeeded, one a line.",
                f"{CMD} list -r MyGallery -i MyImage --query "
                "\"[?provisioningState=='Succeeded'].name\" -o tsv",
            )
        ],
    )
    _flag(ls, "--exclude-end-of-life", "leave out versions past their end-of-life date")
    _cmd(
        cmds,
        "list-replicas",
        act.replicas,
        columns=act.REPLICA_COLUMNS,
        help="every replica with its location",
        description="List every replica of a version: region, zone, disk, state and where "
        "its bytes are.",
        example=[("Where the replicas are.", f"{CMD} list-replicas {ONE}")],
    )
    _cmd(
        cmds,
        "cost",
        act.cost,
        columns=["region", "replicas", "storageBytes", "egressBytes", "localBytes"],
        help="storage and egress bytes per region",
        description="What a version costs: storage (size x replicas x regions) and egress "
        "(bytes that crossed into each region other than the source).",
        example=[("Storage and egress per region.", f"{CMD} cost {ONE}")],
    )


def register(sub: Any) -> None:
    cmds = add_group(
        sub,
        "image-version",
        "manage image versions and their replicas",
        "Image versions: the disks of an image definition, replicated to target regions.",
    )
    _create(cmds)
    _update(cmds)
    _read_only(cmds)
    rep = _cmd(
        cmds,
        "replicate",
        act.replicate,
        help="resume replication; retry failed regions",
        description="Finish an interrupted replication; with --retry-failed, copy failed "
        "replicas again.  Replicas already complete are not copied again.",
        example=[("Retry the regions that failed.", f"{CMD} replicate {ONE} --retry-failed")],
    )
    _flag(rep, "--retry-failed", "also recopy failed replicas")
    _background(rep)
    wait = _cmd(
        cmds,
        "wait",
        act.wait,
        help="wait for a replication, or for a condition as az's wait",
        description="Wait until a version's replication (e.g. from --no-wait, in any process) "
        "has finished, with bars per region on a terminal; or, as az's wait, until the "
        "version is created, updated, deleted, exists, or meets a JMESPath condition.",
        example=[
            ("Wait at most an hour for the replication.", f"{CMD} wait {ONE} --timeout 3600"),
            (
                "Wait until East US has every replica.",
                f"{CMD} wait {ONE} --custom \"replicationStatus.summary[?region=='eastus'] | "
                "[0].state=='Completed'\"",
            ),
        ],
    )
    _polling(wait)
    until = wait.add_mutually_exclusive_group()
    for name, what in (
        ("created", "it exists with provisioningState Succeeded"),
        ("updated", "its provisioningState is Succeeded"),
        ("deleted", "it no longer exists"),
        ("exists", "it exists"),
    ):
        until.add_argument(
            f"--{name}",
            dest="condition",
            action="store_const",
            const=name,
            help=f"wait until {what}",
        )
    until.add_argument(
        "--custom",
        type=compile_query,
        metavar="JMESPATH",
        help="wait until this JMESPath query of the version's JSON (with "
        "replicationStatus) is true",
    )
    _cmd(
        cmds,
        "delete",
        act.delete,
        help="delete a version and all its replicas",
        description="Delete a version and every replica of it, in every region.",
        example=[("Delete 1.0.0.", f"{CMD} delete {ONE}")],
    )
    verify = _cmd(
        cmds,
        "verify",
        act.verify,
        columns=act.CHECK_COLUMNS,
        help="re-check replicas against the manifest",
        description="Re-read every replica against the version's manifest; exit status 1 if "
        "one is bad.  --repair rewrites bad chunks from a good replica.",
        example=[("Check and repair.", f"{CMD} verify {ONE} --repair")],
    )
    _flag(verify, "--repair", "fix bad chunks from good replicas")
    sig_bundles.register(cmds)
