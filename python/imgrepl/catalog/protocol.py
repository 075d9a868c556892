"""The catalog as the layers above see it: one repository per aggregate, and
transactions that several of them share.  SQLite (imgrepl.catalog.sqlite)
and PostgreSQL (imgrepl.catalog.postgres) implement it, with one set of SQL
repositories (imgrepl.catalog.sql).

Every repository method is atomic on its own.  `Catalog.transaction()`
makes several calls one unit of work: all of them or none take effect, and
no other writer (thread or process) interleaves, so a caller may read,
compute in the domain, and write back without losing a concurrent update.

The catalog stores and checks only what needs its state: that what is
named exists, that what must be unique is, and the limits.  Every other
rule is the domain's (imgrepl.gallery.rules), checked before it is called.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol, Unpack

from imgrepl.catalog.records import AgentInfo, AgentJob, Outcome, ReplicaRow, VersionRef
from imgrepl.gallery.access import RoleAssignment
from imgrepl.gallery.identity import Token
from imgrepl.gallery.models import Gallery, ImageDefinition, ImageVersion, Region, Transfer
from imgrepl.gallery.rules import Limits, TargetRegionSpec, VersionFields
from imgrepl.gallery.scope import ArmId
from imgrepl.gallery.sharing import SharingProfile
from imgrepl.gallery.status import StoredVersion

if TYPE_CHECKING:  # the planner loads when a version is planned, not to list one
    from imgrepl.gallery.planner import Desired, PlanState


class Settings(Protocol):
    """The home's own settings: its owner, its default subscription and its limits."""

    def ensure_owner(self, principal: str) -> str:
        """The home's owner: whoever opened it first."""
        ...

    def owner(self) -> str | None:
        """The home's owner, if it has one yet (reading never sets it)."""
        ...

    def default_subscription(self) -> str:
        """The subscription (a GUID) made with the catalog: where galleries
        go that name none, and those from before subscriptions."""
        ...

    def limits(self) -> Limits: ...
    def set_limits(self, limits: Limits) -> None: ...


class Regions(Protocol):
    def add(self, region: Region) -> Region: ...
    def get(self, name: str) -> Region: ...
    def all(self) -> list[Region]: ...
    def set_store_options(self, name: str, options: dict[str, str]) -> None:
        """Replaces the region's store options (secrets moving out of the
        catalog): the old value must not survive in the backend's files."""
        ...

    def set_agent_served(self, name: str, served: bool) -> None:
        """Whether region agents copy this region's replicas (not the CLI)."""
        ...

    def remove(self, name: str) -> None:
        """Refused while a gallery, version or target region uses it."""
        ...


class Galleries(Protocol):
    """Galleries of the repository's scope (Catalog.scoped): names are
    unique in a resource group, and looked up in the scope."""

    def create(self, gallery: Gallery, limits: Limits) -> Gallery:
        """In the gallery's subscription and resource group; a gallery that
        names none goes in the scope's, else the catalog's default ones.
        Limits count per subscription and region."""
        ...

    def get(self, name: str) -> Gallery:
        """Refused when the scope is wider than a resource group and the name
        is in more than one."""
        ...

    def all(self) -> list[Gallery]:
        """The scope's: a subscription's lists all its resource groups."""
        ...

    def update(
        self, name: str, description: str | None, tags: dict[str, str] | None = None
    ) -> Gallery:
        """Sets the description, and the tags unless None."""
        ...

    def set_sharing(self, name: str, profile: SharingProfile) -> None: ...

    def delete(self, name: str) -> None:
        """Refused while the gallery has image definitions."""
        ...


class Definitions(Protocol):
    def create(self, definition: ImageDefinition, limits: Limits) -> ImageDefinition: ...
    def get(self, gallery: str, name: str) -> ImageDefinition: ...
    def all(self, gallery: str) -> list[ImageDefinition]: ...
    def update(self, gallery: str, name: str, changes: Mapping[str, Any]) -> ImageDefinition:
        """`changes`: checked ImageDefinition field -> value (builders.definition_changes)."""
        ...

    def delete(self, gallery: str, name: str) -> None:
        """Refused while the definition has image versions."""
        ...


class RoleAssignments(Protocol):
    def create(self, assignment: RoleAssignment) -> RoleAssignment:
        """Records it; an equal one (principal, role, scope) is returned instead."""
        ...

    def all(self, principal: str | None = None) -> list[RoleAssignment]: ...
    def delete(self, assignment_id: str) -> None: ...
    def delete_under(self, scope: ArmId) -> int:
        """Those at the scope or below it (the resource is gone); how many."""
        ...


class Tokens(Protocol):
    """Access tokens, found by the hash of their secret."""

    def add(self, token: Token, secret_hash: str) -> Token: ...
    def find(self, secret_hash: str) -> Token | None: ...
    def all(self, principal: str | None = None) -> list[Token]: ...
    def revoke(self, token_id: str, when: float) -> Token:
        """Marks it revoked (once: a second revoke keeps the first time)."""
        ...


