"""`imgrepl.Client`, part two: image versions, their replication, replicas,
verification, cost, and disks made from them."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imgrepl.api.base import ClientBase, PathLike
from imgrepl.catalog import Catalog, VersionRef
from imgrepl.exceptions import NotFoundError, ValidationError
from imgrepl.gallery import rules
from imgrepl.gallery.access import READ, WRITE
from imgrepl.gallery.models import DeployedDisk, ImageVersion, Replica, ReplicaCheck
from imgrepl.gallery.regions import normalise_region
from imgrepl.gallery.rules import TargetRegionSpec
from imgrepl.gallery.scope import ArmId
from imgrepl.gallery.status import with_status

if TYPE_CHECKING:  # the replicator and costs load when used, not to list versions
    from imgrepl.gallery.cost import Recommendation, VersionCost
    from imgrepl.replication.replicator import ProgressCallback


class VersionApi(ClientBase):
    async def create_image_version(
        self,
        gallery: str,
        definition: str,
        version: str,
        *,
        location: str,
        os_vhd: PathLike | None = None,
        data_vhds: Mapping[int, PathLike] | None = None,
        source_version: str | None = None,
        target_regions: Sequence[str | TargetRegionSpec] | None = None,
        replica_count: int = 1,
        storage_account_type: str = "Standard_LRS",
        exclude_from_latest: bool = False,
        end_of_life_date: str | None = None,
        allow_replicated_location_deletion: bool = False,
        tags: Mapping[str, str] | None = None,
        wait: bool = True,
        on_progress: ProgressCallback | None = None,
        cap_mbps: float | None = None,
        replicate: bool = True,
        delta: bool = True,
    ) -> ImageVersion:
        """Records the version (Creating) and replicates it; with `wait=False`
        a background process replicates and this returns at once.  The source
        is `os_vhd` (+ `data_vhds` by LUN) or `source_version`: `G/D/V` in
        this resource group, or a version's ARM id in any subscription and
        resource group where the caller may read it.
        `cap_mbps` caps each copy job's source reads (MB/s); `delta=False`
        copies every region's first replica in full (no base, see
        imgrepl.replication.delta).  With `replicate=False` nothing replicates
        yet: the caller runs `replicate`, as the service does in its own process.

        A version that exists is updated as ARM's PUT does: the same body
        changes nothing and returns it; target regions, counts, exclude from
        latest, end of life, deletion safety and tags take the values given;
        another source, location or storage type is refused, named."""
        from imgrepl.api import publishing

        catalog = await self._require(WRITE, "create image versions", gallery, definition)
        source_version, source_scope, source_catalog = await self._source(source_version)
        plan = rules.NewVersion(
            gallery,
            definition,
            version,
            location,
            os_vhd,
            data_vhds,
            source_version,
            target_regions,
            replica_count,
            storage_account_type,
            exclude_from_latest,
            end_of_life_date,
            allow_replicated_location_deletion,
            tags,
            source_scope,
        )
        try:
            ref = await self._run(catalog.versions.find, gallery, definition, version)
        except NotFoundError:
            ref = await publishing.record(catalog, plan, source_catalog)
            if not replicate:
                return await self._version(catalog, ref)
            return await self._replicate(catalog, ref, False, wait, on_progress, cap_mbps, delta)
        edit = rules.version_put_edit(await self._version(catalog, ref), plan)
        if edit is None:
            return await self._version(catalog, ref)
        await publishing.apply_edit(catalog, ref, edit)
        if not replicate:
            return await self._version(catalog, ref)
        return await self._replicate(catalog, ref, True, wait, on_progress, cap_mbps, delta)

    async def _source(
        self, reference: str | None
    ) -> tuple[str | None, tuple[str, str] | None, Catalog | None]:
        """A source version given by its ARM id (as `storageProfile.source.id`
        shows it) as `G/D/V`, with its (subscription, resource group) and
        catalog when it is in another one: there the caller needs Reader,
        as Azure asks to copy from a gallery of another group."""
        if reference is None or not reference.strip().casefold().startswith("/subscriptions/"):
            return reference, None, None
        ref = ArmId.parse(reference)
        if ref.version is None:
            raise ValidationError(f"source {reference!r} is not an image version id")
        names = f"{ref.gallery}/{ref.definition}/{ref.version}"
        if self.scope.contains(ref):
            return names, None, None
        assert ref.gallery is not None and ref.definition is not None
        other = await self.in_scope(ref.subscription, ref.resource_group)
        catalog = await other._require(
            READ, "read the source image version", ref.gallery, ref.definition
        )
        return names, (other.subscription, str(other.resource_group)), catalog

    async def _replicate(
        self,
        catalog: Catalog,
        ref: VersionRef,
        retry_failed: bool,
        wait: bool,
        on_progress: ProgressCallback | None,
        cap_mbps: float | None,
        delta: bool = True,
    ) -> ImageVersion:
        from imgrepl.replication import worker
        from imgrepl.replication.replicator import Replicator

        rules.positive("--cap-mbps", cap_mbps)
        if not wait:
            await self._run(
                worker.spawn, self.home, catalog, ref, self.principal, retry_failed, cap_mbps, delta
            )
            return await self._version(catalog, ref)
        replicator = Replicator(catalog, ref, on_progress, cap_mbps, delta=delta)
        return await replicator.run(retry_failed=retry_failed)

    async def get_image_version(
        self, gallery: str, definition: str, version: str, *, location: str | None = None
    ) -> ImageVersion:
        """`version` may be `latest`, resolved in `location` (DESIGN.md's rule)."""
        if version.lower() == "latest":
            from imgrepl.gallery.latest import resolve_latest

            region = rules.latest_region(location)
            found = await self.list_image_versions(gallery, definition)
            return resolve_latest(found, region)
        catalog, acc = await self._open()

        def read() -> ImageVersion:  # one trip to a worker thread, not three
            acc.require(READ, "read the image version", gallery, definition)
            return with_status(
                catalog.versions.get(catalog.versions.find(gallery, definition, version))
            )

        return await self._run(read)

    async def list_image_versions(
        self, gallery: str, definition: str, *, include_end_of_life: bool = True
    ) -> list[ImageVersion]:
        catalog = await self._require(READ, "list image versions", gallery, definition)
        stored = await self._run(catalog.versions.all, gallery, definition)
        found = [with_status(v) for v in stored]
        if not include_end_of_life:
            found = [v for v in found if not rules.is_past(v.end_of_life_date)]
        return found

    async def update_image_version(
        self,
        gallery: str,
        definition: str,
        version: str,
        *,
        target_regions: Sequence[str | TargetRegionSpec] | None = None,
        add_target_regions: Sequence[str | TargetRegionSpec] = (),
        remove_target_regions: Sequence[str] = (),
        replica_count: int | None = None,
        exclude_from_latest: bool | None = None,
        end_of_life_date: str | None = None,
        allow_replicated_location_deletion: bool = False,
        changes: Mapping[str, Any] | None = None,
        wait: bool = True,
        on_progress: ProgressCallback | None = None,
        cap_mbps: float | None = None,
        replicate: bool = True,
        delta: bool = True,
    ) -> ImageVersion:
        """Edits the version in place; added replicas are copied, removed ones
        deleted, and failed ones retried (with `replicate=False`, by the
        caller's `replicate(retry_failed=True)`).  `changes` takes Azure names."""
        from imgrepl.api import publishing

        catalog, ref = await self._ref(
            WRITE, "update the image version", gallery, definition, version
        )
        edit = rules.VersionEdit(
            target_regions,
            add_target_regions,
            remove_target_regions,
            replica_count,
            exclude_from_latest,
            end_of_life_date,
            allow_replicated_location_deletion,
            dict(changes or {}),
        )
        await publishing.apply_edit(catalog, ref, edit)
        if not replicate:
            return await self._version(catalog, ref)
        return await self._replicate(catalog, ref, True, wait, on_progress, cap_mbps, delta)

    async def replicate(
        self,
        gallery: str,
        definition: str,
        version: str,
        *,
        retry_failed: bool = False,
        wait: bool = True,
        on_progress: ProgressCallback | None = None,
        cap_mbps: float | None = None,
        delta: bool = True,
    ) -> ImageVersion:
        """Resumes an interrupted replication (and retries failed replicas)."""
        catalog, ref = await self._ref(
            WRITE, "replicate the image version", gallery, definition, version
        )
        return await self._replicate(catalog, ref, retry_failed, wait, on_progress, cap_mbps, delta)

    async def unfinished_versions(self) -> list[ImageVersion]:
        """Versions left Creating, Updating or Deleting, in every subscription
        and resource group of the home (what a stopped server resumes); the
        home's owner only."""
        await self._owner("list unfinished replications")
        assert self._root is not None
        root, found = self._root, []
        for g in await self._run(root.scoped(None).galleries.all):
            scoped = root.scoped(ArmId(g.subscription, g.resource_group))
            for d in await self._run(scoped.definitions.all, g.name):
                for stored in await self._run(scoped.versions.all, g.name, d.name):
                    v = with_status(stored)
                    if v.provisioning_state in ("Creating", "Updating", "Deleting"):
                        found.append(v)
        return found

    async def wait_image_version(
        self, gallery: str, definition: str, version: str, *, timeout: float | None = None
    ) -> ImageVersion:
        """Waits while a replication job of the version is alive, or region
        agents have replicas of it left to copy."""
        catalog, ref = await self._ref(READ, "read the image version", gallery, definition, version)
        async with asyncio.timeout(timeout):
            while await self._busy(catalog, ref):
                await asyncio.sleep(0.2)
        return await self._version(catalog, ref)

    async def _busy(self, catalog: Catalog, ref: VersionRef) -> bool:
        """Whether the version is still being replicated; a catalog that went
        away (a database restart) is asked again until it answers."""
        from imgrepl.exceptions import CatalogError

        while True:
            try:
                return await self._run(catalog.jobs.alive, ref) or (
                    await self._run(catalog.agents.pending, ref.id) > 0
                )
            except CatalogError:
                await asyncio.sleep(1)

    async def delete_image_version(self, gallery: str, definition: str, version: str) -> bool:
        """Removes every replica, then the version's catalog rows.  A version
        that is not there is already deleted (as ARM's DELETE): False."""
        from imgrepl.api import publishing

        try:
            catalog, ref = await self._ref(
                WRITE, "delete the image version", gallery, definition, version
            )
        except NotFoundError:
            return False
        await publishing.delete(catalog, ref)
        return True

    async def list_replicas(self, gallery: str, definition: str, version: str) -> list[Replica]:
        """Every replica; `egress` marks those whose bytes crossed into their
        region (not the source region's)."""
        from imgrepl.gallery.cost import billed

        catalog, ref = await self._ref(READ, "list replicas", gallery, definition, version)
        rows = await self._run(catalog.replicas.rows, ref)
        return billed([r.to_model() for r in rows], ref.location)

    async def verify_image_version(
        self, gallery: str, definition: str, version: str, *, repair: bool = False
    ) -> list[ReplicaCheck]:
        """Re-reads every completed replica against the source manifest; with
        `repair`, rewrites bad chunks from a good replica."""
        from imgrepl.replication.verify import verify_version

        role = WRITE if repair else READ
        catalog, ref = await self._ref(
            role, "verify the image version", gallery, definition, version
        )
        return await verify_version(catalog, ref, repair=repair)

    async def cost(self, gallery: str, definition: str, version: str) -> VersionCost:
        """Storage and egress bytes per region, from the replicas that exist."""
        from imgrepl.gallery.cost import version_cost

        return version_cost(await self.list_replicas(gallery, definition, version))

    @staticmethod
    def recommend_replicas(
        concurrent_vms: int, scale_sets: int = 0, *, production: bool = True
    ) -> Recommendation:
        from imgrepl.gallery.cost import recommend_replicas

        return recommend_replicas(concurrent_vms, scale_sets, production=production)

    async def create_disk(
        self,
        image: str,
        location: str,
        out: PathLike,
        *,
        lun: int | None = None,
        overwrite: bool = False,
    ) -> DeployedDisk:
        """A new disk at `out` from the least busy replica of `image`
        (`G/D/VERSION` or `G/D/latest`) in region `location`, verified
        against the replica's manifest before it appears at `out`."""
        from imgrepl.replication import deploy

        gallery, definition, version = rules.split_version_id(image)
        region = normalise_region(location)
        found = await self.get_image_version(gallery, definition, version, location=region)
        catalog, ref = await self._ref(READ, "deploy the image", gallery, definition, found.name)
        return await deploy.create_disk(catalog, ref, region, Path(out), lun, overwrite)
