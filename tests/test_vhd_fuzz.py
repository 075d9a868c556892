"""Fuzzing inspect() and VirtualReader with Hypothesis: random bytes and
random mutations of a real qemu-made dynamic VHD may only give a result or
ImageFormatError, never a crash or another error; a result keeps its
invariants.  Example counts are bounded so the suite stays quick."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import imgrepl
import pytest
from helpers.images import DYNAMIC_HEADER, FOOTER, DiskSpec, MiB, make_vhd, vhd_checksum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from imgrepl._core import ImageFormatError, ImageInfo, VirtualReader

FUZZ = settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="imgrepl-fuzz-") as d:
        yield Path(d)


@pytest.fixture(scope="module")
def base_vhd(workdir: Path) -> bytes:
    # 3 MiB, 1 MiB of it zeros: blocks 0 and 1 stored, the BAT has a hole
    spec = DiskSpec(3 * MiB, seed=11, zeros=((2 * MiB, MiB),))
    return make_vhd(workdir / "base.vhd", spec, "dynamic").read_bytes()


def _check(path: Path, data: bytes) -> ImageInfo | None:
    path.write_bytes(data)
    try:
        info = imgrepl.inspect(path)
    except ImageFormatError as exc:
        assert str(path) in str(exc)
        return None
    assert info.file_size == len(data)
    assert 0 <= info.allocated_bytes <= info.virtual_size
    assert info.format in ("raw", "vhd")
    if info.format == "raw":
        assert info.virtual_size == len(data) and info.vhd_type is None
    else:
        assert info.vhd_type in ("fixed", "dynamic", "differencing")
        _read_edges(path, info)
    return info


def _read_edges(path: Path, info: ImageInfo) -> None:
    if info.vhd_type == "differencing":
        return  # the reader refuses it by design
    reader = VirtualReader(path)
    assert reader.size == info.virtual_size
    for at in (0, info.virtual_size // 2, max(info.virtual_size - 4096, 0)):
        got = reader.read_at(at, 4096)
        assert len(got) == min(4096, info.virtual_size - at)


@FUZZ
@given(data=st.binary(max_size=4096), plant=st.sampled_from(["none", "head", "tail", "both"]))
def test_random_bytes(workdir: Path, data: bytes, plant: str) -> None:
    buf = bytearray(data)
    if plant in ("head", "both") and len(buf) >= 8:
        buf[:8] = b"conectix"
    if plant in ("tail", "both") and len(buf) >= 512:
        buf[-512:-504] = b"conectix"
    _check(workdir / f"random-{os.getpid()}.img", bytes(buf))


# Metadata of the base image: footer copy, dynamic header, BAT, footer.
def _mutations(size: int) -> st.SearchStrategy[list[tuple[int, int]]]:
    offsets = st.one_of(st.integers(0, 2047), st.integers(size - 512, size - 1))
    return st.lists(st.tuples(offsets, st.integers(0, 255)), min_size=1, max_size=8)


@FUZZ
@given(st.data())
def test_mutated_vhd(workdir: Path, base_vhd: bytes, data: st.DataObject) -> None:
    buf = bytearray(base_vhd)
    for at, value in data.draw(_mutations(len(buf)), label="mutations"):
        buf[at] = value
    if data.draw(st.booleans(), label="reseal"):
        _reseal(buf)
    if data.draw(st.booleans(), label="truncate"):
        del buf[data.draw(st.integers(0, len(buf) - 1), label="length") :]
    _check(workdir / "mutated.vhd", bytes(buf))


def _reseal(buf: bytearray) -> None:
    """Re-computes the checksums, so mutations reach the checks behind them."""
    at = FOOTER["checksum"][0]
    for start in (0, len(buf) - 512):
        footer = buf[start : start + 512]
        buf[start + at : start + at + 4] = vhd_checksum(footer, at).to_bytes(4, "big")
    at = DYNAMIC_HEADER["checksum"][0]
    header = buf[512:1536]
    buf[512 + at : 512 + at + 4] = vhd_checksum(header, at).to_bytes(4, "big")


def test_fuzz_inputs_reach_both_outcomes(workdir: Path, base_vhd: bytes) -> None:
    # The mutation space holds sound and refused images (so the fuzz tests
    # exercise both paths): an untouched base, and one with a broken field.
    assert _check(workdir / "plain.vhd", base_vhd) is not None
    broken = bytearray(base_vhd)
    broken[512 + 35] ^= 1  # block size low byte, then resealed
    _reseal(broken)
    assert _check(workdir / "broken.vhd", bytes(broken)) is None
