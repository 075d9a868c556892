"""Manifest bytes read straight from an object store (no temporary file),
as for local replicas in tests/test_store_local.py."""

from __future__ import annotations

import asyncio
from pathlib import Path

import imgrepl
import pytest
from conftest import Backend
from helpers.files import MIB, noise, write
from imgrepl import _core


@pytest.fixture(params=["s3", "azure"])
def remote(request: pytest.FixtureRequest, backends: dict[str, Backend]) -> Backend:
    return backends[request.param]


def test_manifest_bytes_of_an_object_replica(remote: Backend, tmp_path: Path) -> None:
    data = noise(9, 2 * MIB + 5)
    url = remote.url("mb/x.raw")
    imgrepl.copy(write(tmp_path / "s.raw", data), [url], chunk_size=MIB)
    raw = _core.read_manifest_bytes(url)
    assert raw is not None and raw == remote.read("mb/x.raw" + _core.MANIFEST_SUFFIX)
    assert _core.Manifest.from_bytes(raw).source_size == len(data)
    assert asyncio.run(_core.read_manifest_bytes_async(url)) == raw
    assert _core.read_manifest_bytes(remote.url("mb/none.raw")) is None
