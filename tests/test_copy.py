"""imgrepl.copy on real files: bytes, digests (checked with the xxhash
package), holes, per-destination failures, argument errors."""

from __future__ import annotations

import os
from pathlib import Path

import imgrepl
import pytest
import pyvhdi
from helpers.files import (
    MIB,
    allocated,
    chunk_digests,
    full_tmpfs,
    listing,
    make_vhd,
    noise,
    sparse,
    write,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from imgrepl.exceptions import ReplicationError, VerifyError
from imgrepl.manifest import digests, zero_flags


def sample(tmp_path: Path, size: int = 3 * MIB + 777) -> tuple[Path, bytes]:
    data = bytearray(noise(1, size))
    data[MIB : 2 * MIB] = bytes(MIB)  # a run of written zeros
    return write(tmp_path / "src.raw", bytes(data)), bytes(data)


@pytest.mark.parametrize("n", [1, 2, 5, 16])
def test_copies_are_byte_identical(tmp_path: Path, n: int) -> None:
    src, data = sample(tmp_path)
    dsts = [tmp_path / f"r{i}" / "img.raw" for i in range(n)]
    for d in dsts:
        d.parent.mkdir()
    report = imgrepl.copy(src, dsts, chunk_size=256 * 1024)
    assert report.ok and len(report.destinations) == n
    assert report.bytes_read == len(data)
    for d, r in zip(dsts, report.destinations, strict=True):
        assert d.read_bytes() == data
        assert r.path == str(d)
        assert r.bytes_written + r.zero_bytes_skipped == len(data)
        assert r.zero_bytes_skipped == MIB
        assert listing(d.parent) == ["img.raw", "img.raw.imgrepl-manifest"]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    size=st.integers(0, 300_000),
    sectors=st.integers(1, 64),
    zero_from=st.integers(0, 300_000),
    seed=st.integers(0, 2**32),
)
def test_digests_match_the_xxhash_package(
    tmp_path: Path, size: int, sectors: int, zero_from: int, seed: int
) -> None:
    chunk = sectors * 512
    data = bytearray(noise(seed, size))
    data[zero_from:] = bytes(max(0, size - zero_from))
    case = tmp_path / f"{size}-{chunk}-{zero_from}-{seed}"
    case.mkdir()
    src = write(case / "src", bytes(data))
    report = imgrepl.copy(src, [case / "dst"], chunk_size=chunk)
    m = imgrepl.load_manifest(case / "dst.imgrepl-manifest")
    expected = chunk_digests(bytes(data), chunk)
    assert m.chunk_count == len(expected)
    assert [d.tobytes() for d in digests(m)] == expected
    flags = [not any(data[i : i + chunk]) for i in range(0, size, chunk)]
    assert zero_flags(m).tolist() == flags
    assert (case / "dst").read_bytes() == bytes(data)
    assert report.digest == m.digest


