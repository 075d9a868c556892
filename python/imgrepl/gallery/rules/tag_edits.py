"""Tag edits as `update` takes them, in Azure's generic-update form:
`tags` replaces them all (an object, or its JSON text), `tags.KEY` sets one
(None removes it).  Applied to the tags stored when the edit runs, so two
edits of different tags both take effect."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from imgrepl.exceptions import ValidationError
from imgrepl.gallery.rules.fields import tags as checked_tags

PREFIX = "tags."


def split_tag_changes(changes: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the tag changes, the others) of Azure-named `changes`."""
    mine = {k: v for k, v in changes.items() if k == "tags" or k.startswith(PREFIX)}
    return mine, {k: v for k, v in changes.items() if k not in mine}


def apply_tag_changes(current: Mapping[str, str], changes: Mapping[str, Any]) -> dict[str, str]:
    """The tags after `changes` (from split_tag_changes), checked."""
    result = dict(current)
    if "tags" in changes:
        result = _whole(changes["tags"])
    for key, value in changes.items():
        if key == "tags":
            continue
        name = key[len(PREFIX) :]
        if value is None:
            result.pop(name, None)
        else:
            result[name] = str(value)
    return checked_tags(result)


def _whole(value: Any) -> dict[str, str]:
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    if not isinstance(value, Mapping):
        raise ValidationError(
            'tags must be an object of names to values, e.g. tags=\'{"env": "prod"}\''
        )
    return {str(k): str(v) for k, v in value.items()}
