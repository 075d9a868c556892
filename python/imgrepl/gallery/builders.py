"""Validated records from user input: a new image definition, and the column
changes an update of a definition or version may make (Azure names in)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from imgrepl.exceptions import ValidationError
from imgrepl.gallery import rules
from imgrepl.gallery.models import Gallery, ImageDefinition
from imgrepl.gallery.rules.fields import parse_bool as parse_bool  # the CLI's import

MAX_VCPUS = 640
MAX_MEMORY_GB = 32768


def _int(field: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{field} must be an integer, got {value!r}") from None


def build_definition(
    gallery: str,
    name: str,
    location: str,
    *,
    publisher: str,
    offer: str,
    sku: str,
    os_type: str,
    os_state: str = "Generalized",
    description: str | None = None,
    eula: str | None = None,
    privacy_statement_uri: str | None = None,
    release_note_uri: str | None = None,
    end_of_life_date: str | None = None,
    tags: Mapping[str, str] | None = None,
    vcpus_min: int | None = None,
    vcpus_max: int | None = None,
    memory_min: int | None = None,
    memory_max: int | None = None,
    disallowed_disk_types: Iterable[str] = (),
    hyper_v_generation: str = "V1",
    architecture: str = "x64",
) -> ImageDefinition:
    check_recommended(
        {
            "vcpus_min": vcpus_min,
            "vcpus_max": vcpus_max,
            "memory_min": memory_min,
            "memory_max": memory_max,
        }
    )
    return ImageDefinition(
        gallery=gallery,
        name=rules.definition_name(name),
        location=location,
        publisher=rules.identifier_part("publisher", publisher),
        offer=rules.identifier_part("offer", offer),
        sku=rules.identifier_part("sku", sku),
        os_type=rules.os_type(os_type),
        os_state=rules.os_state(os_state),
        description=rules.text_field("description", description),
        eula=rules.text_field("eula", eula),
        privacy_statement_uri=rules.text_field("privacyStatementUri", privacy_statement_uri),
        release_note_uri=rules.text_field("releaseNoteUri", release_note_uri),
        end_of_life_date=rules.end_of_life(end_of_life_date),
        tags=rules.tags(dict(tags or {})),
        vcpus_min=vcpus_min,
        vcpus_max=vcpus_max,
        memory_min=memory_min,
        memory_max=memory_max,
        disallowed_disk_types=rules.disk_types(disallowed_disk_types),
        hyper_v_generation=rules.hyper_v_generation(hyper_v_generation),
        architecture=rules.architecture(architecture),
    )


def check_recommended(values: Mapping[str, Any]) -> None:
    """recommended.vCPUs and recommended.memory: each in range, min <= max."""
    rules.min_max("vCPUs", values["vcpus_min"], values["vcpus_max"], MAX_VCPUS)
    rules.min_max("memory", values["memory_min"], values["memory_max"], MAX_MEMORY_GB)


_DEFINITION_FIELDS = {
    "description": "description",
    "endOfLifeDate": "end_of_life_date",
    "releaseNoteUri": "release_note_uri",
    "recommended.vCPUs.min": "vcpus_min",
    "recommended.vCPUs.max": "vcpus_max",
    "recommended.memory.min": "memory_min",
    "recommended.memory.max": "memory_max",
}


def definition_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Azure field -> value, checked, as catalog columns; min/max are re-checked
    against the stored values by the catalog inside its transaction."""
    rules.check_updatable("definition", changes)
    out: dict[str, Any] = {}
    for field, value in changes.items():
        column = _DEFINITION_FIELDS[field]
        if column.startswith(("vcpus", "memory")):
            out[column] = _int(field, value)
        elif column == "end_of_life_date":
            out[column] = rules.end_of_life(value)
        else:
            out[column] = rules.text_field(field, value)
    return out


# create-or-update: a definition's fields that are fixed once it exists, by Azure name
_FIXED_DEFINITION_FIELDS = {
    "location": "location",
    "publisher": "identifier.publisher",
    "offer": "identifier.offer",
    "sku": "identifier.sku",
    "os_type": "osType",
    "os_state": "osState",
    "eula": "eula",
    "privacy_statement_uri": "privacyStatementUri",
    "disallowed_disk_types": "disallowed.diskTypes",
    "hyper_v_generation": "hyperVGeneration",
    "architecture": "architecture",
}
_CASELESS = ("location", "publisher", "offer", "sku")


def definition_put_changes(current: ImageDefinition, new: ImageDefinition) -> dict[str, Any]:
    """A create of an existing definition, as ARM's PUT: the columns to
    change (none: the same body, nothing to do); a field that may not change
    and differs is refused, named."""
    for column, azure in _FIXED_DEFINITION_FIELDS.items():
        old, given = getattr(current, column), getattr(new, column)
        if column in _CASELESS:
            old, given = old.casefold(), given.casefold()
        if column == "disallowed_disk_types":
            old, given = sorted(old), sorted(given)
        if old != given:
            raise ValidationError(
                f"image definition {current.gallery}/{current.name} exists with {azure} "
                f"{getattr(current, column)!r}; {azure} cannot be changed (given "
                f"{getattr(new, column)!r})"
            )
    columns = ("tags", *_DEFINITION_FIELDS.values())
    return {c: getattr(new, c) for c in columns if getattr(new, c) != getattr(current, c)}


def gallery_put_changes(
    current: Gallery, location: str, description: str | None, tags: Mapping[str, str]
) -> dict[str, Any]:
    """A create of an existing gallery, as ARM's PUT: what changes
    (`description`, `tags`; none: the same body); another location is refused."""
    if location.casefold() != current.location.casefold():
        raise ValidationError(
            f"gallery {current.name} exists in location {current.location!r}; location "
            f"cannot be changed (given {location!r})"
        )
    new = {"description": description, "tags": dict(tags)}
    return {k: v for k, v in new.items() if getattr(current, k) != v}
