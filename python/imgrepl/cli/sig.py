"""`imgrepl sig ...`, shaped like `az sig`: galleries, image definitions,
image versions, sharing and the replica-count recommendation."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from imgrepl.cli import sig_versions
from imgrepl.cli.common import add_common, add_version_args, emit, key_values, runner

if TYPE_CHECKING:  # keeps `imgrepl --help` free of heavy imports
    from imgrepl.api.client import Client

GALLERY_COLUMNS = ["name", "location", "description", "provisioningState"]
DEFINITION_COLUMNS = [
    "name",
    "identifier.publisher",
    "identifier.offer",
    "identifier.sku",
    "osType",
    "osState",
    "endOfLifeDate",
]
SHARE_COLUMNS = ["principalId", "roleDefinitionName", "scope"]


def _changes(a: argparse.Namespace, **named: Any) -> dict[str, Any]:
    """`--set field=value` items plus the named options that were given."""
    changes: dict[str, Any] = dict(key_values(a.set, "--set item"))
    changes.update({k: v for k, v in named.items() if v is not None})
    return changes


async def _create(c: Client, a: argparse.Namespace) -> Any:
    return await c.create_gallery(a.gallery_name, a.location, description=a.description)


async def _show(c: Client, a: argparse.Namespace) -> Any:
    return await c.get_gallery(a.gallery_name)


async def _list(c: Client, a: argparse.Namespace) -> Any:
    return await c.list_galleries()


async def _update(c: Client, a: argparse.Namespace) -> Any:
    return await c.update_gallery(a.gallery_name, _changes(a, description=a.description))


async def _delete(c: Client, a: argparse.Namespace) -> Any:
    await c.delete_gallery(a.gallery_name)


# create_image_definition's fields, named as the options that give them
_DEFINITION_ARGS = {
    name: name
    for name in (
        "publisher", "offer", "sku", "os_type", "os_state", "description", "eula",
        "privacy_statement_uri", "release_note_uri", "end_of_life_date", "hyper_v_generation",
        "architecture",
    )
} | {
    "vcpus_min": "minimum_cpu_core",
    "vcpus_max": "maximum_cpu_core",
    "memory_min": "minimum_memory",
    "memory_max": "maximum_memory",
}  # fmt: skip


async def _def_create(c: Client, a: argparse.Namespace) -> Any:
    fields = {field: getattr(a, option) for field, option in _DEFINITION_ARGS.items()}
    return await c.create_image_definition(
        a.gallery_name,
        a.gallery_image_definition,
        tags=key_values(a.tags, "tag"),
        disallowed_disk_types=a.disallowed_disk_types or (),
        **fields,
    )


async def _def_show(c: Client, a: argparse.Namespace) -> Any:
    return await c.get_image_definition(a.gallery_name, a.gallery_image_definition)


async def _def_list(c: Client, a: argparse.Namespace) -> Any:
    return await c.list_image_definitions(a.gallery_name)


async def _def_update(c: Client, a: argparse.Namespace) -> Any:
    changes = _changes(
        a,
        description=a.description,
        endOfLifeDate=a.end_of_life_date,
        releaseNoteUri=a.release_note_uri,
        **{
            "recommended.vCPUs.min": a.minimum_cpu_core,
            "recommended.vCPUs.max": a.maximum_cpu_core,
            "recommended.memory.min": a.minimum_memory,
            "recommended.memory.max": a.maximum_memory,
        },
    )
    return await c.update_image_definition(a.gallery_name, a.gallery_image_definition, changes)


async def _def_delete(c: Client, a: argparse.Namespace) -> Any:
    await c.delete_image_definition(a.gallery_name, a.gallery_image_definition)


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


def _cmd(cmds: Any, name: str, help: str, action: Any, columns: list[str] | None = None) -> Any:
    p = add_common(cmds.add_parser(name, help=help))
    p.set_defaults(run=runner(action), columns=columns)
    return p


def _definition_updatable(p: argparse.ArgumentParser) -> None:
    p.add_argument("--description")
    p.add_argument("--end-of-life-date", help="ISO-8601 date, e.g. 2030-12-31")
    p.add_argument("--release-note-uri")
    p.add_argument("--minimum-cpu-core", type=int, help="recommended.vCPUs.min")
    p.add_argument("--maximum-cpu-core", type=int, help="recommended.vCPUs.max")
    p.add_argument("--minimum-memory", type=int, help="recommended.memory.min (GB)")
    p.add_argument("--maximum-memory", type=int, help="recommended.memory.max (GB)")


def _register_definitions(sub: Any) -> None:
    p = sub.add_parser("image-definition", help="manage image definitions")
    cmds = p.add_subparsers(dest="definition_command", metavar="COMMAND", required=True)
    create = _cmd(cmds, "create", "create an image definition", _def_create, DEFINITION_COLUMNS)
    add_version_args(create)
    for field in ("--publisher", "--offer", "--sku"):
        create.add_argument(field, required=True)
    create.add_argument("--os-type", required=True, help="Linux or Windows")
    create.add_argument("--os-state", default="Generalized", help="Generalized or Specialized")
    create.add_argument("--eula")
    create.add_argument("--privacy-statement-uri")
    create.add_argument("--tags", nargs="*", action="extend", metavar="KEY=VALUE")
    create.add_argument("--disallowed-disk-types", nargs="*", action="extend", metavar="TYPE")
    create.add_argument("--hyper-v-generation", default="V1", help="V1 or V2")
    create.add_argument("--architecture", default="x64", help="x64 or Arm64")
    _definition_updatable(create)
    for name, help_, action in (
        ("show", "show an image definition", _def_show),
        ("delete", "delete an image definition", _def_delete),
    ):
        add_version_args(_cmd(cmds, name, help_, action, DEFINITION_COLUMNS))
    add_version_args(
        _cmd(cmds, "list", "list image definitions", _def_list, DEFINITION_COLUMNS),
        definition=False,
    )
    update = _cmd(cmds, "update", "update an image definition", _def_update, DEFINITION_COLUMNS)
    add_version_args(update)
    _definition_updatable(update)
    update.add_argument(
        "--set", nargs="*", action="extend", metavar="FIELD=VALUE", help="Azure field names"
    )


def _register_share(sub: Any) -> None:
    p = sub.add_parser("share", help="grant roles on a gallery or image definition")
    cmds = p.add_subparsers(dest="share_command", metavar="COMMAND", required=True)
    for name, help_, action in (
        ("add", "grant a role", _share_add),
        ("remove", "remove a principal's role", _share_remove),
        ("list", "list the roles granted", _share_list),
    ):
        c = _cmd(cmds, name, help_, action, SHARE_COLUMNS)
        c.add_argument("--gallery-name", "-r", required=True)
        c.add_argument("--gallery-image-definition", "-i", help="scope: one image definition")
        if name != "list":
            c.add_argument("--principal-id", "--principal", required=True)
        if name == "add":
            c.add_argument("--role", required=True, help="Reader, Contributor or Owner")


def register(sub: Any) -> None:
    p = sub.add_parser("sig", help="galleries, image definitions and versions (like `az sig`)")
    cmds = p.add_subparsers(dest="sig_command", metavar="COMMAND", required=True)
    create = _cmd(cmds, "create", "create a gallery", _create, GALLERY_COLUMNS)
    create.add_argument("--gallery-name", "-r", required=True)
    create.add_argument("--location", "-l", required=True, help="the gallery's home region")
    create.add_argument("--description")
    for name, help_, action in (
        ("show", "show a gallery", _show),
        ("delete", "delete an empty gallery", _delete),
    ):
        _cmd(cmds, name, help_, action, GALLERY_COLUMNS).add_argument(
            "--gallery-name", "-r", required=True
        )
    _cmd(cmds, "list", "list galleries", _list, GALLERY_COLUMNS)
    update = _cmd(cmds, "update", "update a gallery (description only)", _update, GALLERY_COLUMNS)
    update.add_argument("--gallery-name", "-r", required=True)
    update.add_argument("--description")
    update.add_argument(
        "--set", nargs="*", action="extend", metavar="FIELD=VALUE", help="Azure field names"
    )
    _register_definitions(cmds)
    sig_versions.register(cmds)
    _register_share(cmds)
    rec = add_common(cmds.add_parser("recommend-replicas", help="replicas per region for a load"))
    rec.set_defaults(run=_recommend, columns=["recommendedReplicaCount", "reasons"])
    rec.add_argument("--concurrent-vms", type=int, required=True)
    rec.add_argument("--scale-sets", type=int, default=0)
    rec.add_argument("--non-production", action="store_true", help="drop the minimum of 3")
