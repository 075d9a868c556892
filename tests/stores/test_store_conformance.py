"""One conformance suite, run against every backend (local files, S3 via
rclone serve s3, Azure Blob via Azurite): what is stored is checked through
independent channels (the files rclone serves, hand-signed Blob REST calls)
and digests with the xxhash package, never through imgrepl itself."""

from __future__ import annotations

import asyncio
from pathlib import Path

import imgrepl
import pytest
import pyvhdi
from conftest import Backend
from helpers.files import MIB, chunk_digests, make_vhd, noise, write
from imgrepl.exceptions import CopyCancelledError
from imgrepl.manifest import digests, zero_flags

MANIFEST = ".imgrepl-manifest"


def sample(tmp_path: Path, size: int = 19 * MIB + 777) -> tuple[Path, bytes]:
    """Noise with a 3 MiB run of written zeros: more than two 8 MiB parts
    of 1 MiB chunks, with a short last chunk."""
    data = bytearray(noise(4, size))
    data[4 * MIB : 7 * MIB] = bytes(3 * MIB)
    return write(tmp_path / "src.raw", bytes(data)), bytes(data)


def stored_manifest(store: Backend, key: str) -> imgrepl.Manifest:
    raw = store.read(key + MANIFEST)
    assert raw is not None, f"no manifest beside {key}"
    return imgrepl.Manifest.from_bytes(raw)


@pytest.mark.parametrize("n", [1, 3])
def test_copies_are_byte_identical_with_a_manifest_beside(
    store: Backend, tmp_path: Path, n: int
) -> None:
    src, data = sample(tmp_path)
    keys = [f"r{i}/img.raw" for i in range(n)]
    report = imgrepl.copy(src, [store.url(k) for k in keys], chunk_size=MIB)
    assert report.ok and report.bytes_read == len(data)
    for key, dest in zip(keys, report.destinations, strict=True):
        assert store.read(key) == data
        assert dest.path == store.url(key)
        assert dest.manifest_path == store.url(key) + MANIFEST
        assert dest.bytes_written + dest.zero_bytes_skipped == len(data)
        assert dest.zero_bytes_skipped == 3 * MIB
        m = stored_manifest(store, key)
        assert m.source_size == len(data) and m.chunk_size == MIB
        assert [bytes(d) for d in digests(m)] == chunk_digests(data, MIB)
        assert list(zero_flags(m)).count(True) == 3
    assert store.keys() == sorted(keys + [k + MANIFEST for k in keys])


@pytest.mark.parametrize("size", [0, 1, 511, MIB - 1, MIB, 8 * MIB, 8 * MIB + 1])
def test_sizes_at_chunk_and_part_edges(store: Backend, tmp_path: Path, size: int) -> None:
    data = noise(size, size)
    src = write(tmp_path / "edge.raw", data)
    report = imgrepl.copy(src, [store.url("edge.raw")], chunk_size=MIB)
    assert report.ok
    assert store.read("edge.raw") == data
    assert stored_manifest(store, "edge.raw").source_size == size


@pytest.mark.parametrize("subformat", ["fixed", "dynamic"])
def test_vhd_round_trip_through_the_store(store: Backend, tmp_path: Path, subformat: str) -> None:
    content = noise(9, 3 * MIB) + bytes(2 * MIB) + noise(10, MIB)
    vhd = make_vhd(tmp_path / "disk.vhd", 8 * MIB, subformat, content)
    imgrepl.copy(vhd, [store.url("disk.vhd")], chunk_size=MIB)
    back = tmp_path / "back.vhd"
    imgrepl.copy(store.url("disk.vhd"), [back], chunk_size=MIB)
    assert back.read_bytes() == vhd.read_bytes() == store.read("disk.vhd")
    f = pyvhdi.file()
    f.open(str(back))
    try:
        assert f.get_media_size() == 8 * MIB
        assert f.read_buffer(len(content)) == content
    finally:
        f.close()


