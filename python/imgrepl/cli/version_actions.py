"""What `imgrepl sig image-version ...` commands do (create, show, list,
update, delete, wait, replicate, list-replicas, verify, cost) and the
version's table; their arguments and help are in sig_versions."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from imgrepl.cli.common import key_values
from imgrepl.cli.updates import changes

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


def _data_vhds(a: argparse.Namespace) -> dict[int, str]:
    """LUN=PATH items from every --data-vhds given and from az's
    --data-vhds-uris/--data-vhds-luns pairs; a LUN given twice is refused,
    never one of its images silently dropped."""
    from imgrepl.exceptions import ValidationError

    uris, luns = a.data_vhds_uris or [], a.data_vhds_luns
    if luns is not None and len(luns) != len(uris):
        raise ValidationError(
            f"--data-vhds-luns gives {len(luns)} LUNs for {len(uris)} --data-vhds-uris; "
            "give one LUN per URI"
        )
    luns = list(range(len(uris))) if luns is None else luns  # az's default: 0, 1, ...
    items = [*(a.data_vhds or []), *(f"{n}={uri}" for n, uri in zip(luns, uris, strict=True))]
    out: dict[int, str] = {}
    for item in items:
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

    from imgrepl.cli.progress import region_bars

    update, stop = region_bars(a)
    try:
        version = await work(update)
    finally:
        stop()
    a.replicating = True
    if a.no_wait:
        return _shown(a, version)
    status = version.replication_status
    # InProgress here: region agents copy the rest (this process only recorded it)
    if status is not None and status.aggregated_state == "InProgress" and not a.only_show_errors:
        print(
            "the region agents replicate the rest; follow it with "
            "`imgrepl sig image-version wait` or `show --expand ReplicationStatus`",
            file=sys.stderr,
        )
    failed = _said_failed(version)
    if a.output == "table" and not a.only_show_errors:  # scripts read stdout alone
        cost = await c.cost(version.gallery, version.definition, version.name)
        replicas = sum(r.replicas for r in cost.regions)
        print(
            f"storage {cost.storage_bytes:,} bytes in {replicas} replicas in "
            f"{len(cost.regions)} regions; egress {cost.egress_bytes:,} bytes",
            file=sys.stderr,
        )
    return _Fail(_shown(a, version)) if failed else _shown(a, version)


def _said_failed(version: Any) -> bool:
    """True, with a line on stderr per region that did not complete, when the
    version's replication ended other than Completed."""
    import sys

    status = version.replication_status
    # InProgress: region agents copy the rest (not a failure)
    failed = status is not None and status.aggregated_state not in ("Completed", "InProgress")
    for s in status.summary if failed and status else []:
        if s.state != "Completed":
            print(f"region {s.region}: {s.state}: {s.details}", file=sys.stderr)
    return failed


class _Fail(dict[str, Any]):
    """A result printed like any other, with exit status 1."""

    exit_status = 1


def _exclude(a: argparse.Namespace) -> bool | None:
    """--exclude-from-latest true|false (None when not given)."""
    from imgrepl.gallery.builders import parse_bool

    given = a.exclude_from_latest
    return None if given is None else parse_bool("--exclude-from-latest", given)


async def create(c: Client, a: argparse.Namespace) -> Any:
    return await _replicated(
        c,
        a,
        lambda cb: c.create_image_version(
            *_ids(a),
            location=a.location,
            os_vhd=a.os_vhd,
            data_vhds=_data_vhds(a),
            source_version=a.image_version,
            target_regions=a.target_regions,
            replica_count=1 if a.replica_count is None else a.replica_count,  # 0 is refused
            storage_account_type=a.storage_account_type,
            exclude_from_latest=_exclude(a) or False,
            end_of_life_date=a.end_of_life_date,
            allow_replicated_location_deletion=a.allow_replicated_location_deletion,
            tags=key_values(a.tags, "tag"),
            wait=not a.no_wait,
            on_progress=cb,
            cap_mbps=a.cap_mbps,
            delta=not a.no_delta,
        ),
    )


async def update(c: Client, a: argparse.Namespace) -> Any:
    exclude = _exclude(a)
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
            changes=changes(a),
            wait=not a.no_wait,
            on_progress=cb,
            cap_mbps=a.cap_mbps,
            delta=not a.no_delta,
        ),
    )


async def replicate(c: Client, a: argparse.Namespace) -> Any:
    return await _replicated(
        c,
        a,
        lambda cb: c.replicate(
            *_ids(a),
            retry_failed=a.retry_failed,
            wait=not a.no_wait,
            on_progress=cb,
            cap_mbps=a.cap_mbps,
            delta=not a.no_delta,
        ),
    )


