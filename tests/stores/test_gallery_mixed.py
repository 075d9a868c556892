"""A gallery with three regions, one of each store kind: westeurope on a
local directory (the home region), eastus on S3 (rclone serve s3) and
northeurope on Azure Blob (Azurite).  Credentials and endpoints reach the
gallery, and its CLI in a subprocess, through the usual AWS_* / AZURE_*
environment variables.  Replicas are checked through independent channels
(the files rclone serves, Blob REST) against the image's xxhash digest.
Two disruptions: the replicating process is killed and the job resumed;
the S3 server is stopped in the middle of its copy, failing that region
alone until a retry.  `--cap-mbps` slows the copies enough to catch them in
the middle; nothing here asserts on time."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import xxhash
from helpers.gallery import (
    IDS,
    cli,
    cli_argv,
    cli_env,
    cli_run,
    poll,
    run,
    setup_home,
    shown,
    vhd,
)
from helpers.store_servers import AZURITE_ACCOUNT, AZURITE_KEY, Azurite, RcloneS3, read_replica

S3_BUCKET = "gallery-eastus"
AZ_CONTAINER = "gallery-northeurope"
TARGETS = ["westeurope", "eastus=2", "northeurope=2"]


@pytest.fixture
def servers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[RcloneS3, Azurite]]:
    s3, az = RcloneS3(tmp_path / "s3"), Azurite()
    s3.start()
    az.start()
    try:
        s3.create_bucket(S3_BUCKET)
        az.create_container(AZ_CONTAINER)
        for key, value in {
            "AWS_ENDPOINT": s3.endpoint,
            "AWS_ALLOW_HTTP": "true",
            "AWS_ACCESS_KEY_ID": s3.access_key,
            "AWS_SECRET_ACCESS_KEY": s3.secret_key,
            "AWS_REGION": "us-east-1",
            "AZURE_STORAGE_ACCOUNT_NAME": AZURITE_ACCOUNT,
            "AZURE_STORAGE_ACCOUNT_KEY": AZURITE_KEY,
            "AZURE_STORAGE_ENDPOINT": f"{az.endpoint}/{AZURITE_ACCOUNT}",
            "AZURE_ALLOW_HTTP": "true",
        }.items():
            monkeypatch.setenv(key, value)
        yield s3, az
    finally:
        s3.stop()
        az.stop()


@pytest.fixture
def home(tmp_path: Path, servers: tuple[RcloneS3, Azurite]) -> Path:
    home = tmp_path / "home"
    stores = {
        "westeurope": str(tmp_path / "westeurope"),
        "eastus": f"s3://{S3_BUCKET}/eastus",
        "northeurope": f"az://{AZ_CONTAINER}/northeurope",
    }
    run(setup_home(home, stores))  # type: ignore[arg-type]
    return home


@pytest.fixture
def image(tmp_path: Path) -> Path:
    return vhd(tmp_path / "os.vhd", 24)


def digest(data: bytes) -> str:
    return str(xxhash.xxh3_128(data).hexdigest())


def stored(location: str, servers: tuple[RcloneS3, Azurite]) -> bytes | None:
    """A replica's bytes, read without imgrepl."""
    return read_replica(location, *servers)


def replicas(home: Path) -> list[dict[str, Any]]:
    return list(cli(home, "sig", "image-version", "list-replicas", *IDS))


def states(home: Path) -> dict[str, str]:
    return {s["region"]: s["state"] for s in shown(home)["replicationStatus"]["summary"]}


def create_argv(home: Path, image: Path) -> list[str]:
    return cli_argv(home, "sig", "image-version", "create", *IDS, "-l", "westeurope",
                    "--os-vhd", str(image), "--target-regions", *TARGETS,
                    "--cap-mbps", "4")  # fmt: skip


def remote_copies_under_way(home: Path) -> list[dict[str, Any]] | None:
    got = cli_run(home, "sig", "image-version", "list-replicas", *IDS)
    reps = got.json() if got.returncode == 0 else []
    remote = [r for r in reps if r["region"] != "westeurope" and r["egress"]]
    if len(remote) == 2 and all(r["state"] == "Copying" and r["bytesWritten"] > 0 for r in remote):
        return list(reps)
    return None


def test_a_killed_replication_resumes_across_all_three_kinds(
    home: Path, image: Path, servers: tuple[RcloneS3, Azurite]
) -> None:
    proc = subprocess.Popen(
        create_argv(home, image), env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        caught = poll("copies to S3 and Azure under way", lambda: remote_copies_under_way(home))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    unfinished = [r["location"] for r in caught if r["region"] != "westeurope"]
    assert all(stored(loc, servers) is None for loc in unfinished)  # nothing at a final key

    resumed = cli(home, "sig", "image-version", "replicate", *IDS)
    assert resumed["provisioningState"] == "Succeeded"
    final = replicas(home)
    assert sorted(r["region"] for r in final) == ["eastus"] * 2 + ["northeurope"] * 2 + [
        "westeurope"
    ]
    want = digest(image.read_bytes())
    for r in final:
        assert r["state"] == "Completed"
        data = stored(r["location"], servers)
        assert data is not None and digest(data) == want, r["location"]
        manifest = stored(r["location"] + ".imgrepl-manifest", servers)
        assert manifest is not None, r["location"]
    assert states(home) == dict.fromkeys(["westeurope", "eastus", "northeurope"], "Completed")


def test_a_region_whose_server_stops_mid_copy_fails_alone_and_retries(
    home: Path, image: Path, servers: tuple[RcloneS3, Azurite]
) -> None:
    s3, _ = servers
    proc = subprocess.Popen(
        create_argv(home, image), env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        poll("copies to S3 and Azure under way", lambda: remote_copies_under_way(home))
        s3.stop()
        stderr = proc.communicate(timeout=300)[1].decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0
    assert states(home) == {"westeurope": "Completed", "eastus": "Failed",
                            "northeurope": "Completed"}  # fmt: skip
    eastus = next(s for s in shown(home)["replicationStatus"]["summary"] if s["region"] == "eastus")
    assert f"s3://{S3_BUCKET}/eastus/" in eastus["details"]
    assert s3.secret_key not in eastus["details"] and s3.secret_key not in stderr

    s3.start()  # the same port: the region's store is back
    for r in replicas(home):
        if r["region"] == "eastus":
            assert stored(r["location"], servers) is None
    again = cli_run(home, "sig", "image-version", "replicate", *IDS, "--retry-failed")
    assert again.returncode == 0, again.stderr
    assert states(home) == dict.fromkeys(["westeurope", "eastus", "northeurope"], "Completed")
    want = digest(image.read_bytes())
    for r in replicas(home):
        data = stored(r["location"], servers)
        assert data is not None and digest(data) == want, r["location"]
