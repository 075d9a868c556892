"""The rules of an image version as a whole: a new version (its publishing
profile and its one source) and an edit of a recorded one.

`check_new_version` and `check_edit` take what the caller gave and check all
of it before anything is inspected or recorded.  `regions_to_drop` checks
the part of an edit that depends on what is recorded (the current target
regions and their completed replicas); the caller runs it inside the
transaction that applies the edit, as the planner runs `zrs_zones` (a
Standard_ZRS target needs a region with zones) inside the one that stores
the plan.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from imgrepl.exceptions import NotFoundError, ValidationError
from imgrepl.gallery.models import ImageVersion, Region, arm_id
from imgrepl.gallery.regions import normalise_region
from imgrepl.gallery.rules.fields import (
    TargetRegionSpec,
    check_updatable,
    definition_name,
    end_of_life,
    gallery_name,
    parse_bool,
    parse_version,
    replica_count,
    storage_type,
    target_region_spec,
)
from imgrepl.gallery.rules.tag_edits import apply_tag_changes, split_tag_changes
from imgrepl.gallery.status import ReplicaState

PathLike = str | os.PathLike[str]
MAX_LUN = 63


class VersionFields(TypedDict, total=False):
    """The stored fields of a version that change after it is recorded."""

    replica_count: int
    exclude_from_latest: bool
    end_of_life_date: str | None
    allow_deletion: bool
    provisioning_state: str
    tags: dict[str, str]


def target_specs(items: Sequence[str | TargetRegionSpec]) -> list[TargetRegionSpec]:
    """`--target-regions` entries, each parsed or checked once, none twice."""
    specs = [target_region_spec(i) if isinstance(i, str) else _checked_spec(i) for i in items]
    names = [s.name for s in specs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValidationError(f"target region {dupes[0]!r} is given more than once")
    return specs


def _checked_spec(s: TargetRegionSpec) -> TargetRegionSpec:
    """A spec built in Python rather than parsed from text."""
    name = normalise_region(s.name)
    kind = s.storage_type and storage_type(s.storage_type)
    if s.replica_count is not None:
        replica_count(s.replica_count, f"regionalReplicaCount of {name}")
    return TargetRegionSpec(name, s.replica_count, kind, s.exclude_from_latest)


def data_luns(data_vhds: Mapping[int, PathLike] | None) -> list[tuple[int, PathLike]]:
    """Data disks by LUN (0..63), in LUN order."""
    for lun in data_vhds or {}:
        if isinstance(lun, bool) or not isinstance(lun, int) or not 0 <= lun <= MAX_LUN:
            raise ValidationError(f"invalid data disk LUN {lun!r}: use 0..{MAX_LUN}")
    return sorted((data_vhds or {}).items())


def split_version_id(text: str) -> tuple[str, str, str]:
    """`G/D/V` or `/galleries/G/images/D/versions/V`."""
    parts = [p for p in str(text).split("/") if p]
    if len(parts) == 6 and parts[0::2] == ["galleries", "images", "versions"]:
        parts = parts[1::2]
    if len(parts) != 3:
        raise ValidationError(
            f"invalid image version reference {text!r}: use GALLERY/DEFINITION/VERSION"
        )
    # checked as names, so an error never echoes control characters or `..`
    if parts[2].casefold() != "latest":
        parse_version(parts[2])
    return gallery_name(parts[0]), definition_name(parts[1]), parts[2]


def zrs_zones(region: Region) -> list[str]:
    """The zones a Standard_ZRS replica is kept in: the region must have some."""
    if region.zones < 1:
        raise ValidationError(
            f"storageAccountType Standard_ZRS needs a region with availability zones; "
            f"region {region.name!r} has none (declare them with `imgrepl region add "
            f"--zones 3`)"
        )
    return region.zone_names


def latest_region(location: str | None) -> str:
    """The region `latest` is resolved in."""
    if location is None:
        raise ValidationError("version 'latest' needs a region: give --location")
    return normalise_region(location)


@dataclass(frozen=True)
class NewVersion:
    """A new image version as the caller gave it."""

    gallery: str
    definition: str
    name: str
    location: str
    os_vhd: PathLike | None
    data_vhds: Mapping[int, PathLike] | None
    source_version: str | None
    target_regions: Sequence[str | TargetRegionSpec] | None
    replica_count: int
    storage_account_type: str
    exclude_from_latest: bool
    end_of_life_date: str | None
    allow_deletion: bool
    tags: Mapping[str, str] | None = None
    # (subscription, resource group) of `source_version` when it is not the new version's
    source_scope: tuple[str, str] | None = None


@dataclass(frozen=True)
class Profile:
    """A new version's checked publishing profile and source."""

    location: str
    targets: list[TargetRegionSpec]
    replica_count: int
    storage_type: str
    end_of_life_date: str | None
    data_luns: list[tuple[int, PathLike]]
    source_version: tuple[str, str, str] | None  # (gallery, definition, version)


