"""A region's store options (`imgrepl region add --store-option KEY=VALUE`)
are the only way its S3 endpoint and credentials reach the engine here:
every command runs as `python -m imgrepl` in a subprocess whose environment
has no AWS_* variables.  The replica is read back from the files rclone
serves (not through imgrepl), and the secret appears in no output."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
import xxhash
from conftest import BUCKET
from helpers.gallery import IDS, OWNER, catalog_state, cli_argv, vhd
from helpers.store_servers import RcloneS3

# the session server's bucket, under a prefix of this module's own: rclone
# caches its bucket list, so a bucket made later behind its back may be unseen
PREFIX = f"options-{uuid.uuid4().hex}"


def clean_env() -> dict[str, str]:
    """This process's environment without any AWS_*/AZURE_* setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AZURE_"))}
    env.pop("IMGREPL_HOME", None)
    return env | {"IMGREPL_PRINCIPAL": OWNER}


class Runner:
    """Runs the CLI in subprocesses and keeps every stdout/stderr it saw."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.seen: list[str] = []
        self.env: dict[str, str] = {}  # added to the clean environment

    def run(self, *args: str, output: str = "json") -> subprocess.CompletedProcess[str]:
        argv = cli_argv(self.home, *args)
        argv[-1] = output  # cli_argv ends with `-o json`
        proc = subprocess.run(
            argv, capture_output=True, text=True, env=clean_env() | self.env, timeout=300
        )
        self.seen += [proc.stdout, proc.stderr]
        return proc

    def ok(self, *args: str) -> Any:
        import json

        proc = self.run(*args)
        assert proc.returncode == 0, f"imgrepl {' '.join(args)} failed: {proc.stderr}"
        return json.loads(proc.stdout) if proc.stdout.strip() else None


def option_args(s3: RcloneS3) -> list[str]:
    args: list[str] = []
    for key, value in s3.options().items():
        args += ["--store-option", f"{key}={value}"]
    return args


@pytest.fixture
def cli(tmp_path: Path) -> Runner:
    runner = Runner(tmp_path / "home")
    runner.ok("region", "add", "westeurope", "--store", str(tmp_path / "westeurope"))
    return runner


def test_a_region_on_s3_configured_only_by_its_store_options(
    cli: Runner, s3_server: RcloneS3, tmp_path: Path
) -> None:
    s3 = s3_server
    s3.create_bucket(BUCKET)
    store = f"s3://{BUCKET}/{PREFIX}/eastus"
    added = cli.ok("region", "add", "eastus", "--store", store, *option_args(s3))
    assert added["storeOptions"] == dict.fromkeys(sorted(s3.options()), "***")
    cli.ok("sig", "create", "--gallery-name", "G", "--location", "westeurope")
    cli.ok("sig", "image-definition", "create", "-r", "G", "-i", "D", "--publisher", "acme",
           "--offer", "os", "--sku", "1", "--os-type", "Linux")  # fmt: skip

    image = vhd(tmp_path / "os.vhd", 6)
    targets = ["--target-regions", "westeurope", "eastus=2"]
    version = cli.ok("sig", "image-version", "create", *IDS, "-l", "westeurope",
                     "--os-vhd", str(image), *targets)  # fmt: skip
    assert version["provisioningState"] == "Succeeded"

    remote = [r for r in cli.ok("sig", "image-version", "list-replicas", *IDS)
              if r["region"] == "eastus"]  # fmt: skip
    assert len(remote) == 2
    want = xxhash.xxh3_128(image.read_bytes()).hexdigest()
    for r in remote:
        assert r["state"] == "Completed" and r["location"].startswith(store + "/")
        key = r["location"].removeprefix(f"s3://{BUCKET}/")
        data = s3.read(BUCKET, key)  # the file rclone serves, not imgrepl
        assert data is not None and xxhash.xxh3_128(data).hexdigest() == want, key
        assert s3.read(BUCKET, key + ".imgrepl-manifest") is not None

    shown = cli.ok("region", "show", "eastus")
    assert shown["storeOptions"]["secret_access_key"] == "***"
    listed = {r["name"]: r for r in cli.ok("region", "list")}
    assert listed["eastus"]["storeOptions"] == shown["storeOptions"]
    assert listed["westeurope"]["storeOptions"] == {}
    table = cli.run("region", "list", output="table")
    assert table.returncode == 0 and "eastus" in table.stdout
    for text in cli.seen:
        assert s3.secret_key not in text and s3.access_key not in text


def test_without_the_options_the_same_store_is_unreachable(
    cli: Runner, s3_server: RcloneS3, tmp_path: Path
) -> None:
    """The control for the test above: the clean environment alone has no
    way to reach the server, so the options are what made the copy work.
    `region add` sees it at once (its reachability check) and records nothing."""
    s3_server.create_bucket(BUCKET)
    before = catalog_state(cli.home)
    proc = cli.run("region", "add", "eastus", "--store", f"s3://{BUCKET}/{PREFIX}/bare")
    assert proc.returncode != 0
    assert f"store s3://{BUCKET}/{PREFIX}/bare is not reachable" in proc.stderr
    assert catalog_state(cli.home) == before
    assert s3_server.keys(BUCKET, f"{PREFIX}/bare") == []


@pytest.mark.parametrize(
    ("store", "option", "named"),
    [
        ("s3://{bucket}/eastus", "colour", "colour"),
        ("s3://{bucket}/eastus", "allow_http", "allow_http"),  # a bad value
        ("{tmp}/eastus", "endpoint", "s3:// and az://"),  # options on a local store
    ],
)
def test_a_bad_option_is_refused_and_nothing_is_recorded(
    cli: Runner, tmp_path: Path, store: str, option: str, named: str
) -> None:
    secret = "do-not-show-0xC0FFEE"
    before = catalog_state(cli.home)
    url = store.format(bucket=BUCKET, tmp=tmp_path)
    proc = cli.run(
        "region", "add", "eastus", "--store", url, "--store-option", f"{option}={secret}"
    )
    assert proc.returncode != 0
    assert named in proc.stderr
    assert secret not in proc.stdout + proc.stderr
    assert catalog_state(cli.home) == before
    assert cli.run("region", "show", "eastus").returncode != 0


def test_an_option_without_equals_is_refused_without_repeating_it(cli: Runner) -> None:
    before = catalog_state(cli.home)
    proc = cli.run("region", "add", "eastus", "--store", f"s3://{BUCKET}/{PREFIX}/e",
                   "--store-option", "secret-without-key")  # fmt: skip
    assert proc.returncode != 0 and "KEY=VALUE" in proc.stderr
    assert "secret-without-key" not in proc.stderr
    assert catalog_state(cli.home) == before
