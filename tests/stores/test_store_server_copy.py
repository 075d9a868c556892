"""Intra-region replicas: copies inside one S3 bucket are made by the
service (CopyObject), so no byte passes through this machine
(`bytes_read == 0`); everything else is streamed."""

from __future__ import annotations

from pathlib import Path

import imgrepl
from conftest import BUCKET, Backend
from helpers.files import MIB, noise, write
from helpers.store_servers import Azurite, RcloneS3

MANIFEST = ".imgrepl-manifest"


def first_replica(store: Backend, tmp_path: Path, size: int = 9 * MIB + 5) -> bytes:
    data = noise(11, size)
    imgrepl.copy(write(tmp_path / "src.raw", data), [store.url("r0.raw")], chunk_size=MIB)
    return data


def test_replicas_in_one_bucket_are_copied_by_the_server(
    backends: dict[str, Backend], tmp_path: Path
) -> None:
    s3 = backends["s3"]
    data = first_replica(s3, tmp_path)
    report = imgrepl.copy(s3.url("r0.raw"), [s3.url("r1.raw"), s3.url("r2.raw")], chunk_size=MIB)
    assert report.ok and report.bytes_read == 0
    m0 = s3.read("r0.raw" + MANIFEST)
    for key in ("r1.raw", "r2.raw"):
        assert s3.read(key) == data
        assert s3.read(key + MANIFEST) == m0
        assert imgrepl.verify(s3.url(key)).ok
    assert [d.bytes_written for d in report.destinations] == [len(data)] * 2


def test_a_copy_leaving_the_bucket_is_streamed(
    backends: dict[str, Backend], tmp_path: Path
) -> None:
    s3 = backends["s3"]
    data = first_replica(s3, tmp_path)
    local = backends["local"].url("out.raw")
    report = imgrepl.copy(s3.url("r0.raw"), [s3.url("r1.raw"), local], chunk_size=MIB)
    assert report.ok and report.bytes_read == len(data)
    assert s3.read("r1.raw") == data and Path(local).read_bytes() == data


def test_a_source_without_manifest_is_streamed_and_gets_one(
    s3_server: RcloneS3, tmp_path: Path
) -> None:
    data = noise(12, 5 * MIB)
    src, dst = f"s3://{BUCKET}/bare/src.raw", f"s3://{BUCKET}/bare/copy.raw"
    imgrepl.copy(write(tmp_path / "bare.raw", data), [src], chunk_size=MIB)
    imgrepl.store_delete(src + MANIFEST)
    assert s3_server.read(BUCKET, "bare/src.raw" + MANIFEST) is None
    report = imgrepl.copy(src, [dst], chunk_size=MIB)
    assert report.ok and report.bytes_read == len(data)
    assert s3_server.read(BUCKET, "bare/copy.raw") == data
    assert imgrepl.verify(dst).ok


def test_azure_replicas_are_streamed(
    azurite: Azurite, backends: dict[str, Backend], tmp_path: Path
) -> None:
    az = backends["azure"]
    data = first_replica(az, tmp_path)
    report = imgrepl.copy(az.url("r0.raw"), [az.url("r1.raw")], chunk_size=MIB)
    # Copy Blob may complete asynchronously; a half-copied blob must never
    # be visible at the replica's name, so Azure replicas are streamed.
    assert report.ok and report.bytes_read == len(data)
    assert az.read("r1.raw") == data
