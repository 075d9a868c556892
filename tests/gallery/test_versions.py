"""Image versions on real VHDs: create with fan-out replication to regions
and zones, data disks by LUN, a version as the source, update (add/remove
regions, counts), delete, list-replicas and cost."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.gallery import (
    IDS,
    OWNER,
    cli,
    cli_run,
    files_under,
    image_digest,
    local,
    publish,
    raw,
    run,
    stamps,
    table_count,
    vhd,
    xxh128,
)
from imgrepl import Client
from imgrepl.exceptions import NotFoundError, ValidationError


def test_create_replicates_to_every_region_and_zone(definition: Path, image: Path) -> None:
    async def go() -> None:
        async with Client(definition, principal=OWNER) as c:
            v = await publish(c, image, "westeurope=2", "eastus", "North Europe=1=standard_zrs")
            doc = v.to_azure()
            assert doc["provisioningState"] == "Succeeded"
            assert [
                (t["name"], t["regionalReplicaCount"], t["storageAccountType"])
                for t in doc["publishingProfile"]["targetRegions"]
            ] == [
                ("westeurope", 2, "Standard_LRS"),
                ("eastus", 1, "Standard_LRS"),
                ("northeurope", 1, "Standard_ZRS"),
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
            assert os_disk["sizeInBytes"] == image.stat().st_size
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
            want, digest = xxh128(image), image_digest(image)
            for r in replicas:
                path = local(r.location)
                assert r.state == "Completed" and r.size == image.stat().st_size
                assert xxh128(path) == want, r.location  # bytes equal the source's
                assert r.digest == digest  # the engine's digest, recomputed here
                assert Path(f"{path}.imgrepl-manifest").is_file()
            assert [r.zone for r in replicas if r.region == "northeurope"] == ["1", "2", "3"]
            assert {local(r.location).parts[-5] for r in replicas[1:4]} == {
                "zone-1",
                "zone-2",
                "zone-3",
            }
            # the first in each region but the source's own, which crossed nothing
            assert [(r.region, r.zone) for r in replicas if r.egress] == [
                ("eastus", ""),
                ("northeurope", "1"),
            ]
            cost = await c.cost("G", "D", "1.0.0")
            size = image.stat().st_size
            assert (cost.storage_bytes, cost.egress_bytes) == (6 * size, 2 * size)
            assert [r.egress_bytes for r in cost.regions] == [size, size, 0]
            assert [(r.region, r.replicas) for r in cost.regions] == [
                ("eastus", 1),
                ("northeurope", 3),
                ("westeurope", 2),
            ]

    run(go())


def test_list_replicas_cli_fields(definition: Path, image: Path) -> None:
    run(_publish_default(definition, image))
    reps = cli(definition, "sig", "image-version", "list-replicas", *IDS)
    assert len(reps) == 2
    for r in reps:
        assert {"region", "zone", "index", "location", "sizeInBytes", "digest", "state"} <= set(r)
        assert r["location"].startswith("file:///") and local(r["location"]).is_file()
        assert (r["sizeInBytes"], r["digest"]) == (image.stat().st_size, image_digest(image))
    assert [(r["region"], r["zone"], r["index"]) for r in reps] == [
        ("eastus", None, 0),
        ("westeurope", None, 0),
    ]


async def _publish_default(home: Path, image: Path) -> None:
    async with Client(home, principal=OWNER) as c:
        await publish(c, image, "westeurope", "eastus")


def test_data_disks_by_lun_and_a_version_as_source(
    definition: Path, tmp_path: Path, image: Path
) -> None:
    data = vhd(tmp_path / "data.vhd", 2, "dynamic", seed=7)
    plain = raw(tmp_path / "d2.raw", 1, seed=9)
    made = cli(
        definition, "sig", "image-version", "create", *IDS, "-l", "westeurope",
        "--os-vhd", str(image), "--data-vhds", f"0={data}", f"3={plain}",
        "--target-regions", "westeurope", "eastus",
    )  # fmt: skip
    disks = made["storageProfile"]["dataDiskImages"]
    assert [(d["lun"], d["source"]["format"]) for d in disks] == [(0, "vhd"), (3, "raw")]
    reps = cli(definition, "sig", "image-version", "list-replicas", *IDS)
    assert len(reps) == 6 and {r["state"] for r in reps} == {"Completed"}
    for lun, source in ((None, image), (0, data), (3, plain)):
        assert {xxh128(local(r["location"])) for r in reps if r["lun"] == lun} == {xxh128(source)}
    bad = cli_run(
        definition, "sig", "image-version", "create", "-r", "G", "-i", "D", "-e", "1.0.1",
        "-l", "westeurope", "--os-vhd", str(image), "--data-vhds", f"x={data}",
    )  # fmt: skip
    assert bad.returncode == 1 and "invalid --data-vhds LUN 'x'" in bad.stderr
    copy = cli(
        definition, "sig", "image-version", "create", "-r", "G", "-i", "D", "-e", "2.0.0",
        "-l", "westeurope", "--image-version", "G/D/1.0.0",
        "--target-regions", "westeurope", "northeurope",
    )  # fmt: skip
    source_id = cli(definition, "sig", "image-version", "show", *IDS)["id"]
    assert copy["storageProfile"]["source"] == {"id": source_id}  # the source's full ARM id
    assert [d["lun"] for d in copy["storageProfile"]["dataDiskImages"]] == [0, 3]
    reps2 = cli(definition, "sig", "image-version", "list-replicas", "-r", "G", "-i", "D",
                "-e", "2.0.0")  # fmt: skip
    assert {r["region"] for r in reps2} == {"westeurope", "northeurope"}
    for lun, source in ((None, image), (0, data), (3, plain)):
        assert {xxh128(local(r["location"])) for r in reps2 if r["lun"] == lun} == {xxh128(source)}


def test_update_adds_and_removes_replicas(definition: Path, image: Path) -> None:
    async def go() -> None:
        async with Client(definition, principal=OWNER) as c:
            await publish(c, image, "westeurope", "eastus=2")
            home0 = local((await c.list_replicas("G", "D", "1.0.0"))[-1].location)
            before = stamps([home0])
            v = await c.update_image_version("G", "D", "1.0.0", add_target_regions=["northeurope"])
            assert v.provisioning_state == "Succeeded"
            reps = await c.list_replicas("G", "D", "1.0.0")
            assert {r.region for r in reps} == {"westeurope", "eastus", "northeurope"}
            assert all(xxh128(local(r.location)) == xxh128(image) for r in reps)
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
            safety = "safetyProfile.allowDeletionOfReplicatedLocations"
            v = await c.update_image_version("G", "D", "1.0.0", changes={safety: "false"})
            assert v.to_azure()["safetyProfile"] == {"allowDeletionOfReplicatedLocations": False}
            with pytest.raises(ValidationError, match=r"allow-replicated-location-deletion"):
                await c.update_image_version("G", "D", "1.0.0", target_regions=["westeurope=3"])
            v = await c.update_image_version("G", "D", "1.0.0", changes={safety: "true"})
            assert v.allow_deletion_of_replicated_locations  # stored, as in Azure
            await c.update_image_version("G", "D", "1.0.0", target_regions=["westeurope=3"])
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
            assert stamps([home0]) == before  # never copied again
            assert [(t.name, t.regional_replica_count) for t in v.target_regions] == [
                ("westeurope", 1)
            ]

    run(go())


def test_delete_removes_every_replica_and_row(definition: Path, stores: Path, image: Path) -> None:
    async def go() -> None:
        async with Client(definition, principal=OWNER) as c:
            await publish(c, image, "westeurope=2", "northeurope=1=Standard_ZRS")
            assert len(files_under(stores)) == 2 * 5  # replicas and manifests
            await c.delete_image_version("G", "D", "1.0.0")
            assert files_under(stores) == []
            assert await c.list_image_versions("G", "D") == []
            with pytest.raises(NotFoundError, match=r"G/D/1.0.0 not found"):
                await c.list_replicas("G", "D", "1.0.0")
            await c.delete_image_definition("G", "D")  # nothing left below it

    run(go())
    # the catalog's foreign keys cascaded the version's rows away
    for table in ("versions", "disks", "target_regions", "replicas"):
        assert table_count(definition, table) == 0, table


def _bytes_read() -> int:
    """Bytes this process has read by read()/pread() so far, engine threads included."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


