"""What a version costs, from what was actually written, and how many replicas
the scaling guidance recommends.

Billing model: storage = replica size x replicas x regions (each ZRS zone
holds its own copies); egress = the data bytes that crossed into each region
other than the source region for its first replica (the source region's copy
never leaves it; all-zero chunks are never shipped): all of them, or with
delta replication only the changed chunks (the rest came from the region's
own earlier replica: `local`).  Replicas copied before this was recorded
count their whole size.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from imgrepl.exceptions import ValidationError
from imgrepl.gallery.models import Replica
from imgrepl.gallery.rules import MAX_REPLICAS

VMS_PER_REPLICA = 20
PRODUCTION_MINIMUM = 3
MAX_SCALE_SET = 600


@dataclass(frozen=True)
class RegionCost:
    region: str
    replicas: int
    storage_bytes: int
    egress_bytes: int
    local_bytes: int = 0

    def to_azure(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "replicas": self.replicas,
            "storageBytes": self.storage_bytes,
            "egressBytes": self.egress_bytes,
            "localBytes": self.local_bytes,
        }


@dataclass(frozen=True)
class VersionCost:
    regions: list[RegionCost] = field(default_factory=list)

    @property
    def storage_bytes(self) -> int:
        return sum(r.storage_bytes for r in self.regions)

    @property
    def egress_bytes(self) -> int:
        return sum(r.egress_bytes for r in self.regions)

    @property
    def local_bytes(self) -> int:
        return sum(r.local_bytes for r in self.regions)

    def to_azure(self) -> dict[str, Any]:
        return {
            "regions": [r.to_azure() for r in self.regions],
            "storageBytes": self.storage_bytes,
            "egressBytes": self.egress_bytes,
            "localBytes": self.local_bytes,
        }


def billed(replicas: Iterable[Replica], source_region: str) -> list[Replica]:
    """The replicas as billed: a replica's `egress` flag marks the first copy
    of each region, made from the source; in the source region it crossed
    nothing."""
    return [
        dataclasses.replace(r, egress=False) if r.egress and r.region == source_region else r
        for r in replicas
    ]


def version_cost(replicas: Iterable[Replica]) -> VersionCost:
    """Counts Completed replicas only: storage is what exists, egress what crossed."""
    per: dict[str, list[Replica]] = {}
    for r in replicas:
        if r.state == "Completed":
            per.setdefault(r.region, []).append(r)
    return VersionCost(
        [
            RegionCost(
                region,
                len(rs),
                sum(r.size for r in rs),
                sum(r.egress_bytes for r in rs),
                sum(r.transfer.bytes_local for r in rs if r.egress and r.transfer),
            )
            for region, rs in sorted(per.items())
        ]
    )


@dataclass(frozen=True)
class Recommendation:
    replicas: int
    reasons: list[str]

    def to_azure(self) -> dict[str, Any]:
        return {"recommendedReplicaCount": self.replicas, "reasons": list(self.reasons)}


def recommend_replicas(
    concurrent_vms: int, scale_sets: int = 0, *, production: bool = True
) -> Recommendation:
    """One replica per 20 VMs created at once, one per scale set (<= 600 VMs),
    at least 3 in production; at most Azure's 100."""
    if concurrent_vms < 0 or scale_sets < 0:
        raise ValidationError("--concurrent-vms and --scale-sets must not be negative")
    reasons = [f"{concurrent_vms} concurrent VMs / {VMS_PER_REPLICA} per replica"]
    counts = [math.ceil(concurrent_vms / VMS_PER_REPLICA), 1]
    if scale_sets:
        counts.append(scale_sets)
        reasons.append(f"{scale_sets} scale sets, one replica each (up to {MAX_SCALE_SET} VMs)")
    if production:
        counts.append(PRODUCTION_MINIMUM)
        reasons.append(f"production minimum {PRODUCTION_MINIMUM}")
    best = max(counts)
    if best > MAX_REPLICAS:
        reasons.append(f"capped at the maximum of {MAX_REPLICAS} per region")
    return Recommendation(min(best, MAX_REPLICAS), reasons)
