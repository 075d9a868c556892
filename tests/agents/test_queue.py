"""The agents' work queue in the catalog (imgrepl.catalog.sql.agents), on
SQLite and on PostgreSQL: what is ready to claim, leases and their expiry,
heartbeats, outcomes only from the lease holder, handing jobs back, and
eight claimers at once never sharing a job.  Versions are published
through the CLI from a real VHD to directory stores."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.gallery import IDS, cli, vhd
from helpers.postgres import PostgresServer


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    if request.param == "sqlite":
        url = f"sqlite://{tmp_path / 'catalog.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        url = server.fresh()
    monkeypatch.setenv("IMGREPL_CATALOG", url)
    return url


@pytest.fixture
def published(tmp_path: Path, catalog_url: str) -> Iterator[Any]:
    """G/D/1.0.0: westeurope=1 (served in-process) and eastus=20 (agents)."""
    from imgrepl.catalog import open_catalog

    home = tmp_path / "home"
    cli(home, "region", "add", "westeurope", "--store", str(tmp_path / "we"))
    cli(home, "region", "add", "eastus", "--store", str(tmp_path / "eu"), "--agent-served")
    cli(home, "sig", "create", "-r", "G", "-l", "westeurope")
    cli(home, "sig", "image-definition", "create", "-r", "G", "-i", "D", "--publisher", "P",
        "--offer", "O", "--sku", "S", "--os-type", "Linux")  # fmt: skip
    image = vhd(tmp_path / "os.vhd", 4)
    cli(home, "sig", "image-version", "create", *IDS, "-l", "westeurope", "--os-vhd", str(image),
        "--target-regions", "westeurope", "eastus=20")  # fmt: skip
    catalog = open_catalog(catalog_url)
    yield catalog
    catalog.close()


def test_claims_follow_sources_leases_and_holders(published: Any) -> None:
    q = published.agents
    assert q.claim("a", ["westeurope"], 10, 30) == []  # not agent-served
    first = q.claim("a", ["eastus"], 10, 30)
    # only the egress copy is ready: the others read the region's first replica
    assert [(j.egress, "/we/" in j.source) for j in first] == [(True, True)]
    assert q.claim("b", ["eastus"], 10, 30) == []  # held, and nothing else is ready
    job = first[0]
    assert q.heartbeat("a", {job.replica_id: 123}, 30) == {job.replica_id}
    assert q.heartbeat("b", {job.replica_id: 456}, 30) == set()  # not b's
    assert not q.finish("b", job, "Completed")  # only the holder records
    assert q.finish("a", job, "Completed", digest="d", bytes_written=1)
    assert not q.finish("a", job, "Completed")  # and only once

    two = q.claim("a", ["eastus"], 2, 0.2)  # now the in-region copies are ready
    assert [j.egress for j in two] == [False, False]
    assert {j.source for j in two} == {job.location}
    time.sleep(0.3)  # a's leases run out: b takes them over
    taken = q.claim("b", ["eastus"], 2, 30)
    assert {j.replica_id for j in taken} == {j.replica_id for j in two}
    assert all(j.taken_over for j in taken)
    assert q.heartbeat("a", {j.replica_id: 1 for j in two}, 30) == set()
    q.release("b", [j.replica_id for j in taken])  # handed back: Pending, no takeover
    again = q.claim("c", ["eastus"], 2, 30)
    assert {j.replica_id for j in again} == {j.replica_id for j in two}
    assert not any(j.taken_over for j in again)
    assert q.counts(["eastus"]) == {("eastus", "Completed"): 1, ("eastus", "Copying"): 2,
                                    ("eastus", "Pending"): 17}  # fmt: skip


def test_eight_claimers_never_share_a_job(published: Any, catalog_url: str) -> None:
    from imgrepl.catalog import open_catalog

    q = published.agents
    egress = q.claim("seed", ["eastus"], 1, 30)[0]
    assert q.finish("seed", egress, "Completed")
    got: dict[str, list[int]] = {}

    def claimer(name: str) -> None:
        catalog = open_catalog(catalog_url)
        try:
            mine = got.setdefault(name, [])
            while jobs := catalog.agents.claim(name, ["eastus"], 2, 30):
                mine += [j.replica_id for j in jobs]
        finally:
            catalog.close()

    threads = [threading.Thread(target=claimer, args=(f"agent-{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    claimed = [rid for ids in got.values() for rid in ids]
    assert len(claimed) == len(set(claimed)) == 19
