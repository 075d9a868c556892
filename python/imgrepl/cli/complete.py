"""Shell completion of gallery, definition and version names from the
catalog (argcomplete completers, attached to `-r`, `-i` and `-e` of every
`sig` command).  A completer reads the catalog the command would open (its
--home, --catalog, --subscription and -g as typed so far, else the
defaults); it never creates a home, and any failure completes nothing."""

from __future__ import annotations

import argparse
from typing import Any

# the option's dest -> what it names
_KINDS = {
    "gallery_name": "gallery",
    "gallery_image_definition": "definition",
    "gallery_image_version": "version",
}


def attach(p: argparse.ArgumentParser) -> None:
    """Gives the command's name options their completer."""
    for action in p._actions:
        kind = _KINDS.get(action.dest)
        if kind is not None:
            action.completer = _Completer(kind)  # type: ignore[attr-defined]


class _Completer:
    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __call__(self, prefix: str, parsed_args: argparse.Namespace, **_: Any) -> list[str]:
        try:
            names = _names(self.kind, parsed_args)
        except Exception:  # a shell asking must never see a traceback
            return []
        return [n for n in names if n.lower().startswith(prefix.lower())]


def _names(kind: str, a: argparse.Namespace) -> list[str]:
    import asyncio

    from imgrepl.catalog import resolve_catalog
    from imgrepl.home import catalog_path, resolve_home

    home = resolve_home(getattr(a, "home", None))
    where = resolve_catalog(home, getattr(a, "catalog", None))
    if not isinstance(where, str) and not catalog_path(home).is_file():
        return []  # no catalog yet: nothing to name, and nothing is created
    return asyncio.run(_list(kind, a))


async def _list(kind: str, a: argparse.Namespace) -> list[str]:
    from imgrepl.api.client import Client

    async with Client(
        a.home,
        principal=getattr(a, "principal", None),
        catalog=getattr(a, "catalog", None),
        subscription=getattr(a, "subscription", None),
        resource_group=getattr(a, "resource_group", None),
    ) as c:
        if kind == "gallery":
            return sorted({g.name for g in await c.list_galleries()})
        if kind == "definition":
            return [d.name for d in await c.list_image_definitions(a.gallery_name)]
        versions = await c.list_image_versions(a.gallery_name, a.gallery_image_definition)
        return [v.name for v in versions]
