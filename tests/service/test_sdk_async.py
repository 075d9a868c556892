"""The SDK's async client (azure.mgmt.compute.aio over aiohttp) with several
operations at once: definitions and versions created concurrently, each
awaited with its own poller, then listed, read and deleted concurrently."""

from __future__ import annotations

import asyncio
from pathlib import Path

from helpers.gallery import files_under, xxh128
from helpers.sdk import compute_async, definition, gallery, version_from
from helpers.service import RG, Served, Tls, replica_digests, token_for


def test_the_async_client_runs_operations_at_once(
    home: Path, served: Served, tls: Tls, imports: Path, tmp_path: Path
) -> None:
    token = token_for(home, "alice", "Contributor")
    uri = (imports / "os.vhd").as_uri()

    async def scenario() -> None:
        async with compute_async(served, tls, token) as cm:
            await (await cm.galleries.begin_create_or_update(RG, "G", gallery())).result()
            pollers = await asyncio.gather(*(
                cm.gallery_images.begin_create_or_update(RG, "G", f"D{i}", definition(str(i)))
                for i in range(3)))  # fmt: skip
            await asyncio.gather(*(p.result() for p in pollers))
            pollers = await asyncio.gather(*(
                cm.gallery_image_versions.begin_create_or_update(
                    RG, "G", f"D{i}", "1.0.0", version_from(uri, ("westeurope", 1), ("eastus", 1)))
                for i in range(3)))  # fmt: skip
            made = await asyncio.gather(*(p.result() for p in pollers))
            assert [v.properties.provisioning_state for v in made] == ["Succeeded"] * 3
            got = await asyncio.gather(*(
                cm.gallery_image_versions.get(RG, "G", f"D{i}", "1.0.0", expand="ReplicationStatus")
                for i in range(3)))  # fmt: skip
            assert {v.properties.replication_status.aggregated_state for v in got} == {"Completed"}
            names = [d.name async for d in cm.gallery_images.list_by_gallery(RG, "G")]
            assert sorted(names) == ["D0", "D1", "D2"]

    async def delete() -> None:
        async with compute_async(served, tls, token) as cm:
            pollers = await asyncio.gather(*(
                cm.gallery_image_versions.begin_delete(RG, "G", f"D{i}", "1.0.0")
                for i in range(3)))  # fmt: skip
            await asyncio.gather(*(p.result() for p in pollers))
            left = [v async for v in cm.gallery_image_versions.list_by_gallery_image(RG, "G", "D0")]
            assert left == []

    asyncio.run(scenario())
    want = xxh128(imports / "os.vhd")
    for i in range(3):  # the replicas, read here byte for byte
        assert replica_digests(home, "G", f"D{i}") == {"westeurope": [want], "eastus": [want]}
    asyncio.run(delete())
    assert files_under(tmp_path / "stores") == []
