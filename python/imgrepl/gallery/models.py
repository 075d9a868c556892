"""Typed records of the gallery.  `to_azure()` gives the shape `az sig ... -o
json` prints: Azure REST property names (camelCase), with `properties`
flattened to the top level as the Azure CLI does."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# replica records live in gallery.replicas; re-exported for the callers
from imgrepl.gallery.replicas import DeployedDisk as DeployedDisk
from imgrepl.gallery.replicas import Replica as Replica
from imgrepl.gallery.replicas import ReplicaCheck as ReplicaCheck
from imgrepl.gallery.replicas import Transfer as Transfer
from imgrepl.gallery.sharing import SharingProfile

JSON = dict[str, Any]


PROVIDER = "Microsoft.Compute"


def arm_id(
    subscription: str,
    resource_group: str | None = None,
    gallery: str | None = None,
    definition: str | None = None,
    version: str | None = None,
) -> str:
    """An ARM resource id as Azure spells it (gallery.scope.ArmId parses them);
    without a subscription (a record made outside the catalog) it starts at
    the gallery."""
    text = f"/subscriptions/{subscription}" if subscription else ""
    if subscription and resource_group is not None:
        text += f"/resourceGroups/{resource_group}"
    if gallery is not None:
        text += f"/providers/{PROVIDER}" if subscription else ""
        text += f"/galleries/{gallery}"
    if definition is not None:
        text += f"/images/{definition}"
    if version is not None:
        text += f"/versions/{version}"
    return text


def utc_text(moment: str) -> str:
    """An ISO-8601 UTC time as Azure writes it, ending in `Z` (catalogs keep
    some written with `+00:00`)."""
    return moment[: -len("+00:00")] + "Z" if moment.endswith("+00:00") else moment


def version_id(gallery: str, definition: str, version: str) -> str:
    """A version's id relative to its scope (`source.id` of a copied version)."""
    return arm_id("", None, gallery, definition, version)


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
    subscription: str = ""
    resource_group: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    sharing_profile: SharingProfile = field(default_factory=SharingProfile)

    @property
    def id(self) -> str:
        return arm_id(self.subscription, self.resource_group, self.name)

    def to_azure(self) -> JSON:
        return {
            "id": self.id,
            "name": self.name,
            "type": "Microsoft.Compute/galleries",
            "location": self.location,
            "resourceGroup": self.resource_group,
            "tags": dict(self.tags),
            "description": self.description,
            "identifier": {"uniqueName": self.unique_name},
            "sharingProfile": self.sharing_profile.to_azure(),
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
    subscription: str = ""
    resource_group: str = ""

    @property
    def id(self) -> str:
        return arm_id(self.subscription, self.resource_group, self.gallery, self.name)

    def to_azure(self) -> JSON:
        return {
            "id": self.id,
            "name": self.name,
            "type": "Microsoft.Compute/galleries/images",
            "location": self.location,
            "resourceGroup": self.resource_group,
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
    region: str  # the region's name, what lookups use
    state: str
    details: str | None
    progress: int
    display_name: str = ""  # what Azure shows, as targetRegions[].name

    def to_azure(self) -> JSON:
        return {
            "region": self.display_name or self.region,
            "state": self.state,
            "details": self.details or "",  # Azure: "" when there is nothing to say
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
    tags: dict[str, str] = field(default_factory=dict)
    subscription: str = ""
    resource_group: str = ""

    @property
    def id(self) -> str:
        return arm_id(
            self.subscription, self.resource_group, self.gallery, self.definition, self.name
        )

    def to_azure(self) -> JSON:
        os_disk = next((d for d in self.disks if d.lun is None), None)
        d: JSON = {
            "id": self.id,
            "name": self.name,
            "type": "Microsoft.Compute/galleries/images/versions",
            "location": self.location,
            "resourceGroup": self.resource_group,
            "tags": dict(self.tags),
            "provisioningState": self.provisioning_state,
            "publishingProfile": {
                "targetRegions": [t.to_azure() for t in self.target_regions],
                "replicaCount": self.replica_count,
                "excludeFromLatest": self.exclude_from_latest,
                "endOfLifeDate": self.end_of_life_date,
                "publishedDate": utc_text(self.published_date),
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