class Versions(Protocol):
    """Image versions with their disks and target regions."""

    def find(self, gallery: str, definition: str, name: str) -> VersionRef: ...
    def get(self, ref: VersionRef) -> StoredVersion: ...
    def all(self, gallery: str, definition: str) -> list[StoredVersion]:
        """In MAJOR.MINOR.PATCH order."""
        ...

    def create(
        self, version: ImageVersion, targets: Sequence[TargetRegionSpec], limits: Limits
    ) -> VersionRef:
        """Records the version (Creating), its disks and target regions; no replicas."""
        ...

    def set_fields(self, ref: VersionRef, **fields: Unpack[VersionFields]) -> None: ...
    def put_target(self, ref: VersionRef, target: TargetRegionSpec, *, keep_count: bool) -> None:
        """Adds a target region or changes the fields the spec gives (a count
        it leaves out is cleared, or with `keep_count` kept)."""
        ...

    def remove_target(self, ref: VersionRef, region: str) -> None: ...
    def plan_state(self, ref: VersionRef) -> PlanState:
        """What the version's replica plan is computed from (gallery.planner)."""
        ...

    def delete(self, ref: VersionRef) -> None:
        """The version with its disks, target regions and replica rows."""
        ...

    def set_disk_source(self, disk_id: int, digest: str, manifest: bytes) -> None:
        """What stage one learnt about a disk's source: its digest and manifest."""
        ...

    def disk_manifest(self, disk_id: int) -> bytes | None: ...


class Replicas(Protocol):
    def rows(self, ref: VersionRef) -> list[ReplicaRow]:
        """By region, LUN, zone and index."""
        ...

    def reconcile(self, ref: VersionRef, desired: Sequence[Desired]) -> int:
        """Makes the rows match the plan: new ones Pending, unwanted ones
        Deleting, wanted Deleting ones Pending again; returns how many changed."""
        ...

    def set_state(
        self,
        replica_id: int,
        state: str,
        *,
        details: str | None = None,
        digest: str | None = None,
        bytes_written: int | None = None,
        transfer: Transfer | None = None,
    ) -> None:
        """`transfer`: where a first replica's bytes came from (delta copies)."""
        ...

    def record_progress(self, written: Mapping[int, int]) -> None:
        """Bytes written so far per Copying replica."""
        ...

    def reset(self, ref: VersionRef, *, failed: bool) -> int:
        """Makes interrupted (and with `failed`, failed) replicas Pending again."""
        ...

    def drop(self, replica_id: int) -> None: ...
    def mark_deleting(self, ref: VersionRef) -> None:
        """Every replica of the version."""
        ...


class Jobs(Protocol):
    """The one process replicating (or deleting) a version."""

    def claim(self, ref: VersionRef, pid: int) -> None:
        """Refused while another live process holds the version's job."""
        ...

    def release(self, ref: VersionRef, pid: int) -> None: ...
    def alive(self, ref: VersionRef) -> bool: ...
    def heartbeat(self, ref: VersionRef) -> None: ...


class Leases(Protocol):
    """Deployments reading replicas: how many readers each replica has."""

    def acquire(self, ref: VersionRef, region: str, lun: int | None) -> tuple[int, ReplicaRow]:
        """The region's Completed replica of the disk with the fewest live readers."""
        ...

    def release(self, lease_id: int) -> None: ...
    def readers(self, replica_id: int) -> int:
        """Live readers of the replica, at least 1."""
        ...


class Agents(Protocol):
    """The region agents' work queue: replica rows of agent-served regions,
    claimed under leases (imgrepl.catalog.sql.agents), and the live agents."""

    def claim(
        self, agent: str, regions: Sequence[str], limit: int, lease_s: float
    ) -> list[AgentJob]:
        """Up to `limit` ready jobs of these regions nobody holds a live lease on."""
        ...

    def heartbeat(self, agent: str, progress: Mapping[int, int], lease_s: float) -> set[int]:
        """Extends the leases, records bytes written; returns the jobs still owned."""
        ...

    def finish(
        self,
        agent: str,
        job: AgentJob,
        state: str,
        *,
        details: str | None = None,
        digest: str | None = None,
        bytes_written: int = 0,
    ) -> bool:
        """Records the outcome while the agent owns the job; False if it does not."""
        ...

    def finish_all(self, agent: str, outcomes: Sequence[Outcome]) -> list[bool]:
        """`finish` for several jobs in one transaction."""
        ...

    def release(self, agent: str, replica_ids: Sequence[int]) -> None: ...
    def register(self, info: AgentInfo) -> None: ...
    def deregister(self, agent: str) -> None: ...
    def live(self, within_s: float) -> list[AgentInfo]: ...
    def counts(self, regions: Sequence[str]) -> dict[tuple[str, str], int]:
        """Replicas of these agent-served regions by (region, state)."""
        ...

    def pending(self, version_id: int) -> int:
        """Agent-served replicas of the version still to copy or delete."""
        ...


class Repositories(Protocol):
    """Every repository; calls made through a transaction's share it."""

    @property
    def settings(self) -> Settings: ...
    @property
    def regions(self) -> Regions: ...
    @property
    def galleries(self) -> Galleries: ...
    @property
    def definitions(self) -> Definitions: ...
    @property
    def tokens(self) -> Tokens: ...
    @property
    def role_assignments(self) -> RoleAssignments: ...
    @property
    def versions(self) -> Versions: ...
    @property
    def replicas(self) -> Replicas: ...
    @property
    def jobs(self) -> Jobs: ...
    @property
    def leases(self) -> Leases: ...
    @property
    def agents(self) -> Agents: ...


class Catalog(Repositories, Protocol):
    @property
    def url(self) -> str:
        """What opens this catalog again (another process: $IMGREPL_CATALOG)."""
        ...

    def transaction(self) -> AbstractContextManager[Repositories]:
        """One unit of work: the repositories it yields write all or nothing,
        serialised against every other writer; an exception rolls it back."""
        ...

    @property
    def scope(self) -> ArmId | None:
        """Where its gallery names are looked up (see scoped); None: anywhere."""
        ...

    def scoped(self, scope: ArmId | None) -> Catalog:
        """The same catalog with its gallery names looked up in `scope` (a
        subscription or resource group id; None: anywhere, as opened).  The
        ARM service makes one per request; every view shares the connection."""
        ...

    def close(self) -> None: ...
