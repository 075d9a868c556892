"""The rules of single fields: names, version names, counts, choices, dates,
text, tags, limits and one `--target-regions` entry.

Each function either returns the canonical value or raises ValidationError
with a message naming the field and what is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from imgrepl.exceptions import ValidationError
from imgrepl.gallery.regions import normalise_region

INT32_MAX = 2**31 - 1  # Azure: each version part is a 32-bit (signed) integer
MAX_REPLICAS = 100
STORAGE_TYPES = ("Standard_LRS", "Standard_ZRS", "Premium_LRS")
OS_TYPES = ("Linux", "Windows")
OS_STATES = ("Generalized", "Specialized")
HYPER_V_GENERATIONS = ("V1", "V2")
ARCHITECTURES = ("x64", "Arm64")
DISK_TYPES = (
    "Standard_LRS",
    "StandardSSD_LRS",
    "StandardSSD_ZRS",
    "Premium_LRS",
    "Premium_ZRS",
    "PremiumV2_LRS",
    "UltraSSD_LRS",
)
MAX_TAGS = 50

# Azure's name rules: alphanumerics, with the listed separators only inside.
_GALLERY_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.]{0,78}[A-Za-z0-9])?$")
_DEFINITION_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9])?$")
_IDENTIFIER_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,126}[A-Za-z0-9])?$")
_PRINCIPAL_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.@-]{0,126}[A-Za-z0-9])?$")
_VERSION_RE = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")

# Fields that may change after creation (Azure REST names), per resource kind.
UPDATABLE = {
    "gallery": ("description", "tags"),
    "definition": (
        "description",
        "endOfLifeDate",
        "releaseNoteUri",
        "recommended.vCPUs.min",
        "recommended.vCPUs.max",
        "recommended.memory.min",
        "recommended.memory.max",
        "tags",
    ),
    "version": (
        "publishingProfile.targetRegions",
        "publishingProfile.replicaCount",
        "publishingProfile.excludeFromLatest",
        "publishingProfile.endOfLifeDate",
        "safetyProfile.allowDeletionOfReplicatedLocations",
        "tags",
    ),
}


def _check_name(kind: str, value: str, pattern: re.Pattern[str], rule: str) -> str:
    text = str(value)
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ValidationError(f"{kind} {text!r} contains control characters")
    if "/" in text or ".." in text or not pattern.match(text):
        raise ValidationError(f"invalid {kind} {text!r}: {rule}")
    return text


def gallery_name(value: str) -> str:
    return _check_name(
        "gallery name",
        value,
        _GALLERY_RE,
        "1-80 letters and digits, with '_' and '.' allowed in the middle (no '-', '/', '..')",
    )


def definition_name(value: str) -> str:
    return _check_name(
        "image definition name",
        value,
        _DEFINITION_RE,
        "1-80 letters and digits, with '-', '_' and '.' allowed in the middle (no '/', '..')",
    )


def identifier_part(field: str, value: str) -> str:
    return _check_name(
        field,
        value,
        _IDENTIFIER_RE,
        "1-128 letters and digits, with '-', '_' and '.' allowed in the middle",
    )


def principal_name(value: str) -> str:
    return _check_name(
        "principal",
        value,
        _PRINCIPAL_RE,
        "1-128 letters and digits, with '-', '_', '.' and '@' allowed in the middle",
    )


def parse_version(value: str) -> tuple[int, int, int]:
    """`MAJOR.MINOR.PATCH`, each a 32-bit integer, without leading zeros."""
    text = str(value)
    m = _VERSION_RE.match(text)
    if not m:
        raise ValidationError(
            f"invalid image version name {text!r}: use MAJOR.MINOR.PATCH with decimal "
            "integers and no leading zeros, e.g. 1.0.0"
        )
    parts = (int(m[1]), int(m[2]), int(m[3]))
    for label, part in zip(("MAJOR", "MINOR", "PATCH"), parts, strict=True):
        if part > INT32_MAX:
            raise ValidationError(
                f"invalid image version name {text!r}: {label} {part} exceeds the "
                f"32-bit limit {INT32_MAX}"
            )
    return parts


def replica_count(value: int, field: str = "replicaCount") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{field} must be an integer, got {value!r}")
    if not 1 <= value <= MAX_REPLICAS:
        raise ValidationError(f"{field} {value} is out of range: 1..{MAX_REPLICAS}")
    return value


def _choice(field: str, value: str, allowed: Iterable[str]) -> str:
    for option in allowed:
        if str(value).lower() == option.lower():
            return option
    raise ValidationError(f"invalid {field} {value!r}: use one of {', '.join(allowed)}")


def storage_type(value: str) -> str:
    return _choice("storageAccountType", value, STORAGE_TYPES)


def os_type(value: str) -> str:
    return _choice("osType", value, OS_TYPES)


def os_state(value: str) -> str:
    return _choice("osState", value, OS_STATES)


def hyper_v_generation(value: str) -> str:
    return _choice("hyperVGeneration", value, HYPER_V_GENERATIONS)


def architecture(value: str) -> str:
    return _choice("architecture", value, ARCHITECTURES)


def disk_types(values: Iterable[str]) -> list[str]:
    return sorted({_choice("disallowed.diskTypes", v, DISK_TYPES) for v in values})


def end_of_life(value: str | date | datetime | None, field: str = "endOfLifeDate") -> str | None:
    """An ISO-8601 date or date-time, stored as a UTC date-time string."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(
                f"invalid {field} {value!r}: use an ISO-8601 date such as 2030-12-31"
            ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def is_past(end_of_life_date: str | None, now: datetime | None = None) -> bool:
    if end_of_life_date is None:
        return False
    moment = datetime.fromisoformat(end_of_life_date.replace("Z", "+00:00"))
    return moment <= (now or datetime.now(UTC))


