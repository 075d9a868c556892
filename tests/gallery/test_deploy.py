"""`disk create`: new disks from a region's replicas, least busy first."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from gallerykit import OWNER, cli, cli_proc, make_raw, make_vhd, run, xxh128
from imgrepl import Client
from imgrepl.exceptions import ConflictError, NotFoundError


@pytest.fixture
def published(home: Path, tmp_path: Path) -> Path:
    """G/D/1.0.0 with two replicas in westeurope (reads capped) and one in eastus."""
    image = make_vhd(tmp_path / "os.vhd", make_raw(tmp_path / "os.raw", 4), "dynamic")

    async def go() -> None:
        async with Client(home, principal=OWNER) as c:
            await c.add_region("westeurope", str(tmp_path / "we"), replica_read_mbps=20)
            await c.add_region("eastus", str(tmp_path / "us"))
            await c.add_region("northeurope", str(tmp_path / "ne"))
            await c.create_gallery("G", "westeurope")
            await c.create_image_definition(
                "G", "D", publisher="p", offer="o", sku="s", os_type="Linux"
            )
            await c.create_image_version(
                "G",
                "D",
                "1.0.0",
                location="westeurope",
                os_vhd=image,
                target_regions=["westeurope=2", "eastus"],
            )

    run(go())
    return image


def test_concurrent_disks_spread_over_replicas(home: Path, tmp_path: Path, published: Path) -> None:
    async def go() -> None:
        async with Client(home, principal=OWNER) as c:
            made = await asyncio.gather(
                *(
                    c.create_disk("G/D/latest", "West Europe", tmp_path / f"disk{i}.vhd")
                    for i in range(4)
                )
            )
            used = Counter(d.replica for d in made)
            assert len(used) == 2, used  # both replicas served readers
            for d in made:
                assert d.image == "G/D/1.0.0" and d.region == "westeurope"
                assert xxh128(Path(d.path)) == xxh128(published)

    run(go())
    db = sqlite3.connect(home / "catalog.db")
    assert db.execute("SELECT COUNT(*) FROM leases").fetchone()[0] == 0  # all released
    db.close()


def test_disk_create_refusals_change_nothing(home: Path, tmp_path: Path, published: Path) -> None:
    existing = tmp_path / "keep.vhd"
    existing.write_bytes(b"precious")

    async def go() -> None:
        async with Client(home, principal=OWNER) as c:
            with pytest.raises(ConflictError, match=r"exists already"):
                await c.create_disk("G/D/1.0.0", "westeurope", existing)
            with pytest.raises(NotFoundError, match=r"in region 'northeurope'"):
                await c.create_disk("G/D/latest", "northeurope", tmp_path / "x.vhd")
            with pytest.raises(NotFoundError, match=r"G/D/9.9.9 not found"):
                await c.create_disk("G/D/9.9.9", "westeurope", tmp_path / "y.vhd")
            with pytest.raises(NotFoundError, match=r"LUN 2"):
                await c.create_disk("G/D/1.0.0", "eastus", tmp_path / "z.vhd", lun=2)

    run(go())
    assert existing.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.glob("*.vhd")) == ["keep.vhd", "os.vhd"]


def test_disk_create_cli_and_access(home: Path, tmp_path: Path, published: Path) -> None:
    out = tmp_path / "cli.vhd"
    made = cli(home, "disk", "create", "--image", "G/D/1.0.0", "-l", "eastus", "--out", str(out))
    assert made["path"] == str(out) and xxh128(out) == xxh128(published)
    refused = cli_proc(
        home,
        "disk",
        "create",
        "--image",
        "G/D/1.0.0",
        "-l",
        "eastus",
        "--out",
        str(tmp_path / "eve.vhd"),
        principal="eve",
    )
    assert refused.returncode == 1 and "'eve' may not" in refused.stderr
    assert not (tmp_path / "eve.vhd").exists()
