"""`imgrepl sig ...`, shaped like `az sig`: galleries and image definitions
here; image versions in sig_versions, sharing and the replica-count
recommendation in sig_share."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from imgrepl.cli import complete, sig_versions
from imgrepl.cli.common import add_version_args, home_command, key_values
from imgrepl.cli.config import add_location, add_scope
from imgrepl.cli.parser import add_group, choice, commands
from imgrepl.cli.updates import add_generic_update, add_tags, changes

if TYPE_CHECKING:  # keeps `imgrepl --help` free of heavy imports
    from imgrepl.api.client import Client

GALLERY_COLUMNS = ["name", "resourceGroup", "location", "description", "provisioningState"]
DEFINITION_COLUMNS = [
    "name",
    "identifier.publisher",
    "identifier.offer",
    "identifier.sku",
    "osType",
    "osState",
    "endOfLifeDate",
]


async def _create(c: Client, a: argparse.Namespace) -> Any:
    return await c.create_gallery(
        a.gallery_name, a.location, description=a.description, tags=key_values(a.tags, "tag")
    )


async def _show(c: Client, a: argparse.Namespace) -> Any:
    return await c.get_gallery(a.gallery_name)


async def _list(c: Client, a: argparse.Namespace) -> Any:
    return await c.list_galleries()


async def _update(c: Client, a: argparse.Namespace) -> Any:
    return await c.update_gallery(a.gallery_name, changes(a, description=a.description))


async def _delete(c: Client, a: argparse.Namespace) -> Any:
    await c.delete_gallery(a.gallery_name)  # one that is gone already is no error, as in az


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
    edits = changes(
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
    return await c.update_image_definition(a.gallery_name, a.gallery_image_definition, edits)


async def _def_delete(c: Client, a: argparse.Namespace) -> Any:
    await c.delete_image_definition(a.gallery_name, a.gallery_image_definition)


HOME = "imgrepl sig"
ONE_DEF = "-r MyGallery -i MyImage"


def _gallery_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gallery-name", "-r", required=True, help="gallery name")


def _description(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--description", help=f"free text describing the {what}")


def _register_galleries(cmds: Any) -> None:
    create = home_command(
        cmds,
        "create",
        _create,
        columns=GALLERY_COLUMNS,
        help="create a gallery",
        description="Create a gallery of image definitions in a home region.  Only its "
        "description may change afterwards.",
        example=[
            (
                "Create a gallery in West Europe.",
                f"{HOME} create -r MyGallery -l westeurope --description 'Golden images'",
            )
        ],
    )
    _gallery_arg(create)
    add_location(
        create,
        "the gallery's home region (a region added with `imgrepl region add`)",
        required=True,
    )
    _description(create, "gallery")
    add_tags(create, "gallery")
    show = home_command(
        cmds,
        "show",
        _show,
        columns=GALLERY_COLUMNS,
        help="show a gallery",
        description="Show a gallery's properties.",
        example=[("Show a gallery as JSON.", f"{HOME} show -r MyGallery -o json")],
    )
    _gallery_arg(show)
    delete = home_command(
        cmds,
        "delete",
        _delete,
        help="delete an empty gallery",
        description="Delete a gallery.  It must hold no image definitions.",
        example=[("Delete a gallery.", f"{HOME} delete -r MyGallery")],
    )
    _gallery_arg(delete)
    home_command(
        cmds,
        "list",
        _list,
        columns=GALLERY_COLUMNS,
        help="list galleries",
        description="List the galleries you may read in a resource group, or given none "
        "(and no configured group), in the whole subscription.",
        example=[
            (
                "List the names of the galleries, one a line.",
                f"{HOME} list --query '[].name' -o tsv",
            ),
            ("List the galleries of one resource group.", f"{HOME} list -g prod"),
        ],
    )
    update = home_command(
        cmds,
        "update",
        _update,
        columns=GALLERY_COLUMNS,
        help="update a gallery (description only)",
        description="Change a gallery's description, the only property that may change.",
        example=[("Describe a gallery.", f"{HOME} update -r MyGallery --description 'Prod'")],
    )
    _gallery_arg(update)
    _description(update, "gallery")
    add_tags(update, "gallery (replacing them all)")
    add_generic_update(update, "description=Prod")


def _definition_updatable(p: argparse.ArgumentParser) -> None:
    _description(p, "image definition")
    p.add_argument("--end-of-life-date", help="ISO-8601 date, e.g. 2030-12-31 (informational)")
    p.add_argument("--release-note-uri", help="URI of the release notes")
    p.add_argument("--minimum-cpu-core", type=int, help="recommended.vCPUs.min")
    p.add_argument("--maximum-cpu-core", type=int, help="recommended.vCPUs.max")
    # Azure's REST API and imgrepl's model hold GB; az's help says MB but sends the number as is
    p.add_argument("--minimum-memory", type=int, help="recommended.memory.min, in GB")
    p.add_argument("--maximum-memory", type=int, help="recommended.memory.max, in GB")


def _create_definition(cmds: Any) -> None:
    create = home_command(
        cmds,
        "create",
        _def_create,
        columns=DEFINITION_COLUMNS,
        help="create an image definition",
        description="Create an image definition: what its versions are (OS, generation, "
        "architecture), named by publisher/offer/sku, unique in the gallery.  Afterwards only "
        "the recommended vCPUs and memory, description, end-of-life and release notes change.",
        example=[
            (
                "Create a generalized Linux definition.",
                f"{HOME} image-definition create {ONE_DEF} --publisher Contoso --offer "
                "Ubuntu --sku 22_04 --os-type Linux",
            )
        ],
    )
    add_version_args(create)
    create.add_argument("--publisher", required=True, help="publisher of the identifier")
    create.add_argument("--offer", required=True, help="offer of the identifier")
    create.add_argument("--sku", required=True, help="SKU of the identifier")
    create.add_argument("--os-type", required=True, help="the OS", **choice("Linux", "Windows"))
    create.add_argument(
        "--os-state",
        default="Generalized",
        help="whether the image was generalized (default)",
        **choice("Generalized", "Specialized"),
    )
    create.add_argument("--eula", help="the end-user licence agreement")
    create.add_argument("--privacy-statement-uri", help="URI of the privacy statement")
    add_tags(create, "image definition")
    create.add_argument(
        "--disallowed-disk-types",
        nargs="*",
        action="extend",
        metavar="TYPE",
        help="disk types VMs of this image may not use, e.g. Standard_LRS",
    )
    create.add_argument(
        "--hyper-v-generation",
        default="V1",
        help="VM generation (default V1)",
        **choice("V1", "V2"),
    )
    create.add_argument(
        "--architecture",
        default="x64",
        help="CPU architecture (default x64)",
        **choice("x64", "Arm64"),
    )
    _definition_updatable(create)


def _register_definitions(sub: Any) -> None:
    cmds = add_group(
        sub,
        "image-definition",
        "manage image definitions",
        "Image definitions: the identity and requirements of an image, whose "
        "versions hold the disks.",
    )
    _create_definition(cmds)
    for name, help_, action, what in (
        ("show", "show an image definition", _def_show, "Show an image definition."),
        (
            "delete",
            "delete an image definition",
            _def_delete,
            "Delete an image definition.  It must hold no versions.",
        ),
    ):
        add_version_args(
            home_command(
                cmds,
                name,
                action,
                columns=DEFINITION_COLUMNS,
                help=help_,
                description=what,
                example=[(what, f"{HOME} image-definition {name} {ONE_DEF}")],
            )
        )
    add_version_args(
        home_command(
            cmds,
            "list",
            _def_list,
            columns=DEFINITION_COLUMNS,
            help="list image definitions",
            description="List the image definitions of a gallery.",
            example=[
                (
                    "List the Linux definitions of a gallery.",
                    f"{HOME} image-definition list -r MyGallery --query \"[?osType=='Linux']\"",
                )
            ],
        ),
        definition=False,
    )
    update = home_command(
        cmds,
        "update",
        _def_update,
        columns=DEFINITION_COLUMNS,
        help="update an image definition",
        description="Change what may change: recommended vCPUs and memory, description, "
        "end-of-life date and release notes.",
        example=[
            (
                "Recommend 2 to 8 vCPUs.",
                f"{HOME} image-definition update {ONE_DEF} "
                "--minimum-cpu-core 2 --maximum-cpu-core 8",
            )
        ],
    )
    add_version_args(update)
    _definition_updatable(update)
    add_tags(update, "image definition (replacing them all)")
    add_generic_update(update, "recommended.memory.max=64")


def register(sub: Any, summary: str, group: str | None = None) -> None:
    """Every `sig` command; given the `group` a command line names
    (`sig image-version ...`), only that group's: a script that lists versions
    in a loop does not build the parsers of every other command each time."""
    cmds = add_group(
        sub,
        "sig",
        summary,
        "Shared image galleries, shaped like `az sig`: galleries hold image "
        "definitions, which hold versions replicated to regions.",
    )
    if group == "image-version":
        sig_versions.register(cmds)
    elif group == "image-definition":
        _register_definitions(cmds)
    else:
        from imgrepl.cli import sig_share

        _register_galleries(cmds)
        _register_definitions(cmds)
        sig_versions.register(cmds)
        sig_share.register(cmds)
    for child in dict.fromkeys(cmds.choices.values()):
        for command in commands(child):
            add_scope(command)
            complete.attach(command)
