"""`imgrepl.Client`, part one: regions and limits (the home's owner manages
them), galleries, image definitions and sharing."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from imgrepl import stores
from imgrepl.api import region_stores, store_secrets
from imgrepl.api.roles import RoleApi
from imgrepl.catalog import Catalog, Repositories
from imgrepl.exceptions import NotFoundError, ValidationError
from imgrepl.gallery import rules
from imgrepl.gallery.access import READ, SHARE, WRITE, RoleAssignment
from imgrepl.gallery.builders import (
    build_definition,
    check_recommended,
    definition_changes,
    definition_put_changes,
    gallery_put_changes,
)
from imgrepl.gallery.models import Gallery, ImageDefinition, Region
from imgrepl.gallery.regions import normalise_region, normalise_store, zone_count
from imgrepl.gallery.rules import Limits
from imgrepl.gallery.scope import ArmId
from imgrepl.gallery.sharing import SharingProfile


class CatalogApi(RoleApi):
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
        self,
        name: str,
        location: str,
        *,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Gallery:
        """Creates the gallery, or updates it as ARM's PUT does (put_gallery)."""
        gallery, _ = await self.put_gallery(name, location, description=description, tags=tags)
        return gallery

    async def put_gallery(
        self,
        name: str,
        location: str,
        *,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> tuple[Gallery, bool]:
        """Create-or-update, as ARM's PUT: (the gallery, whether it was made).
        An existing gallery takes the description and tags given (the same
        body changes nothing); another location is refused, naming it."""
        catalog, acc = await self._open()
        gallery = Gallery(
            rules.gallery_name(name),
            normalise_region(location),
            rules.text_field("description", description),
            f"{uuid.uuid4()}-{name.upper()}",
            subscription=self.scope.subscription,
            resource_group=str(self.scope.resource_group),
            tags=rules.tags(dict(tags or {})),
        )
        exists = await self._exists(catalog.galleries.get, name)
        if exists:
            await self._run(acc.require, WRITE, "update the gallery", name, None)
        else:  # Contributor (or more) at the resource group, as in Azure
            await self._run(acc.require_at, WRITE, "create galleries", self.scope)
        return await self._run(_put_gallery, catalog, gallery)

    async def get_gallery(self, name: str) -> Gallery:
        catalog = await self._require(READ, "read the gallery", name)
        return await self._run(catalog.galleries.get, name)

    async def list_galleries(self) -> list[Gallery]:
        """The galleries the caller may see (others are left out, not refused):
        the client's resource group's, or given none, its subscription's."""
        catalog = await self._list_scope()
        galleries = await self._run(catalog.galleries.all)
        return [g for g in galleries if await self._can_see(g.name, group=g.resource_group)]

    async def list_shared_galleries(self) -> list[Gallery]:
        """Galleries of every subscription whose sharingProfile admits the
        caller (a subscription it holds a role in, or its tenant), as
        `az sig list-shared` finds them; the owner's own are not listed."""
        _, acc = await self._open()
        assert self._root is not None
        everywhere = await self._run(self._root.scoped(None).galleries.all)
        return await self._run(acc.shared_with_me, everywhere)

    async def update_gallery(self, name: str, changes: Mapping[str, Any]) -> Gallery:
        """`changes` uses Azure's names: `description`, `tags` (all of them)
        or `tags.KEY` (one; None removes it)."""
        catalog = await self._require(WRITE, "update the gallery", name)
        tag_changes, rest = rules.split_tag_changes(changes)
        rules.apply_tag_changes({}, tag_changes)  # refused before anything is read
        rules.check_updatable("gallery", rest)
        if "description" in rest:
            rest = {"description": rules.text_field("description", rest["description"])}
        return await self._run(_update_gallery, catalog, name, rest, tag_changes)

    async def delete_gallery(self, name: str) -> bool:
        """Refused while it holds definitions; a gallery that is not there is
        already deleted (as ARM's DELETE): False.  The role assignments at
        it go with it."""
        try:
            catalog = await self._require(WRITE, "delete the gallery", name)
            scope = await self._scope(name, needed=WRITE, what="delete the gallery")
            await self._run(_delete, catalog, scope, lambda tx: tx.galleries.delete(name))
        except NotFoundError:
            return False
        return True

    # --- image definitions ------------------------------------------------------------
    async def create_image_definition(
        self, gallery: str, name: str, **fields: Any
    ) -> ImageDefinition:
        """`fields`: publisher, offer, sku, os_type, os_state and the optional
        properties of imgrepl.gallery.builders.build_definition.  Creates it,
        or updates it as ARM's PUT does (put_image_definition)."""
        definition, _ = await self.put_image_definition(gallery, name, **fields)
        return definition

    async def put_image_definition(
        self, gallery: str, name: str, **fields: Any
    ) -> tuple[ImageDefinition, bool]:
        """Create-or-update, as ARM's PUT: (the definition, whether it was
        made).  An existing one takes the fields that may change (the same
        body changes nothing); one that may not and differs is refused, named."""
        catalog = await self._require(WRITE, "create image definitions", gallery)
        g = await self._run(catalog.galleries.get, gallery)
        definition = build_definition(g.name, name, g.location, **fields)
        return await self._run(_put_definition, catalog, definition)

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
        """`changes` uses Azure's names (`description`, `recommended.vCPUs.max`,
        `tags`, `tags.KEY`, ...)."""
        catalog = await self._require(WRITE, "update the image definition", gallery, name)
        tag_changes, rest = rules.split_tag_changes(changes)
        rules.apply_tag_changes({}, tag_changes)
        columns = definition_changes(rest)
        return await self._run(_update_definition, catalog, gallery, name, columns, tag_changes)

    async def delete_image_definition(self, gallery: str, name: str) -> bool:
        """Refused while it holds versions; one that is not there is already
        deleted (as ARM's DELETE): False.  The role assignments at it go
        with it."""
        try:
            catalog = await self._require(WRITE, "delete the image definition", gallery, name)
            scope = await self._scope(
                gallery, name, needed=WRITE, what="delete the image definition"
            )
            await self._run(
                _delete, catalog, scope, lambda tx: tx.definitions.delete(gallery, name)
            )
        except NotFoundError:
            return False
        return True

    # --- sharing ------------------------------------------------------------------------
    async def share_gallery(
        self, gallery: str, subscription_ids: Sequence[str] = (), tenant_ids: Sequence[str] = ()
    ) -> Gallery:
        """Adds subscriptions and tenants to the gallery's sharingProfile:
        their principals may read it (imgrepl.gallery.sharing)."""
        catalog = await self._require(WRITE, "share the gallery", gallery)
        if not subscription_ids and not tenant_ids:
            raise ValidationError("name what to share with: --subscription-ids or --tenant-ids")
        return await self._run(
            _edit_sharing, catalog, gallery, lambda p: p.add(subscription_ids, tenant_ids)
        )

    async def unshare_gallery(
        self, gallery: str, subscription_ids: Sequence[str] = (), tenant_ids: Sequence[str] = ()
    ) -> Gallery:
        catalog = await self._require(WRITE, "share the gallery", gallery)
        if not subscription_ids and not tenant_ids:
            raise ValidationError(
                "name what to stop sharing with: --subscription-ids or --tenant-ids"
            )
        return await self._run(
            _edit_sharing, catalog, gallery, lambda p: p.remove(subscription_ids, tenant_ids)
        )

    async def reset_gallery_sharing(self, gallery: str) -> Gallery:
        """Makes the gallery private: shared with nobody."""
        catalog = await self._require(WRITE, "share the gallery", gallery)
        return await self._run(_edit_sharing, catalog, gallery, lambda p: SharingProfile())

    # --- roles on a gallery or definition (shorthands of imgrepl.api.roles) --------------
    async def grant(
        self, principal: str, role: str, gallery: str, definition: str | None = None
    ) -> RoleAssignment:
        """Assigns `principal` a role (Reader, Contributor, Owner) at the
        gallery or one of its definitions; needs Owner there."""
        scope = await self._scope(gallery, definition, needed=SHARE, what="assign roles")
        return await self.create_role_assignment(principal, role, str(scope))

    async def revoke(self, principal: str, gallery: str, definition: str | None = None) -> None:
        """Deletes the principal's assignments at exactly this scope."""
        scope = await self._scope(gallery, definition, needed=SHARE, what="delete role assignments")
        await self.delete_role_assignments(assignee=principal, scope=str(scope))

    async def list_grants(
        self, gallery: str, definition: str | None = None
    ) -> list[RoleAssignment]:
        """Assignments at the gallery (or definition) and below it."""
        scope = await self._scope(gallery, definition, what="list role assignments")
        return await self.list_role_assignments(scope=str(scope))


def _delete(catalog: Catalog, scope: ArmId, delete: Callable[[Repositories], None]) -> None:
    """A resource goes with the role assignments at it and below it (as in
    Azure): one made again with the same name starts with none."""
    with catalog.transaction() as tx:
        delete(tx)
        tx.role_assignments.delete_under(scope)


def _edit_sharing(
    catalog: Catalog, gallery: str, edit: Callable[[SharingProfile], SharingProfile]
) -> Gallery:
    """Read, edit and write back in one transaction: two edits do not cross."""
    with catalog.transaction() as tx:
        current = tx.galleries.get(gallery)
        tx.galleries.set_sharing(current.name, edit(current.sharing_profile))
        return tx.galleries.get(gallery)


def _add_region(catalog: Catalog, region: Region) -> Region:
    """The store is checked against the other regions again in the
    transaction that records it, so two concurrent adds cannot both take it."""
    with catalog.transaction() as tx:
        region_stores.check_unshared(region, tx.regions.all())
        return tx.regions.add(region)


def _update_definition(
    catalog: Catalog,
    gallery: str,
    name: str,
    columns: dict[str, Any],
    tag_changes: Mapping[str, Any],
) -> ImageDefinition:
    """Recommended min/max are checked against the stored values in the
    transaction that writes them, so two edits cannot cross (min above max);
    tag edits apply to the stored tags there too."""
    with catalog.transaction() as tx:
        current = tx.definitions.get(gallery, name)
        if tag_changes:
            columns = columns | {"tags": rules.apply_tag_changes(current.tags, tag_changes)}
        check_recommended(vars(current) | columns)
        return tx.definitions.update(gallery, name, columns)


def _put_gallery(catalog: Catalog, gallery: Gallery) -> tuple[Gallery, bool]:
    """Creates the gallery or, existing, changes what the body changes."""
    with catalog.transaction() as tx:
        try:
            current = tx.galleries.get(gallery.name)
        except NotFoundError:
            return tx.galleries.create(gallery, tx.settings.limits()), True
        changes = gallery_put_changes(current, gallery.location, gallery.description, gallery.tags)
        if not changes:
            return current, False
        return tx.galleries.update(gallery.name, gallery.description, gallery.tags), False


def _update_gallery(
    catalog: Catalog, name: str, rest: Mapping[str, Any], tag_changes: Mapping[str, Any]
) -> Gallery:
    with catalog.transaction() as tx:
        current = tx.galleries.get(name)
        tags = rules.apply_tag_changes(current.tags, tag_changes) if tag_changes else None
        description = rest.get("description", current.description)
        return tx.galleries.update(name, description, tags)


def _put_definition(catalog: Catalog, definition: ImageDefinition) -> tuple[ImageDefinition, bool]:
    with catalog.transaction() as tx:
        try:
            current = tx.definitions.get(definition.gallery, definition.name)
        except NotFoundError:
            return tx.definitions.create(definition, tx.settings.limits()), True
        columns = definition_put_changes(current, definition)
        if not columns:
            return current, False
        return tx.definitions.update(definition.gallery, definition.name, columns), False
