"""What the catalog hands back besides the domain's models, whatever its
backend: a version's handle and a replica with its catalog ids; and whether
the process behind a job or lease still runs."""

from __future__ import annotations

import dataclasses
import os
import socket
from dataclasses import dataclass

from imgrepl.gallery.models import Replica

HOST = socket.gethostname()


@dataclass(frozen=True)
class VersionRef:
    """A recorded version: its catalog id and names."""

    id: int
    gallery: str
    definition: str
    name: str
    location: str
    subscription: str = ""
    resource_group: str = ""


@dataclass(frozen=True, kw_only=True)
class ReplicaRow(Replica):
    """A replica as the replicator needs it: the model plus its catalog ids
    and its disk's source and whole-image digest."""

    id: int
    disk_id: int
    disk_source: str
    disk_digest: str | None

    def to_model(self) -> Replica:
        return Replica(**{f.name: getattr(self, f.name) for f in dataclasses.fields(Replica)})


def pid_alive(pid: int | None, host: str | None) -> bool:
    """Whether a job or lease holder still runs (other hosts: assume it does)."""
    if pid is None:
        return False
    if host != HOST:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class AgentJob:
    """A replica an agent holds a lease on: copy `source` to `location`
    (or, when `delete`, remove it), then verify against the disk's manifest."""

    replica_id: int
    version_id: int
    disk_id: int
    region: str
    location: str
    source: str | None  # the Completed replica it copies from; None for a delete
    size: int
    egress: bool
    delete: bool
    taken_over: bool  # it was Copying under another agent's lease, which expired


@dataclass(frozen=True)
class Outcome:
    """How an agent's job ended: Completed, Failed, or Deleted (a delete job)."""

    job: AgentJob
    state: str
    details: str | None = None
    digest: str | None = None
    bytes_written: int = 0


@dataclass(frozen=True)
class AgentInfo:
    """A running agent, as `imgrepl agent list` shows it."""

    id: str
    host: str
    pid: int
    regions: list[str]
    started: float
    heartbeat: float
    bytes_copied: int
    bytes_per_second: float
    jobs: list[int]
