"""Replication status derived from replica states, the one source of truth.

A region is Completed when all its replicas are, Failed when one failed and
nothing is still copying, Replicating while a live job works on it, and
Unknown when its job died (a re-run resumes it).  In a region that region
agents serve, the agents are its job: work left there is Replicating (or,
before any agent copies, queued for them) until it is done.  The catalog returns a
StoredVersion (the version, its replica states, whether its job lives);
`with_status` derives the status from it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from imgrepl.gallery.models import ImageVersion, RegionStatus, ReplicationStatus


@dataclass(frozen=True)
class ReplicaState:
    region: str
    state: str  # Pending | Copying | Completed | Failed | Deleting
    size: int
    bytes_written: int
    details: str | None


def region_status(
    region: str,
    replicas: Sequence[ReplicaState],
    job_alive: bool,
    shown_as: str = "",
    agents: bool = False,
) -> RegionStatus:
    """The region's status; `shown_as`: its display name (targetRegions[].name);
    `agents`: region agents copy it (no local job needed)."""
    s = _status(region, replicas, job_alive, agents)
    return RegionStatus(s.region, s.state, s.details, s.progress, shown_as) if shown_as else s


def _status(
    region: str, replicas: Sequence[ReplicaState], job_alive: bool, agents: bool
) -> RegionStatus:
    live = [r for r in replicas if r.region == region and r.state != "Deleting"]
    job_alive = job_alive or agents
    if not live:
        return RegionStatus(region, "Unknown", "no replicas planned", 0)
    total = sum(r.size for r in live) or 1
    done = sum(r.size if r.state == "Completed" else min(r.bytes_written, r.size) for r in live)
    progress = 100 if all(r.state == "Completed" for r in live) else min(99, done * 100 // total)
    failed = [r for r in live if r.state == "Failed"]
    if progress == 100:
        return RegionStatus(region, "Completed", None, 100)
    if failed and not (job_alive and any(r.state == "Copying" for r in live)):
        details = "; ".join(sorted({r.details or "replica failed" for r in failed}))
        return RegionStatus(region, "Failed", details, progress)
    if agents and not any(r.state == "Copying" for r in live):
        return RegionStatus(region, "Replicating", "queued for the region's agents", progress)
    if job_alive:
        return RegionStatus(region, "Replicating", None, progress)
    return RegionStatus(
        region,
        "Unknown",
        f"replication stopped at {progress}%; run `imgrepl sig image-version replicate` to resume",
        progress,
    )


def aggregate(summary: Sequence[RegionStatus]) -> ReplicationStatus:
    states = {s.state for s in summary}
    if states == {"Completed"}:
        state = "Completed"
    elif "Replicating" in states:
        state = "InProgress"
    elif "Failed" in states:
        state = "Failed"
    else:
        state = "Unknown"
    return ReplicationStatus(state, list(summary))


def replication_status(
    regions: Sequence[str],
    replicas: Sequence[ReplicaState],
    job_alive: bool,
    shown_as: Sequence[str] = (),
    agent_regions: frozenset[str] = frozenset(),
) -> ReplicationStatus:
    """`shown_as`: each region's display name, in the same order;
    `agent_regions`: the regions region agents copy."""
    names = list(shown_as) or [""] * len(regions)
    return aggregate(
        [
            region_status(r, replicas, job_alive, n, r in agent_regions)
            for r, n in zip(regions, names, strict=True)
        ]
    )


@dataclass(frozen=True)
class StoredVersion:
    """An image version as the catalog holds it (without its status), the
    states of its replicas, and whether a live job replicates it."""

    version: ImageVersion
    replicas: list[ReplicaState]
    job_alive: bool
    agent_regions: frozenset[str] = frozenset()  # target regions region agents serve


def with_status(stored: StoredVersion) -> ImageVersion:
    targets = stored.version.target_regions
    # each region under the name targetRegions[] shows it by, as in Azure
    status = replication_status(
        [t.name for t in targets],
        stored.replicas,
        stored.job_alive,
        [t.display_name for t in targets],
        stored.agent_regions,
    )
    return dataclasses.replace(stored.version, replication_status=status)
