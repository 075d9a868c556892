"""`imgrepl sig image-version ...`: create, show, list, update, delete, wait,
replicate, list-replicas, verify and cost.  Arguments only at import time."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from imgrepl.cli.common import (
    add_common,
    add_version_args,
    key_values,
    progress_bars,
    runner,
)

if TYPE_CHECKING:
    from imgrepl.api.client import Client

VERSION_COLUMNS = [
    "name",
    "location",
    "provisioningState",
    "publishingProfile.targetRegions",
    "publishingProfile.excludeFromLatest",
    "publishingProfile.endOfLifeDate",
    "replicationStatus.aggregatedState",
]
REGION_COLUMNS = ["region", "state", "progress", "details"]
REPLICA_COLUMNS = ["region", "zone", "index", "disk", "state", "sizeInBytes", "digest", "location"]
CHECK_COLUMNS = ["region", "zone", "index", "disk", "ok", "repaired", "verifyDetails"]


def version_table(data: Any) -> str:
    """The version's row; one version with its replication status expanded
    also gets a row per region."""
    from imgrepl.cli.formats import column_rows, format_rows

    text = format_rows(column_rows(data, VERSION_COLUMNS))
    status = data.get("replicationStatus") if isinstance(data, dict) else None
    if status:
        text += "\n" + format_rows(column_rows(status["summary"], REGION_COLUMNS))
    return text


def _ids(a: argparse.Namespace) -> tuple[str, str, str]:
    return a.gallery_name, a.gallery_image_definition, a.gallery_image_version


def _shown(a: argparse.Namespace, version: Any) -> Any:
    """The version's JSON; replicationStatus only with --expand, as in az."""
    data = version.to_azure()
    if getattr(a, "expand", None) is None and not getattr(a, "replicating", False):
        data.pop("replicationStatus", None)
    return data


def _data_vhds(items: list[str] | None) -> dict[int, str]:
    """LUN=PATH items (from every --data-vhds given); a LUN given twice is
    refused, never one of its images silently dropped."""
    from imgrepl.exceptions import ValidationError

    out: dict[int, str] = {}
    for item in items or []:
        lun, sep, path = item.partition("=")
        if not sep or not path:
            raise ValidationError(f"invalid --data-vhds item {item!r}: use LUN=PATH")
        if not lun.isdigit():
            raise ValidationError(f"invalid --data-vhds LUN {lun!r}: use LUN=PATH, e.g. 0=data.vhd")
        if int(lun) in out:
            raise ValidationError(
                f"--data-vhds: LUN {int(lun)} given twice ({out[int(lun)]} and {path}); "
                "each data disk needs its own LUN"
            )
        out[int(lun)] = path
    return out


async def _replicated(c: Client, a: argparse.Namespace, work: Any) -> Any:
    """Runs `work(on_progress)`; says what failed and what the replication
    costs (on a terminal table; `-o json` stays quiet); exit status 1 when a
    region failed."""
    import sys

    update, stop = progress_bars(a)
    try:
        version = await work(update)
    finally:
        stop()
    a.replicating = True
    if a.no_wait:
        return _shown(a, version)
    status = version.replication_status
    failed = status is not None and status.aggregated_state != "Completed"
    for s in status.summary if failed and status else []:
        if s.state != "Completed":
            print(f"region {s.region}: {s.state}: {s.details}", file=sys.stderr)
    if a.output == "table" and not a.only_show_errors:  # scripts read stdout alone
        cost = await c.cost(version.gallery, version.definition, version.name)
        replicas = sum(r.replicas for r in cost.regions)
        print(
            f"storage {cost.storage_bytes:,} bytes in {replicas} replicas in "
            f"{len(cost.regions)} regions; egress {cost.egress_bytes:,} bytes",
            file=sys.stderr,
        )
    return _Fail(_shown(a, version)) if failed else _shown(a, version)


class _Fail(dict[str, Any]):
    """A result printed like any other, with exit status 1."""

    exit_status = 1


