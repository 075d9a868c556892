"""Image version lifecycle steps that sit between the client and the catalog:
checking a new version and recording it, applying an update, deleting."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from imgrepl import stores
from imgrepl.api import sources
from imgrepl.catalog import Catalog, VersionRef
from imgrepl.exceptions import ValidationError
from imgrepl.gallery import rules
from imgrepl.gallery.builders import parse_bool
from imgrepl.gallery.models import ImageVersion, version_id
from imgrepl.gallery.regions import normalise_region
from imgrepl.gallery.rules import TargetRegionSpec

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class NewVersion:
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


def target_specs(items: Sequence[str | TargetRegionSpec]) -> list[TargetRegionSpec]:
    specs = [rules.target_region_spec(i) if isinstance(i, str) else i for i in items]
    specs = [
        TargetRegionSpec(
            normalise_region(s.name),
            s.replica_count,
            s.storage_type and rules.storage_type(s.storage_type),
            s.exclude_from_latest,
        )
        for s in specs
    ]
    for s in specs:
        if s.replica_count is not None:
            rules.replica_count(s.replica_count, f"regionalReplicaCount of {s.name}")
    names = [s.name for s in specs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValidationError(f"target region {dupes[0]!r} is given more than once")
    return specs


async def record(catalog: Catalog, new: NewVersion) -> VersionRef:
    """Checks everything, inspects the sources, then records the version."""
    rules.parse_version(new.name)
    location = normalise_region(new.location)
    targets = target_specs(new.target_regions or [location])
    if location not in {t.name for t in targets}:
        raise ValidationError(
            f"the source region {location!r} (--location) must be one of the target regions"
        )
    count = rules.replica_count(new.replica_count)
    kind = rules.storage_type(new.storage_account_type)
    eol = rules.end_of_life(new.end_of_life_date)
    if (new.os_vhd is None) == (new.source_version is None):
        raise ValidationError("give exactly one source: --os-vhd PATH or --image-version G/D/V")
    if new.source_version is not None:
        if new.data_vhds:
            raise ValidationError("--data-vhds goes with --os-vhd, not with --image-version")
        disks = await asyncio.to_thread(
            sources.disks_from_version, catalog, new.source_version, location
        )
        source_id: str | None = version_id(*sources.split_version_id(new.source_version))
    else:
        assert new.os_vhd is not None
        disks = await sources.disks_from_files(new.os_vhd, new.data_vhds)
        source_id = None
    version = ImageVersion(
        gallery=new.gallery,
        definition=new.definition,
        name=new.name,
        location=location,
        provisioning_state="Creating",
        target_regions=[],
        replica_count=count,
        storage_account_type=kind,
        exclude_from_latest=new.exclude_from_latest,
        end_of_life_date=eol,
        published_date=datetime.now(UTC).isoformat(),
        allow_deletion_of_replicated_locations=new.allow_deletion,
        disks=disks,
        source_version=source_id,
    )
    return await asyncio.to_thread(catalog.create_version, version, targets, catalog.limits())


@dataclass(frozen=True)
class VersionEdit:
    target_regions: Sequence[str | TargetRegionSpec] | None
    add: Sequence[str | TargetRegionSpec]
    remove: Sequence[str]
    replica_count: int | None
    exclude_from_latest: bool | None
    end_of_life_date: str | None
    allow_deletion: bool
    changes: dict[str, Any] = field(default_factory=dict)


_SET_FIELDS = {
    "publishingProfile.replicaCount": "replica_count",
    "publishingProfile.excludeFromLatest": "exclude_from_latest",
    "publishingProfile.endOfLifeDate": "end_of_life_date",
    "safetyProfile.allowDeletionOfReplicatedLocations": "allow_deletion",
}


async def apply_edit(catalog: Catalog, ref: VersionRef, edit: VersionEdit) -> None:
    """Validates the whole edit first, then applies it in one transaction."""
    rules.check_updatable("version", edit.changes)
    if "publishingProfile.targetRegions" in edit.changes:
        raise ValidationError("change publishingProfile.targetRegions with --target-regions")
    sets = {_SET_FIELDS[k]: v for k, v in edit.changes.items()}
    count = sets.get("replica_count", edit.replica_count)
    if count is not None:
        count = rules.replica_count(int(count))
    fields: dict[str, Any] = {}
    exclude = sets.get("exclude_from_latest", edit.exclude_from_latest)
    if exclude is not None:
        fields["exclude_from_latest"] = int(parse_bool("excludeFromLatest", exclude))
    eol = sets.get("end_of_life_date", edit.end_of_life_date)
    if eol is not None:
        fields["end_of_life_date"] = rules.end_of_life(eol)
    allow = edit.allow_deletion
    if "allow_deletion" in sets:  # safetyProfile is stored, as in Azure
        allow = parse_bool("allowDeletionOfReplicatedLocations", sets["allow_deletion"])
    if allow or "allow_deletion" in sets:
        fields["allow_deletion"] = int(allow)
    replace = None if edit.target_regions is None else target_specs(edit.target_regions)
    add = target_specs(edit.add)
    remove = [normalise_region(r) for r in edit.remove]
    await asyncio.to_thread(catalog.edit_targets, ref, replace, add, remove, count, allow, fields)


async def delete(catalog: Catalog, ref: VersionRef) -> None:
    """Deletes every replica from its store, dropping each row only once its
    replica is gone, then the version.  A store that fails stops the delete
    with a StoreError: the version stays Deleting with the replicas not yet
    deleted (never deployed, never `latest`), and deleting again finishes."""
    from imgrepl.exceptions import StoreError

    pid = os.getpid()
    await asyncio.to_thread(catalog.claim_job, ref, pid)
    try:
        await asyncio.to_thread(catalog.mark_all_deleting, ref)
        for row in await asyncio.to_thread(catalog.replica_rows, ref):
            try:
                await asyncio.to_thread(stores.remove, row.location)
            except StoreError as exc:
                await asyncio.to_thread(catalog.set_replica, row.id, "Deleting", details=str(exc))
                name = f"{ref.gallery}/{ref.definition}/{ref.name}"
                raise StoreError(
                    f"deleting image version {name}: {exc}; it stays Deleting with its "
                    "remaining replicas: delete it again once the store is back"
                ) from None
            await asyncio.to_thread(catalog.drop_replica, row.id)
        await asyncio.to_thread(catalog.delete_version_rows, ref)
    finally:
        await asyncio.shield(asyncio.to_thread(catalog.release_job, ref, pid))
