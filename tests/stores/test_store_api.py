"""imgrepl's store functions: registration (options checked at once, values
never shown), stat/list/delete and their async twins, multipart parts cut
at chunk boundaries (seen through Azure's committed block list), and the
CLI with credentials from the environment."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import imgrepl
import pytest
from conftest import BUCKET, Backend
from helpers.files import MIB, noise, write
from helpers.store_servers import Azurite, RcloneS3

SECRET = "very-secret-value-0123456789"


@pytest.fixture(params=["s3", "azure"])
def remote(request: pytest.FixtureRequest, backends: dict[str, Backend]) -> Backend:
    return backends[request.param]


def test_bad_options_are_refused_at_registration_without_their_values() -> None:
    with pytest.raises(ValueError, match=r"\"colour\" is not an S3 setting") as e:
        imgrepl.register_store("s3://some-bucket", {"colour": SECRET})
    assert SECRET not in str(e.value)
    with pytest.raises(ValueError, match=r"concurrency=\"lots\""):
        imgrepl.register_store("az://some-container", {"concurrency": "lots"})
    with pytest.raises(ValueError, match="must be 3-63"):
        imgrepl.register_store("s3://UPPER", {})
    assert "s3://some-bucket" not in imgrepl.registered_stores()


def test_registration_is_by_prefix_and_lists_no_values() -> None:
    opts = {"access_key_id": "id", "secret_access_key": SECRET}
    imgrepl.register_store("s3://api-bucket/region-a", opts)
    try:
        assert "s3://api-bucket/region-a" in imgrepl.registered_stores()
        assert SECRET not in repr(imgrepl.registered_stores())
    finally:
        assert imgrepl.unregister_store("s3://api-bucket/region-a")
    assert not imgrepl.unregister_store("s3://api-bucket/region-a")


def test_stat_list_delete_sync_and_async(remote: Backend, tmp_path: Path) -> None:
    data = noise(5, 2 * MIB + 1)
    imgrepl.copy(write(tmp_path / "s.raw", data), [remote.url("a/x.raw")], chunk_size=MIB)
    url = remote.url("a/x.raw")
    assert imgrepl.store_stat(url) == len(data)
    assert imgrepl.store_stat(remote.url("a/none.raw")) is None
    listed = dict(imgrepl.store_list(remote.url("a")))
    assert listed[url] == len(data) and url + ".imgrepl-manifest" in listed

    async def twins() -> tuple[int | None, list[tuple[str, int]]]:
        await imgrepl.store_delete_async(url + ".imgrepl-manifest")
        return await imgrepl.store_stat_async(url), await imgrepl.store_list_async(remote.url("a"))

    size, after = asyncio.run(twins())
    assert size == len(data) and after == [(url, len(data))]
    imgrepl.store_delete(url)
    imgrepl.store_delete(url)  # already gone: fine
    assert remote.read("a/x.raw") is None and remote.keys() == []


def committed_block_sizes(az: Azurite, blob: str) -> list[int]:
    status, body = az.request("GET", f"/{BUCKET}/{blob}", {"comp": "blocklist"})
    assert status == 200, body
    return [int(s) for s in re.findall(r"<Size>(\d+)</Size>", body.decode())]


def test_parts_are_whole_chunks_of_at_least_the_part_size(
    azurite: Azurite, backends: dict[str, Backend], tmp_path: Path
) -> None:
    az = backends["azure"]
    src = write(tmp_path / "p.raw", noise(6, 20 * MIB + 5))
    imgrepl.copy(src, [az.url("default.raw")], chunk_size=MIB)
    assert committed_block_sizes(azurite, f"{az.prefix}/default.raw") == [8 * MIB] * 2 + [
        4 * MIB + 5
    ]
    prefix = f"az://{BUCKET}/{az.prefix}/small-parts"
    imgrepl.register_store(prefix, {**azurite.options(), "part_size": str(3 * MIB - 1)})
    try:
        imgrepl.copy(src, [f"{prefix}/p.raw"], chunk_size=MIB)
    finally:
        imgrepl.unregister_store(prefix)
    sizes = committed_block_sizes(azurite, f"{az.prefix}/small-parts/p.raw")
    assert sizes == [3 * MIB] * 6 + [2 * MIB + 5]
    assert az.read("small-parts/p.raw") == src.read_bytes()


def cli_env(server: RcloneS3, secret: str) -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ENDPOINT": server.endpoint,
        "AWS_ALLOW_HTTP": "true",
        "AWS_ACCESS_KEY_ID": server.access_key,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_REGION": "us-east-1",
    }


def test_the_cli_copies_to_s3_from_environment_credentials_and_never_prints_them(
    s3_server: RcloneS3, backends: dict[str, Backend], tmp_path: Path
) -> None:
    s3 = backends["s3"]
    src = write(tmp_path / "c.raw", noise(7, 3 * MIB))
    argv = [sys.executable, "-m", "imgrepl", "copy", str(src), s3.url("cli.raw"), "--verify"]
    good = subprocess.run(
        [*argv, "-o", "json"], env=cli_env(s3_server, s3_server.secret_key), capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert good.returncode == 0, good.stderr
    report = json.loads(good.stdout)
    assert report["destinations"][0]["verified"] is True
    assert s3.read("cli.raw") == src.read_bytes()
    assert s3_server.secret_key not in good.stdout + good.stderr

    bad = subprocess.run([*argv, "--overwrite"], env=cli_env(s3_server, SECRET),
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert bad.returncode != 0
    assert s3.url("cli.raw") in bad.stdout + bad.stderr
    assert SECRET not in bad.stdout + bad.stderr
    assert s3.read("cli.raw") == src.read_bytes()  # the refused copy changed nothing


@pytest.mark.parametrize("unsigned", ["true", "false"])
def test_s3_payloads_signed_or_not_both_store_the_same_bytes(
    s3_server: RcloneS3, backends: dict[str, Backend], tmp_path: Path, unsigned: str
) -> None:
    """Unsigned payloads are the default (the engine's chunk digests already
    cover every byte); `unsigned_payload=false` brings SigV4 body hashes back."""
    s3 = backends["s3"]
    prefix = f"s3://{BUCKET}/{s3.prefix}/signing"
    imgrepl.register_store(prefix, {**s3_server.options(), "unsigned_payload": unsigned})
    try:
        src = write(tmp_path / "u.raw", noise(8, 9 * MIB + 1))
        imgrepl.copy(src, [f"{prefix}/u.raw"], chunk_size=MIB)
        assert imgrepl.verify(f"{prefix}/u.raw").ok
    finally:
        imgrepl.unregister_store(prefix)
    assert s3.read("signing/u.raw") == src.read_bytes()
