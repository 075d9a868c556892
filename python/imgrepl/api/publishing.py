"""Image version lifecycle steps that sit between the client and the catalog:
recording a new version, applying an edit, deleting.  The domain checks
(gallery.rules) and plans (gallery.planner); the catalog stores, each
read-plan-write in one of its transactions."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime

from imgrepl import stores
from imgrepl.api import region_stores, sources
from imgrepl.catalog import Catalog, Repositories, VersionRef
from imgrepl.gallery import planner
from imgrepl.gallery.models import ImageVersion, arm_id
from imgrepl.gallery.rules import (
    EditPlan,
    NewVersion,
    TargetRegionSpec,
    VersionEdit,
    apply_tag_changes,
    check_edit,
    check_new_version,
    regions_to_drop,
)
from imgrepl.gallery.rules import tags as checked_tags


async def record(
    catalog: Catalog, new: NewVersion, source_catalog: Catalog | None = None
) -> VersionRef:
    """Checks everything, inspects the sources, then records the version;
    `source_catalog`: the catalog scoped to the source version's resource
    group, when it is not the new version's."""
    profile = check_new_version(new)
    tags = checked_tags(dict(new.tags or {}))
    if profile.source_version is not None:
        where = source_catalog or catalog
        disks = await asyncio.to_thread(
            sources.disks_from_version,
            where,
            profile.source_version,
            str(new.source_version),
            profile.location,
        )
        source = await asyncio.to_thread(where.versions.find, *profile.source_version)
        source_id: str | None = arm_id(
            source.subscription,
            source.resource_group,
            source.gallery,
            source.definition,
            source.name,
        )
    else:
        assert new.os_vhd is not None
        disks = await sources.disks_from_files(new.os_vhd, profile.data_luns)
        source_id = None
    version = ImageVersion(
        gallery=new.gallery,
        definition=new.definition,
        name=new.name,
        location=profile.location,
        provisioning_state="Creating",
        target_regions=[],
        replica_count=profile.replica_count,
        storage_account_type=profile.storage_type,
        exclude_from_latest=new.exclude_from_latest,
        end_of_life_date=profile.end_of_life_date,
        published_date=datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        allow_deletion_of_replicated_locations=new.allow_deletion,
        disks=disks,
        source_version=source_id,
        tags=tags,
    )
    return await asyncio.to_thread(_record, catalog, version, profile.targets)


def _record(catalog: Catalog, version: ImageVersion, targets: list[TargetRegionSpec]) -> VersionRef:
    with catalog.transaction() as tx:
        ref = tx.versions.create(version, targets, tx.settings.limits())
        replan(tx, ref)
        return ref


def replan(tx: Repositories, ref: VersionRef) -> int:
    """Stores the replica plan the domain computes from what the catalog holds;
    returns how many replica rows changed.  Called inside the caller's
    transaction, so a concurrent edit cannot slip between the read and the write.
    Target regions whose stores overlap (recorded before `region add` refused
    that) are refused: their replicas would be one another's files."""
    state = tx.versions.plan_state(ref)
    regions = sorted(state.regions.values(), key=lambda r: r.name)
    for i, region in enumerate(regions):
        region_stores.check_unshared(region, regions[:i])
    return tx.replicas.reconcile(ref, planner.desired_for(state))


async def apply_edit(catalog: Catalog, ref: VersionRef, edit: VersionEdit) -> None:
    """Validates the whole edit first, then applies it in one transaction."""
    plan = check_edit(edit)
    await asyncio.to_thread(_apply_edit, catalog, ref, plan)


def _apply_edit(catalog: Catalog, ref: VersionRef, plan: EditPlan) -> None:
    """Reads the version, checks the regions to remove against it, edits only
    the rows the edit names, and replans: all of it one transaction, so two
    processes editing different regions both take effect."""
    with catalog.transaction() as tx:
        stored = tx.versions.get(ref)
        drop = regions_to_drop(stored.version, stored.replicas, plan)
        tx.versions.set_fields(ref, **plan.fields)
        if plan.tags:
            tx.versions.set_fields(ref, tags=apply_tag_changes(stored.version.tags, plan.tags))
        for name in drop:
            tx.versions.remove_target(ref, name)
        for spec, keep in plan.upserts:
            tx.versions.put_target(ref, spec, keep_count=keep)
        if replan(tx, ref):
            tx.versions.set_fields(ref, provisioning_state="Updating")


async def delete(catalog: Catalog, ref: VersionRef) -> None:
    """Deletes every replica from its store, dropping each row only once its
    replica is gone, then the version.  A store that fails stops the delete
    with a StoreError: the version stays Deleting with the replicas not yet
    deleted (never deployed, never `latest`), and deleting again finishes."""
    from imgrepl.exceptions import StoreError

    pid = os.getpid()
    await asyncio.to_thread(catalog.jobs.claim, ref, pid)
    try:
        await asyncio.to_thread(_mark_deleting, catalog, ref)
        for row in await asyncio.to_thread(catalog.replicas.rows, ref):
            try:
                await asyncio.to_thread(stores.remove, row.location)
            except StoreError as exc:
                await asyncio.to_thread(
                    catalog.replicas.set_state, row.id, "Deleting", details=str(exc)
                )
                name = f"{ref.gallery}/{ref.definition}/{ref.name}"
                raise StoreError(
                    f"deleting image version {name}: {exc}; it stays Deleting with its "
                    "remaining replicas: delete it again once the store is back"
                ) from None
            await asyncio.to_thread(catalog.replicas.drop, row.id)
        await asyncio.to_thread(catalog.versions.delete, ref)
    finally:
        await asyncio.shield(asyncio.to_thread(catalog.jobs.release, ref, pid))


def _mark_deleting(catalog: Catalog, ref: VersionRef) -> None:
    with catalog.transaction() as tx:
        tx.versions.set_fields(ref, provisioning_state="Deleting")
        tx.replicas.mark_deleting(ref)