def test_zero_chunks_stay_holes(tmp_path: Path) -> None:
    data = bytearray(8 * MIB)
    data[: MIB // 2] = noise(2, MIB // 2)
    src = write(tmp_path / "src.raw", bytes(data))
    assert allocated(src) >= 8 * MIB
    dst = tmp_path / "dst.raw"
    report = imgrepl.copy(src, [dst], chunk_size=MIB)
    assert report.destinations[0].zero_bytes_skipped == 7 * MIB
    assert dst.read_bytes() == bytes(data)
    assert os.path.getsize(dst) == 8 * MIB
    assert allocated(dst) <= MIB + 64 * 1024


def test_source_holes_are_not_read(tmp_path: Path) -> None:
    gib = 1 << 30
    a, b = noise(3, 4096), noise(4, 4096)
    src = sparse(tmp_path / "sparse.raw", gib, {7 * MIB: a, gib - 4096: b})
    dst = tmp_path / "dst.raw"
    report = imgrepl.copy(src, [dst])
    assert report.bytes_read <= 2 * 64 * 1024  # two data extents, not 1 GiB
    assert report.holes_skipped + report.bytes_read == gib
    assert report.zero_bytes == gib - 2 * 4 * MIB
    assert os.path.getsize(dst) == gib
    assert allocated(dst) <= 8 * MIB + 64 * 1024
    with dst.open("rb") as f:
        f.seek(7 * MIB)
        assert f.read(4096) == a
        f.seek(gib - 4096)
        assert f.read() == b
    assert imgrepl.verify(dst).ok


@pytest.mark.parametrize("subformat", ["fixed", "dynamic"])
def test_real_vhds_copy_exactly(tmp_path: Path, subformat: str) -> None:
    payload = noise(5, 3 * MIB)
    src = make_vhd(tmp_path / "disk.vhd", 16 * MIB, subformat, payload)
    dsts = [tmp_path / "a.vhd", tmp_path / "b.vhd"]
    assert imgrepl.copy(src, dsts, chunk_size=MIB).ok
    for d in dsts:
        assert d.read_bytes() == src.read_bytes()
        vhd = pyvhdi.file()
        vhd.open(str(d))
        try:
            assert vhd.get_media_size() == 16 * MIB
            assert vhd.read_buffer_at_offset(len(payload), 0) == payload
        finally:
            vhd.close()


def test_a_failing_destination_fails_alone(tmp_path: Path) -> None:
    src, data = sample(tmp_path)
    blocker = write(tmp_path / "plain-file", b"x")
    (tmp_path / "a-dir").mkdir()
    good = [tmp_path / "g1.raw", tmp_path / "g2.raw"]
    bad = [blocker / "img.raw", tmp_path / "a-dir"]
    report = imgrepl.copy(src, [good[0], *bad, good[1]], check=False)
    assert [d.ok for d in report.destinations] == [True, False, False, True]
    assert "plain-file" in (report.destinations[1].error or "")
    assert "directory" in (report.destinations[2].error or "")
    assert all(g.read_bytes() == data for g in good)
    assert listing(tmp_path / "a-dir") == []
    with pytest.raises(ReplicationError) as info:
        imgrepl.copy(src, [tmp_path / "g3.raw", blocker / "x"])
    assert "1 of 2 destinations" in str(info.value) and "plain-file/x" in str(info.value)
    assert info.value.report.destinations[0].ok  # type: ignore[attr-defined]


def test_a_full_disk_fails_only_its_destination(tmp_path: Path) -> None:
    with full_tmpfs(tmp_path / "small") as small:
        if small is None:
            pytest.skip("mounting a tmpfs is not permitted here")
        src = write(tmp_path / "src.raw", noise(6, 32 * MIB))
        good = tmp_path / "good.raw"
        report = imgrepl.copy(src, [good, small / "img.raw"], chunk_size=MIB, check=False)
        full = report.destinations[1]
        assert not full.ok and "No space left on device" in (full.error or "")
        assert report.destinations[0].ok
        assert good.read_bytes() == src.read_bytes()
        assert listing(small) == []  # the partial is gone, space given back


def test_bad_arguments_raise_and_change_nothing(tmp_path: Path) -> None:
    src, _ = sample(tmp_path)
    dst = tmp_path / "out.raw"
    with pytest.raises(ValueError, match="chunk_size 1000 must be a positive multiple of 512"):
        imgrepl.copy(src, [dst], chunk_size=1000)
    with pytest.raises(ValueError, match="no destinations"):
        imgrepl.copy(src, [])
    (tmp_path / "sub").mkdir()
    with pytest.raises(ValueError, match="given twice"):
        imgrepl.copy(src, [dst, tmp_path / "sub" / ".." / "out.raw"])
    with pytest.raises(ValueError, match="is the source"):
        imgrepl.copy(src, [src])
    with pytest.raises(FileNotFoundError, match=r"missing\.raw"):
        imgrepl.copy(tmp_path / "missing.raw", [dst])
    with pytest.raises(TypeError, match="single path"):
        imgrepl.copy(src, str(dst))  # type: ignore[arg-type]
    existing = write(tmp_path / "existing.raw", b"keep")
    with pytest.raises(FileExistsError, match=r"existing\.raw"):
        imgrepl.copy(src, [dst, existing])
    assert existing.read_bytes() == b"keep"
    assert listing(tmp_path) == ["existing.raw", "src.raw", "sub"]
    assert imgrepl.copy(src, [existing], overwrite=True).ok
    assert existing.read_bytes() == src.read_bytes()


def test_verify_option_rereads_every_replica(tmp_path: Path) -> None:
    src, _ = sample(tmp_path)
    report = imgrepl.copy(src, [tmp_path / "a", tmp_path / "b"], verify=True)
    assert report.ok
    # Without digests there is nothing to verify against, and verify=True says so.
    with pytest.raises(VerifyError, match="hashing off"):
        imgrepl.copy(src, [tmp_path / "c"], hash=False, verify=True)