@pytest.mark.parametrize("src_kind", ["local", "s3", "azure"])
def test_any_backend_copies_to_any_mix_of_backends(
    backends: dict[str, Backend], tmp_path: Path, src_kind: str
) -> None:
    _, data = sample(tmp_path, 9 * MIB + 3)
    origin = backends[src_kind]
    imgrepl.copy(tmp_path / "src.raw", [origin.url("origin.raw")], chunk_size=MIB)
    dsts = [b.url("copy.raw") for b in backends.values()]
    report = imgrepl.copy(origin.url("origin.raw"), dsts, chunk_size=MIB)
    assert report.ok and report.source_size == len(data)
    for b in backends.values():
        assert b.read("copy.raw") == data, b.kind
        assert stored_manifest(b, "copy.raw").digest == report.digest


def test_an_existing_replica_is_refused_then_replaced_with_overwrite(
    store: Backend, tmp_path: Path
) -> None:
    first = write(tmp_path / "a.raw", noise(1, 2 * MIB))
    second = write(tmp_path / "b.raw", noise(2, 3 * MIB))
    imgrepl.copy(first, [store.url("img.raw")], chunk_size=MIB)
    with pytest.raises(FileExistsError, match="already exists"):
        imgrepl.copy(second, [store.url("img.raw")], chunk_size=MIB)
    assert store.read("img.raw") == first.read_bytes()
    imgrepl.copy(second, [store.url("img.raw")], chunk_size=MIB, overwrite=True)
    assert store.read("img.raw") == second.read_bytes()
    assert stored_manifest(store, "img.raw").source_size == 3 * MIB


def test_a_cancelled_copy_leaves_nothing_behind(store: Backend, tmp_path: Path) -> None:
    src, _ = sample(tmp_path)
    # Slow reads keep the job running until it is cancelled.
    job = imgrepl.start_copy(
        src, [store.url("a.raw"), store.url("b.raw")], chunk_size=MIB, bwlimit=6 * MIB
    )
    for progress in job:
        if min(progress.bytes_done) >= 9 * MIB:  # past the first part
            break
    job.cancel()
    with pytest.raises(CopyCancelledError):
        job.wait()
    assert store.keys() == []


def test_verify_finds_damage_and_repair_rewrites_it(store: Backend, tmp_path: Path) -> None:
    src, data = sample(tmp_path)
    imgrepl.copy(src, [store.url("bad.raw"), store.url("good.raw")], chunk_size=MIB)
    damaged = bytearray(data)
    damaged[10 * MIB + 5] ^= 0xFF
    store.write("bad.raw", bytes(damaged))
    report = imgrepl.verify(store.url("bad.raw"))
    assert not report.ok and report.bad_ranges == [(10 * MIB, 11 * MIB)]
    assert report.manifest_path == store.url("bad.raw") + MANIFEST
    fixed = imgrepl.repair(store.url("bad.raw"), store.url("good.raw"))
    assert fixed.chunks_repaired == 1 and fixed.bytes_repaired == MIB
    assert fixed.verify.ok
    assert store.read("bad.raw") == data
    assert imgrepl.verify(store.url("bad.raw")).ok


def test_a_missing_replica_or_manifest_is_not_found(store: Backend, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        imgrepl.verify(store.url("absent.raw"))
    with pytest.raises(FileNotFoundError):
        imgrepl.copy(store.url("absent.raw"), [tmp_path / "out.raw"])


def test_async_copy_and_verify(store: Backend, tmp_path: Path) -> None:
    src, data = sample(tmp_path, 3 * MIB)

    async def run() -> bool:
        await imgrepl.copy_async(src, [store.url("x.raw")], chunk_size=MIB)
        return (await imgrepl.verify_async(store.url("x.raw"))).ok

    assert asyncio.run(run())
    assert store.read("x.raw") == data
