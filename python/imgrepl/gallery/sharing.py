"""A gallery's `sharingProfile`, as Azure's direct shared galleries: the
gallery is `Private`, or shared with `Groups` of subscription ids and
Azure AD (Entra) tenant ids.  Pure: `az sig share add|remove|reset` as
functions from one profile to the next.

Who is in a shared group: a principal is in a subscription when it holds a
role assignment anywhere in that subscription (the subscription, one of its
resource groups or resources), and in a tenant when it was proven by a JWT
whose `tid` claim names that tenant.  Such a principal may read the
gallery, its image definitions and versions (as a Reader), nothing more.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from imgrepl.exceptions import ValidationError

SUBSCRIPTIONS, TENANTS = "Subscriptions", "AADTenants"


@dataclass(frozen=True)
class SharingProfile:
    subscriptions: tuple[str, ...] = field(default=())
    tenants: tuple[str, ...] = field(default=())

    @property
    def permissions(self) -> str:
        return "Groups" if self.subscriptions or self.tenants else "Private"

    def to_azure(self) -> dict[str, object]:
        groups = [
            {"type": kind, "ids": list(ids)}
            for kind, ids in ((SUBSCRIPTIONS, self.subscriptions), (TENANTS, self.tenants))
            if ids
        ]
        return {"permissions": self.permissions, "groups": groups}

    @classmethod
    def from_azure(cls, data: dict[str, object]) -> SharingProfile:
        found: dict[str, tuple[str, ...]] = {SUBSCRIPTIONS: (), TENANTS: ()}
        for group in data.get("groups") or []:  # type: ignore[attr-defined]
            found[str(group["type"])] = tuple(str(i) for i in group["ids"])
        return cls(found[SUBSCRIPTIONS], found[TENANTS])

    def add(self, subscriptions: Iterable[str], tenants: Iterable[str]) -> SharingProfile:
        return SharingProfile(
            _merge(self.subscriptions, _guids(subscriptions, "subscription")),
            _merge(self.tenants, _guids(tenants, "tenant")),
        )

    def remove(self, subscriptions: Iterable[str], tenants: Iterable[str]) -> SharingProfile:
        gone_subs = set(_guids(subscriptions, "subscription"))
        gone_tenants = set(_guids(tenants, "tenant"))
        return SharingProfile(
            tuple(s for s in self.subscriptions if s not in gone_subs),
            tuple(t for t in self.tenants if t not in gone_tenants),
        )

    def admits(self, subscriptions: Iterable[str], tenant: str | None) -> bool:
        """Whether a principal in these subscriptions (and tenant) may read."""
        if tenant is not None and _guid(tenant) in self.tenants:
            return True
        return bool(set(self.subscriptions) & {s.lower() for s in subscriptions})


def _guid(value: str) -> str | None:
    """A GUID in its canonical lower-case form (models import this module,
    so it does not lean on gallery.scope, which imports the rules)."""
    try:
        return str(uuid.UUID(str(value).strip()))
    except ValueError:
        return None


def _guids(values: Iterable[str], kind: str) -> list[str]:
    """Canonical lower-case GUIDs; anything else is refused by name."""
    out = []
    for value in values:
        guid = _guid(value)
        if guid is None:
            raise ValidationError(f"invalid {kind} id {value!r}: it must be a GUID")
        out.append(guid)
    return out


def _merge(old: tuple[str, ...], new: list[str]) -> tuple[str, ...]:
    return old + tuple(dict.fromkeys(n for n in new if n not in old))
