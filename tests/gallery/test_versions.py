"""Image versions on real VHDs: create with fan-out replication, rules that
refuse before anything is recorded, data disks, versions as sources, update
(add/remove regions, counts), delete, list-replicas and cost."""

from __future__ import annotations

from pathlib import Path

import pytest
from gallerykit import OWNER, local, make_raw, make_vhd, run, xxh128
from imgrepl import Client
from imgrepl.exceptions import (
    ConflictError,
    ImageFormatError,
    LimitExceededError,
    NotFoundError,
    ValidationError,
)
from imgrepl.gallery.rules import Limits

MIB = 1 << 20


@pytest.fixture
def vhd(tmp_path: Path) -> Path:
    return make_vhd(tmp_path / "os.vhd", make_raw(tmp_path / "os.raw", 4), "fixed")


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_create_replicates_to_every_region_and_zone(
    definition: Path, stores: Path, vhd: Path
) -> None:
    async def go() -> None:
        async with Client(definition, principal=OWNER) as c:
            v = await c.create_image_version(
                "G",
                "D",
                "1.0.0",
                location="westeurope",
                os_vhd=vhd,
                target_regions=["westeurope=2", "eastus", "North Europe=1=standard_zrs"],
                replica_count=1,
            )
            doc = v.to_azure()
            assert doc["provisioningState"] == "Succeeded"
            assert doc["publishingProfile"]["targetRegions"] == [
                {
                    "name": "westeurope",
                    "regionalReplicaCount": 2,
                    "storageAccountType": "Standard_LRS",
                    "excludeFromLatest": False,
                },
                {
                    "name": "eastus",
                    "regionalReplicaCount": 1,
                    "storageAccountType": "Standard_LRS",
                    "excludeFromLatest": False,
                },
                {
                    "name": "northeurope",
                    "regionalReplicaCount": 1,
                    "storageAccountType": "Standard_ZRS",
                    "excludeFromLatest": False,
                },
            ]
            assert doc["replicationStatus"]["aggregatedState"] == "Completed"
            assert {
                s["region"]: (s["state"], s["progress"])
                for s in doc["replicationStatus"]["summary"]
            } == {
                "westeurope": ("Completed", 100),
                "eastus": ("Completed", 100),
                "northeurope": ("Completed", 100),
            }
            os_disk = doc["storageProfile"]["osDiskImage"]
            assert os_disk["sizeInBytes"] == vhd.stat().st_size
            assert os_disk["source"]["format"] == "vhd"
            replicas = await c.list_replicas("G", "D", "1.0.0")
            # 2 + 1 + one in each of northeurope's three zones
            assert [(r.region, r.zone, r.index) for r in replicas] == [
                ("eastus", "", 0),
                ("northeurope", "1", 0),
                ("northeurope", "2", 0),
                ("northeurope", "3", 0),
                ("westeurope", "", 0),
                ("westeurope", "", 1),
            ]
            want = xxh128(vhd)
            for r in replicas:
                path = local(r.location)
                assert r.state == "Completed" and r.size == vhd.stat().st_size
                assert xxh128(path) == want, r.location  # bytes equal the source's
                assert Path(f"{path}.imgrepl-manifest").is_file()
            assert sum(r.egress for r in replicas) == 3  # the first in each region
            assert local(replicas[1].location).parts[-5] == "zone-1"
            cost = await c.cost("G", "D", "1.0.0")
            size = vhd.stat().st_size
            assert (cost.storage_bytes, cost.egress_bytes) == (6 * size, 3 * size)

    run(go())