def test_the_source_is_read_once_for_all_regions(definition: Path, big: Path) -> None:
    """Publishing to three regions instead of one reads only the two extra
    replicas once more (their verification), not the source again."""
    size = big.stat().st_size

    async def go() -> tuple[int, int]:
        async with Client(definition, principal=OWNER) as c:
            await publish(c, big, "westeurope", version="0.0.1")  # caches warmed
            read = []
            for version, targets in (
                ("1.0.0", ["westeurope"]),
                ("2.0.0", ["westeurope", "eastus", "northeurope"]),
            ):
                before = _bytes_read()
                await publish(c, big, *targets, version=version)
                read.append(_bytes_read() - before)
            return read[0], read[1]

    one, three = run(go())
    # two verifications of whole replicas; a second read of the source would add 1.5 more sizes
    assert 1.9 * size <= three - one < 2.5 * size


def test_a_regions_exclude_from_latest_beats_the_versions(definition: Path, image: Path) -> None:
    from imgrepl.gallery.rules import TargetRegionSpec

    async def go() -> None:
        async with Client(definition, principal=OWNER) as c:
            await publish(c, image, "westeurope", "eastus")
            await publish(
                c,
                image,
                "westeurope",
                TargetRegionSpec("eastus", exclude_from_latest=True),
                version="2.0.0",
            )
            v = await c.get_image_version("G", "D", "2.0.0")
            flags = [
                t["excludeFromLatest"] for t in v.to_azure()["publishingProfile"]["targetRegions"]
            ]
            assert flags == [False, True]

            async def latest(region: str) -> str:
                return (await c.get_image_version("G", "D", "latest", location=region)).name

            assert (await latest("westeurope"), await latest("eastus")) == ("2.0.0", "1.0.0")
            await c.update_image_version(
                "G",
                "D",
                "2.0.0",
                add_target_regions=[TargetRegionSpec("eastus", None, None, False)],
            )
            assert await latest("eastus") == "2.0.0"
            await c.update_image_version("G", "D", "2.0.0", exclude_from_latest=True)
            # the version's flag now excludes it where no region flag says otherwise
            assert (await latest("westeurope"), await latest("eastus")) == ("1.0.0", "2.0.0")

    run(go())
