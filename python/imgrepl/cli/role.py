"""`imgrepl role assignment create|list|delete`: Azure's role assignments
(Reader, Contributor, Owner at a subscription, resource group, gallery or
image definition scope), shaped like `az role assignment`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from imgrepl.cli.common import home_command
from imgrepl.cli.parser import add_group, choice

if TYPE_CHECKING:  # keeps `imgrepl --help` free of heavy imports
    from imgrepl.api.client import Client

COLUMNS = ["principalName", "roleDefinitionName", "scope"]
ROLES = ("Reader", "Contributor", "Owner")
SCOPE = "/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.Compute/galleries/G"


async def _create(c: Client, a: argparse.Namespace) -> Any:
    return await c.create_role_assignment(a.assignee, a.role, a.scope)


async def _list(c: Client, a: argparse.Namespace) -> Any:
    return await c.list_role_assignments(a.assignee, a.scope, include_inherited=a.include_inherited)


async def _delete(c: Client, a: argparse.Namespace) -> Any:
    return await c.delete_role_assignments(a.ids, assignee=a.assignee, role=a.role, scope=a.scope)


def register(sub: Any, summary: str) -> None:
    group = add_group(sub, "role", summary, "Azure's roles: who may do what, and where.")
    cmds = add_group(
        group,
        "assignment",
        "assign roles to principals at a scope",
        "A role (Reader, Contributor, Owner) assigned to a principal at a scope holds "
        "there and below: a subscription covers its resource groups, a resource group its "
        "galleries, a gallery its image definitions and versions.",
    )
    create = home_command(
        cmds,
        "create",
        _create,
        columns=COLUMNS,
        help="assign a role",
        description="Assign a role to a principal at a scope (needs Owner there).",
        example=[("Let bob read one gallery.",
                  f"imgrepl role assignment create --assignee bob --role Reader --scope {SCOPE}")],
    )  # fmt: skip
    create.add_argument("--assignee", required=True, help="the principal")
    create.add_argument("--role", required=True, help="the role", **choice(*ROLES))
    create.add_argument("--scope", required=True, metavar="ARM_ID", help="where it holds")
    listing = home_command(
        cmds,
        "list",
        _list,
        columns=COLUMNS,
        help="list role assignments",
        description="List the role assignments you may read, at a scope and below it.",
        example=[("What bob holds.", "imgrepl role assignment list --assignee bob")],
    )
    listing.add_argument("--assignee", help="only this principal's")
    listing.add_argument("--scope", metavar="ARM_ID", help="at this scope and below")
    listing.add_argument(
        "--include-inherited", action="store_true", help="with --scope: also those above it"
    )
    delete = home_command(
        cmds,
        "delete",
        _delete,
        columns=COLUMNS,
        help="delete role assignments",
        description="Delete role assignments by id, or those matching --assignee, --role "
        "and --scope (at exactly that scope).",
        example=[("Take bob's roles on a gallery away.",
                  f"imgrepl role assignment delete --assignee bob --scope {SCOPE}")],
    )  # fmt: skip
    delete.add_argument("--ids", nargs="+", metavar="ID", help="assignment names or ids")
    delete.add_argument("--assignee", help="the principal")
    delete.add_argument("--role", help="the role", **choice(*ROLES))
    delete.add_argument("--scope", metavar="ARM_ID", help="the exact scope")
