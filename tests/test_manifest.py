"""The manifest format, checked independently of the engine: the header
is parsed with struct and the image digest recomputed with the xxhash
package; round trips and corruption via hypothesis; numpy helpers."""

from __future__ import annotations

import random
import struct
from pathlib import Path

import imgrepl
import numpy as np
import pytest
import xxhash
from helpers.files import MIB, chunk_digests, noise, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from imgrepl._core import Manifest, ManifestError
from imgrepl.manifest import diff, digests, zero_flags

HEADER = struct.Struct("<8sIIQQQ16s")  # magic, version, flags, chunk, size, count, digest


def manifest_of(tmp_path: Path, data: bytes, chunk_size: int, name: str = "img") -> Manifest:
    return Manifest.compute(write(tmp_path / name, data), chunk_size=chunk_size)


def test_layout_is_as_documented(tmp_path: Path) -> None:
    data = noise(1, 4096) + bytes(1024) + noise(2, 100)
    m = manifest_of(tmp_path, data, 1024)
    raw = m.to_bytes()
    magic, version, flags, chunk, size, count, image = HEADER.unpack_from(raw)
    assert (magic, version, flags, chunk, size, count) == (b"IMGRMANI", 1, 1, 1024, 5220, 6)
    per_chunk = raw[56 : 56 + 16 * count]
    assert per_chunk == b"".join(chunk_digests(data, 1024))
    assert raw[56 + 16 * count :] == bytes([0, 0, 0, 0, 1, 0]) and len(raw) == 56 + 17 * count
    assert image == xxhash.xxh3_128(raw[:40] + per_chunk).digest()
    assert m.digest == image.hex()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=20_000), sectors=st.integers(1, 8), pick=st.randoms())
def test_round_trip_and_any_single_byte_change_is_refused(
    tmp_path: Path, data: bytes, sectors: int, pick: random.Random
) -> None:
    m = manifest_of(tmp_path, data, sectors * 512)
    raw = m.to_bytes()
    again = Manifest.from_bytes(raw)
    assert again == m and again.to_bytes() == raw
    assert (again.chunk_size, again.source_size, again.digest) == (
        sectors * 512,
        len(data),
        m.digest,
    )
    i = pick.randrange(len(raw))
    broken = bytearray(raw)
    broken[i] ^= 1 << pick.randrange(8)
    with pytest.raises(ManifestError):
        Manifest.from_bytes(bytes(broken))
    cut = pick.randrange(len(raw))
    with pytest.raises(ManifestError, match=r"truncated|length"):
        Manifest.from_bytes(raw[:cut])


def test_errors_name_what_is_wrong(tmp_path: Path) -> None:
    raw = bytearray(manifest_of(tmp_path, noise(3, 3000), 512).to_bytes())
    with pytest.raises(ManifestError, match="bad magic"):
        Manifest.from_bytes(b"NOTMANIF" + bytes(raw[8:]))
    with pytest.raises(ManifestError, match="version 7"):
        Manifest.from_bytes(bytes(raw[:8]) + struct.pack("<I", 7) + bytes(raw[12:]))
    path = write(tmp_path / "x.imgrepl-manifest", bytes(raw[:30]))
    with pytest.raises(ManifestError, match=r"x\.imgrepl-manifest: truncated header"):
        imgrepl.load_manifest(path)
    with pytest.raises(FileNotFoundError):
        imgrepl.load_manifest(tmp_path / "none")


def test_save_and_load(tmp_path: Path) -> None:
    m = manifest_of(tmp_path, noise(4, 70_000), 4096)
    m.save(tmp_path / "m")
    assert imgrepl.load_manifest(tmp_path / "m") == m


def test_numpy_views_and_diff(tmp_path: Path) -> None:
    chunk = 64 * 1024
    a_data = bytearray(noise(5, 2 * MIB))
    a_data[3 * chunk : 5 * chunk] = bytes(2 * chunk)
    b_data = bytearray(a_data)
    for i in (0, 7, 31):
        b_data[i * chunk + 10] ^= 0xFF
    a = manifest_of(tmp_path, bytes(a_data), chunk, "a")
    b = manifest_of(tmp_path, bytes(b_data), chunk, "b")
    d = digests(a)
    assert d.dtype == np.dtype("V16") and d.shape == (32,)
    assert [x.tobytes() for x in d] == chunk_digests(bytes(a_data), chunk)
    assert np.flatnonzero(zero_flags(a)).tolist() == [3, 4]
    assert diff(a, b).tolist() == [0, 7, 31]
    assert diff(a, a).tolist() == []
    shorter = manifest_of(tmp_path, bytes(a_data[: 30 * chunk]), chunk, "c")
    assert diff(a, shorter).tolist() == [30, 31]
    with pytest.raises(ValueError, match="different chunk sizes"):
        diff(a, manifest_of(tmp_path, bytes(a_data), 2 * chunk, "d"))


def test_a_copy_writes_the_same_manifest_as_compute(tmp_path: Path) -> None:
    src = write(tmp_path / "src", noise(6, 3 * MIB + 5))
    imgrepl.copy(src, [tmp_path / "dst"], chunk_size=MIB)
    assert imgrepl.load_manifest(tmp_path / "dst.imgrepl-manifest") == Manifest.compute(
        src, chunk_size=MIB
    )
