"""ARM JSON in and out.  Out: `{id, name, type, location, tags, properties}`
from a record's Azure shape.  In: the checked parts of a request body, as
the keywords the Client takes; a value of the wrong JSON type is refused
naming its path (`properties.publishingProfile.replicaCount`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from imgrepl.gallery.rules.fields import TargetRegionSpec
from imgrepl.gallery.scope import ArmId
from imgrepl.service.errors import ArmError, invalid

JSON = dict[str, Any]
_TOP = ("id", "name", "type", "location", "tags", "resourceGroup")


def arm_resource(flat: Mapping[str, Any], arm_id: ArmId, *, expand: bool = True) -> JSON:
    """A record's `to_azure()` as ARM returns it; `expand` keeps a version's
    replicationStatus (`$expand=ReplicationStatus`)."""
    props = {k: v for k, v in flat.items() if k not in _TOP}
    if not expand:
        props.pop("replicationStatus", None)
    return {
        "id": str(arm_id),
        "name": flat["name"],
        "type": flat["type"],
        "location": flat["location"],
        "tags": dict(flat.get("tags") or {}),
        "properties": props,
    }


def parse_body(raw: bytes) -> JSON:
    """The request's JSON object, or 400 InvalidRequestContent."""
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, RecursionError):
        raise ArmError(400, "InvalidRequestContent", "the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ArmError(400, "InvalidRequestContent", "the request body must be a JSON object")
    return body


def get(
    body: Mapping[str, Any], path: str, kind: type | tuple[type, ...], default: Any = None
) -> Any:
    """The value at a dotted path of the body, checked to be of `kind`
    (JSON null counts as absent)."""
    here: Any = body
    for key in path.split("."):
        if not isinstance(here, Mapping):
            raise invalid(f"{path}: {key!r} is inside a value that is not an object", path)
        here = here.get(key)
        if here is None:
            return default
    if (kind is int and isinstance(here, bool)) or not isinstance(here, kind):
        names = "/".join(t.__name__ for t in (kind if isinstance(kind, tuple) else (kind,)))
        raise invalid(f"{path} must be a {_json_name(names)}, got {json.dumps(here)[:60]}", path)
    return here


def _json_name(names: str) -> str:
    return {"str": "string", "int": "integer", "bool": "boolean", "dict": "object"}.get(
        names, names.replace("dict", "object").replace("list", "array")
    )


def tags(body: Mapping[str, Any]) -> dict[str, str] | None:
    found = get(body, "tags", dict)
    if found is None:
        return None
    for k, v in found.items():
        if not isinstance(v, str):
            raise invalid(f"tags.{k} must be a string", "tags")
    return dict(found)


def location(body: Mapping[str, Any]) -> str:
    where = get(body, "location", str)
    if not where:
        raise invalid("location is required", "location")
    return str(where)


# --- galleries and definitions -------------------------------------------------------
_DEFINITION = {
    "publisher": "properties.identifier.publisher",
    "offer": "properties.identifier.offer",
    "sku": "properties.identifier.sku",
    "os_type": "properties.osType",
    "os_state": "properties.osState",
    "description": "properties.description",
    "eula": "properties.eula",
    "privacy_statement_uri": "properties.privacyStatementUri",
    "release_note_uri": "properties.releaseNoteUri",
    "end_of_life_date": "properties.endOfLifeDate",
    "hyper_v_generation": "properties.hyperVGeneration",
    "architecture": "properties.architecture",
}
_RECOMMENDED = {
    "vcpus_min": "properties.recommended.vCPUs.min",
    "vcpus_max": "properties.recommended.vCPUs.max",
    "memory_min": "properties.recommended.memory.min",
    "memory_max": "properties.recommended.memory.max",
}
# what an existing definition's PUT or PATCH may change, by Azure name
DEFINITION_UPDATABLE = {
    "description": "properties.description",
    "endOfLifeDate": "properties.endOfLifeDate",
    "releaseNoteUri": "properties.releaseNoteUri",
    "recommended.vCPUs.min": _RECOMMENDED["vcpus_min"],
    "recommended.vCPUs.max": _RECOMMENDED["vcpus_max"],
    "recommended.memory.min": _RECOMMENDED["memory_min"],
    "recommended.memory.max": _RECOMMENDED["memory_max"],
}


def definition_fields(body: Mapping[str, Any]) -> JSON:
    """A new definition's keywords for Client.create_image_definition."""
    out: JSON = {k: get(body, p, str) for k, p in _DEFINITION.items()}
    out |= {k: get(body, p, int) for k, p in _RECOMMENDED.items()}
    for required in ("publisher", "offer", "sku", "os_type"):
        if out[required] is None:
            raise invalid(f"{_DEFINITION[required]} is required", _DEFINITION[required])
    disallowed = get(body, "properties.disallowed.diskTypes", list, [])
    if not all(isinstance(d, str) for d in disallowed):
        raise invalid("properties.disallowed.diskTypes must hold strings")
    out["disallowed_disk_types"] = disallowed
    out["tags"] = tags(body) or {}
    return {k: v for k, v in out.items() if v is not None}


def definition_changes(body: Mapping[str, Any]) -> JSON:
    """The updatable fields a PATCH (or a PUT of an existing one) gives."""
    out: JSON = {}
    for name, path in DEFINITION_UPDATABLE.items():
        value = get(body, path, int if name.startswith("recommended") else str)
        if value is not None:
            out[name] = value
    return out


# --- versions ------------------------------------------------------------------------
def target_regions(body: Mapping[str, Any]) -> list[TargetRegionSpec] | None:
    path = "properties.publishingProfile.targetRegions"
    items = get(body, path, list)
    if items is None:
        return None
    specs = []
    for i, item in enumerate(items):
        where = f"{path}[{i}]"
        if not isinstance(item, dict):
            raise invalid(f"{where} must be an object", where)
        name = get(item, "name", str)
        if not name:
            raise invalid(f"{where}.name is required", f"{where}.name")
        specs.append(
            TargetRegionSpec(
                name,
                get(item, "regionalReplicaCount", int),
                get(item, "storageAccountType", str),
                get(item, "excludeFromLatest", bool),
            )
        )
    return specs


def version_publishing(body: Mapping[str, Any]) -> JSON:
    """publishingProfile and safetyProfile fields, as Client keywords."""
    pp = "properties.publishingProfile."
    out: JSON = {
        "target_regions": target_regions(body),
        "replica_count": get(body, pp + "replicaCount", int),
        "storage_account_type": get(body, pp + "storageAccountType", str),
        "exclude_from_latest": get(body, pp + "excludeFromLatest", bool),
        "end_of_life_date": get(body, pp + "endOfLifeDate", str),
        "allow_replicated_location_deletion": get(
            body, "properties.safetyProfile.allowDeletionOfReplicatedLocations", bool
        ),
    }
    return {k: v for k, v in out.items() if v is not None}


def version_sources(body: Mapping[str, Any]) -> tuple[str | None, str | None, dict[int, str]]:
    """(OS disk source URI, source version id, data disk URIs by LUN)."""
    sp = "properties.storageProfile."
    os_uri = get(body, sp + "osDiskImage.source.uri", str)
    source_id = get(body, sp + "source.id", str) or get(body, sp + "osDiskImage.source.id", str)
    data: dict[int, str] = {}
    for i, disk in enumerate(get(body, sp + "dataDiskImages", list, [])):
        where = f"{sp}dataDiskImages[{i}]"
        if not isinstance(disk, dict):
            raise invalid(f"{where} must be an object", where)
        lun = get(disk, "lun", int)
        uri = get(disk, "source.uri", str)
        if lun is None or uri is None:
            raise invalid(f"{where} needs lun and source.uri", where)
        if lun in data:
            raise invalid(f"{where}: LUN {lun} is given twice", where)
        data[lun] = uri
    return os_uri, source_id, data


def record_id(flat: Mapping[str, Any], scope: ArmId) -> ArmId:
    """A record's ARM id: its own when it carries a full one, else built
    from the request's subscription and resource group and its names."""
    own = str(flat.get("id") or "")
    if own.casefold().startswith("/subscriptions/"):
        return ArmId.parse(own)
    names = [p for p in own.split("/") if p][1::2]  # /galleries/G/images/D/versions/V
    parts: list[str | None] = [*names, None, None, None][:3]
    return ArmId(scope.subscription, scope.resource_group or "default", *parts)