async def show(c: Client, a: argparse.Namespace) -> Any:
    g, d, v = _ids(a)
    version = await c.get_image_version(g, d, v, location=a.location)
    if a.watch:  # `latest` resolved once, then that version followed
        a.expand = "ReplicationStatus"
        version = await _follow(c, a, version.name)
    return _shown(a, version)


async def list_versions(c: Client, a: argparse.Namespace) -> Any:
    found = await c.list_image_versions(
        a.gallery_name, a.gallery_image_definition, include_end_of_life=not a.exclude_end_of_life
    )
    a.expand = "ReplicationStatus"
    return [_shown(a, v) for v in found]


async def wait(c: Client, a: argparse.Namespace) -> Any:
    a.expand = "ReplicationStatus"
    if a.condition is None and a.custom is None:  # exit status 1 if it failed, as create
        version = await _follow(c, a, a.gallery_image_version)
        return _Fail(_shown(a, version)) if _said_failed(version) else _shown(a, version)
    return await _until(c, a)


async def _until(c: Client, a: argparse.Namespace) -> Any:
    """az's wait: polls until the condition holds; prints the version (nothing
    once --deleted)."""
    import asyncio
    import time

    from imgrepl.exceptions import CatalogError, NotFoundError

    deadline = None if a.timeout is None else time.monotonic() + a.timeout
    while True:
        try:
            data = (await c.get_image_version(*_ids(a))).to_azure()
        except NotFoundError:
            data = None
        except CatalogError:  # a database restart: ask again, until the deadline
            if deadline is not None and time.monotonic() >= deadline:
                raise
            await asyncio.sleep(a.interval)
            continue
        if _holds(a, data):
            return data
        if deadline is not None and time.monotonic() >= deadline:
            what = a.condition or "matching the --custom query"
            raise TimeoutError(f"{'/'.join(_ids(a))}: not {what} after {a.timeout:g} s")
        await asyncio.sleep(a.interval)


def _holds(a: argparse.Namespace, data: dict[str, Any] | None) -> bool:
    if a.condition == "deleted":
        return data is None
    if data is None:
        return False
    if a.condition in ("created", "updated"):
        return bool(data["provisioningState"] == "Succeeded")
    return a.condition == "exists" or bool(a.custom.search(data))


async def _follow(c: Client, a: argparse.Namespace, name: str) -> Any:
    """Polls the catalog through the client while the version replicates (in
    any process), drawing the same per-region bars as the replicating one;
    returns the version once its job has ended."""
    import asyncio
    import time

    from imgrepl.cli.logs import log
    from imgrepl.cli.progress import per_region, region_bars
    from imgrepl.exceptions import CatalogError

    g, d = a.gallery_name, a.gallery_image_definition
    deadline = None if a.timeout is None else time.monotonic() + a.timeout
    update, stop = region_bars(a)
    try:
        while True:
            try:
                version = await c.get_image_version(g, d, name)
                update(per_region(await c.list_replicas(g, d, name)))
            except CatalogError as exc:  # a database restart: ask again, until the deadline
                if deadline is not None and time.monotonic() >= deadline:
                    raise
                log.warning("%s; retrying", exc)
                await asyncio.sleep(a.interval)
                continue
            status = version.replication_status
            if status is None or status.aggregated_state != "InProgress":
                break
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"{g}/{d}/{name} still replicating after {a.timeout:g} s")
            await asyncio.sleep(a.interval)
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        return await c.wait_image_version(g, d, name, timeout=left)  # the job's own end
    finally:
        stop()


async def delete(c: Client, a: argparse.Namespace) -> Any:
    await c.delete_image_version(*_ids(a))  # one that is gone already is no error, as in az


async def replicas(c: Client, a: argparse.Namespace) -> Any:
    return await c.list_replicas(*_ids(a))


async def verify(c: Client, a: argparse.Namespace) -> Any:
    checks = await c.verify_image_version(*_ids(a), repair=a.repair)
    data = [x.to_azure() for x in checks]
    return data if all(x.ok for x in checks) else _FailList(data)


class _FailList(list[Any]):
    """Verification found a replica it could not make good: exit status 1."""

    exit_status = 1


async def cost(c: Client, a: argparse.Namespace) -> Any:
    cost = (await c.cost(*_ids(a))).to_azure()
    if a.output == "json":
        return cost
    total = {"region": "(total)", "replicas": sum(r["replicas"] for r in cost["regions"])}
    return [
        *cost["regions"],
        total | {k: cost[k] for k in ("storageBytes", "egressBytes", "localBytes")},
    ]
