"""Region-agent fixtures, all real parts on loopback: one PostgreSQL server
(helpers/postgres.py), `rclone serve s3` and Azurite per session, and per
test a fresh catalog database with three regions on three kinds of store,
all served by agents: westeurope (the home) on a directory, eastus on S3,
northeurope on Azure Blob.  The S3 secret and the Azure key are kept out
of the catalog as `env:` references: the publisher has both, each agent
only its own (helpers/agents.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.agents import AZ_SECRET, S3_SECRET, Team
from helpers.gallery import cli, vhd
from helpers.postgres import PostgresServer
from helpers.store_servers import AZURITE_ACCOUNT, Azurite, RcloneS3

BUCKET = "agents"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RcloneS3]:
    server = RcloneS3(tmp_path_factory.mktemp("agents-s3"))
    server.start()
    server.create_bucket(BUCKET)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def az() -> Iterator[Azurite]:
    server = Azurite()
    server.start()
    server.create_container(BUCKET)
    yield server
    server.stop()


@pytest.fixture
def team(
    tmp_path: Path, postgres: PostgresServer, s3: RcloneS3, az: Azurite,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Team]:  # fmt: skip
    url = postgres.fresh()
    monkeypatch.setenv("IMGREPL_CATALOG", url)
    for key, value in (S3_SECRET | AZ_SECRET).items():
        monkeypatch.setenv(key, value)
    home = tmp_path / "home"
    prefix = uuid.uuid4().hex[:8]
    served = ["--agent-served"]
    cli(home, "region", "add", "westeurope", "--store", str(tmp_path / "westeurope"), *served)
    cli(home, "region", "add", "eastus", "--store", f"s3://{BUCKET}/{prefix}-eastus", *served,
        "--store-option", f"endpoint={s3.endpoint}", "--store-option", "allow_http=true",
        "--store-option", "region=us-east-1", "--store-option", f"access_key_id={s3.access_key}",
        "--store-option", "secret_access_key=env:EASTUS_S3_SECRET")  # fmt: skip
    cli(home, "region", "add", "northeurope", "--store", f"az://{BUCKET}/{prefix}-ne", *served,
        "--store-option", f"endpoint={az.endpoint}/{AZURITE_ACCOUNT}",
        "--store-option", "allow_http=true", "--store-option", f"account={AZURITE_ACCOUNT}",
        "--store-option", "access_key=env:NORTHEUROPE_AZ_KEY")  # fmt: skip
    cli(home, "sig", "create", "-r", "G", "-l", "westeurope")
    cli(home, "sig", "image-definition", "create", "-r", "G", "-i", "D", "--publisher", "P",
        "--offer", "O", "--sku", "S", "--os-type", "Linux")  # fmt: skip
    t = Team(tmp_path, url, home, s3, az)
    try:
        yield t
    finally:
        for a in t.agents:
            a.stop()


@pytest.fixture
def image(tmp_path: Path) -> Path:
    """A 16 MiB fixed VHD from qemu-img: four engine chunks."""
    return vhd(tmp_path / "os.vhd", 16)