async def _create(c: Client, a: argparse.Namespace) -> Any:
    return await _replicated(
        c,
        a,
        lambda cb: c.create_image_version(
            *_ids(a),
            location=a.location,
            os_vhd=a.os_vhd,
            data_vhds=_data_vhds(a.data_vhds),
            source_version=a.image_version,
            target_regions=a.target_regions,
            replica_count=a.replica_count or 1,
            storage_account_type=a.storage_account_type,
            exclude_from_latest=a.exclude_from_latest,
            end_of_life_date=a.end_of_life_date,
            allow_replicated_location_deletion=a.allow_replicated_location_deletion,
            wait=not a.no_wait,
            on_progress=cb,
            cap_mbps=a.cap_mbps,
        ),
    )


async def _update(c: Client, a: argparse.Namespace) -> Any:
    from imgrepl.gallery.builders import parse_bool

    exclude = (
        None
        if a.exclude_from_latest is None
        else parse_bool("--exclude-from-latest", a.exclude_from_latest)
    )
    return await _replicated(
        c,
        a,
        lambda cb: c.update_image_version(
            *_ids(a),
            target_regions=a.target_regions,
            add_target_regions=a.add_target_region or (),
            remove_target_regions=a.remove_target_region or (),
            replica_count=a.replica_count,
            exclude_from_latest=exclude,
            end_of_life_date=a.end_of_life_date,
            allow_replicated_location_deletion=a.allow_replicated_location_deletion,
            changes=key_values(a.set, "--set item"),
            wait=not a.no_wait,
            on_progress=cb,
            cap_mbps=a.cap_mbps,
        ),
    )


async def _replicate(c: Client, a: argparse.Namespace) -> Any:
    return await _replicated(
        c,
        a,
        lambda cb: c.replicate(
            *_ids(a),
            retry_failed=a.retry_failed,
            wait=not a.no_wait,
            on_progress=cb,
            cap_mbps=a.cap_mbps,
        ),
    )


async def _show(c: Client, a: argparse.Namespace) -> Any:
    g, d, v = _ids(a)
    return _shown(a, await c.get_image_version(g, d, v, location=a.location))


async def _list(c: Client, a: argparse.Namespace) -> Any:
    found = await c.list_image_versions(
        a.gallery_name, a.gallery_image_definition, include_end_of_life=not a.exclude_end_of_life
    )
    a.expand = "ReplicationStatus"
    return [_shown(a, v) for v in found]


async def _wait(c: Client, a: argparse.Namespace) -> Any:
    a.expand = "ReplicationStatus"
    return _shown(a, await c.wait_image_version(*_ids(a), timeout=a.timeout))


async def _delete(c: Client, a: argparse.Namespace) -> Any:
    await c.delete_image_version(*_ids(a))


async def _replicas(c: Client, a: argparse.Namespace) -> Any:
    return await c.list_replicas(*_ids(a))


async def _verify(c: Client, a: argparse.Namespace) -> Any:
    checks = await c.verify_image_version(*_ids(a), repair=a.repair)
    data = [x.to_azure() for x in checks]
    return data if all(x.ok for x in checks) else _FailList(data)


class _FailList(list[Any]):
    """Verification found a replica it could not make good: exit status 1."""

    exit_status = 1


async def _cost(c: Client, a: argparse.Namespace) -> Any:
    cost = (await c.cost(*_ids(a))).to_azure()
    if a.output == "json":
        return cost
    total = {"region": "(total)", "replicas": sum(r["replicas"] for r in cost["regions"])}
    return [*cost["regions"], total | {k: cost[k] for k in ("storageBytes", "egressBytes")}]


def _cmd(cmds: Any, name: str, help_: str, action: Any, columns: list[str] | None) -> Any:
    """A command on one version (all versions for `list`); `columns=None`
    for the version's own table."""
    p = add_common(cmds.add_parser(name, help=help_))
    add_version_args(p)
    if name != "list":
        p.add_argument(
            "--gallery-image-version",
            "-e",
            required=True,
            help="MAJOR.MINOR.PATCH" + (" or latest" if name == "show" else ""),
        )
    p.set_defaults(run=runner(action), columns=columns, table=None if columns else version_table)
    return p


