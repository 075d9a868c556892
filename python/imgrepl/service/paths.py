"""What an ARM request path names: a resource (its ArmId) or a collection
under a scope (galleries of a subscription or resource group, images of a
gallery, versions of an image), or an async operation.  Matched
case-insensitively, as ARM matches paths; names are checked by the
domain's rules, so a traversal such as `..` or `a/b` is refused here."""

from __future__ import annotations

from dataclasses import dataclass

from imgrepl.exceptions import ValidationError
from imgrepl.gallery.models import PROVIDER
from imgrepl.gallery.scope import ArmId
from imgrepl.service.errors import ArmError, invalid


@dataclass(frozen=True)
class Target:
    """`scope` is the resource itself, or the parent of `collection`."""

    scope: ArmId
    collection: str | None = None  # "galleries", "images" or "versions"
    operation: tuple[str, str] | None = None  # (location, operation id)


def _not_found(path: str) -> ArmError:
    return ArmError(404, "InvalidResourceType", f"no resource type at {path[:200]!r}")


def parse_path(path: str) -> Target:
    parts = path.strip("/").split("/")
    folded = [p.casefold() for p in parts]
    if len(parts) < 2 or folded[0] != "subscriptions" or "" in parts:
        raise _not_found(path)
    provider = ["providers", PROVIDER.casefold()]
    # /subscriptions/S/providers/Microsoft.Compute/...
    if folded[2:4] == provider:
        rest = folded[4:]
        if rest == ["galleries"]:
            return Target(_scope(parts[:2]), "galleries")
        if len(rest) == 4 and rest[0] == "locations" and rest[2] == "operations":
            return Target(_scope(parts[:2]), operation=(parts[5], parts[7]))
        raise _not_found(path)
    # /subscriptions/S/resourceGroups/G/providers/Microsoft.Compute/galleries[/...]
    if len(parts) < 7 or folded[2] != "resourcegroups" or folded[4:6] != provider:
        raise _not_found(path)
    if folded[6] != "galleries":
        raise _not_found(path)
    tail = parts[7:]
    keys = [k.casefold() for k in tail[1::2]]
    if keys != ["images", "versions"][: len(keys)]:
        raise _not_found(path)
    names = tail[0::2]
    if len(tail) % 2 == 0:  # ends on a collection name
        collection = ["galleries", "images", "versions"][len(names)]
        return Target(_scope([*parts[:4], *_ids(names)]), collection)
    return Target(_scope([*parts[:4], *_ids(names)]))


def _ids(names: list[str]) -> list[str]:
    """Gallery, image and version names laid out as ArmId.parse reads them."""
    out = ["providers", PROVIDER]
    for key, name in zip(["galleries", "images", "versions"], names, strict=False):
        out += [key, name]
    return out if names else []


def _scope(parts: list[str]) -> ArmId:
    try:
        return ArmId.parse("/" + "/".join(parts))
    except ValidationError as exc:
        raise invalid(str(exc)) from None
