"""Typed records of the gallery.  `to_azure()` gives the shape `az sig ... -o
json` prints: Azure REST property names (camelCase), with `properties`
flattened to the top level as the Azure CLI does."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


def gallery_id(gallery: str) -> str:
    return f"/galleries/{gallery}"


def definition_id(gallery: str, definition: str) -> str:
    return f"{gallery_id(gallery)}/images/{definition}"


def version_id(gallery: str, definition: str, version: str) -> str:
    return f"{definition_id(gallery, definition)}/versions/{version}"


@dataclass(frozen=True)
class Region:
    name: str
    display_name: str
    store: str
    zones: int = 0
    replica_read_mbps: float | None = None
    # endpoint/credentials for the engine; repr=False: values never shown
    store_options: dict[str, str] = field(default_factory=dict, repr=False, hash=False)
    # replicas here are copied by region agents (imgrepl agent), not in-process
    agent_served: bool = False

    @property
    def zone_names(self) -> list[str]:
        return [str(z) for z in range(1, self.zones + 1)]

    def to_azure(self) -> JSON:
        return {
            "name": self.name,
            "displayName": self.display_name,
            "store": self.store,
            "availabilityZones": self.zone_names,
            "replicaReadMbps": self.replica_read_mbps,
            "storeOptions": dict.fromkeys(sorted(self.store_options), "***"),
            "agentServed": self.agent_served,
        }


@dataclass(frozen=True)
class Gallery:
    name: str
    location: str
    description: str | None
    unique_name: str
    provisioning_state: str = "Succeeded"

    def to_azure(self) -> JSON:
        return {
            "id": gallery_id(self.name),
            "name": self.name,
            "type": "Microsoft.Compute/galleries",
            "location": self.location,
            "description": self.description,
            "identifier": {"uniqueName": self.unique_name},
            "provisioningState": self.provisioning_state,
        }


@dataclass(frozen=True)
class ImageDefinition:
    gallery: str
    name: str
    location: str
    publisher: str
    offer: str
    sku: str
    os_type: str
    os_state: str
    description: str | None = None
    eula: str | None = None
    privacy_statement_uri: str | None = None
    release_note_uri: str | None = None
    end_of_life_date: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    vcpus_min: int | None = None
    vcpus_max: int | None = None
    memory_min: int | None = None
    memory_max: int | None = None
    disallowed_disk_types: list[str] = field(default_factory=list)
    hyper_v_generation: str = "V1"
    architecture: str = "x64"

    def to_azure(self) -> JSON:
        return {
            "id": definition_id(self.gallery, self.name),
            "name": self.name,
            "type": "Microsoft.Compute/galleries/images",
            "location": self.location,
            "tags": dict(self.tags),
            "identifier": {"publisher": self.publisher, "offer": self.offer, "sku": self.sku},
            "osType": self.os_type,
            "osState": self.os_state,
            "description": self.description,
            "eula": self.eula,
            "privacyStatementUri": self.privacy_statement_uri,
            "releaseNoteUri": self.release_note_uri,
            "endOfLifeDate": self.end_of_life_date,
            "recommended": {
                "vCPUs": {"min": self.vcpus_min, "max": self.vcpus_max},
                "memory": {"min": self.memory_min, "max": self.memory_max},
            },
            "disallowed": {"diskTypes": list(self.disallowed_disk_types)},
            "hyperVGeneration": self.hyper_v_generation,
            "architecture": self.architecture,
            "provisioningState": "Succeeded",
        }


@dataclass(frozen=True)
class TargetRegion:
    """A target region with its effective count and type (defaults applied)."""

    name: str
    display_name: str
    regional_replica_count: int
    storage_account_type: str
    exclude_from_latest: bool | None = None

    def to_azure(self) -> JSON:
        return {
            "name": self.display_name,
            "regionalReplicaCount": self.regional_replica_count,
            "storageAccountType": self.storage_account_type,
            "excludeFromLatest": bool(self.exclude_from_latest),
        }


@dataclass(frozen=True)
class DiskImage:
    """The OS disk (lun None) or a data disk of a version, as inspected."""

    lun: int | None
    source: str
    source_format: str
    size: int  # bytes of the image file, what a replica holds
    virtual_size: int  # bytes the guest sees
    digest: str | None = None

    @property
    def label(self) -> str:
        return "os" if self.lun is None else f"data{self.lun}"

    def to_azure(self) -> JSON:
        d: JSON = {
            "sizeInGB": -(-self.virtual_size // 2**30),
            "sizeInBytes": self.size,
            "virtualSizeInBytes": self.virtual_size,
            "hostCaching": "ReadWrite" if self.lun is None else "None",
            "source": {"uri": self.source, "format": self.source_format},
            "digest": self.digest,
        }
        if self.lun is not None:
            d["lun"] = self.lun
        return d


@dataclass(frozen=True)
class RegionStatus:
    region: str
    state: str
    details: str | None
    progress: int

    def to_azure(self) -> JSON:
        return {
            "region": self.region,
            "state": self.state,
            "details": self.details,
            "progress": self.progress,
        }


@dataclass(frozen=True)
class ReplicationStatus:
    aggregated_state: str
    summary: list[RegionStatus]

    def region(self, name: str) -> RegionStatus | None:
        return next((s for s in self.summary if s.region == name), None)

    def to_azure(self) -> JSON:
        return {
            "aggregatedState": self.aggregated_state,
            "summary": [s.to_azure() for s in self.summary],
        }


@dataclass(frozen=True)
class ImageVersion:
    gallery: str
    definition: str
    name: str
    location: str
    provisioning_state: str
    target_regions: list[TargetRegion]
    replica_count: int
    storage_account_type: str
    exclude_from_latest: bool
    end_of_life_date: str | None
    published_date: str
    allow_deletion_of_replicated_locations: bool
    disks: list[DiskImage]
    source_version: str | None = None
    replication_status: ReplicationStatus | None = None

    @property
    def id(self) -> str:
        return version_id(self.gallery, self.definition, self.name)

    def to_azure(self) -> JSON:
        os_disk = next((d for d in self.disks if d.lun is None), None)
        d: JSON = {
            "id": self.id,
            "name": self.name,
            "type": "Microsoft.Compute/galleries/images/versions",
            "location": self.location,
            "provisioningState": self.provisioning_state,
            "publishingProfile": {
                "targetRegions": [t.to_azure() for t in self.target_regions],
                "replicaCount": self.replica_count,
                "excludeFromLatest": self.exclude_from_latest,
                "endOfLifeDate": self.end_of_life_date,
                "publishedDate": self.published_date,
                "storageAccountType": self.storage_account_type,
                "replicationMode": "Full",
            },
            "safetyProfile": {
                "allowDeletionOfReplicatedLocations": self.allow_deletion_of_replicated_locations
            },
            "storageProfile": {
                "osDiskImage": os_disk.to_azure() if os_disk else None,
                "dataDiskImages": [x.to_azure() for x in self.disks if x.lun is not None],
                "source": {"id": self.source_version} if self.source_version else None,
            },
        }
        if self.replication_status is not None:
            d["replicationStatus"] = self.replication_status.to_azure()
        return d


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
            "details": self.details,
        }


@dataclass(frozen=True)
class Grant:
    principal: str
    role: str
    gallery: str
    definition: str | None = None

    def to_azure(self) -> JSON:
        scope = (
            definition_id(self.gallery, self.definition)
            if self.definition
            else gallery_id(self.gallery)
        )
        return {"principalId": self.principal, "roleDefinitionName": self.role, "scope": scope}


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
