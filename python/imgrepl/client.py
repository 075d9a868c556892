"""`imgrepl.Client`: the async API of the gallery over one home directory.

Every method checks the caller's role first, validates everything it is
given before it records anything, and returns typed records from
imgrepl.gallery.models (`to_azure()` gives Azure's REST shape).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from imgrepl.exceptions import ValidationError
from imgrepl.gallery import access, rules
from imgrepl.gallery.access import READ, SHARE, WRITE, Access
from imgrepl.gallery.cost import Recommendation, VersionCost, recommend_replicas, version_cost
from imgrepl.gallery.db import Catalog, VersionRef, open_catalog
from imgrepl.gallery.home import resolve_home
from imgrepl.gallery.models import (
    DeployedDisk,
    Gallery,
    Grant,
    ImageDefinition,
    ImageVersion,
    Region,
    Replica,
    ReplicaCheck,
)
from imgrepl.gallery.regions import normalise_region, normalise_store
from imgrepl.gallery.replicate import ProgressCallback
from imgrepl.gallery.rules import Limits, TargetRegionSpec

T = TypeVar("T")
PathLike = str | os.PathLike[str]


class Client:
    """`async with Client(home) as c: await c.list_galleries()`."""

    def __init__(self, home: PathLike | None = None, *, principal: str | None = None) -> None:
        self.home = resolve_home(home)
        self.principal = access.current_principal(principal)
        self._catalog: Catalog | None = None
        self._access: Access | None = None

    async def __aenter__(self) -> Client:
        await self._open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._catalog is not None:
            self._catalog.close()
            self._catalog = None

    async def _open(self) -> tuple[Catalog, Access]:
        if self._catalog is None or self._access is None:
            self._catalog = await asyncio.to_thread(open_catalog, self.home)
            self._access = await asyncio.to_thread(Access, self._catalog, self.principal)
        return self._catalog, self._access

    async def _run(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        return await asyncio.to_thread(fn, *args, **kw)

    async def _require(
        self, role: str, what: str, gallery: str, definition: str | None = None
    ) -> Catalog:
        catalog, acc = await self._open()
        await self._run(acc.require, role, what, gallery, definition)
        return catalog

    # --- regions and limits (the home's owner manages them) -------------------------
    async def add_region(
        self, name: str, store: str, *, zones: int = 0, replica_read_mbps: float | None = None
    ) -> Region:
        catalog, acc = await self._open()
        acc.require_owner("add regions")
        if not 0 <= zones <= 3:
            raise ValidationError(f"--zones {zones} is out of range: 0..3")
        if replica_read_mbps is not None and not replica_read_mbps > 0:
            raise ValidationError(f"--replica-read-mbps {replica_read_mbps} must be positive")
        region = Region(
            normalise_region(name), name.strip(), normalise_store(store), zones, replica_read_mbps
        )
        return await self._run(catalog.add_region, region)

    async def list_regions(self) -> list[Region]:
        catalog, _ = await self._open()
        return await self._run(catalog.list_regions)

    async def get_region(self, name: str) -> Region:
        catalog, _ = await self._open()
        return await self._run(catalog.get_region, normalise_region(name))

    async def remove_region(self, name: str) -> None:
        catalog, acc = await self._open()
        acc.require_owner("remove regions")
        await self._run(catalog.remove_region, normalise_region(name))

    async def get_limits(self) -> Limits:
        catalog, _ = await self._open()
        return await self._run(catalog.limits)

    async def set_limits(self, limits: Limits) -> Limits:
        catalog, acc = await self._open()
        acc.require_owner("change limits")
        await self._run(catalog.set_limits, limits.checked())
        return limits

    # --- galleries ------------------------------------------------------------------
    async def create_gallery(
        self, name: str, location: str, *, description: str | None = None
    ) -> Gallery:
        catalog, acc = await self._open()
        acc.require_owner("create galleries")
        import uuid

        gallery = Gallery(
            rules.gallery_name(name),
            normalise_region(location),
            rules.text_field("description", description),
            f"{uuid.uuid4()}-{name.upper()}",
        )
        return await self._run(catalog.create_gallery, gallery, catalog.limits())

    async def get_gallery(self, name: str) -> Gallery:
        catalog = await self._require(READ, "read the gallery", name)
        return await self._run(catalog.get_gallery, name)

    async def list_galleries(self) -> list[Gallery]:
        catalog, acc = await self._open()
        galleries = await self._run(catalog.list_galleries)
        return [g for g in galleries if await self._run(acc.can_see, g.name)]

    async def update_gallery(self, name: str, changes: Mapping[str, Any]) -> Gallery:
        """`changes` uses Azure's names; only `description` may change."""
        rules.check_updatable("gallery", changes)
        catalog = await self._require(WRITE, "update the gallery", name)
        text = rules.text_field("description", changes.get("description"))
        return await self._run(catalog.update_gallery, name, text)

    async def delete_gallery(self, name: str) -> None:
        catalog = await self._require(SHARE, "delete the gallery", name)
        await self._run(catalog.delete_gallery, name)

    # --- image definitions ----------------------------------------------------------
    async def create_image_definition(
        self, gallery: str, name: str, **fields: Any
    ) -> ImageDefinition:
        """`fields`: publisher, offer, sku, os_type, os_state and the optional
        properties of imgrepl.gallery.builders.build_definition."""
        from imgrepl.gallery.builders import build_definition

        catalog = await self._require(WRITE, "create image definitions", gallery)
        g = await self._run(catalog.get_gallery, gallery)
        definition = build_definition(g.name, name, g.location, **fields)
        return await self._run(catalog.create_definition, definition, catalog.limits())

    async def get_image_definition(self, gallery: str, name: str) -> ImageDefinition:
        catalog = await self._require(READ, "read the image definition", gallery, name)
        return await self._run(catalog.get_definition, gallery, name)

    async def list_image_definitions(self, gallery: str) -> list[ImageDefinition]:
        catalog, acc = await self._open()
        if not await self._run(acc.can_see, gallery):
            await self._run(acc.require, READ, "list image definitions", gallery)
        found = await self._run(catalog.list_definitions, gallery)
        return [d for d in found if await self._run(acc.can_see, gallery, d.name)]

    async def update_image_definition(
        self, gallery: str, name: str, changes: Mapping[str, Any]
    ) -> ImageDefinition:
        from imgrepl.gallery.builders import definition_changes

        columns = definition_changes(changes)
        catalog = await self._require(WRITE, "update the image definition", gallery, name)
        return await self._run(catalog.update_definition, gallery, name, columns)

    async def delete_image_definition(self, gallery: str, name: str) -> None:
        catalog = await self._require(WRITE, "delete the image definition", gallery, name)
        await self._run(catalog.delete_definition, gallery, name)

    # --- image versions -------------------------------------------------------------
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
        wait: bool = True,
        on_progress: ProgressCallback | None = None,
        cap_mbps: float | None = None,
    ) -> ImageVersion:
        """Records the version (Creating) and replicates it; with `wait=False`
        a background process replicates and this returns at once.  `cap_mbps`
        caps each copy job's source reads (MB/s)."""
        from imgrepl.gallery import versions

        catalog = await self._require(WRITE, "create image versions", gallery, definition)
        plan = versions.NewVersion(
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
        )
        ref = await versions.record(catalog, plan)
        return await self._replicate(catalog, ref, False, wait, on_progress, cap_mbps)

    async def _ref(
        self, role: str, what: str, g: str, d: str, v: str
    ) -> tuple[Catalog, VersionRef]:
        catalog = await self._require(role, what, g, d)
        return catalog, await self._run(catalog.find_version, g, d, v)

    async def _replicate(
        self,
        catalog: Catalog,
        ref: VersionRef,
        retry_failed: bool,
        wait: bool,
        on_progress: ProgressCallback | None,
        cap_mbps: float | None,
    ) -> ImageVersion:
        from imgrepl.gallery import worker
        from imgrepl.gallery.replicate import Replicator

        if cap_mbps is not None and not cap_mbps > 0:
            raise ValidationError(f"--cap-mbps {cap_mbps} must be positive")
        if not wait:
            await self._run(
                worker.spawn, self.home, catalog, ref, self.principal, retry_failed, cap_mbps
            )
            return await self._run(catalog.get_version, ref)
        replicator = Replicator(catalog, ref, on_progress, cap_mbps)
        return await replicator.run(retry_failed=retry_failed)

    async def get_image_version(
        self, gallery: str, definition: str, version: str, *, location: str | None = None
    ) -> ImageVersion:
        """`version` may be `latest`, resolved in `location` (DESIGN.md's rule)."""
        if version.lower() == "latest":
            from imgrepl.gallery.latest import resolve_latest

            if location is None:
                raise ValidationError("version 'latest' needs a region: give --location")
            found = await self.list_image_versions(gallery, definition)
            return resolve_latest(found, normalise_region(location))
        catalog, ref = await self._ref(READ, "read the image version", gallery, definition, version)
        return await self._run(catalog.get_version, ref)

    async def list_image_versions(
        self, gallery: str, definition: str, *, include_end_of_life: bool = True
    ) -> list[ImageVersion]:
        catalog = await self._require(READ, "list image versions", gallery, definition)
        found = await self._run(catalog.list_versions, gallery, definition)
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
    ) -> ImageVersion:
        """Edits the version in place; added replicas are copied, removed ones
        deleted, and failed ones retried.  `changes` takes Azure field names."""
        from imgrepl.gallery import versions

        catalog, ref = await self._ref(
            WRITE, "update the image version", gallery, definition, version
        )
        edit = versions.VersionEdit(
            target_regions,
            add_target_regions,
            remove_target_regions,
            replica_count,
            exclude_from_latest,
            end_of_life_date,
            allow_replicated_location_deletion,
            dict(changes or {}),
        )
        await versions.apply_edit(catalog, ref, edit)
        return await self._replicate(catalog, ref, True, wait, on_progress, cap_mbps)

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
    ) -> ImageVersion:
        """Resumes an interrupted replication (and retries failed replicas)."""
        catalog, ref = await self._ref(
            WRITE, "replicate the image version", gallery, definition, version
        )
        return await self._replicate(catalog, ref, retry_failed, wait, on_progress, cap_mbps)

    async def wait_image_version(
        self, gallery: str, definition: str, version: str, *, timeout: float | None = None
    ) -> ImageVersion:
        """Waits while a replication job of the version is alive."""
        catalog, ref = await self._ref(READ, "read the image version", gallery, definition, version)
        async with asyncio.timeout(timeout):
            while await self._run(catalog.job_alive, ref):
                await asyncio.sleep(0.2)
        return await self._run(catalog.get_version, ref)

    async def delete_image_version(self, gallery: str, definition: str, version: str) -> None:
        """Removes every replica, then the version's catalog rows."""
        from imgrepl.gallery import versions

        catalog, ref = await self._ref(
            WRITE, "delete the image version", gallery, definition, version
        )
        await versions.delete(catalog, ref)

    async def list_replicas(self, gallery: str, definition: str, version: str) -> list[Replica]:
        catalog, ref = await self._ref(READ, "list replicas", gallery, definition, version)
        return [r.to_model() for r in await self._run(catalog.replica_rows, ref)]

    async def verify_image_version(
        self, gallery: str, definition: str, version: str, *, repair: bool = False
    ) -> list[ReplicaCheck]:
        """Re-reads every completed replica against its manifest and the source
        digest; with `repair`, rewrites bad chunks from a good replica."""
        from imgrepl.gallery.verify import verify_version

        role = WRITE if repair else READ
        catalog, ref = await self._ref(
            role, "verify the image version", gallery, definition, version
        )
        return await verify_version(catalog, ref, repair=repair)

    async def cost(self, gallery: str, definition: str, version: str) -> VersionCost:
        return version_cost(await self.list_replicas(gallery, definition, version))

    @staticmethod
    def recommend_replicas(
        concurrent_vms: int, scale_sets: int = 0, *, production: bool = True
    ) -> Recommendation:
        return recommend_replicas(concurrent_vms, scale_sets, production=production)

    # --- sharing --------------------------------------------------------------------
    async def grant(
        self, principal: str, role: str, gallery: str, definition: str | None = None
    ) -> Grant:
        catalog = await self._require(SHARE, "share", gallery, definition)
        grant = Grant(rules.principal_name(principal), access.parse_role(role), gallery, definition)
        return await self._run(catalog.set_grant, grant)

    async def revoke(self, principal: str, gallery: str, definition: str | None = None) -> None:
        catalog = await self._require(SHARE, "remove a share", gallery, definition)
        await self._run(catalog.remove_grant, principal, gallery, definition)

    async def list_grants(self, gallery: str, definition: str | None = None) -> list[Grant]:
        catalog = await self._require(READ, "list shares", gallery, definition)
        return await self._run(catalog.list_grants, gallery, definition)

    # --- deployment -----------------------------------------------------------------
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
        (`G/D/VERSION` or `G/D/latest`) in region `location`."""
        from imgrepl.gallery import deploy
        from imgrepl.gallery.sources import split_version_id

        gallery, definition, version = split_version_id(image)
        region = normalise_region(location)
        found = await self.get_image_version(gallery, definition, version, location=region)
        catalog, ref = await self._ref(READ, "deploy the image", gallery, definition, found.name)
        return await deploy.create_disk(catalog, ref, region, Path(out), lun, overwrite)