def test_refusals_record_nothing(definition: Path, stores: Path, vhd: Path, tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.vhd"
    data = bytearray(vhd.read_bytes())
    data[-512 + 64 : -512 + 68] = b"\x00\x00\x00\x01"  # the footer checksum
    corrupt.write_bytes(bytes(data))

    async def go() -> None:
        async with Client(definition, principal=OWNER) as c:
            cases: list[tuple[type[Exception], str, dict[str, object]]] = [
                (
                    ValidationError,
                    "must be one of the target regions",
                    {"target_regions": ["eastus"]},
                ),
                (
                    ValidationError,
                    "Standard_ZRS needs a region with availability zones",
                    {"target_regions": ["westeurope=1=Standard_ZRS"]},
                ),
                (
                    ValidationError,
                    "regionalReplicaCount of eastus 101 is out of range",
                    {"target_regions": ["westeurope", "eastus=101"]},
                ),
                (ValidationError, "replicaCount 0", {"replica_count": 0}),
                (ValidationError, "invalid storageAccountType", {"storage_account_type": "Hot"}),
                (
                    ValidationError,
                    "given more than once",
                    {"target_regions": ["westeurope", "West Europe=2"]},
                ),
                (
                    NotFoundError,
                    "region 'mars' not found",
                    {"target_regions": ["westeurope", "mars"]},
                ),
                (ValidationError, "no such image file", {"os_vhd": tmp_path / "missing.vhd"}),
                (ImageFormatError, "footer.checksum", {"os_vhd": corrupt}),
                (ValidationError, "invalid data disk LUN", {"data_vhds": {64: vhd}}),
            ]
            for exc, message, kw in cases:
                args: dict[str, object] = {"location": "westeurope", "os_vhd": vhd} | kw
                with pytest.raises(exc, match=message):
                    await c.create_image_version("G", "D", "1.0.0", **args)  # type: ignore[arg-type]
            with pytest.raises(ValidationError, match=r"MAJOR.MINOR.PATCH"):
                await c.create_image_version("G", "D", "1.0", location="westeurope", os_vhd=vhd)
            assert await c.list_image_versions("G", "D") == []
            assert files_under(stores) == []

    run(go())


def test_duplicate_version_and_version_limit(definition: Path, vhd: Path) -> None:
    async def go() -> None:
        async with Client(definition, principal=OWNER) as c:
            await c.create_image_version("G", "D", "1.0.0", location="westeurope", os_vhd=vhd)
            with pytest.raises(ConflictError, match=r"G/images/D/versions/1.0.0 exists already"):
                await c.create_image_version("G", "D", "1.0.0", location="westeurope", os_vhd=vhd)
            await c.set_limits(Limits(versions=1))
            with pytest.raises(LimitExceededError, match=r"1 image versions: the limit is 1"):
                await c.create_image_version("G", "D", "1.0.1", location="westeurope", os_vhd=vhd)
            assert [v.name for v in await c.list_image_versions("G", "D")] == ["1.0.0"]

    run(go())


def test_data_disks_and_a_version_as_source(definition: Path, tmp_path: Path, vhd: Path) -> None:
    data = make_vhd(tmp_path / "data.vhd", make_raw(tmp_path / "d.raw", 2, seed=7), "dynamic")
    raw = make_raw(tmp_path / "d2.raw", 1, seed=9)

    async def go() -> None:
        async with Client(definition, principal=OWNER) as c:
            v = await c.create_image_version(
                "G",
                "D",
                "1.0.0",
                location="westeurope",
                os_vhd=vhd,
                data_vhds={0: data, 3: raw},
                target_regions=["westeurope", "eastus"],
            )
            disks = v.to_azure()["storageProfile"]["dataDiskImages"]
            assert [(d["lun"], d["source"]["format"]) for d in disks] == [(0, "vhd"), (3, "raw")]
            reps = await c.list_replicas("G", "D", "1.0.0")
            assert len(reps) == 6 and all(r.state == "Completed" for r in reps)
            lun3 = [r for r in reps if r.lun == 3]
            assert all(xxh128(local(r.location)) == xxh128(raw) for r in lun3)
            copy = await c.create_image_version(
                "G",
                "D",
                "2.0.0",
                location="westeurope",
                source_version="G/D/1.0.0",
                target_regions=["westeurope", "northeurope"],
            )
            assert copy.source_version == "/galleries/G/images/D/versions/1.0.0"
            assert [d.lun for d in copy.disks] == [None, 0, 3]
            reps2 = await c.list_replicas("G", "D", "2.0.0")
            assert {xxh128(local(r.location)) for r in reps2 if r.lun == 0} == {xxh128(data)}
            with pytest.raises(ValidationError, match=r"exactly one source"):
                await c.create_image_version("G", "D", "3.0.0", location="westeurope")

    run(go())


def test_update_adds_and_removes_replicas(definition: Path, vhd: Path) -> None:
    async def go() -> None:
        async with Client(definition, principal=OWNER) as c:
            await c.create_image_version(
                "G",
                "D",
                "1.0.0",
                location="westeurope",
                os_vhd=vhd,
                target_regions=["westeurope", "eastus=2"],
            )
            home0 = local((await c.list_replicas("G", "D", "1.0.0"))[-1].location)
            stamp = (home0.stat().st_ino, home0.stat().st_mtime_ns)
            v = await c.update_image_version("G", "D", "1.0.0", add_target_regions=["northeurope"])
            assert v.provisioning_state == "Succeeded"
            reps = await c.list_replicas("G", "D", "1.0.0")
            assert {r.region for r in reps} == {"westeurope", "eastus", "northeurope"}
            with pytest.raises(ValidationError, match=r"pass --allow-replicated-location-deletion"):
                await c.update_image_version("G", "D", "1.0.0", remove_target_regions=["eastus"])
            with pytest.raises(ValidationError, match=r"source region 'westeurope' must stay"):
                await c.update_image_version(
                    "G",
                    "D",
                    "1.0.0",
                    remove_target_regions=["westeurope"],
                    allow_replicated_location_deletion=True,
                )
            with pytest.raises(ValidationError, match=r"storageAccountType of an existing|cannot"):
                await c.update_image_version(
                    "G",
                    "D",
                    "1.0.0",
                    changes={"publishingProfile.storageAccountType": "Premium_LRS"},
                )
            assert len(await c.list_replicas("G", "D", "1.0.0")) == 4  # nothing changed
            eastus = [local(r.location) for r in reps if r.region == "eastus"]
            await c.update_image_version(
                "G",
                "D",
                "1.0.0",
                remove_target_regions=["East US"],
                allow_replicated_location_deletion=True,
            )
            assert not any(p.exists() for p in eastus)
            assert not any(Path(f"{p}.imgrepl-manifest").exists() for p in eastus)
            v = await c.update_image_version(
                "G",
                "D",
                "1.0.0",
                target_regions=["westeurope=3"],
                allow_replicated_location_deletion=True,
            )
            reps = await c.list_replicas("G", "D", "1.0.0")
            assert [(r.region, r.index, r.state) for r in reps] == [
                ("westeurope", i, "Completed") for i in range(3)
            ]
            third = local(reps[2].location)
            v = await c.update_image_version(
                "G", "D", "1.0.0", replica_count=1, target_regions=["westeurope"]
            )
            reps = await c.list_replicas("G", "D", "1.0.0")
            assert [local(r.location) for r in reps] == [home0] and not third.exists()
            assert (home0.stat().st_ino, home0.stat().st_mtime_ns) == stamp  # never recopied
            assert [(t.name, t.regional_replica_count) for t in v.target_regions] == [
                ("westeurope", 1)
            ]

    run(go())


def test_delete_removes_every_replica_and_row(definition: Path, stores: Path, vhd: Path) -> None:
    async def go() -> None:
        async with Client(definition, principal=OWNER) as c:
            await c.create_image_version(
                "G",
                "D",
                "1.0.0",
                location="westeurope",
                os_vhd=vhd,
                target_regions=["westeurope=2", "northeurope=1=Standard_ZRS"],
            )
            assert len(files_under(stores)) == 2 * 5  # replicas and manifests
            await c.delete_image_version("G", "D", "1.0.0")
            assert files_under(stores) == []
            assert await c.list_image_versions("G", "D") == []
            with pytest.raises(NotFoundError, match=r"G/D/1.0.0 not found"):
                await c.list_replicas("G", "D", "1.0.0")
            await c.delete_image_definition("G", "D")  # nothing left below it

    run(go())