def check_new_version(new: NewVersion) -> Profile:
    parse_version(new.name)
    location = normalise_region(new.location)
    targets = target_specs(new.target_regions or [location])
    if location not in {t.name for t in targets}:
        raise ValidationError(
            f"the source region {location!r} (--location) must be one of the target regions"
        )
    count = replica_count(new.replica_count)
    kind = storage_type(new.storage_account_type)
    eol = end_of_life(new.end_of_life_date)
    if (new.os_vhd is None) == (new.source_version is None):
        raise ValidationError("give exactly one source: --os-vhd PATH or --image-version G/D/V")
    source = None
    if new.source_version is not None:
        if new.data_vhds:
            raise ValidationError("--data-vhds goes with --os-vhd, not with --image-version")
        source = split_version_id(new.source_version)
    return Profile(location, targets, count, kind, eol, data_luns(new.data_vhds), source)


@dataclass(frozen=True)
class VersionEdit:
    """An edit of a recorded version as the caller gave it."""

    target_regions: Sequence[str | TargetRegionSpec] | None
    add: Sequence[str | TargetRegionSpec]
    remove: Sequence[str]
    replica_count: int | None
    exclude_from_latest: bool | None
    end_of_life_date: str | None
    allow_deletion: bool
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EditPlan:
    """A checked edit: the fields to set, then the target regions to replace
    (None: keep), add or change, and remove."""

    fields: VersionFields
    replace: list[TargetRegionSpec] | None
    add: list[TargetRegionSpec]
    remove: list[str]
    tags: dict[str, Any] = field(default_factory=dict)  # applied to the stored tags

    @property
    def upserts(self) -> list[tuple[TargetRegionSpec, bool]]:
        """(spec, whether a count it leaves out keeps the region's current one)."""
        return [(s, False) for s in self.replace or []] + [(s, True) for s in self.add]


# Azure names an edit's `changes` may use -> the field they set
_SET_FIELDS = {
    "publishingProfile.replicaCount": "replica_count",
    "publishingProfile.excludeFromLatest": "exclude_from_latest",
    "publishingProfile.endOfLifeDate": "end_of_life_date",
    "safetyProfile.allowDeletionOfReplicatedLocations": "allow_deletion",
}


def check_edit(edit: VersionEdit) -> EditPlan:
    tag_changes, changes = split_tag_changes(edit.changes)
    apply_tag_changes({}, tag_changes)  # refused now, not halfway through the edit
    check_updatable("version", changes)
    if "publishingProfile.targetRegions" in changes:
        raise ValidationError("change publishingProfile.targetRegions with --target-regions")
    sets = {_SET_FIELDS[k]: v for k, v in changes.items()}
    fields = VersionFields()
    count = sets.get("replica_count", edit.replica_count)
    if count is not None:
        fields["replica_count"] = replica_count(int(count))
    exclude = sets.get("exclude_from_latest", edit.exclude_from_latest)
    if exclude is not None:
        fields["exclude_from_latest"] = parse_bool("excludeFromLatest", exclude)
    eol = sets.get("end_of_life_date", edit.end_of_life_date)
    if eol is not None:
        fields["end_of_life_date"] = end_of_life(eol)
    allow = edit.allow_deletion
    if "allow_deletion" in sets:  # safetyProfile is stored, as in Azure
        allow = parse_bool("allowDeletionOfReplicatedLocations", sets["allow_deletion"])
    if allow or "allow_deletion" in sets:
        fields["allow_deletion"] = allow
    replace = None if edit.target_regions is None else target_specs(edit.target_regions)
    add = target_specs(edit.add)
    remove = [normalise_region(r) for r in edit.remove]
    return EditPlan(fields, replace, add, remove, tag_changes)