def _flag(p: argparse.ArgumentParser, name: str, help_: str) -> None:
    p.add_argument(name, action="store_true", help=help_)


def _cap(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cap-mbps", type=float, help="cap each copy job's source reads (MB/s)")


def _publishing(p: argparse.ArgumentParser, *, create: bool) -> None:
    p.add_argument(
        "--target-regions",
        nargs="+",
        action="extend",
        metavar="REGION[=COUNT[=TYPE]]",
        help="regions to replicate to, e.g. westeurope=2 eastus=1=Standard_ZRS",
    )
    p.add_argument("--replica-count", type=int, help="default replicas per region (1-100)")
    p.add_argument("--end-of-life-date", help="ISO-8601 date, e.g. 2030-12-31")
    _flag(p, "--allow-replicated-location-deletion", "allow removing regions that hold replicas")
    _flag(p, "--no-wait", "return at once; replicate in the background")
    _cap(p)
    if create:
        p.add_argument("--exclude-from-latest", action="store_true")
    else:
        p.add_argument("--exclude-from-latest", metavar="true|false")


def register(sub: Any) -> None:
    p = sub.add_parser("image-version", help="manage image versions and their replicas")
    cmds = p.add_subparsers(dest="version_command", metavar="COMMAND", required=True)

    create = _cmd(cmds, "create", "create a version and replicate it", _create, None)
    create.add_argument("--location", "-l", required=True, help="source (home) region")
    create.add_argument("--os-vhd", help="OS disk image: a VHD or raw file")
    create.add_argument(
        "--data-vhds",
        nargs="+",
        action="extend",  # given twice: both lists, checked for duplicate LUNs
        metavar="LUN=PATH",
        help="data disk images",
    )
    create.add_argument("--image-version", help="source: another version, GALLERY/DEF/VERSION")
    create.add_argument(
        "--storage-account-type",
        default="Standard_LRS",
        help="Standard_LRS, Standard_ZRS or Premium_LRS",
    )
    _publishing(create, create=True)

    update = _cmd(cmds, "update", "change regions, counts, latest/end-of-life", _update, None)
    _publishing(update, create=False)
    update.add_argument("--add-target-region", action="append", metavar="REGION[=COUNT[=TYPE]]")
    update.add_argument("--remove-target-region", action="append", metavar="REGION")
    update.add_argument(
        "--set", nargs="*", action="extend", metavar="FIELD=VALUE", help="Azure field names"
    )

    show = _cmd(cmds, "show", "show a version", _show, None)
    show.add_argument("--expand", choices=("ReplicationStatus",), help="add replicationStatus")
    show.add_argument("--location", "-l", help="region for resolving `latest`")

    ls = _cmd(cmds, "list", "list versions", _list, None)
    ls.add_argument(
        "--exclude-end-of-life",
        action="store_true",
        help="leave out versions past their end-of-life date",
    )

    rep = _cmd(cmds, "replicate", "resume replication; retry failed regions", _replicate, None)
    rep.add_argument("--retry-failed", action="store_true", help="also recopy failed replicas")
    rep.add_argument("--no-wait", action="store_true", help="return at once")
    _cap(rep)

    wait = _cmd(cmds, "wait", "wait for a running replication", _wait, None)
    wait.add_argument("--timeout", type=float, help="seconds")

    _cmd(cmds, "delete", "delete a version and all its replicas", _delete, None)
    _cmd(cmds, "list-replicas", "every replica with its location", _replicas, REPLICA_COLUMNS)
    verify = _cmd(cmds, "verify", "re-check replicas against the manifest", _verify, CHECK_COLUMNS)
    verify.add_argument("--repair", action="store_true", help="fix bad chunks from good replicas")
    _cmd(
        cmds,
        "cost",
        "storage and egress bytes per region",
        _cost,
        ["region", "replicas", "storageBytes", "egressBytes"],
    )
