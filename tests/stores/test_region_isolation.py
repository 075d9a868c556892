"""A region's store options are its own, and its secrets never sit in the
catalog.  Two S3 servers (rclone serve s3) with different secrets serve
one bucket name: a second region on the first one's bucket URL is refused
at `region add`; on another prefix, each region's replicas land on its own
server.  A secret given at `region add` is kept in the home's 0600
secrets file (or given as `env:NAME` / `file:PATH`), and the catalog's raw
bytes never hold it.  Every command runs in a subprocess with no AWS_*
variables (test_region_store_options.Runner)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.gallery import IDS, catalog_state, vhd
from helpers.store_servers import RcloneS3
from test_region_store_options import Runner

BUCKET = "isolation"


class OtherS3(RcloneS3):
    access_key = "imgrepl-other-access"
    secret_key = "imgrepl-other-secret-do-not-print"


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[RcloneS3, RcloneS3]]:
    first, second = RcloneS3(tmp_path / "first"), OtherS3(tmp_path / "second")
    for server in (first, second):  # before rclone lists (and caches) its root: else unseen
        server.create_bucket(BUCKET)
    first.start()
    try:
        second.start()
        try:
            yield first, second
        finally:
            second.stop()
    finally:
        first.stop()


def option_args(options: dict[str, str]) -> list[str]:
    return [arg for k, v in options.items() for arg in ("--store-option", f"{k}={v}")]


def setup_gallery(cli: Runner) -> None:
    cli.ok("sig", "create", "--gallery-name", "G", "--location", "westeurope")
    cli.ok("sig", "image-definition", "create", "-r", "G", "-i", "D", "--publisher", "acme",
           "--offer", "os", "--sku", "1", "--os-type", "Linux")  # fmt: skip


def catalog_bytes(home: Path) -> bytes:
    """The catalog as a backup or `strings` sees it: the database and its WAL."""
    return b"".join(p.read_bytes() for p in sorted(home.glob("catalog.db*")))


@pytest.fixture
def cli(tmp_path: Path) -> Runner:
    runner = Runner(tmp_path / "home")
    runner.ok("region", "add", "westeurope", "--store", str(tmp_path / "westeurope"))
    return runner


def test_each_region_writes_to_its_own_endpoint(
    cli: Runner, two_servers: tuple[RcloneS3, RcloneS3], tmp_path: Path
) -> None:
    first, second = two_servers
    cli.ok("region", "add", "eastus", "--store", f"s3://{BUCKET}/r", *option_args(first.options()))
    before = catalog_state(cli.home)
    same = cli.run("region", "add", "westus", "--store", f"s3://{BUCKET}/r/",
                   *option_args(second.options()))  # fmt: skip
    assert same.returncode == 1
    assert "is the same location as the store of region 'eastus'" in same.stderr
    assert catalog_state(cli.home) == before

    cli.ok("region", "add", "westus", "--store", f"s3://{BUCKET}/w", *option_args(second.options()))
    setup_gallery(cli)
    image = vhd(tmp_path / "os.vhd", 2)
    created = cli.ok("sig", "image-version", "create", *IDS, "-l", "westeurope", "--os-vhd",
                     str(image), "--target-regions", "westeurope", "eastus", "westus")  # fmt: skip
    assert created["provisioningState"] == "Succeeded"
    data = image.read_bytes()
    assert first.read(BUCKET, "r/G/D/1.0.0/os-0.vhd") == data
    assert second.read(BUCKET, "w/G/D/1.0.0/os-0.vhd") == data
    assert first.keys(BUCKET, "w") == [] and second.keys(BUCKET, "r") == []
    for text in cli.seen:
        assert first.secret_key not in text and second.secret_key not in text


@pytest.mark.parametrize("given", ["plain", "env", "file"])
def test_a_secret_never_sits_in_the_catalog(
    cli: Runner, two_servers: tuple[RcloneS3, RcloneS3], tmp_path: Path, given: str
) -> None:
    s3, bucket = two_servers[0], BUCKET
    options = s3.options()
    secret = options["secret_access_key"]
    if given == "env":
        options["secret_access_key"] = "env:IMGREPL_TEST_S3_SECRET"
        cli.env["IMGREPL_TEST_S3_SECRET"] = secret
    elif given == "file":
        (tmp_path / "secret.txt").write_text(secret + "\n")
        options["secret_access_key"] = f"file:{tmp_path / 'secret.txt'}"
    prefix = f"secrets-{uuid.uuid4().hex[:8]}"
    store = f"s3://{bucket}/{prefix}"
    cli.ok("region", "add", "eastus", "--store", store, *option_args(options))
    setup_gallery(cli)
    image = vhd(tmp_path / "os.vhd", 2)
    created = cli.ok("sig", "image-version", "create", *IDS, "-l", "westeurope", "--os-vhd",
                     str(image), "--target-regions", "westeurope", "eastus")  # fmt: skip
    assert created["provisioningState"] == "Succeeded"
    assert s3.read(bucket, f"{prefix}/G/D/1.0.0/os-0.vhd") == image.read_bytes()

    assert secret.encode() not in catalog_bytes(cli.home)
    secrets = cli.home / "secrets.json"
    if given == "plain":  # references are resolved at use, never copied
        assert secret in secrets.read_text()
        assert secrets.stat().st_mode & 0o777 == 0o600
    else:
        assert not secrets.exists()
    for text in cli.seen:
        assert secret not in text

    cli.ok("sig", "image-version", "delete", *IDS)
    cli.ok("region", "remove", "eastus")
    assert not secrets.exists() or secret not in secrets.read_text()
