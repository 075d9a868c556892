"""What every part of `imgrepl.Client` shares: the home, the caller, the
scope (subscription and resource group), the catalog connection (opened on
first use: `catalog=URL`, else $IMGREPL_CATALOG, else the home's
catalog.db) and the role checks.

The scope: `subscription=` else $IMGREPL_DEFAULTS_SUBSCRIPTION else the
config file's `subscription` else the catalog's own; `resource_group=` else
$IMGREPL_DEFAULTS_GROUP else the config file's `group`, else none: galleries
are then made and found in the resource group `default`, and listed across
the subscription.  One client is one scope: the ARM service makes one per
request."""

from __future__ import annotations

import asyncio
import copy
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self, TypeVar

from imgrepl import stores
from imgrepl.api.access import Access, current_principal
from imgrepl.api.store_secrets import engine_stores
from imgrepl.catalog import Catalog, VersionRef, open_catalog, resolve_catalog
from imgrepl.exceptions import NotFoundError
from imgrepl.gallery.access import READ
from imgrepl.gallery.identity import Identity
from imgrepl.gallery.models import ImageVersion
from imgrepl.gallery.rules import principal_name
from imgrepl.gallery.scope import (
    DEFAULT_RESOURCE_GROUP,
    ArmId,
    resource_group_name,
    subscription_id,
)
from imgrepl.gallery.status import with_status
from imgrepl.home import configured_default, private_home, resolve_home

T = TypeVar("T")
PathLike = str | os.PathLike[str]


