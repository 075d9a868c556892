"""Who the caller is and what it may do in one home: the principal (`--as`,
else $IMGREPL_PRINCIPAL, else the OS user; or one proven by a token), the
home's owner, who may do everything, and the roles assigned to the
principal at ARM scopes (a subscription, resource group, gallery or image
definition), each holding at its scope and below it, as in Azure.  A
gallery shared with a subscription the principal is in (or its tenant)
is readable to it (imgrepl.gallery.sharing)."""

from __future__ import annotations

import copy
import getpass
import os
from collections.abc import Sequence

from imgrepl.catalog import Catalog
from imgrepl.exceptions import AuthorizationError, NotFoundError
from imgrepl.gallery.access import READ, RoleAssignment, held_role, rank, reaches_into
from imgrepl.gallery.models import Gallery
from imgrepl.gallery.rules import principal_name
from imgrepl.gallery.scope import ArmId
from imgrepl.home import ENV_PRINCIPAL


def current_principal(explicit: str | None = None) -> str:
    """`--as`, else `$IMGREPL_PRINCIPAL`, else the operating-system user."""
    name = explicit or os.environ.get(ENV_PRINCIPAL) or getpass.getuser()
    return principal_name(name)


class Access:
    """The caller's rights over one home's catalog."""

    def __init__(
        self,
        catalog: Catalog,
        principal: str,
        *,
        proven: bool = False,
        tenant: str | None = None,
        owner: str | None = None,
    ) -> None:
        """`proven`: the principal comes from a credential (a token, a JWT),
        not from the local user: it holds its roles only, and never becomes
        (nor is) the home's owner, whatever its name.  `owner`: the home's
        owner when the caller knows it already (no catalog read)."""
        self.catalog = catalog
        self.principal = principal
        self.proven = proven
        self.tenant = tenant
        if owner is not None:
            self.owner: str | None = owner
        elif proven:
            self.owner = catalog.settings.owner()
        else:  # on one machine the file system is the boundary: the first user owns it
            self.owner = catalog.settings.ensure_owner(principal)

    def scoped(self, catalog: Catalog) -> Access:
        """The same caller's rights, looked up in another scope's catalog."""
        other = copy.copy(self)
        other.catalog = catalog
        return other

    @property
    def is_owner(self) -> bool:
        return not self.proven and self.principal == self.owner

    def _assignments(self) -> list[RoleAssignment]:
        return self.catalog.role_assignments.all(self.principal)

    def shared_with_me(self, galleries: Sequence[Gallery]) -> list[Gallery]:
        """Those of `galleries` whose sharingProfile admits the caller: a
        subscription it holds a role in, or its tenant."""
        mine = {a.scope.subscription for a in self._assignments()}
        return [g for g in galleries if g.sharing_profile.admits(mine, self.tenant)]

    def require_owner(self, what: str) -> None:
        if not self.is_owner:
            raise AuthorizationError(
                f"principal {self.principal!r} may not {what}: only the home's owner "
                f"({self.owner!r}) may"
            )

    def require_member(self, what: str) -> None:
        """Refuses principals that hold no role anywhere in the home."""
        if not self.is_owner and not self._assignments():
            raise AuthorizationError(
                f"principal {self.principal!r} may not {what}: it holds no role in this home"
            )

    def gallery_scope(self, gallery: str, definition: str | None = None) -> ArmId | None:
        """The ARM id of a gallery (or definition) named in this home; None
        if there is none."""
        try:
            g = self.catalog.galleries.get(gallery)
        except NotFoundError:
            return None
        return ArmId(g.subscription, g.resource_group, g.name, definition)

    def role_at(
        self, target: ArmId, assignments: Sequence[RoleAssignment] | None = None
    ) -> str | None:
        if self.is_owner:
            return "Owner"
        mine = self._assignments() if assignments is None else assignments
        held = held_role(mine, target)
        if held is None and target.gallery is not None and self._shared(target, mine):
            held = READ
        return held

    def _shared(self, target: ArmId, mine: Sequence[RoleAssignment]) -> bool:
        """Whether the gallery is shared with a subscription the principal
        is in (holds a role somewhere in) or with its tenant."""
        assert target.gallery is not None
        try:
            g = self.catalog.galleries.get(target.gallery)
        except NotFoundError:
            return False
        if ArmId(g.subscription, g.resource_group, g.name).key() != target.key()[:3]:
            return False
        return g.sharing_profile.admits({a.scope.subscription for a in mine}, self.tenant)

    def require_at(self, needed: str, what: str, target: ArmId) -> None:
        """Refuses unless the caller holds `needed` (or more) over `target`."""
        held = self.role_at(target)
        if rank(held) < rank(needed):
            raise AuthorizationError(
                f"principal {self.principal!r} may not {what}: it needs role {needed} at "
                f"scope {target} and holds {held or 'no role'} there"
            )

    def require(self, needed: str, what: str, gallery: str, definition: str | None = None) -> None:
        """require_at() on a gallery (or definition) named in this home.  For
        one that does not exist the caller's role in the catalog's resource
        group decides: holding enough there, it goes on to learn the gallery
        is not there (404, as in ARM); otherwise it is refused like one it
        may not see, so a refusal tells nothing of what exists."""
        if self.is_owner:
            return
        target = self.gallery_scope(gallery, definition)
        group = self.catalog.scope
        if target is None and group is not None and group.resource_group is not None:
            target = ArmId(group.subscription, group.resource_group, gallery, definition)
        if target is None:
            raise AuthorizationError(
                f"principal {self.principal!r} may not {what}: it needs role {needed} on "
                f"gallery {gallery!r}"
                + (f", image definition {definition!r}" if definition else "")
                + " and holds no role there"
            )
        self.require_at(needed, what, target)

    def can_see(self, gallery: str, definition: str | None = None) -> bool:
        """Whether anything in the scope is visible (a role below it counts)."""
        if self.is_owner:
            return True
        target = self.gallery_scope(gallery, definition)
        if target is None:
            return False
        mine = self._assignments()
        return self.role_at(target, mine) is not None or reaches_into(mine, target)

    def readable(self, scopes: Sequence[ArmId]) -> list[bool]:
        """For each scope, whether the caller may read it (one catalog read)."""
        if self.is_owner:
            return [True] * len(scopes)
        mine = self._assignments()
        return [rank(self.role_at(s, mine)) >= rank(READ) for s in scopes]
