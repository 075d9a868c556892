"""Azure's roles, pure: Reader < Contributor < Owner, what each kind of
operation needs, how roles compare, and role assignments (a role held at a
scope and below it).  Who holds which role is the catalog's; checking a
caller against it is imgrepl.api.access."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from imgrepl.exceptions import ValidationError
from imgrepl.gallery.scope import ArmId

ROLES = ("Reader", "Contributor", "Owner")
# what each kind of operation needs
READ, WRITE, SHARE = "Reader", "Contributor", "Owner"


def parse_role(value: str) -> str:
    for role in ROLES:
        if str(value).lower() == role.lower():
            return role
    raise ValidationError(f"invalid role {value!r}: use one of {', '.join(ROLES)}")


def rank(role: str | None) -> int:
    """0 for no role, then 1, 2, 3 from Reader to Owner."""
    return ROLES.index(role) + 1 if role in ROLES else 0


ASSIGNMENT_TYPE = "Microsoft.Authorization/roleAssignments"


@dataclass(frozen=True)
class RoleAssignment:
    """`principal` holds `role` at `scope` and everywhere below it (a
    subscription, resource group, gallery or image definition), as in Azure."""

    id: str  # a GUID: the assignment's name
    principal: str
    role: str
    scope: ArmId

    def to_azure(self) -> dict[str, object]:
        return {
            "id": f"{self.scope}/providers/{ASSIGNMENT_TYPE}/{self.id}",
            "name": self.id,
            "type": ASSIGNMENT_TYPE,
            "principalId": self.principal,
            "principalName": self.principal,
            "roleDefinitionName": self.role,
            "scope": str(self.scope),
        }


def assignment_scope(text: str) -> ArmId:
    """A scope one may assign a role at: a subscription, resource group,
    gallery or image definition (not a version: Azure's resource-level
    scopes stop at resources, and a version is covered by its definition)."""
    scope = ArmId.parse(text)
    if scope.kind == "version":
        raise ValidationError(
            f"invalid scope {text!r}: assign roles at a subscription, resource group, "
            "gallery or image definition"
        )
    return scope


def held_role(assignments: Iterable[RoleAssignment], target: ArmId) -> str | None:
    """The highest role the assignments give over `target` (those at its
    scope or above it), or None."""
    roles = [a.role for a in assignments if a.scope.contains(target)]
    return max(roles, key=rank) if roles else None


def reaches_into(assignments: Iterable[RoleAssignment], target: ArmId) -> bool:
    """Whether some assignment lies inside `target` (a role on one of a
    gallery's definitions makes the gallery visible, not readable)."""
    return any(target.contains(a.scope) for a in assignments)
