"""Typed records of replicas: where a region's first replica came from
(`Transfer`), one replica (`Replica`), a replica re-read against its manifest
(`ReplicaCheck`) and a disk made from one (`DeployedDisk`), each with the
`to_azure()` shape the CLI prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


@dataclass(frozen=True)
class Transfer:
    """Where a region's first replica came from: data bytes that crossed into
    the region from the source (egress) and data bytes taken inside it from
    `base`, a replica of an earlier version (delta replication).  All-zero
    chunks are neither: they are never shipped (holes, or zeros the store
    side makes)."""

    bytes_crossed: int
    bytes_local: int
    base: str | None = None


@dataclass(frozen=True)
class Replica:
    region: str
    zone: str
    index: int
    lun: int | None
    location: str
    state: str
    size: int
    bytes_written: int
    digest: str | None
    egress: bool
    details: str | None = None
    transfer: Transfer | None = None

    @property
    def egress_bytes(self) -> int:
        """Bytes that crossed into the region for this replica: none for a
        copy made inside the region; all of a first replica copied before
        transfers were recorded."""
        if not self.egress:
            return 0
        return self.size if self.transfer is None else self.transfer.bytes_crossed

    def to_azure(self) -> JSON:
        return {
            "region": self.region,
            "zone": self.zone or None,
            "index": self.index,
            "disk": "os" if self.lun is None else f"data{self.lun}",
            "lun": self.lun,
            "location": self.location,
            "state": self.state,
            "sizeInBytes": self.size,
            "bytesWritten": self.bytes_written,
            "digest": self.digest,
            "egress": self.egress,
            "egressBytes": self.egress_bytes,
            "localBytes": None if self.transfer is None else self.transfer.bytes_local,
            "deltaBase": None if self.transfer is None else self.transfer.base,
            "details": self.details,
        }


@dataclass(frozen=True)
class ReplicaCheck:
    """The result of re-reading one replica against its manifest."""

    replica: Replica
    ok: bool
    details: str | None = None
    bad_ranges: list[tuple[int, int]] = field(default_factory=list)
    repaired: bool = False

    def to_azure(self) -> JSON:
        return self.replica.to_azure() | {
            "ok": self.ok,
            "verifyDetails": self.details,
            "badRanges": [list(r) for r in self.bad_ranges],
            "repaired": self.repaired,
        }


@dataclass(frozen=True)
class DeployedDisk:
    """A disk made from a replica by `disk create`, verified against the
    replica's manifest before it was put at `path`."""

    path: str
    image: str
    region: str
    replica: str
    size: int
    seconds: float
    digest: str | None

    def to_azure(self) -> JSON:
        return {
            "path": self.path,
            "image": self.image,
            "region": self.region,
            "sourceReplica": self.replica,
            "sizeInBytes": self.size,
            "verified": True,
            "digest": self.digest,
            "seconds": round(self.seconds, 3),
        }
