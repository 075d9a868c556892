"""The copy plan of an image version.

Two pure steps.  `desired_replicas` says which replicas a version should
have: per target region `regionalReplicaCount` copies, each in every zone of
the region for Standard_ZRS; the first one of each region is the egress
copy (computed from a PlanState the catalog reads, and handed back to the
catalog to store, in one transaction).  `copy_stages` turns the replicas
still to make into engine jobs: one fan-out per disk from the source to
every region's first replica (the source is read once), then per region one
fan-out from that first replica to the region's others (copies inside the
region cost no egress).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from imgrepl.gallery.models import Region
from imgrepl.gallery.regions import replica_location
from imgrepl.gallery.rules import zrs_zones


@dataclass(frozen=True)
class PlanDisk:
    id: int
    lun: int | None
    size: int

    @property
    def label(self) -> str:
        return "os" if self.lun is None else f"data{self.lun}"


@dataclass(frozen=True)
class PlanTarget:
    region: str
    replica_count: int | None
    storage_type: str | None


@dataclass(frozen=True)
class Desired:
    disk_id: int
    region: str
    zone: str
    index: int
    location: str
    egress: bool
    size: int


@dataclass(frozen=True)
class PlanState:
    """What the catalog holds that the replica plan of a version depends on."""

    names: tuple[str, str, str]  # gallery, definition, version
    disks: list[PlanDisk]
    targets: list[PlanTarget]
    regions: dict[str, Region]  # every target region
    default_count: int
    default_type: str
    # the gallery's subscription and resource group as path parts; none for
    # the catalog's default ones, whose replicas keep the layout they had
    scope: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlanReplica:
    """A replica still to copy, as the runner needs it."""

    id: int
    disk_id: int
    region: str
    location: str
    egress: bool


@dataclass(frozen=True)
class CopyStage:
    """One engine fan-out job: read `source` once, write every destination."""

    disk_id: int
    source: str  # a local path or an existing replica's location
    destinations: list[PlanReplica]


def zones_for(region: Region, storage_type: str) -> list[str]:
    if storage_type != "Standard_ZRS":
        return [""]
    return zrs_zones(region)


def desired_replicas(
    names: tuple[str, str, str],
    disks: Sequence[PlanDisk],
    targets: Sequence[PlanTarget],
    regions: Mapping[str, Region],
    default_count: int,
    default_type: str,
    scope: Sequence[str] = (),
) -> list[Desired]:
    gallery, definition, version = names
    result: list[Desired] = []
    for target in targets:
        region = regions[target.region]
        count = target.replica_count or default_count
        zones = zones_for(region, target.storage_type or default_type)
        for disk in disks:
            for zi, zone in enumerate(zones):
                for index in range(count):
                    location = replica_location(
                        region.store, gallery, definition, version, disk.label, index, zone, scope
                    )
                    egress = zi == 0 and index == 0
                    result.append(
                        Desired(disk.id, region.name, zone, index, location, egress, disk.size)
                    )
    return result


def desired_for(state: PlanState) -> list[Desired]:
    return desired_replicas(
        state.names,
        state.disks,
        state.targets,
        state.regions,
        state.default_count,
        state.default_type,
        state.scope,
    )


def copy_stages(
    pending: Iterable[PlanReplica],
    sources: Mapping[int, str],
    egress_location: Mapping[tuple[int, str], str],
) -> tuple[list[CopyStage], list[CopyStage]]:
    """(stage one, stage two).  `sources` maps disk id -> source; `egress_location`
    maps (disk id, region) -> the region's first replica."""
    first: dict[int, list[PlanReplica]] = {}
    inside: dict[tuple[int, str], list[PlanReplica]] = {}
    for r in pending:
        if r.egress:
            first.setdefault(r.disk_id, []).append(r)
        else:
            inside.setdefault((r.disk_id, r.region), []).append(r)
    one = [CopyStage(d, sources[d], dsts) for d, dsts in sorted(first.items())]
    two = [CopyStage(key[0], egress_location[key], dsts) for key, dsts in sorted(inside.items())]
    return one, two
