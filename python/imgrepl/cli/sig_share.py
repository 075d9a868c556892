"""`imgrepl sig share ...` (roles of principals on a gallery or an image
definition, as Azure's role assignments) and `imgrepl sig recommend-replicas`
(Azure's replica-count guidance)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from imgrepl.cli.common import add_common, emit, home_command
from imgrepl.cli.parser import add_command, add_group, choice

if TYPE_CHECKING:  # keeps `imgrepl --help` free of heavy imports
    from imgrepl.api.client import Client

HOME = "imgrepl sig"
SHARE_COLUMNS = ["principalId", "roleDefinitionName", "scope"]


async def _share_add(c: Client, a: argparse.Namespace) -> Any:
    return await c.grant(a.principal_id, a.role, a.gallery_name, a.gallery_image_definition)


async def _share_remove(c: Client, a: argparse.Namespace) -> Any:
    await c.revoke(a.principal_id, a.gallery_name, a.gallery_image_definition)


async def _share_list(c: Client, a: argparse.Namespace) -> Any:
    return await c.list_grants(a.gallery_name, a.gallery_image_definition)


def _recommend(a: argparse.Namespace) -> int:
    """Pure guidance: it reads nothing from the home, so it needs no role."""
    from imgrepl.gallery.cost import recommend_replicas

    emit(a, recommend_replicas(a.concurrent_vms, a.scale_sets, production=not a.non_production))
    return 0


def _register_share(sub: Any) -> None:
    cmds = add_group(
        sub,
        "share",
        "grant roles on a gallery or image definition",
        "Roles (Reader, Contributor, Owner) of principals on a gallery or one "
        "image definition, as Azure's role assignments.",
    )
    for name, help_, action, example in (
        (
            "add",
            "grant a role",
            _share_add,
            ("Let bob read the gallery.", "--principal-id bob --role Reader"),
        ),
        (
            "remove",
            "remove a principal's role",
            _share_remove,
            ("Take bob's role away.", "--principal-id bob"),
        ),
        ("list", "list the roles granted", _share_list, ("List who may do what.", "")),
    ):
        c = home_command(
            cmds,
            name,
            action,
            columns=SHARE_COLUMNS,
            help=help_,
            description=f"{help_[:1].upper()}{help_[1:]} on a gallery, or on one of its image "
            "definitions with -i.",
            example=[(example[0], f"{HOME} share {name} -r MyGallery {example[1]}".rstrip())],
        )
        c.add_argument("--gallery-name", "-r", required=True, help="gallery name")
        c.add_argument("--gallery-image-definition", "-i", help="scope: one image definition")
        if name != "list":
            c.add_argument(
                "--principal-id",
                "--principal",
                required=True,
                help="the principal (a user or service name)",
            )
        if name == "add":
            c.add_argument(
                "--role",
                required=True,
                help="the role to grant",
                **choice("Reader", "Contributor", "Owner"),
            )


def register(cmds: Any) -> None:
    _register_share(cmds)
    rec = add_command(
        cmds,
        "recommend-replicas",
        _recommend,
        help="replicas per region for a load",
        description="Azure's scaling guidance: one replica per 20 VMs created at once, one "
        "per scale set of up to 600 instances, at least 3 in production.",
        example=[
            (
                "Replicas for 130 VMs in 2 scale sets.",
                f"{HOME} recommend-replicas --concurrent-vms 130 --scale-sets 2",
            )
        ],
    )
    rec.set_defaults(columns=["recommendedReplicaCount", "reasons"])
    add_common(rec)  # accepted like every sig command's, though it reads no home
    rec.add_argument("--concurrent-vms", type=int, required=True, help="VMs created at once")
    rec.add_argument("--scale-sets", type=int, default=0, help="scale sets (default 0)")
    rec.add_argument("--non-production", action="store_true", help="drop the minimum of 3")