def regions_to_drop(
    version: ImageVersion, replicas: Sequence[ReplicaState], plan: EditPlan
) -> list[str]:
    """The target regions the edit removes, checked against the recorded
    version: each must be a target, the source region stays, and a region
    with completed replicas goes only when deletion is allowed (by this
    edit, else by what the version has stored)."""
    current = {t.name for t in version.target_regions}
    drop = set(plan.remove)
    if plan.replace is not None:
        drop |= current - {s.name for s in plan.replace}
    for name in sorted(drop):
        if name not in current:
            raise NotFoundError(f"region {name!r} is not a target region of {version.name}")
    if version.location in drop:
        raise ValidationError(f"the source region {version.location!r} must stay a target region")
    allowed = plan.fields.get("allow_deletion", version.allow_deletion_of_replicated_locations)
    for name in sorted(drop):
        done = sum(1 for r in replicas if r.region == name and r.state == "Completed")
        if done and not allowed:
            raise ValidationError(
                f"region {name!r} holds {done} replicas of {version.name}: removing it deletes "
                "them; pass --allow-replicated-location-deletion "
                "(safetyProfile.allowDeletionOfReplicatedLocations) to confirm"
            )
    return sorted(drop)


def version_put_edit(current: ImageVersion, new: NewVersion) -> VersionEdit | None:
    """A create of an existing version, as ARM's PUT: the edit that makes it
    what `new` says (None: the same body, nothing to do).  The source, its
    region and the storage type are fixed: one that differs is refused, named."""
    profile = check_new_version(new)
    given_source = _given_source(current, new, profile)
    for azure, old, given in (
        ("location", current.location, profile.location),
        (
            "publishingProfile.storageAccountType",
            current.storage_account_type,
            profile.storage_type,
        ),
        ("storageProfile", _stored_source(current), given_source),
    ):
        if old != given:
            raise ValidationError(
                f"image version {current.gallery}/{current.definition}/{current.name} exists "
                f"with another {azure}; {azure} cannot be changed"
            )

    def effective(name: str, n: int | None, kind: str | None, flag: bool | None) -> tuple[Any, ...]:
        return (name, n or profile.replica_count, kind or profile.storage_type, bool(flag))

    old_targets = sorted(
        effective(t.name, t.regional_replica_count, t.storage_account_type, t.exclude_from_latest)
        for t in current.target_regions
    )
    new_targets = sorted(
        effective(t.name, t.replica_count, t.storage_type, t.exclude_from_latest)
        for t in profile.targets
    )
    changes: dict[str, Any] = {}
    if profile.end_of_life_date != current.end_of_life_date:
        changes["publishingProfile.endOfLifeDate"] = profile.end_of_life_date or ""
    if dict(new.tags or {}) != current.tags:
        changes["tags"] = dict(new.tags or {})
    if new.allow_deletion != current.allow_deletion_of_replicated_locations:
        changes["safetyProfile.allowDeletionOfReplicatedLocations"] = new.allow_deletion
    edit = VersionEdit(
        profile.targets if new_targets != old_targets else None,
        (),
        (),
        profile.replica_count if profile.replica_count != current.replica_count else None,
        new.exclude_from_latest if new.exclude_from_latest != current.exclude_from_latest else None,
        None,
        new.allow_deletion,
        changes,
    )
    return None if edit == VersionEdit(None, (), (), None, None, None, new.allow_deletion) else edit


def _stored_source(v: ImageVersion) -> tuple[Any, ...]:
    if v.source_version is not None:
        source = v.source_version  # recorded before scopes: relative to its own
        if source.startswith("/galleries/"):
            source = (
                arm_id(v.subscription, v.resource_group) + "/providers/Microsoft.Compute" + source
            )
        return ("version", source.casefold())
    return ("files", tuple(sorted((d.lun if d.lun is not None else -1, d.source) for d in v.disks)))


def _given_source(v: ImageVersion, new: NewVersion, profile: Profile) -> tuple[Any, ...]:
    if profile.source_version is not None:
        where = new.source_scope or (v.subscription, v.resource_group)
        return ("version", arm_id(*where, *profile.source_version).casefold())
    assert new.os_vhd is not None
    files = [(-1, new.os_vhd), *profile.data_luns]
    return ("files", tuple(sorted((lun, str(Path(p).expanduser().absolute())) for lun, p in files)))
