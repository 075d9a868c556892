"""`imgrepl.Client`, part one: regions and limits (the home's owner manages
them), galleries, image definitions and sharing."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from imgrepl import stores
from imgrepl.api import region_stores, store_secrets
from imgrepl.api.base import ClientBase
from imgrepl.catalog import Catalog
from imgrepl.gallery import access, rules
from imgrepl.gallery.access import READ, SHARE, WRITE
from imgrepl.gallery.builders import build_definition, check_recommended, definition_changes
from imgrepl.gallery.models import Gallery, Grant, ImageDefinition, Region
from imgrepl.gallery.regions import normalise_region, normalise_store, zone_count
from imgrepl.gallery.rules import Limits


class CatalogApi(ClientBase):
    # --- regions and limits -----------------------------------------------------------
    async def add_region(
        self,
        name: str,
        store: str,
        *,
        zones: int = 0,
        replica_read_mbps: float | None = None,
        store_options: Mapping[str, str] | None = None,
        check: bool = True,
        agent_served: bool = False,
    ) -> Region:
        """A region and its store URL (`file:///path`, a plain directory, s3://, az://);
        `zones` availability zones (0..3) hold a copy each of every ZRS replica;
        `store_options` (s3:// and az:// only: endpoint, credentials... see
        imgrepl.register_store) are checked by the engine before anything is
        recorded, kept in the catalog and never shown.  The store must be a
        location of its own (no other region's is equal to it, inside it or
        around it) and usable; with `check`, an object store must answer
        within a few seconds and a local one be writable.  With `agent_served`,
        region agents (`imgrepl agent`) copy its replicas, not this process."""
        catalog = await self._owner("add regions")
        zones = zone_count(zones)
        rules.positive("--replica-read-mbps", replica_read_mbps)
        options = {str(k): str(v) for k, v in (store_options or {}).items()}
        kept, secrets = store_secrets.split(options)  # the catalog never sees a secret
        region = Region(
            normalise_region(name),
            name.strip(),
            normalise_store(store),
            zones,
            replica_read_mbps,
            kept,
            agent_served,
        )
        known = await self._run(catalog.regions.all)
        if any(r.name == region.name for r in known):  # the catalog refuses it
            return await self._run(catalog.regions.add, region)
        await self._run(region_stores.check_unshared, region, known)
        await self._run(region_stores.check_local, region, writable=check)
        stores.check_store_options(region.store, store_secrets.resolve_references(options))
        try:
            if check:
                await region_stores.check_reachable(region)
            await self._run(store_secrets.save, self.home, region.name, secrets)
            return await self._run(_add_region, catalog, region)
        except BaseException:
            if options:  # not recorded: the engine and the secrets file forget them too
                stores.forget_store_options(region.store)
                await self._run(store_secrets.save, self.home, region.name, {})
            raise

    async def list_regions(self) -> list[Region]:
        catalog = await self._member("list regions")
        return await self._run(catalog.regions.all)

    async def get_region(self, name: str) -> Region:
        catalog = await self._member("read regions")
        return await self._run(catalog.regions.get, normalise_region(name))

    async def update_region(self, name: str, *, agent_served: bool | None = None) -> Region:
        """Changes whether region agents serve the region: replicas not yet
        copied are then the agents' work (or, turned off, this process's)."""
        catalog = await self._owner("update regions")
        region = normalise_region(name)
        if agent_served is not None:
            await self._run(catalog.regions.set_agent_served, region, agent_served)
        return await self._run(catalog.regions.get, region)

    async def remove_region(self, name: str) -> None:
        catalog = await self._owner("remove regions")
        await self._run(catalog.regions.remove, normalise_region(name))
        await self._run(store_secrets.save, self.home, normalise_region(name), {})

    async def get_limits(self) -> Limits:
        catalog = await self._member("read the limits")
        return await self._run(catalog.settings.limits)

    async def set_limits(self, limits: Limits) -> Limits:
        catalog = await self._owner("change limits")
        await self._run(catalog.settings.set_limits, limits.checked())
        return limits

    # --- galleries --------------------------------------------------------------------
    async def create_gallery(
        self, name: str, location: str, *, description: str | None = None
    ) -> Gallery:
        catalog = await self._owner("create galleries")
        gallery = Gallery(
            rules.gallery_name(name),
            normalise_region(location),
            rules.text_field("description", description),
            f"{uuid.uuid4()}-{name.upper()}",
        )
        return await self._run(catalog.galleries.create, gallery, catalog.settings.limits())

    async def get_gallery(self, name: str) -> Gallery:
        catalog = await self._require(READ, "read the gallery", name)
        return await self._run(catalog.galleries.get, name)

    async def list_galleries(self) -> list[Gallery]:
        """The galleries the caller may see (others are left out, not refused)."""
        catalog, _ = await self._open()
        galleries = await self._run(catalog.galleries.all)
        return [g for g in galleries if await self._can_see(g.name)]

    async def update_gallery(self, name: str, changes: Mapping[str, Any]) -> Gallery:
        """`changes` uses Azure's names; only `description` may change."""
        catalog = await self._require(WRITE, "update the gallery", name)
        rules.check_updatable("gallery", changes)
        text = rules.text_field("description", changes.get("description"))
        return await self._run(catalog.galleries.update, name, text)

    async def delete_gallery(self, name: str) -> None:
        catalog = await self._require(SHARE, "delete the gallery", name)
        await self._run(catalog.galleries.delete, name)

    # --- image definitions ------------------------------------------------------------
    async def create_image_definition(
        self, gallery: str, name: str, **fields: Any
    ) -> ImageDefinition:
        """`fields`: publisher, offer, sku, os_type, os_state and the optional
        properties of imgrepl.gallery.builders.build_definition."""
        catalog = await self._require(WRITE, "create image definitions", gallery)
        g = await self._run(catalog.galleries.get, gallery)
        definition = build_definition(g.name, name, g.location, **fields)
        return await self._run(catalog.definitions.create, definition, catalog.settings.limits())

    async def get_image_definition(self, gallery: str, name: str) -> ImageDefinition:
        catalog = await self._require(READ, "read the image definition", gallery, name)
        return await self._run(catalog.definitions.get, gallery, name)

    async def list_image_definitions(self, gallery: str) -> list[ImageDefinition]:
        """The gallery's definitions the caller may see."""
        catalog, _ = await self._open()
        if not await self._can_see(gallery):
            await self._require(READ, "list image definitions", gallery)
        found = await self._run(catalog.definitions.all, gallery)
        return [d for d in found if await self._can_see(gallery, d.name)]

    async def update_image_definition(
        self, gallery: str, name: str, changes: Mapping[str, Any]
    ) -> ImageDefinition:
        """`changes` uses Azure's names (`description`, `recommended.vCPUs.max`, ...)."""
        catalog = await self._require(WRITE, "update the image definition", gallery, name)
        columns = definition_changes(changes)
        return await self._run(_update_definition, catalog, gallery, name, columns)

    async def delete_image_definition(self, gallery: str, name: str) -> None:
        catalog = await self._require(WRITE, "delete the image definition", gallery, name)
        await self._run(catalog.definitions.delete, gallery, name)

    # --- sharing ------------------------------------------------------------------------
    async def grant(
        self, principal: str, role: str, gallery: str, definition: str | None = None
    ) -> Grant:
        """Gives `principal` a role (Reader, Contributor, Owner) on the gallery
        or one of its definitions; needs Owner there."""
        catalog = await self._require(SHARE, "share", gallery, definition)
        grant = Grant(rules.principal_name(principal), access.parse_role(role), gallery, definition)
        return await self._run(catalog.grants.put, grant)

    async def revoke(self, principal: str, gallery: str, definition: str | None = None) -> None:
        catalog = await self._require(SHARE, "remove a share", gallery, definition)
        await self._run(catalog.grants.remove, principal, gallery, definition)

    async def list_grants(self, gallery: str, definition: str | None = None) -> list[Grant]:
        catalog = await self._require(READ, "list shares", gallery, definition)
        return await self._run(catalog.grants.all, gallery, definition)


def _add_region(catalog: Catalog, region: Region) -> Region:
    """The store is checked against the other regions again in the
    transaction that records it, so two concurrent adds cannot both take it."""
    with catalog.transaction() as tx:
        region_stores.check_unshared(region, tx.regions.all())
        return tx.regions.add(region)


def _update_definition(
    catalog: Catalog, gallery: str, name: str, columns: dict[str, Any]
) -> ImageDefinition:
    """Recommended min/max are checked against the stored values in the
    transaction that writes them, so two edits cannot cross (min above max)."""
    with catalog.transaction() as tx:
        current = tx.definitions.get(gallery, name)
        check_recommended(vars(current) | columns)
        return tx.definitions.update(gallery, name, columns)
