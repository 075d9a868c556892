"""Listing a definition's versions reads each table once for all of them
(not once per version): every listed version must be exactly the one `get`
reads alone, whatever its disks, regions, zones, replica states and agents."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from helpers.gallery import OWNER, catalog_of, publish, raw, run
from imgrepl import Client


def test_list_equals_each_version_read_alone(definition: Path, image: Path, tmp_path: Path) -> None:
    data = raw(tmp_path / "data.raw", 1, seed=7)

    async def go() -> list[str]:
        async with Client(definition, principal=OWNER) as c:
            await c.create_image_definition(
                "G", "Other", publisher="acme", offer="os", sku="2", os_type="Linux"
            )
            await publish(c, image, "westeurope=2", "eastus", data_vhds={3: data})
            await publish(c, image, "westeurope", "northeurope=1=standard_zrs",
                          version="1.0.1", replicate=False)  # fmt: skip
            await publish(c, image, "eastus=3", "westeurope", version="1.0.2", replicate=False)
            await c.create_image_version(
                "G", "Other", "1.0.0", location="westeurope", os_vhd=image, replicate=False
            )  # another definition's: never in D's list
            listed = await c.list_image_versions("G", "D")
            alone = [await c.get_image_version("G", "D", v.name) for v in listed]
            assert listed == alone
            return [v.name for v in listed]

    catalog = catalog_of(definition)
    try:
        assert run(go()) == ["1.0.0", "1.0.1", "1.0.2"]
        ref = catalog.versions.find("G", "D", "1.0.2")
        first, *_ = catalog.replicas.rows(ref)
        catalog.replicas.set_state(first.id, "Failed", details="store full")
        catalog.regions.set_agent_served("eastus", True)
        refs = [catalog.versions.find("G", "D", n) for n in ("1.0.0", "1.0.1", "1.0.2")]
        stored = catalog.versions.all("G", "D")
        assert stored == [catalog.versions.get(r) for r in refs]
        # what the listing holds, not only that both readings agree
        assert [len(s.version.disks) for s in stored] == [2, 1, 1]
        # 2 disks x 3 replicas; 1 + 3 zones; 3 + 1
        assert [len(s.replicas) for s in stored] == [6, 4, 4]
        assert [sorted(s.agent_regions) for s in stored] == [["eastus"], [], ["eastus"]]
        assert ("Failed", "store full") in {(r.state, r.details) for r in stored[2].replicas}
    finally:
        catalog.close()


class _Counting:
    """The session's connection, counting the SELECTs run through it."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.selects = 0

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> Any:
        self.selects += sql.lstrip().upper().startswith("SELECT")
        return self.conn.execute(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)


def test_list_queries_do_not_grow_with_versions(
    definition: Path, image: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def go() -> None:
        async with Client(definition, principal=OWNER) as c:
            await c.create_image_definition(
                "G", "One", publisher="acme", offer="os", sku="2", os_type="Linux"
            )
            for name in ("1.0.0", "1.0.1", "1.0.2", "1.1.0"):
                await publish(c, image, "westeurope", "eastus", version=name, replicate=False)
            await c.create_image_version(
                "G", "One", "1.0.0", location="westeurope", os_vhd=image, replicate=False
            )

    run(go())
    catalog = catalog_of(definition)
    try:
        counting = _Counting(catalog.session._conn)
        monkeypatch.setattr(catalog.session, "_conn", counting)
        selects = []
        for name, versions in (("One", 1), ("D", 4)):
            before = counting.selects
            assert len(catalog.versions.all("G", name)) == versions
            selects.append(counting.selects - before)
        assert selects[0] == selects[1]  # four versions: as many queries as one
    finally:
        catalog.close()
