"""ARM resource ids: the scope every resource lives in, spelled as Azure does.

`/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Compute/galleries/
{g}/images/{d}/versions/{v}`: a subscription is a GUID, a resource group a
name of 1-90 characters.  Ids compare case-insensitively, as ARM's do; a
scope contains every id below it (a role assigned at a resource group holds
for its galleries, their definitions and versions).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from imgrepl.exceptions import ValidationError
from imgrepl.gallery.models import PROVIDER, arm_id
from imgrepl.gallery.rules.fields import definition_name, gallery_name, parse_version

GALLERY_TYPE = f"{PROVIDER}/galleries"
DEFINITION_TYPE = f"{GALLERY_TYPE}/images"
VERSION_TYPE = f"{DEFINITION_TYPE}/versions"
# the resource group of a gallery made without one (and of every gallery a
# catalog held before resource groups): see README, "Subscriptions and
# resource groups"
DEFAULT_RESOURCE_GROUP = "default"

# Azure: letters, digits, '_', '-', '.', '(' and ')'; not ending in '.'
_GROUP_RE = re.compile(r"^[\w\-.()]{0,89}[\w\-()]$", re.ASCII)


def subscription_id(value: str) -> str:
    """A subscription id: a GUID, kept in its canonical lower-case form."""
    try:
        return str(uuid.UUID(value.strip()))
    except (ValueError, AttributeError):
        raise ValidationError(
            f"invalid subscription id {value!r}: it must be a GUID "
            "such as 00000000-0000-0000-0000-000000000000"
        ) from None


def resource_group_name(value: str) -> str:
    """A resource group name: 1-90 letters, digits, '_', '-', '.', '(' or ')',
    not ending in '.'."""
    if not _GROUP_RE.match(value or ""):
        raise ValidationError(
            f"invalid resource group name {value!r}: 1-90 letters, digits, '_', '-', "
            "'.', '(' or ')', not ending in '.'"
        )
    return value


@dataclass(frozen=True)
class ArmId:
    """A subscription, resource group, gallery, definition or version id."""

    subscription: str
    resource_group: str | None = None
    gallery: str | None = None
    definition: str | None = None
    version: str | None = None

    def __post_init__(self) -> None:
        parts = [self.resource_group, self.gallery, self.definition, self.version]
        # every part below a missing one is missing too
        present = [p is not None for p in parts]
        if present != sorted(present, reverse=True):
            raise ValidationError(f"invalid resource id: {parts!r} skips a level")

    def __str__(self) -> str:
        parts = (self.resource_group, self.gallery, self.definition, self.version)
        return arm_id(self.subscription, *parts)

    @property
    def kind(self) -> str:
        """`subscription`, `resourceGroup`, `gallery`, `definition` or `version`."""
        for kind, part in (
            ("version", self.version),
            ("definition", self.definition),
            ("gallery", self.gallery),
            ("resourceGroup", self.resource_group),
        ):
            if part is not None:
                return kind
        return "subscription"

    @property
    def resource_type(self) -> str | None:
        """ARM's `type` of the resource, or None for a subscription or group."""
        return {
            "gallery": GALLERY_TYPE,
            "definition": DEFINITION_TYPE,
            "version": VERSION_TYPE,
        }.get(self.kind)

    def key(self) -> tuple[str, ...]:
        """The id's parts folded for comparison (ARM ids are case-insensitive)."""
        parts = (
            self.subscription,
            self.resource_group,
            self.gallery,
            self.definition,
            self.version,
        )
        return tuple(p.casefold() for p in parts if p is not None)

    def contains(self, other: ArmId) -> bool:
        """Whether `other` is this scope or lies below it."""
        mine, theirs = self.key(), other.key()
        return theirs[: len(mine)] == mine

    @property
    def parent(self) -> ArmId | None:
        parts = [self.resource_group, self.gallery, self.definition, self.version]
        depth = sum(p is not None for p in parts)
        if depth == 0:
            return None
        kept = parts[: depth - 1] + [None] * (4 - depth + 1)
        return ArmId(self.subscription, *kept)

    @classmethod
    def parse(cls, text: str) -> ArmId:
        """An id from its text; keys compare case-insensitively, as in ARM."""
        segments = text.strip().strip("/").split("/")
        bad = ValidationError(
            f"invalid resource id {text!r}: expected /subscriptions/GUID"
            "[/resourceGroups/NAME[/providers/Microsoft.Compute/galleries/NAME"
            "[/images/NAME[/versions/X.Y.Z]]]]"
        )
        keys = ["subscriptions", "resourcegroups", "providers", "galleries", "images", "versions"]
        values: list[str] = []
        for i in range(0, len(segments), 2):
            if i + 1 >= len(segments) or i // 2 >= len(keys):
                raise bad
            key, value = segments[i].casefold(), segments[i + 1]
            if key != keys[i // 2] or not value:
                raise bad
            if key == "providers" and value.casefold() != PROVIDER.casefold():
                raise bad
            values.append(value)
        if not values or len(values) == 3:  # a provider with no gallery
            raise bad
        sub = subscription_id(values[0])
        group = resource_group_name(values[1]) if len(values) > 1 else None
        gallery = gallery_name(values[3]) if len(values) > 3 else None
        definition = definition_name(values[4]) if len(values) > 4 else None
        version = values[5] if len(values) > 5 else None
        if version is not None:
            parse_version(version)
        return cls(sub, group, gallery, definition, version)
