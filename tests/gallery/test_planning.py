"""The pure parts: the copy plan, status derivation, `latest`, cost and the
replica recommendation."""

from __future__ import annotations

import pytest
from imgrepl.exceptions import NotFoundError, ValidationError
from imgrepl.gallery import planner
from imgrepl.gallery.cost import recommend_replicas, version_cost
from imgrepl.gallery.latest import resolve_latest
from imgrepl.gallery.models import (
    ImageVersion,
    Region,
    RegionStatus,
    Replica,
    ReplicationStatus,
    TargetRegion,
)
from imgrepl.gallery.status import ReplicaState, replication_status

REGIONS = {
    "we": Region("we", "we", "file:///s/we"),
    "ne": Region("ne", "ne", "file:///s/ne", zones=3),
}


def test_desired_replicas_counts_zones_and_marks_egress() -> None:
    disks = [planner.PlanDisk(1, None, 10), planner.PlanDisk(2, 0, 5)]
    targets = [planner.PlanTarget("we", 2, None), planner.PlanTarget("ne", None, "Standard_ZRS")]
    got = planner.desired_replicas(("G", "D", "1.0.0"), disks, targets, REGIONS, 1, "Standard_LRS")
    assert len(got) == 2 * 2 + 2 * 3
    assert [(d.region, d.zone, d.index) for d in got if d.egress] == [
        ("we", "", 0),
        ("we", "", 0),
        ("ne", "1", 0),
        ("ne", "1", 0),
    ]
    assert {d.location for d in got if d.disk_id == 2 and d.region == "ne"} == {
        f"file:///s/ne/zone-{z}/G/D/1.0.0/data0-0.vhd" for z in "123"
    }
    with pytest.raises(ValidationError, match="region 'we' has none"):
        planner.desired_replicas(
            ("G", "D", "1"),
            disks,
            [planner.PlanTarget("we", 1, "Standard_ZRS")],
            REGIONS,
            1,
            "Standard_LRS",
        )


def test_copy_stages_read_the_source_once_per_disk() -> None:
    P = planner.PlanReplica
    pending = [
        P(1, 7, "we", "we0", True),
        P(2, 7, "we", "we1", False),
        P(3, 7, "ne", "ne0", True),
        P(4, 7, "ne", "ne1", False),
        P(5, 7, "ne", "ne2", False),
    ]
    one, two = planner.copy_stages(pending, {7: "/src"}, {(7, "we"): "we0", (7, "ne"): "ne0"})
    assert [(s.source, [d.id for d in s.destinations]) for s in one] == [("/src", [1, 3])]
    assert sorted((s.source, [d.id for d in s.destinations]) for s in two) == [
        ("ne0", [4, 5]),
        ("we0", [2]),
    ]


def _state(region: str, state: str, written: int = 0, details: str | None = None) -> ReplicaState:
    return ReplicaState(region, state, 100, written, details)


def test_status_from_replica_states() -> None:
    reps = [
        _state("we", "Completed"),
        _state("we", "Copying", 50),
        _state("ne", "Failed", 10, "disk full"),
        _state("ne", "Completed"),
        _state("us", "Completed"),
        _state("us", "Deleting"),
    ]
    live = replication_status(["we", "ne", "us"], reps, job_alive=True)
    assert [(s.region, s.state, s.progress) for s in live.summary] == [
        ("we", "Replicating", 75),
        ("ne", "Failed", 55),
        ("us", "Completed", 100),
    ]
    assert live.aggregated_state == "InProgress"
    assert live.summary[1].details == "disk full"
    dead = replication_status(["we", "ne"], reps, job_alive=False)
    assert dead.summary[0].state == "Unknown" and "resume" in (dead.summary[0].details or "")
    assert dead.aggregated_state == "Failed"
    done = replication_status(["us"], reps, job_alive=False)
    assert done.aggregated_state == "Completed"


def _version(
    name: str,
    regions: dict[str, str],
    exclude: bool = False,
    region_exclude: dict[str, bool] | None = None,
    eol: str | None = None,
) -> ImageVersion:
    flags = region_exclude or {}
    return ImageVersion(
        gallery="G",
        definition="D",
        name=name,
        location="we",
        provisioning_state="Succeeded",
        target_regions=[TargetRegion(r, r, 1, "Standard_LRS", flags.get(r)) for r in regions],
        replica_count=1,
        storage_account_type="Standard_LRS",
        exclude_from_latest=exclude,
        end_of_life_date=eol,
        published_date="",
        allow_deletion_of_replicated_locations=False,
        disks=[],
        replication_status=ReplicationStatus(
            "Unknown", [RegionStatus(r, s, None, 100) for r, s in regions.items()]
        ),
    )


def test_latest_per_region() -> None:
    versions = [
        _version("1.0.0", {"we": "Completed", "ne": "Completed"}),
        _version("1.10.0", {"we": "Completed", "ne": "Replicating"}),
        _version(
            "1.9.0",
            {"we": "Completed", "ne": "Completed"},
            exclude=True,
            region_exclude={"ne": False},
        ),
        _version("2.0.0", {"we": "Completed", "ne": "Completed"}, region_exclude={"we": True}),
        _version("3.0.0", {"we": "Completed", "ne": "Completed"}, eol="2001-01-01T00:00:00Z"),
        _version("4.0.0", {"ne": "Failed"}),
    ]
    # end of life is informational, as in Azure: 3.0.0 is past it and still latest
    assert resolve_latest(versions, "we").name == resolve_latest(versions, "ne").name == "3.0.0"
    assert resolve_latest(versions[:4], "we").name == "1.10.0"  # numeric, not string order
    assert resolve_latest(versions[:4], "ne").name == "2.0.0"
    assert resolve_latest(versions[:3], "ne").name == "1.9.0"  # region flag beats version's
    with pytest.raises(NotFoundError, match="in region 'us'"):
        resolve_latest(versions, "us")


def test_cost_counts_completed_replicas_and_egress() -> None:
    def rep(region: str, zone: str, i: int, egress: bool, state: str = "Completed") -> Replica:
        return Replica(region, zone, i, None, "x", state, 1000, 1000, "d", egress)

    cost = version_cost(
        [
            rep("we", "", 0, True),
            rep("we", "", 1, False),
            rep("ne", "1", 0, True),
            rep("ne", "2", 0, False),
            rep("ne", "3", 0, False, "Failed"),
        ]
    )
    assert [(r.region, r.replicas, r.storage_bytes, r.egress_bytes) for r in cost.regions] == [
        ("ne", 2, 2000, 1000),
        ("we", 2, 2000, 1000),
    ]
    assert (cost.storage_bytes, cost.egress_bytes) == (4000, 2000)


@pytest.mark.parametrize(
    ("vms", "sets", "production", "want"),
    [
        (0, 0, True, 3),
        (20, 0, False, 1),
        (21, 0, False, 2),
        (100, 0, True, 5),
        (100, 7, True, 7),
        (10_000, 0, True, 100),
        (1, 0, False, 1),
    ],
)
def test_recommend_replicas(vms: int, sets: int, production: bool, want: int) -> None:
    assert recommend_replicas(vms, sets, production=production).replicas == want


def test_recommend_refuses_negative() -> None:
    with pytest.raises(ValidationError, match="must not be negative"):
        recommend_replicas(-1)
