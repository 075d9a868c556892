"""The store functions of imgrepl._core on local replicas (plain paths and
file:// URLs), and the manifest suffix and bytes the engine exposes: the
same calls the gallery makes on s3:// and az:// objects."""

from __future__ import annotations

import asyncio
from pathlib import Path

import imgrepl
import pytest
from helpers.files import MIB, noise, write
from imgrepl import _core


def replica(tmp_path: Path, size: int = 2 * MIB + 3) -> tuple[Path, bytes]:
    data = noise(7, size)
    dst = tmp_path / "r" / "img.raw"
    dst.parent.mkdir()
    imgrepl.copy(write(tmp_path / "src.raw", data), [dst], chunk_size=MIB)
    return dst, data


def test_the_manifest_suffix_is_the_engines() -> None:
    assert _core.MANIFEST_SUFFIX == ".imgrepl-manifest"


def test_stat_and_delete_work_on_paths_and_file_urls(tmp_path: Path) -> None:
    dst, data = replica(tmp_path)
    manifest = Path(str(dst) + _core.MANIFEST_SUFFIX)
    assert manifest.is_file()
    assert _core.store_stat(str(dst)) == len(data)
    assert _core.store_stat(dst.as_uri()) == len(data)
    assert _core.store_stat(str(tmp_path / "r" / "none.raw")) is None
    _core.store_delete(manifest.as_uri())
    assert not manifest.exists() and dst.exists()
    _core.store_delete(str(dst))
    _core.store_delete(str(dst))  # already gone: fine
    assert not dst.exists()
    assert _core.store_stat(str(dst)) is None


def test_a_directory_is_neither_a_replica_nor_nothing(tmp_path: Path) -> None:
    (tmp_path / "d.raw").mkdir()
    with pytest.raises(IsADirectoryError, match="not a replica"):
        _core.store_stat(str(tmp_path / "d.raw"))
    with pytest.raises(OSError):
        _core.store_delete(str(tmp_path / "d.raw"))
    assert (tmp_path / "d.raw").is_dir()


def test_async_twins_and_listing(tmp_path: Path) -> None:
    dst, data = replica(tmp_path)

    async def main() -> tuple[int | None, list[tuple[str, int]], int | None]:
        size = await _core.store_stat_async(dst.as_uri())
        listed = await _core.store_list_async(str(tmp_path / "r"))
        await _core.store_delete_async(str(dst))
        return size, listed, await _core.store_stat_async(str(dst))

    size, listed, after = asyncio.run(main())
    assert size == len(data) and after is None
    manifest = str(dst) + _core.MANIFEST_SUFFIX
    assert dict(listed) == {str(dst): len(data), manifest: dict(listed)[manifest]}
    assert _core.store_list(str(tmp_path / "nothing-here")) == []


def test_manifest_bytes_without_a_temporary_file(tmp_path: Path) -> None:
    dst, data = replica(tmp_path)
    raw = _core.read_manifest_bytes(str(dst))
    assert isinstance(raw, bytes)
    assert raw == Path(str(dst) + _core.MANIFEST_SUFFIX).read_bytes()
    m = _core.Manifest.from_bytes(raw)
    assert m.source_size == len(data) and m == _core.Manifest.compute(dst, chunk_size=MIB)
    assert asyncio.run(_core.read_manifest_bytes_async(dst.as_uri())) == raw
    assert _core.read_manifest_bytes(str(tmp_path / "none.raw")) is None