def text_field(field: str, value: str | None, limit: int = 2048) -> str | None:
    if value is None:
        return None
    text = str(value)
    if len(text) > limit:
        raise ValidationError(f"{field} is {len(text)} characters long: at most {limit}")
    if any(ord(c) < 32 and c not in "\t\n\r" for c in text):
        raise ValidationError(f"{field} contains control characters")
    return text


def tags(values: dict[str, str] | None) -> dict[str, str]:
    result = dict(values or {})
    if len(result) > MAX_TAGS:
        raise ValidationError(f"{len(result)} tags given: at most {MAX_TAGS}")
    for key, value in result.items():
        if not key or len(key) > 512 or any(c in key for c in "<>%&\\?/"):
            raise ValidationError(f"invalid tag name {key!r}: 1-512 characters, none of <>%&\\?/")
        text_field(f"tag {key!r}", value, 256)
    return result


def min_max(field: str, low: int | None, high: int | None, ceiling: int) -> None:
    for label, v in (("min", low), ("max", high)):
        if v is not None and not 1 <= v <= ceiling:
            raise ValidationError(f"recommended.{field}.{label} {v} is out of range: 1..{ceiling}")
    if low is not None and high is not None and low > high:
        raise ValidationError(f"recommended.{field}.min {low} is above max {high}")


def parse_bool(field: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise ValidationError(f"{field} must be true or false, got {value!r}")


def positive(field: str, value: float | None) -> None:
    """A rate or limit that may be left out but is never zero or negative."""
    if value is not None and not value > 0:
        raise ValidationError(f"{field} {value} must be positive")


def check_updatable(kind: str, fields: Iterable[str]) -> None:
    """Refuses, naming it, the first field that may not change after creation."""
    allowed = UPDATABLE[kind]
    for name in fields:
        if name not in allowed:
            raise ValidationError(
                f"{name} of an existing {kind} cannot be changed; updatable: {', '.join(allowed)}"
            )


@dataclass(frozen=True)
class Limits:
    """Per-region quotas of a home (Azure's per-subscription, per-region limits)."""

    galleries: int = 100
    definitions: int = 1000
    versions: int = 10000

    def checked(self) -> Limits:
        for field in ("galleries", "definitions", "versions"):
            v = getattr(self, field)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValidationError(f"limit {field} must be a positive integer, got {v!r}")
        return self


@dataclass(frozen=True)
class TargetRegionSpec:
    """One `--target-regions` entry before the catalog resolves it."""

    name: str
    replica_count: int | None = None
    storage_type: str | None = None
    exclude_from_latest: bool | None = None


def target_region_spec(text: str) -> TargetRegionSpec:
    """`REGION[=COUNT[=STORAGE_TYPE]]`, as in `az sig image-version create`."""
    parts = str(text).split("=")
    if len(parts) > 3 or not parts[0]:
        raise ValidationError(
            f"invalid target region {text!r}: use REGION[=COUNT[=STORAGE_TYPE]], "
            "e.g. westeurope=2=Standard_ZRS"
        )
    count: int | None = None
    if len(parts) > 1 and parts[1]:
        try:
            count = int(parts[1])
        except ValueError:
            raise ValidationError(
                f"invalid replica count {parts[1]!r} in target region {text!r}"
            ) from None
        replica_count(count, f"regionalReplicaCount of {parts[0]}")
    kind = storage_type(parts[2]) if len(parts) > 2 and parts[2] else None
    return TargetRegionSpec(normalise_region(parts[0]), count, kind)
