"""`imgrepl region add|list|show|remove|limits`: the home's region registry."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from imgrepl.cli.common import add_common, runner

if TYPE_CHECKING:  # keeps `imgrepl --help` free of heavy imports
    from imgrepl.api.client import Client

COLUMNS = ["name", "displayName", "store", "availabilityZones", "replicaReadMbps", "storeOptions"]


def store_option(text: str) -> tuple[str, str]:
    """KEY=VALUE; the error never repeats the text (it may hold a secret)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError("expected KEY=VALUE (the value is not shown)")
    return key.strip(), value


async def _add(c: Client, a: argparse.Namespace) -> Any:
    return await c.add_region(
        a.name,
        a.store,
        zones=a.zones,
        replica_read_mbps=a.replica_read_mbps,
        store_options=dict(a.store_option or []),
    )


async def _list(c: Client, a: argparse.Namespace) -> Any:
    return await c.list_regions()


async def _show(c: Client, a: argparse.Namespace) -> Any:
    return await c.get_region(a.name)


async def _remove(c: Client, a: argparse.Namespace) -> Any:
    await c.remove_region(a.name)


async def _limits(c: Client, a: argparse.Namespace) -> Any:
    from dataclasses import asdict, replace

    limits = await c.get_limits()
    changes = {
        k: v
        for k, v in (
            ("galleries", a.galleries),
            ("definitions", a.image_definitions),
            ("versions", a.image_versions),
        )
        if v is not None
    }
    if changes:
        limits = await c.set_limits(replace(limits, **changes))
    return asdict(limits)


def register(sub: Any) -> None:
    p = sub.add_parser("region", help="manage the home's regions and their stores")
    cmds = p.add_subparsers(dest="region_command", metavar="COMMAND", required=True)

    add = add_common(cmds.add_parser("add", help="add a region with its store"))
    add.add_argument("name", help="region name, e.g. westeurope or 'West Europe'")
    add.add_argument(
        "--store", required=True, help="store URL: file:///path, a directory, s3://, az://"
    )
    add.add_argument(
        "--store-option",
        action="append",
        type=store_option,
        metavar="KEY=VALUE",
        help="s3:// or az:// store setting, repeatable (endpoint, allow_http, region, "
        "access_key_id, secret_access_key, account, access_key, sas_token...); never shown",
    )
    add.add_argument("--zones", type=int, default=0, help="availability zones (0-3)")
    add.add_argument(
        "--replica-read-mbps",
        type=float,
        default=None,
        help="read bandwidth of one replica in MB/s (models a per-blob limit)",
    )
    add.set_defaults(run=runner(_add), columns=COLUMNS)

    ls = add_common(cmds.add_parser("list", help="list regions"))
    ls.set_defaults(run=runner(_list), columns=COLUMNS)

    show = add_common(cmds.add_parser("show", help="show a region"))
    show.add_argument("name")
    show.set_defaults(run=runner(_show), columns=COLUMNS)

    rm = add_common(cmds.add_parser("remove", help="remove an unused region"))
    rm.add_argument("name")
    rm.set_defaults(run=runner(_remove))

    lim = add_common(cmds.add_parser("limits", help="show or set the per-region quotas"))
    lim.add_argument("--galleries", type=int)
    lim.add_argument("--image-definitions", type=int)
    lim.add_argument("--image-versions", type=int)
    lim.set_defaults(run=runner(_limits))
