"""Azure's roles, pure: Reader < Contributor < Owner, what each kind of
operation needs, and how roles compare.  Who holds which role is the
catalog's; checking a caller against it is imgrepl.api.access."""

from __future__ import annotations

from imgrepl.exceptions import ValidationError

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
