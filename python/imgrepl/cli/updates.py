"""Tags and az's generic update arguments, shared by galleries, image
definitions and image versions: `--tags k=v ...` on create and update (on
update it replaces them all, as in az), and `--set FIELD=VALUE`,
`--add tags KEY=VALUE ...`, `--remove tags.KEY` (or `--remove tags`: all)
on update.  They become one `changes` mapping of Azure field names, with
`tags.KEY` set to None to remove a tag (imgrepl.gallery.rules.tags)."""

from __future__ import annotations

import argparse
from typing import Any

from imgrepl.cli.common import key_values


def add_tags(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--tags",
        nargs="*",
        action="extend",
        metavar="KEY=VALUE",
        help=f"tags of the {what}, e.g. env=prod team=os",
    )


def add_generic_update(p: argparse.ArgumentParser, example: str) -> None:
    """az's --set, --add and --remove."""
    p.add_argument(
        "--set",
        nargs="*",
        action="extend",
        metavar="FIELD=VALUE",
        help=f"set fields by their Azure names, e.g. {example} or tags.env=prod",
    )
    p.add_argument(
        "--add",
        nargs="+",
        action="append",
        metavar="ITEM",
        help="add to a field: tags KEY=VALUE ... (tags are the only field that takes it)",
    )
    p.add_argument(
        "--remove",
        nargs="+",
        action="append",
        metavar="ITEM",
        help="remove a field's entry: tags.KEY, or tags for every tag",
    )


def changes(a: argparse.Namespace, **named: Any) -> dict[str, Any]:
    """The update's changes: the named options that were given, --tags,
    --set, --add and --remove (an item named twice is refused)."""
    from imgrepl.exceptions import ValidationError

    out: dict[str, Any] = {k: v for k, v in named.items() if v is not None}
    if getattr(a, "tags", None) is not None:
        out["tags"] = key_values(a.tags, "tag")

    def put(key: str, value: Any, how: str) -> None:
        if key in out:
            raise ValidationError(f"{how}: {key} is changed twice in one update")
        out[key] = value

    for key, value in key_values(getattr(a, "set", None), "--set item").items():
        put(key, value, "--set")
    for path, *items in getattr(a, "add", None) or []:
        if path != "tags" or not items:
            raise ValidationError(
                f"--add {path}: only tags can be added to, as --add tags KEY=VALUE ..."
            )
        for key, value in key_values(items, "--add tags item").items():
            put(f"tags.{key}", value, "--add")
    for path, *rest in getattr(a, "remove", None) or []:
        names = [f"tags.{n}" for n in rest] if path == "tags" and rest else [path]
        for name in names:
            if name != "tags" and not name.startswith("tags."):
                raise ValidationError(
                    f"--remove {name}: only tags can be removed, as --remove tags.KEY"
                )
            put(name, {} if name == "tags" else None, "--remove")
    return out
