"""Version bundles with object stores on both sides: a version whose only
replica is on S3 is exported (read from the store), and imported into a
home whose regions are a directory and S3, with and without a base; the
replicas on S3 are read back through the server, not through imgrepl."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import xxhash
from conftest import BUCKET
from helpers.gallery import CHUNK, OWNER, publish, run, setup_home, vhd
from helpers.store_servers import RcloneS3
from imgrepl import Client


def s3_digests(s3: RcloneS3, replicas: list[object]) -> list[str]:
    out = []
    for r in replicas:
        location = r.location  # type: ignore[attr-defined]
        assert location.startswith(f"s3://{BUCKET}/")
        data = s3.read(BUCKET, location.removeprefix(f"s3://{BUCKET}/"))
        assert data is not None, location
        out.append(xxhash.xxh3_128(data).hexdigest())
    return out


def test_a_version_on_s3_travels_to_a_home_on_s3(s3_server: RcloneS3, tmp_path: Path) -> None:
    prefix = uuid.uuid4().hex
    sender, receiver = tmp_path / "sender", tmp_path / "receiver"
    run(setup_home(sender, {"westeurope": f"s3://{BUCKET}/{prefix}/sender"}))  # type: ignore[dict-item]
    stores = {"westeurope": tmp_path / "we", "eastus": f"s3://{BUCKET}/{prefix}/receiver"}
    run(setup_home(receiver, stores))  # type: ignore[arg-type]
    v1 = vhd(tmp_path / "v1.vhd", 12)
    v2 = tmp_path / "v2.vhd"
    shutil.copy(v1, v2)
    with v2.open("r+b") as f:
        f.seek(CHUNK + 7)
        f.write(b"changed")
    want = {name: xxhash.xxh3_128(p.read_bytes()).hexdigest() for name, p in (("1", v1), ("2", v2))}

    async def go() -> None:
        async with Client(sender, principal=OWNER) as a:
            await publish(a, v1, "westeurope", version="1.0.0")
            await publish(a, v2, "westeurope", version="2.0.0")
            full = await a.export_version("G", "D", "1.0.0", tmp_path / "v1.bundle")
            delta = await a.export_version("G", "D", "2.0.0", tmp_path / "v2.bundle", base="1.0.0")
        assert (full.chunks, delta.chunks, delta.base_chunks) == (4, 1, 3)
        async with Client(receiver, principal=OWNER) as b:
            targets = ["westeurope", "eastus=2"]
            for name, bundle in (("1.0.0", "v1.bundle"), ("2.0.0", "v2.bundle")):
                got = await b.import_version(
                    "G", "D", tmp_path / bundle, location="westeurope", target_regions=targets
                )
                assert got.name == name
                assert got.replication_status is not None
                assert got.replication_status.aggregated_state == "Completed"
                remote = [r for r in await b.list_replicas("G", "D", name) if r.region == "eastus"]
                assert s3_digests(s3_server, remote) == [want[name[0]]] * 2

    run(go())
