"""`imgrepl sig share add|remove|reset` (Azure's direct sharing: the
gallery's `sharingProfile`, groups of subscription and tenant ids whose
principals may read it) and `imgrepl sig recommend-replicas` (Azure's
replica-count guidance).  Roles are `imgrepl role assignment`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from imgrepl.cli.common import add_common, emit, home_command
from imgrepl.cli.parser import add_command, add_group

if TYPE_CHECKING:  # keeps `imgrepl --help` free of heavy imports
    from imgrepl.api.client import Client

HOME = "imgrepl sig"
SHARE_COLUMNS = ["name", "sharingProfile.permissions"]
SUB = "00000000-0000-0000-0000-000000000001"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


async def _share_add(c: Client, a: argparse.Namespace) -> Any:
    return await c.share_gallery(a.gallery_name, a.subscription_ids or (), a.tenant_ids or ())


async def _share_remove(c: Client, a: argparse.Namespace) -> Any:
    return await c.unshare_gallery(a.gallery_name, a.subscription_ids or (), a.tenant_ids or ())


async def _share_reset(c: Client, a: argparse.Namespace) -> Any:
    return await c.reset_gallery_sharing(a.gallery_name)


def _recommend(a: argparse.Namespace) -> int:
    """Pure guidance: it reads nothing from the home, so it needs no role."""
    from imgrepl.gallery.cost import recommend_replicas

    emit(a, recommend_replicas(a.concurrent_vms, a.scale_sets, production=not a.non_production))
    return 0


def _register_share(sub: Any) -> None:
    cmds = add_group(
        sub,
        "share",
        "share a gallery with subscriptions or tenants",
        "Direct sharing, as Azure's: principals in a shared subscription (holding a "
        "role somewhere in it) or tenant (proven by a JWT of that tenant) may read the "
        "gallery, its image definitions and versions.",
    )
    for name, help_, action, example in (
        ("add", "share with more subscriptions or tenants", _share_add,
         ("Share with a subscription and a tenant.",
          f"--subscription-ids {SUB} --tenant-ids {TENANT}")),
        ("remove", "stop sharing with some", _share_remove,
         ("Stop sharing with a subscription.", f"--subscription-ids {SUB}")),
        ("reset", "make the gallery private again", _share_reset,
         ("Share with nobody.", "")),
    ):  # fmt: skip
        c = home_command(
            cmds,
            name,
            action,
            columns=SHARE_COLUMNS,
            help=help_,
            description=f"{help_[:1].upper()}{help_[1:]} (needs Contributor on the gallery).",
            example=[(example[0], f"{HOME} share {name} -r MyGallery {example[1]}".rstrip())],
        )
        c.add_argument("--gallery-name", "-r", required=True, help="gallery name")
        if name != "reset":
            c.add_argument("--subscription-ids", nargs="+", metavar="ID", help="subscriptions")
            c.add_argument("--tenant-ids", nargs="+", metavar="ID", help="Entra tenants")


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
