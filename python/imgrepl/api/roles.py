"""`imgrepl.Client`, role assignments as Azure's: a principal's role
(Reader, Contributor, Owner) at a scope (a subscription, resource group,
gallery or image definition) holds there and everywhere below it.  Making
or deleting one needs Owner over its scope; listing shows the assignments
the caller may read."""

from __future__ import annotations

import uuid

from imgrepl.api.base import ClientBase
from imgrepl.catalog import Catalog
from imgrepl.exceptions import NotFoundError, ValidationError
from imgrepl.gallery.access import (
    READ,
    SHARE,
    RoleAssignment,
    assignment_scope,
    parse_role,
)
from imgrepl.gallery.rules import principal_name
from imgrepl.gallery.scope import ArmId


class RoleApi(ClientBase):
    async def create_role_assignment(self, assignee: str, role: str, scope: str) -> RoleAssignment:
        """Gives `assignee` the role at `scope` (an ARM id); assigning it
        again returns the existing assignment."""
        target = assignment_scope(scope)
        assignment = RoleAssignment(
            str(uuid.uuid4()), principal_name(assignee), parse_role(role), target
        )
        catalog = await self._require_at(SHARE, "assign roles", target)
        if target.resource_group is not None:
            assert self._root is not None  # opened by _require_at
            group = ArmId(target.subscription, target.resource_group)
            await self._run(_check_exists, self._root.scoped(group), target)
        return await self._run(catalog.role_assignments.create, assignment)

    async def list_role_assignments(
        self,
        assignee: str | None = None,
        scope: str | None = None,
        *,
        include_inherited: bool = False,
    ) -> list[RoleAssignment]:
        """Assignments at `scope` or below it (with `include_inherited`, also
        those above it that hold there), of `assignee` if given; only those
        whose scope the caller may read."""
        target = assignment_scope(scope) if scope else None
        principal = principal_name(assignee) if assignee else None
        catalog, acc = await self._open()
        if target is not None:
            await self._run(acc.require_at, READ, "list role assignments", target)
        found = await self._run(catalog.role_assignments.all, principal)
        if target is not None:
            found = [
                a
                for a in found
                if target.contains(a.scope) or (include_inherited and a.scope.contains(target))
            ]
        readable = await self._run(acc.readable, [a.scope for a in found])
        return [a for a, ok in zip(found, readable, strict=True) if ok]

    async def delete_role_assignments(
        self,
        ids: list[str] | None = None,
        *,
        assignee: str | None = None,
        role: str | None = None,
        scope: str | None = None,
    ) -> list[RoleAssignment]:
        """Deletes the assignments named by id (a GUID or a full assignment
        id), or every one matching the assignee, role and scope given (at
        that exact scope); needs Owner over each one's scope."""
        if not ids and not (assignee or role or scope):
            raise ValidationError("name the role assignments: --ids, or --assignee/--role/--scope")
        names = {i.rstrip("/").rsplit("/", 1)[-1].lower() for i in ids or []}
        target = assignment_scope(scope) if scope else None
        wanted_role = parse_role(role) if role else None
        principal = principal_name(assignee) if assignee else None
        catalog, acc = await self._open()
        found = [
            a
            for a in await self._run(catalog.role_assignments.all, principal)
            if (not names or a.id.lower() in names)
            and (wanted_role is None or a.role == wanted_role)
            and (target is None or a.scope.key() == target.key())
        ]
        if not found:
            raise NotFoundError("no role assignment matches (see `imgrepl role assignment list`)")
        for a in found:  # every one is allowed before any is deleted
            await self._run(acc.require_at, SHARE, "delete role assignments", a.scope)
        await self._run(_delete_all, catalog, found)
        return found


def _delete_all(catalog: Catalog, found: list[RoleAssignment]) -> None:
    """All of them or, if one went meanwhile, none."""
    with catalog.transaction() as tx:
        for a in found:
            tx.role_assignments.delete(a.id)


def _check_exists(catalog: Catalog, target: ArmId) -> None:
    """A gallery or definition scope must name one that exists (as ARM
    refuses a scope that is not a resource); subscriptions and resource
    groups exist as soon as they are named."""
    if target.gallery is not None:
        catalog.galleries.get(target.gallery)
    if target.definition is not None:
        assert target.gallery is not None
        catalog.definitions.get(target.gallery, target.definition)
