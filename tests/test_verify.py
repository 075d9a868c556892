"""verify / repair on real replicas: exact bad ranges, size mismatches,
repair from a good copy, and the refusals."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import imgrepl
import pytest
from helpers.files import MIB, noise, write
from imgrepl._core import Manifest, ManifestError, VerifyError


def replicas(tmp_path: Path) -> tuple[bytes, Path, Path]:
    data = noise(7, 5 * MIB + 300)
    src = write(tmp_path / "src.raw", data)
    a, b = tmp_path / "a.raw", tmp_path / "b.raw"
    imgrepl.copy(src, [a, b], chunk_size=MIB)
    return data, a, b


def flip(path: Path, offset: int) -> None:
    with path.open("r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0x01]))


def test_a_flipped_byte_is_reported_by_its_chunk_range_and_repaired(tmp_path: Path) -> None:
    data, a, b = replicas(tmp_path)
    assert imgrepl.verify(a).ok
    flip(a, 2 * MIB + 12345)
    report = imgrepl.verify(a)
    assert not report.ok and report.size_ok
    assert report.chunks_checked == 6
    assert report.bad_ranges == [(2 * MIB, 3 * MIB)]
    fixed = imgrepl.repair(a, b)
    assert (fixed.chunks_repaired, fixed.bytes_repaired) == (1, MIB)
    assert fixed.verify.ok
    assert a.read_bytes() == data


def test_adjacent_bad_chunks_merge_and_the_short_tail_counts(tmp_path: Path) -> None:
    _, a, _ = replicas(tmp_path)
    for off in (MIB, 2 * MIB + 1, 5 * MIB + 299):
        flip(a, off)
    assert imgrepl.verify(a, threads=3).bad_ranges == [(MIB, 3 * MIB), (5 * MIB, 5 * MIB + 300)]


def test_a_truncated_replica_reports_size_and_missing_chunks(tmp_path: Path) -> None:
    data, a, b = replicas(tmp_path)
    os.truncate(a, 3 * MIB + 5)
    report = imgrepl.verify(a)
    assert not report.size_ok and (report.size, report.expected_size) == (3 * MIB + 5, len(data))
    assert report.bad_ranges == [(3 * MIB, len(data))]
    assert imgrepl.repair(a, b).verify.ok
    assert a.read_bytes() == data


def test_verify_against_the_sources_manifest(tmp_path: Path) -> None:
    data, a, _ = replicas(tmp_path)
    theirs = tmp_path / "source.manifest"
    Manifest.compute(tmp_path / "src.raw", chunk_size=MIB).save(theirs)
    assert imgrepl.verify(a, manifest=theirs).ok
    other = tmp_path / "other.manifest"
    Manifest.compute(write(tmp_path / "other", noise(8, len(data))), chunk_size=MIB).save(other)
    assert imgrepl.verify(a, manifest=other).bad_ranges == [(0, len(data))]


def test_repair_refuses_a_bad_good_copy_and_leaves_the_replica(tmp_path: Path) -> None:
    _, a, b = replicas(tmp_path)
    flip(a, 100)
    flip(b, 100)
    before = a.read_bytes()
    with pytest.raises(VerifyError, match="good copy"):
        imgrepl.repair(a, b)
    assert a.read_bytes() == before
    with pytest.raises(ValueError, match="from itself"):
        imgrepl.repair(a, a)


def test_missing_or_unusable_manifests(tmp_path: Path) -> None:
    _, a, _ = replicas(tmp_path)
    with pytest.raises(FileNotFoundError, match="nothing"):
        imgrepl.verify(tmp_path / "nothing")
    (tmp_path / "a.raw.imgrepl-manifest").write_bytes(b"garbage")
    with pytest.raises(ManifestError, match="truncated header"):
        imgrepl.verify(a)
    c = tmp_path / "c.raw"
    imgrepl.copy(tmp_path / "src.raw", [c], hash=False)
    with pytest.raises(VerifyError, match="hashing off"):
        imgrepl.verify(c)


def test_async_twins(tmp_path: Path) -> None:
    data, a, b = replicas(tmp_path)
    flip(a, 4 * MIB)

    async def main() -> None:
        report = await imgrepl.verify_async(a)
        assert report.bad_ranges == [(4 * MIB, 5 * MIB)]
        fixed = await imgrepl.repair_async(a, b)
        assert fixed.verify.ok

    asyncio.run(main())
    assert a.read_bytes() == data


def test_a_manifest_given_as_bytes_is_checked_without_a_file(tmp_path: Path) -> None:
    """What the gallery does: it keeps each version's manifest, and checks and
    repairs replicas against those bytes, not against a temporary file."""
    _, a, b = replicas(tmp_path)
    own = Manifest.load(str(a) + ".imgrepl-manifest").to_bytes()
    report = imgrepl.verify(a, own)
    assert report.ok and report.manifest_path == "<manifest bytes>"
    other = imgrepl.copy(write(tmp_path / "other.raw", noise(8, 5 * MIB + 300)),
                         [tmp_path / "o.raw"], chunk_size=MIB)  # fmt: skip
    assert other.destinations[0].ok
    wrong = Manifest.load(str(tmp_path / "o.raw") + ".imgrepl-manifest").to_bytes()
    assert not imgrepl.verify(a, wrong).ok
    flip(a, 3 * MIB + 5)
    assert imgrepl.repair(a, b, own).verify.ok
    with pytest.raises(ManifestError):
        imgrepl.verify(a, own[:-1])
    before = set(os.listdir(tmp_path))
    assert asyncio.run(imgrepl.verify_async(a, own)).ok
    assert set(os.listdir(tmp_path)) == before
