"""Delta replication into an object-store region: eastus on S3 (rclone
serve s3) holds version 1; version 2 crosses into it as its changed chunk,
the rest read from eastus's own version 1 object by ranged reads, checked
chunk by chunk.  If that base object is deleted while version 2 is being
copied, eastus falls back to the source and still completes.  Replicas are
read through rclone's own files, never through imgrepl."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.gallery import OWNER, cli, cli_argv, cli_env, cli_run, poll, run
from helpers.pairs import CHUNK, synthetic_pair
from helpers.store_servers import RcloneS3

BUCKET = "delta-eastus"


@pytest.fixture
def s3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RcloneS3]:
    server = RcloneS3(tmp_path / "s3")
    server.start()
    try:
        server.create_bucket(BUCKET)
        for key, value in {
            "AWS_ENDPOINT": server.endpoint,
            "AWS_ALLOW_HTTP": "true",
            "AWS_ACCESS_KEY_ID": server.access_key,
            "AWS_SECRET_ACCESS_KEY": server.secret_key,
            "AWS_REGION": "us-east-1",
        }.items():
            monkeypatch.setenv(key, value)
        yield server
    finally:
        server.stop()


@pytest.fixture
def home(tmp_path: Path, s3: RcloneS3) -> Path:
    """westeurope local, eastus on S3 reading one range at a time (no
    read-ahead), so a base deleted mid-copy is still needed afterwards."""
    from imgrepl import Client

    async def setup() -> None:
        async with Client(home, principal=OWNER) as c:
            await c.add_region("westeurope", str(tmp_path / "westeurope"))
            await c.add_region(
                "eastus", f"s3://{BUCKET}/eastus", store_options={"concurrency": "1"}
            )
            await c.create_gallery("G", "westeurope")
            await c.create_image_definition(
                "G", "D", publisher="acme", offer="os", sku="1", os_type="Linux"
            )

    home = tmp_path / "home"
    run(setup())
    return home


def ids(version: str) -> list[str]:
    return ["-r", "G", "-i", "D", "-e", version]


def create(version: str, image: Path, *extra: str) -> list[str]:
    return ["sig", "image-version", "create", *ids(version), "-l", "westeurope",
            "--os-vhd", str(image), "--target-regions", "westeurope", "eastus", *extra]  # fmt: skip


def east(home: Path, version: str) -> dict[str, Any]:
    reps = cli(home, "sig", "image-version", "list-replicas", *ids(version))
    return next(r for r in reps if r["region"] == "eastus")


def key_of(location: str) -> str:
    return location.removeprefix(f"s3://{BUCKET}/")


def test_an_s3_region_gets_only_the_changed_chunk(home: Path, s3: RcloneS3, tmp_path: Path) -> None:
    v1, v2 = synthetic_pair(tmp_path, 6, (3,))
    cli(home, *create("1.0.0", v1))
    cli(home, *create("1.1.0", v2))
    r = east(home, "1.1.0")
    assert r["state"] == "Completed"
    assert (r["egressBytes"], r["localBytes"], r["deltaBase"]) == (CHUNK, 5 * CHUNK, "1.0.0")
    assert s3.read(BUCKET, key_of(r["location"])) == v2.read_bytes()


def test_a_base_deleted_mid_copy_falls_back_to_the_source(
    home: Path, s3: RcloneS3, tmp_path: Path
) -> None:
    v1, v2 = synthetic_pair(tmp_path, 6, (3,))
    cli(home, *create("1.0.0", v1))
    base = s3.root / BUCKET / key_of(east(home, "1.0.0")["location"])
    assert base.is_file()
    # 4 MB/s: the 24 MiB copy takes about 6 s; the base goes once it is under way
    argv = cli_argv(home, *create("1.1.0", v2, "--cap-mbps", "4"))
    proc = subprocess.Popen(argv, env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:

        def under_way() -> bool | None:
            got = cli_run(home, "sig", "image-version", "list-replicas", *ids("1.1.0"))
            reps = got.json() if got.returncode == 0 else []
            copying = [r for r in reps if r["region"] == "eastus" and r["state"] == "Copying"]
            return bool(copying and copying[0]["bytesWritten"] > 0) or None

        poll("the copy into eastus under way", under_way)
        base.unlink()
        stderr = proc.communicate(timeout=300)[1].decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr
    r = east(home, "1.1.0")
    assert r["state"] == "Completed", r
    assert "dropped" in r["details"] and r["egressBytes"] > CHUNK
    assert r["egressBytes"] + r["localBytes"] == 6 * CHUNK
    assert s3.read(BUCKET, key_of(r["location"])) == v2.read_bytes()
