"""Who the caller is and what it may do in one home: the principal (`--as`,
else $IMGREPL_PRINCIPAL, else the OS user), the home's owner, who may do
everything, and the roles granted at gallery level (covering its
definitions and versions) or definition level (covering its versions)."""

from __future__ import annotations

import getpass
import os

from imgrepl.catalog import Catalog
from imgrepl.exceptions import AuthorizationError
from imgrepl.gallery.access import rank
from imgrepl.gallery.rules import principal_name
from imgrepl.home import ENV_PRINCIPAL


def current_principal(explicit: str | None = None) -> str:
    """`--as`, else `$IMGREPL_PRINCIPAL`, else the operating-system user."""
    name = explicit or os.environ.get(ENV_PRINCIPAL) or getpass.getuser()
    return principal_name(name)


class Access:
    """The caller's rights over one home's catalog."""

    def __init__(self, catalog: Catalog, principal: str, *, proven: bool = False) -> None:
        """`proven`: the principal comes from a credential (a token, a JWT),
        not from the local user: it holds its roles only, and never becomes
        (nor is) the home's owner, whatever its name."""
        self.catalog = catalog
        self.principal = principal
        self.proven = proven
        if proven:
            self.owner = catalog.settings.owner()
        else:  # on one machine the file system is the boundary: the first user owns it
            self.owner = catalog.settings.ensure_owner(principal)

    @property
    def is_owner(self) -> bool:
        return not self.proven and self.principal == self.owner

    def require_owner(self, what: str) -> None:
        if not self.is_owner:
            raise AuthorizationError(
                f"principal {self.principal!r} may not {what}: only the home's owner "
                f"({self.owner!r}) may"
            )

    def require_member(self, what: str) -> None:
        """Refuses principals that hold no role anywhere in the home."""
        if not self.is_owner and not self.catalog.grants.has_any(self.principal):
            raise AuthorizationError(
                f"principal {self.principal!r} may not {what}: it holds no role in this home"
            )

    def role(self, gallery: str, definition: str | None = None) -> str | None:
        if self.is_owner:
            return "Owner"
        roles = self.catalog.grants.roles_of(self.principal, gallery, definition)
        return max(roles, key=rank) if roles else None

    def require(self, needed: str, what: str, gallery: str, definition: str | None = None) -> None:
        """Refuses unless the caller holds `needed` (or more) on the scope."""
        if self.is_owner:
            return
        held = self.role(gallery, definition)
        if rank(held) < rank(needed):
            scope = f"gallery {gallery!r}" + (
                f", image definition {definition!r}" if definition else ""
            )
            raise AuthorizationError(
                f"principal {self.principal!r} may not {what}: it needs role {needed} on "
                f"{scope} and holds {held or 'no role'}"
            )

    def can_see(self, gallery: str, definition: str | None = None) -> bool:
        """Whether anything in the scope is visible (a grant below it counts)."""
        if self.is_owner or self.role(gallery, definition) is not None:
            return True
        if definition is None:
            return bool(self.catalog.grants.definitions_granted(self.principal, gallery))
        return False