class ClientBase:
    def __init__(
        self,
        home: PathLike | None = None,
        *,
        principal: str | None = None,
        catalog: str | None = None,
        identity: Identity | None = None,
        subscription: str | None = None,
        resource_group: str | None = None,
    ) -> None:
        """`principal`: the local caller acting as someone (`--as`);
        `identity`: a principal proven by imgrepl.api.identity.Authenticator
        (the service), which holds its role assignments only."""
        if identity is not None and principal is not None:
            raise ValueError("give a principal or a proven identity, not both")
        self.home = resolve_home(home)
        self.catalog_url = resolve_catalog(self.home, catalog)
        self.identity = identity
        self.principal = (
            principal_name(identity.principal) if identity else current_principal(principal)
        )
        sub = subscription or configured_default(self.home, "subscription")
        group = resource_group or configured_default(self.home, "group")
        self._subscription = None if sub is None else subscription_id(sub)
        # None: not given (lists span the subscription)
        self.resource_group = None if group is None else resource_group_name(group)
        self._root: Catalog | None = None
        self._owns_root = True  # False in a client made by in_scope()
        self._catalog: Catalog | None = None
        self._listing: Catalog | None = None
        self._access: Access | None = None

    @property
    def subscription(self) -> str:
        """The client's subscription (known once the catalog is open)."""
        if self._subscription is None:
            raise RuntimeError("the client's subscription is known once it is opened")
        return self._subscription

    @property
    def scope(self) -> ArmId:
        """The resource group galleries are made and found in."""
        return ArmId(self.subscription, self.resource_group or DEFAULT_RESOURCE_GROUP)

    async def __aenter__(self) -> ClientBase:
        await self._open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._root is not None and self._owns_root:
            self._root.close()
        self._root = self._catalog = self._listing = None
        self._access = None

    async def in_scope(
        self,
        subscription: str | None = None,
        resource_group: str | None = None,
        *,
        principal: str | None = None,
    ) -> Self:
        """Another client on this one's open catalog (the connection shared,
        not opened again): another subscription (None: this one's), resource
        group (None: none, so lists span the subscription) and principal
        (None: this one's).  What the ARM service makes per request; closing
        it leaves this client open."""
        await self._open()
        assert self._root is not None and self._access is not None
        child = copy.copy(self)
        child._subscription = subscription_id(subscription) if subscription else self.subscription
        child.resource_group = resource_group_name(resource_group) if resource_group else None
        child.principal = current_principal(principal) if principal else self.principal
        child._owns_root = False
        child._catalog = self._root.scoped(child.scope)
        child._listing = self._root.scoped(ArmId(child.subscription, child.resource_group))
        if child.principal == self.principal:  # the same caller: proven or not, as it was
            child._access = self._access.scoped(child._catalog)
        elif self.identity is not None:
            raise ValueError("a client of a proven identity acts as no other principal")
        else:
            child._access = Access(child._catalog, child.principal)
        return child

    async def _open(self) -> tuple[Catalog, Access]:
        if self._catalog is None or self._access is None:
            # the home (catalog, secrets file, logs) is private; with a catalog
            # elsewhere it is only made private if it exists, never created
            in_home = isinstance(self.catalog_url, Path)
            if in_home or self.home.is_dir():
                await asyncio.to_thread(private_home, self.home, catalog=in_home)
            root = await asyncio.to_thread(open_catalog, self.catalog_url)
            self._root = root
            stores.register_region_stores(await asyncio.to_thread(engine_stores, self.home, root))
            if self._subscription is None:
                self._subscription = await asyncio.to_thread(root.settings.default_subscription)
            catalog = root.scoped(self.scope)
            self._listing = root.scoped(ArmId(self.subscription, self.resource_group))
            self._catalog = catalog
            proven = self.identity is not None
            tenant = self.identity.tenant if self.identity else None
            self._access = await asyncio.to_thread(
                Access, catalog, self.principal, proven=proven, tenant=tenant
            )
        return self._catalog, self._access

    async def _list_scope(self) -> Catalog:
        """The catalog scoped to the client's resource group, or with none
        given, to its whole subscription (what a list shows)."""
        await self._open()
        assert self._listing is not None
        return self._listing

    async def _run(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        """Catalog calls block (sqlite3, psycopg): they run on a worker thread."""
        return await asyncio.to_thread(fn, *args, **kw)

    async def _owner(self, what: str) -> Catalog:
        catalog, acc = await self._open()
        acc.require_owner(what)
        return catalog

    async def _member(self, what: str) -> Catalog:
        catalog, acc = await self._open()
        await self._run(acc.require_member, what)
        return catalog

    async def _require(
        self, role: str, what: str, gallery: str, definition: str | None = None
    ) -> Catalog:
        catalog, acc = await self._open()
        await self._run(acc.require, role, what, gallery, definition)
        return catalog

    async def _require_at(self, role: str, what: str, target: ArmId) -> Catalog:
        catalog, acc = await self._open()
        await self._run(acc.require_at, role, what, target)
        return catalog

    async def _scope(
        self,
        gallery: str,
        definition: str | None = None,
        *,
        needed: str = READ,
        what: str = "read the gallery",
    ) -> ArmId:
        """The ARM id of a gallery or definition of this home, to a caller
        holding `needed` there (to others it is refused, whether it exists
        or not)."""
        catalog, acc = await self._open()
        await self._run(acc.require, needed, what, gallery, definition)
        if definition is not None:
            await self._run(catalog.definitions.get, gallery, definition)  # NotFound
        scope = await self._run(acc.gallery_scope, gallery, definition)
        if scope is None:
            await self._run(catalog.galleries.get, gallery)  # NotFound
        assert scope is not None
        return scope

    async def _ref(
        self, role: str, what: str, gallery: str, definition: str, version: str
    ) -> tuple[Catalog, VersionRef]:
        catalog = await self._require(role, what, gallery, definition)
        return catalog, await self._run(catalog.versions.find, gallery, definition, version)

    async def _exists(self, get: Callable[..., Any], *args: Any) -> bool:
        """Whether `get(*args)` finds what it looks for."""
        try:
            await self._run(get, *args)
        except NotFoundError:
            return False
        return True

    async def _version(self, catalog: Catalog, ref: VersionRef) -> ImageVersion:
        """The version with its replication status, derived by the domain."""
        return with_status(await self._run(catalog.versions.get, ref))

    async def _can_see(
        self, gallery: str, definition: str | None = None, *, group: str | None = None
    ) -> bool:
        """Whether the caller sees the gallery (of resource `group`, when a
        list spans the subscription) or its definition."""
        _, acc = await self._open()
        if group is not None and self._root is not None and not acc.is_owner:
            acc = acc.scoped(self._root.scoped(ArmId(self.subscription, group)))
        return await self._run(acc.can_see, gallery, definition)
