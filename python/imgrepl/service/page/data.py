"""What the status page shows, read through the api as the signed-in
principal: the galleries it may see, their definitions and versions, and per
version its replication state by region with replica counts, storage and
egress.  Plain JSON-ready dicts; the browser renders them as text.

One Client reads one scope, so the overview asks the viewer for a client
per subscription (to list its galleries) and per resource group (to read a
gallery's definitions and versions).  The subscriptions are the home's own,
those where the principal holds a role, and those of galleries shared with it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from imgrepl.api.client import Client
from imgrepl.exceptions import AuthorizationError, NotFoundError
from imgrepl.gallery.cost import version_cost
from imgrepl.gallery.models import Gallery, ImageDefinition, ImageVersion, Replica

JSON = dict[str, Any]
T = TypeVar("T")
P = ParamSpec("P")
# provisioning states that mean work is under way: the page polls faster
BUSY = {"Creating", "Updating", "Deleting"}
# (subscription, resource group or None for the whole subscription) -> the
# principal's Client there
ClientIn = Callable[[str, str | None], Client]


@dataclass(frozen=True)
class Viewer:
    """A signed-in principal: its Client in the home's own subscription, and
    how to reach it in any other scope."""

    home: Client
    client_in: ClientIn

    async def subscriptions(self) -> list[str]:
        """The home's subscription first, then those of the principal's roles
        and of the galleries shared with it."""
        mine = await self.home.list_role_assignments(assignee=self.home.principal)
        shared = await self.home.list_shared_galleries()
        own = self.home.subscription
        others = {a.scope.subscription for a in mine} | {g.subscription for g in shared}
        return [own, *sorted(others - {own})]


async def overview(viewer: Viewer) -> JSON:
    """Everything visible to the viewer, galleries by subscription, resource
    group and name."""
    galleries = []
    for subscription in await viewer.subscriptions():
        found = await viewer.client_in(subscription, None).list_galleries()
        for g in sorted(found, key=lambda g: (g.resource_group.lower(), g.name.lower())):
            client = viewer.client_in(subscription, g.resource_group or None)
            definitions = await _visible(client.list_image_definitions, g.name)
            if definitions is not None:
                shown = [await _definition(client, d) for d in definitions]
                galleries.append(_gallery(g) | {"definitions": shown})
    busy = any(v["busy"] for g in galleries for d in g["definitions"] for v in d["versions"])
    return {"principal": viewer.home.principal, "busy": busy, "galleries": galleries}


async def _visible(read: Callable[P, Awaitable[T]], *args: P.args, **kw: P.kwargs) -> T | None:
    """None for what was deleted (or unshared) between two reads of one overview."""
    try:
        return await read(*args, **kw)
    except (NotFoundError, AuthorizationError):
        return None


def _gallery(g: Gallery) -> JSON:
    return {
        "name": g.name,
        "id": g.id,
        "subscription": g.subscription,
        "resourceGroup": g.resource_group,
        "location": g.location,
        "description": g.description or "",
        "tags": dict(g.tags),
    }


async def _definition(client: Client, d: ImageDefinition) -> JSON:
    versions = await _visible(client.list_image_versions, d.gallery, d.name) or []
    rows = []
    for v in sorted(versions, key=_version_key, reverse=True):
        replicas = await _visible(client.list_replicas, d.gallery, d.name, v.name)
        if replicas is not None:
            rows.append(version_view(v, replicas))
    return {
        "name": d.name,
        "publisher": d.publisher,
        "offer": d.offer,
        "sku": d.sku,
        "osType": d.os_type,
        "osState": d.os_state,
        "description": d.description or "",
        "tags": dict(d.tags),
        "versions": rows,
    }


def _version_key(v: ImageVersion) -> tuple[int, ...]:
    return tuple(int(p) for p in v.name.split("."))


def version_view(v: ImageVersion, replicas: list[Replica]) -> JSON:
    """One version: its states, and per target region the status, the
    replicas made of those planned, storage and egress (Completed replicas)."""
    status = v.replication_status
    cost = {c.region: c for c in version_cost(replicas).regions}
    regions = []
    for t in v.target_regions:
        s = status.region(t.name) if status else None
        s = s or (status.region(t.display_name) if status else None)
        mine = [r for r in replicas if r.region == t.name]
        planned = [r for r in mine if r.state != "Deleting"]
        c = cost.get(t.name)
        regions.append(
            {
                "region": t.display_name,
                "state": s.state if s else "Unknown",
                "progress": s.progress if s else 0,
                "details": (s.details if s else None) or "",
                "replicaCount": t.regional_replica_count,
                "storageAccountType": t.storage_account_type,
                "replicas": len(planned),
                "completedReplicas": sum(r.state == "Completed" for r in planned),
                "failedReplicas": sum(r.state == "Failed" for r in planned),
                "storageBytes": c.storage_bytes if c else 0,
                "egressBytes": c.egress_bytes if c else 0,
            }
        )
    aggregated = status.aggregated_state if status else "Unknown"
    return {
        "name": v.name,
        "location": v.location,
        "provisioningState": v.provisioning_state,
        "aggregatedState": aggregated,
        "publishedDate": v.published_date,
        "endOfLifeDate": v.end_of_life_date or "",
        "excludeFromLatest": v.exclude_from_latest,
        "sizeBytes": sum(d.size for d in v.disks),
        "storageBytes": sum(r["storageBytes"] for r in regions),
        "egressBytes": sum(r["egressBytes"] for r in regions),
        "busy": v.provisioning_state in BUSY or aggregated == "InProgress",
        "regions": regions,
    }
