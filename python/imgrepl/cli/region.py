"""`imgrepl region add|list|show|remove|limits`: the home's region registry."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from imgrepl.cli.common import home_command
from imgrepl.cli.parser import add_group

if TYPE_CHECKING:  # keeps `imgrepl --help` free of heavy imports
    from imgrepl.api.client import Client

COLUMNS = [
    "name",
    "displayName",
    "store",
    "availabilityZones",
    "replicaReadMbps",
    "storeOptions",
    "agentServed",
]


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
        check=not a.no_check,
        agent_served=a.agent_served,
    )


async def _update(c: Client, a: argparse.Namespace) -> Any:
    return await c.update_region(a.name, agent_served=a.agent_served)


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


def register(sub: Any, summary: str) -> None:
    cmds = add_group(
        sub,
        "region",
        summary,
        "Regions of the home: each has its own store (a directory, file://, "
        "s3:// or az:// URL) and optional availability zones.",
    )
    add = home_command(
        cmds,
        "add",
        _add,
        columns=COLUMNS,
        help="add a region with its store",
        description="Add a region and the store its replicas go to.  No two regions may "
        "share or nest a store.",
        example=[
            ("A region on a local disk.", "imgrepl region add westeurope --store /srv/we"),
            (
                "A region on S3 with three zones.",
                "imgrepl region add eastus --store s3://bucket/eastus --zones 3 "
                "--store-option region=us-east-1",
            ),
        ],
    )
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
    add.add_argument("--no-check", action="store_true", help="skip the store's reachability check")
    add.add_argument(
        "--agent-served",
        action="store_true",
        help="region agents (imgrepl agent --region NAME) copy its replicas, not the CLI",
    )
    add.add_argument(
        "--replica-read-mbps",
        type=float,
        default=None,
        help="read bandwidth of one replica in MB/s (models a per-blob limit)",
    )
    home_command(
        cmds,
        "list",
        _list,
        columns=COLUMNS,
        help="list regions",
        description="List the home's regions with their stores and zones.",
        example=[("Region names, one a line.", "imgrepl region list --query '[].name' -o tsv")],
    )
    upd = home_command(
        cmds,
        "update",
        _update,
        columns=COLUMNS,
        help="change how a region is served",
        description="Hand a region's replication to region agents (--agent-served) or "
        "back to the process that publishes (--no-agent-served).",
        example=[("Let agents serve East US.", "imgrepl region update eastus --agent-served")],
    )
    upd.add_argument("name", help="region name")
    upd.add_argument(
        "--agent-served",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="whether region agents copy its replicas",
    )
    show = home_command(
        cmds,
        "show",
        _show,
        columns=COLUMNS,
        help="show a region",
        description="Show a region; store secrets are never shown.",
        example=[("Show West Europe.", "imgrepl region show westeurope")],
    )
    show.add_argument("name", help="region name")
    rm = home_command(
        cmds,
        "remove",
        _remove,
        help="remove an unused region",
        description="Remove a region that holds no replicas and is no gallery's home.",
        example=[("Remove East US.", "imgrepl region remove eastus")],
    )
    rm.add_argument("name", help="region name")
    lim = home_command(
        cmds,
        "limits",
        _limits,
        help="show or set the per-region quotas",
        description="Show or set the limits per region of the home (Azure's defaults: 100 "
        "galleries, 1,000 image definitions, 10,000 image versions).",
        example=[("Allow 200 galleries per region.", "imgrepl region limits --galleries 200")],
    )
    lim.add_argument("--galleries", type=int, help="galleries per region")
    lim.add_argument("--image-definitions", type=int, help="image definitions per region")
    lim.add_argument("--image-versions", type=int, help="image versions per region")
