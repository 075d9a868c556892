"""The status page's overview (imgrepl.service.page.data), read through the
api as one principal: what each principal may see (across resource groups
and subscriptions), and per region of a real replication its state, replica
counts, storage, egress and a failed region's details.  The browser side is
tests/service/test_page_browser.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers.gallery import OWNER, publish, run, setup_home
from imgrepl import Client
from imgrepl.service.page.data import Viewer, overview

SUB_B = "0000000b-0000-4000-8000-000000000002"
SUB_C = "0000000c-0000-4000-8000-000000000003"


class LocalViewer:
    """A principal's clients in this home, one per scope (as the service
    keeps them), closed together."""

    def __init__(self, home: Path, principal: str) -> None:
        self.home, self.principal = home, principal
        self.clients: dict[tuple[str | None, str | None], Client] = {}

    def client_in(self, subscription: str | None, group: str | None) -> Client:
        key = (subscription, group)
        if key not in self.clients:
            self.clients[key] = Client(
                self.home, principal=self.principal, subscription=subscription,
                resource_group=group,
            )  # fmt: skip
        return self.clients[key]

    async def overview(self) -> dict[str, Any]:
        try:
            return await overview(Viewer(self.client_in(None, None), self.client_in))
        finally:
            for c in self.clients.values():
                await c.close()


def regions(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (g,) = [g for g in view["galleries"] if g["name"] == "G"]
    (d,) = [d for d in g["definitions"] if d["name"] == "D"]
    (v,) = d["versions"]
    return {r["region"]: r for r in v["regions"]} | {"": v}


def test_overview_shows_a_principal_what_it_may_see_with_replication_by_region(
    home: Path, tmp_path: Path, image: Path
) -> None:
    blocker = tmp_path / "blocked"
    stores = {"westeurope": tmp_path / "we", "eastus": tmp_path / "us"}
    run(setup_home(home, stores | {"northeurope": blocker / "store"}))
    blocker.write_text("a file where the store's parent directory should be")
    size = image.stat().st_size

    async def go() -> tuple[dict[str, Any], ...]:
        async with Client(home, principal=OWNER) as c:
            await c.create_image_definition(
                "G", "D2", publisher="acme", offer="os", sku="2", os_type="Linux",
                description="second", tags={"team": "blue"},
            )  # fmt: skip
            await c.create_gallery("Hidden", "eastus", description="not for alice")
            await publish(c, image, "westeurope=2", "eastus", "northeurope")
            await c.grant("alice", "Reader", "G", "D")
            # alice also reads all of subscription B; nothing of C
            await c.create_role_assignment("alice", "Reader", f"/subscriptions/{SUB_B}")
        for sub, group, name in ((None, "prod", "P"), (SUB_B, "team", "B"), (SUB_C, "x", "C")):
            async with Client(home, principal=OWNER, subscription=sub, resource_group=group) as c:
                await c.create_gallery(name, "eastus", description=f"in {group}")
                await c.create_image_definition(
                    name, "Linux", publisher="acme", offer="os", sku=name, os_type="Linux"
                )
                if name == "C":  # alice holds no role in C, but it is shared with B
                    await c.share_gallery("C", subscription_ids=[SUB_B])
        mine = await LocalViewer(home, OWNER).overview()
        alice = await LocalViewer(home, "alice").overview()
        bob = await LocalViewer(home, "bob").overview()
        return mine, alice, bob

    mine, alice, bob = run(go())
    # the owner sees the home's subscription, every resource group in it
    assert [(g["resourceGroup"], g["name"]) for g in mine["galleries"]] == [
        ("default", "G"),
        ("default", "Hidden"),
        ("prod", "P"),
    ]
    assert [d["name"] for d in mine["galleries"][2]["definitions"]] == ["Linux"]
    assert mine["galleries"][1]["id"].endswith(
        "/resourceGroups/default/providers/Microsoft.Compute/galleries/Hidden"
    )
    assert mine["galleries"][1]["description"] == "not for alice"
    assert [d["name"] for d in mine["galleries"][0]["definitions"]] == ["D", "D2"]
    d2 = mine["galleries"][0]["definitions"][1]
    assert (d2["description"], d2["tags"], d2["versions"]) == ("second", {"team": "blue"}, [])

    # alice holds Reader on G/D and on subscription B, which C is shared
    # with: she sees those only
    assert alice["principal"] == "alice"
    assert [(g["name"], [d["name"] for d in g["definitions"]]) for g in alice["galleries"]] == [
        ("G", ["D"]),
        ("B", ["Linux"]),
        ("C", ["Linux"]),
    ]
    assert [g["subscription"] for g in alice["galleries"][1:]] == [SUB_B, SUB_C]
    assert bob == {"principal": "bob", "busy": False, "galleries": []}

    seen = regions(mine)
    assert regions(alice) == seen  # the same version, as a reader sees it
    version = seen[""]
    assert (version["aggregatedState"], version["provisioningState"]) == ("Failed", "Failed")
    assert version["busy"] is False and version["sizeBytes"] == size
    west, east, north = seen["westeurope"], seen["eastus"], seen["northeurope"]
    assert (west["state"], west["progress"], west["replicaCount"]) == ("Completed", 100, 2)
    assert (west["replicas"], west["completedReplicas"], west["storageBytes"]) == (2, 2, 2 * size)
    assert (east["state"], east["completedReplicas"]) == ("Completed", 1)
    assert east["storageBytes"] == east["egressBytes"] == size  # its one copy crossed in
    assert (north["state"], north["completedReplicas"], north["failedReplicas"]) == ("Failed", 0, 1)
    assert "store unreachable" in north["details"] and north["storageBytes"] == 0
    assert west["details"] == east["details"] == ""
    assert version["storageBytes"] == 3 * size
    assert version["egressBytes"] == west["egressBytes"] + size


def test_zone_redundant_replicas_count_once_per_zone(definition: Path, image: Path) -> None:
    """northeurope declares 3 zones: one ZRS replica there is three copies,
    each stored, and only the first crossed into the region."""
    size = image.stat().st_size

    async def go() -> dict[str, Any]:
        async with Client(definition, principal=OWNER) as c:
            await publish(c, image, "westeurope", "northeurope=1=standard_zrs")
        return await LocalViewer(definition, OWNER).overview()

    north = regions(run(go()))["northeurope"]
    assert (north["state"], north["storageAccountType"], north["replicaCount"]) == (
        "Completed", "Standard_ZRS", 1,
    )  # fmt: skip
    assert (north["replicas"], north["completedReplicas"]) == (3, 3)
    assert north["storageBytes"] == 3 * size and north["egressBytes"] == size
