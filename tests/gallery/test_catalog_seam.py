"""The catalog seam (imgrepl.catalog.protocol): a unit of work is all or
nothing and holds off other writers between its read and its write; the
domain's version rules that need recorded state; opening by home or URL."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from helpers.gallery import OWNER, catalog_of, publish, run
from imgrepl import Client
from imgrepl.api.publishing import replan
from imgrepl.catalog import open_catalog
from imgrepl.exceptions import ValidationError
from imgrepl.gallery import planner, rules
from imgrepl.gallery.models import Region
from imgrepl.gallery.rules import TargetRegionSpec
from imgrepl.gallery.status import StoredVersion


def test_a_read_plan_write_holds_off_a_second_writer(definition: Path, image: Path) -> None:
    """Writer A adds eastus, reads the plan's input, and writes the plan only
    after writer B (its own connection, as another process would have) tried
    to add northeurope.  B waits for A's transaction and plans from what A
    wrote, so neither update is lost: were A's read and write not one
    transaction, A's stale plan would mark B's northeurope replica Deleting."""

    async def go() -> None:
        async with Client(definition, principal=OWNER) as c:
            await publish(c, image, "westeurope")

    run(go())
    a, b = catalog_of(definition), catalog_of(definition)
    ref = a.versions.find("G", "D", "1.0.0")
    a_read = threading.Event()

    def writer_a() -> None:
        with a.transaction() as tx:
            tx.versions.put_target(ref, TargetRegionSpec("eastus"), keep_count=True)
            state = tx.versions.plan_state(ref)
            a_read.set()
            time.sleep(0.5)  # B tries to write meanwhile
            tx.replicas.reconcile(ref, planner.desired_for(state))

    def writer_b() -> None:
        assert a_read.wait(30)
        with b.transaction() as tx:
            tx.versions.put_target(ref, TargetRegionSpec("northeurope"), keep_count=True)
            replan(tx, ref)

    threads = [threading.Thread(target=writer_a), threading.Thread(target=writer_b)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        rows = a.replicas.rows(ref)
        assert {r.region: r.state for r in rows} == {
            "westeurope": "Completed",
            "eastus": "Pending",
            "northeurope": "Pending",
        }
        stored = a.versions.get(ref)
        assert [t.name for t in stored.version.target_regions] == [
            "westeurope",
            "eastus",
            "northeurope",
        ]
    finally:
        a.close()
        b.close()


def test_a_transaction_is_all_or_nothing(home: Path, tmp_path: Path) -> None:
    """Calls made inside a transaction join it (each would commit on its own
    otherwise): an exception at the end undoes all of them."""
    catalog = catalog_of(home)
    west = Region("westeurope", "West Europe", (tmp_path / "we").as_uri())
    try:
        with pytest.raises(RuntimeError, match="stop"), catalog.transaction() as tx:
            tx.regions.add(west)
            tx.settings.set_limits(rules.Limits(galleries=7))
            assert [r.name for r in tx.regions.all()] == ["westeurope"]  # seen inside
            raise RuntimeError("stop")
        assert catalog.regions.all() == []
        assert catalog.settings.limits() == rules.Limits()
        catalog.regions.add(west)  # and outside a transaction each call commits
        other = catalog_of(home)
        assert [r.name for r in other.regions.all()] == ["westeurope"]
        other.close()
    finally:
        catalog.close()


def test_open_catalog_takes_a_home_or_a_sqlite_url(tmp_path: Path) -> None:
    by_url = open_catalog(f"sqlite://{tmp_path}/elsewhere/my.db")
    by_url.settings.ensure_owner(OWNER)
    by_url.close()
    assert (tmp_path / "elsewhere" / "my.db").is_file()
    for bad in ("mysql://db/x", "postgresql://db", "sqlite://host/x"):
        with pytest.raises(ValidationError, match=rf"^catalog URL '{bad}' is not supported"):
            open_catalog(bad)
    assert not (tmp_path / "home").exists()


def _stored(allow: bool) -> StoredVersion:
    """1.0.0 sourced in westeurope, targets westeurope and eastus, one
    completed replica in eastus."""
    from imgrepl.gallery.models import ImageVersion, TargetRegion
    from imgrepl.gallery.status import ReplicaState

    version = ImageVersion(
        gallery="G",
        definition="D",
        name="1.0.0",
        location="westeurope",
        provisioning_state="Succeeded",
        target_regions=[
            TargetRegion("westeurope", "West Europe", 1, "Standard_LRS", None),
            TargetRegion("eastus", "East US", 1, "Standard_LRS", None),
        ],
        replica_count=1,
        storage_account_type="Standard_LRS",
        exclude_from_latest=False,
        end_of_life_date=None,
        published_date="2026-01-01T00:00:00+00:00",
        allow_deletion_of_replicated_locations=allow,
        disks=[],
    )
    replicas = [ReplicaState("eastus", "Completed", 1, 1, None)]
    return StoredVersion(version, replicas, False)


def _edit(**kw: object) -> rules.EditPlan:
    fields: dict[str, object] = {
        "target_regions": None,
        "add": (),
        "remove": (),
        "replica_count": None,
        "exclude_from_latest": None,
        "end_of_life_date": None,
        "allow_deletion": False,
    }
    return rules.check_edit(rules.VersionEdit(**(fields | kw)))  # type: ignore[arg-type]


def test_the_regions_an_edit_removes_are_checked_against_the_recorded_version() -> None:
    stored = _stored(allow=False)
    drop = rules.regions_to_drop
    with pytest.raises(ValidationError, match=r"^region 'eastus' holds 1 replicas of 1\.0\.0"):
        drop(stored.version, stored.replicas, _edit(remove=["eastus"]))
    assert drop(stored.version, stored.replicas, _edit(remove=["East US"], allow_deletion=True))
    with pytest.raises(ValidationError, match=r"^the source region 'westeurope' must stay"):
        drop(stored.version, stored.replicas, _edit(target_regions=["eastus"]))
    with pytest.raises(LookupError, match=r"^region 'northeurope' is not a target region"):
        drop(stored.version, stored.replicas, _edit(remove=["northeurope"]))
    # the stored safety profile allows it, unless this very edit turns it off
    allowed = _stored(allow=True)
    assert drop(allowed.version, allowed.replicas, _edit(remove=["eastus"])) == ["eastus"]
    off = {"safetyProfile.allowDeletionOfReplicatedLocations": "false"}
    with pytest.raises(ValidationError, match=r"holds 1 replicas"):
        drop(allowed.version, allowed.replicas, _edit(remove=["eastus"], changes=off))
