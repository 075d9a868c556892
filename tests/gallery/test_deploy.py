"""`disk create`: new disks from a region's replicas, least busy first,
verified against the replica's manifest before they appear."""

from __future__ import annotations

import asyncio
import multiprocessing
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from helpers.gallery import (
    OWNER,
    catalog_of,
    cli,
    cli_run,
    flip,
    local,
    publish,
    run,
    setup_home,
    table_count,
)
from helpers.gallery import vhd as make_image
from imgrepl import Client
from imgrepl.exceptions import ConflictError, NotFoundError, VerifyError


@pytest.fixture
def published(home: Path, tmp_path: Path) -> Path:
    """G/D/1.0.0 with two replicas in westeurope (reads capped) and one in eastus."""
    image = make_image(tmp_path / "os.vhd", 4, "dynamic")
    regions = {
        "westeurope": tmp_path / "we",
        "eastus": tmp_path / "us",
        "northeurope": tmp_path / "ne",
    }
    run(setup_home(home, regions))

    async def go() -> None:
        async with Client(home, principal=OWNER) as c:
            await c.add_region("southindia", str(tmp_path / "in"), replica_read_mbps=20)
            await publish(c, image, "westeurope=2", "eastus", "southindia=2")

    run(go())
    return image


def test_concurrent_disks_spread_over_replicas(home: Path, tmp_path: Path, published: Path) -> None:
    async def go() -> None:
        async with Client(home, principal=OWNER) as c:
            made = await asyncio.gather(
                *(
                    c.create_disk("G/D/latest", "South India", tmp_path / f"disk{i}.vhd")
                    for i in range(4)
                )
            )
            used = Counter(d.replica for d in made)
            assert len(used) == 2, used  # both replicas served readers
            for d in made:
                assert d.image == "G/D/1.0.0" and d.region == "southindia"
                assert d.to_azure()["verified"] is True
                assert d.digest is not None and Path(d.path).read_bytes() == published.read_bytes()

    run(go())
    assert table_count(home, "leases") == 0  # all released


def _hold_lease(home: str, ready: multiprocessing.Event, done: multiprocessing.Event) -> None:
    """Another process reading replica 0 of westeurope (a live lease)."""
    catalog = catalog_of(Path(home))
    ref = catalog.versions.find("G", "D", "1.0.0")
    catalog.leases.acquire(ref, "westeurope", None)
    ready.set()
    done.wait(60)


def test_least_busy_replica_first_counting_other_processes(
    home: Path, tmp_path: Path, published: Path
) -> None:
    """A live reader in another process makes its replica busier; a dead
    one's lease no longer counts."""
    catalog = catalog_of(home)
    ref = catalog.versions.find("G", "D", "1.0.0")
    replicas = sorted(
        (r for r in catalog.replicas.rows(ref) if r.region == "westeurope"), key=lambda r: r.index
    )
    ctx = multiprocessing.get_context("spawn")
    ready, done = ctx.Event(), ctx.Event()
    reader = ctx.Process(target=_hold_lease, args=(str(home), ready, done))
    reader.start()
    try:
        assert ready.wait(60)
        # replica 0 has a reader: the next disk comes from replica 1, then 0, 1 ...
        picks = [catalog.leases.acquire(ref, "westeurope", None) for _ in range(3)]
        assert [p[1].id for p in picks] == [replicas[1].id, replicas[0].id, replicas[1].id]
        for lease, _ in picks:
            catalog.leases.release(lease)
    finally:
        done.set()
        reader.join(30)
    # the reader exited without releasing: its lease is dead and is purged
    lease, replica = catalog.leases.acquire(ref, "westeurope", None)
    assert replica.id == replicas[0].id and table_count(home, "leases") == 1
    catalog.leases.release(lease)
    catalog.close()


def test_a_disk_that_fails_verification_is_not_made(
    home: Path, tmp_path: Path, published: Path
) -> None:
    """Replica 0 of westeurope rots after replication: the disk copied from
    it fails verification, nothing appears at --out, the replica is marked
    Failed, and the next disk comes from the good replica."""

    async def go() -> None:
        async with Client(home, principal=OWNER) as c:
            reps = [r for r in await c.list_replicas("G", "D", "1.0.0") if r.region == "westeurope"]
            flip(local(reps[0].location), 3 * 2**20 + 5)
            out = tmp_path / "vm.vhd"
            with pytest.raises(VerifyError, match=r"chunk 0\) differ .* marked Failed"):
                await c.create_disk("G/D/1.0.0", "westeurope", out)
            assert not out.exists() and not list(tmp_path.glob(".vm.vhd*"))
            states = {r.index: r.state for r in await c.list_replicas("G", "D", "1.0.0")
                      if r.region == "westeurope"}  # fmt: skip
            assert states == {0: "Failed", 1: "Completed"}
            made = await c.create_disk("G/D/1.0.0", "westeurope", out)
            assert made.replica == reps[1].location
            assert out.read_bytes() == published.read_bytes()
            checks = await c.verify_image_version("G", "D", "1.0.0", repair=True)
            assert [(x.replica.index, x.repaired) for x in checks if x.replica.region ==
                    "westeurope"] == [(0, True), (1, False)]  # fmt: skip
            assert local(reps[0].location).read_bytes() == published.read_bytes()

    run(go())


def test_a_disk_on_another_filesystem(home: Path, tmp_path: Path, published: Path) -> None:
    """The kernel cannot copy_file_range between a tmpfs and the stores'
    filesystem: the copy falls back to reads and writes, still verified."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs /dev/shm on a filesystem of its own")
    with tempfile.TemporaryDirectory(dir=shm) as tmp:

        async def go() -> None:
            async with Client(home, principal=OWNER) as c:
                made = await c.create_disk("G/D/1.0.0", "eastus", Path(tmp) / "vm.vhd")
                assert Path(made.path).read_bytes() == published.read_bytes()

        run(go())


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


def test_disk_create_cli_says_verified_and_checks_access(
    home: Path, tmp_path: Path, published: Path
) -> None:
    out = tmp_path / "cli.vhd"
    made = cli(home, "disk", "create", "--image", "G/D/1.0.0", "-l", "eastus", "--out", str(out))
    assert made["path"] == str(out) and made["verified"] is True
    assert out.read_bytes() == published.read_bytes()
    refused = cli_run(
        home, "disk", "create", "--image", "G/D/1.0.0", "-l", "eastus",
        "--out", str(tmp_path / "eve.vhd"), principal="eve",
    )  # fmt: skip
    assert refused.returncode == 1 and "'eve' may not" in refused.stderr
    assert not (tmp_path / "eve.vhd").exists()
