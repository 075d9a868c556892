"""VirtualReader: the virtual disk's bytes, byte-for-byte equal to what
qemu-img convert and pyvhdi (libvhdi) read from the same VHD, and to the
DiskSpec it was made from."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import pyvhdi
from helpers.images import MiB, SampleImage, to_raw_bytes
from imgrepl._core import ImageFormatError, VirtualReader

VHDS = ["fixed", "fixed_chs", "dynamic", "dynamic_chs", "dynamic_empty"]


def _read_all(reader: VirtualReader, piece: int) -> bytes:
    out = bytearray()
    while len(out) < reader.size:
        got = reader.read_at(len(out), piece)
        assert got, f"short read at {len(out)}"
        out += got
    return bytes(out)


def _pyvhdi_read(path: Path) -> bytes:
    f = pyvhdi.file()
    f.open(str(path))
    try:
        return bytes(f.read_buffer_at_offset(f.media_size, 0))
    finally:
        f.close()


def _expected(sample: SampleImage, size: int) -> bytes:
    # the spec's bytes, then zeros up to a CHS-rounded size
    data = sample.spec.data()
    return data + bytes(size - len(data))


@pytest.mark.parametrize("name", VHDS)
def test_equals_qemu_pyvhdi_and_spec(sample_images: dict[str, SampleImage], name: str) -> None:
    sample = sample_images[name]
    reader = VirtualReader(sample.path)
    # an odd piece size makes reads straddle every block edge
    ours = _read_all(reader, 1_000_003)
    assert ours == to_raw_bytes(sample.path)
    assert ours == _pyvhdi_read(sample.path)
    assert ours == _expected(sample, reader.size)


def test_raw_reads_the_file(sample_images: dict[str, SampleImage]) -> None:
    for name in ("raw", "raw_odd"):
        sample = sample_images[name]
        reader = VirtualReader(str(sample.path))
        assert reader.size == sample.spec.size
        assert _read_all(reader, 4096) == sample.path.read_bytes()


def test_reads_stop_at_the_end(sample_images: dict[str, SampleImage]) -> None:
    sample = sample_images["dynamic"]
    reader = VirtualReader(sample.path)
    end = reader.size
    assert reader.read_at(end - 10, 100) == sample.spec.chunk(end - 10, 10)
    assert reader.read_at(end, 100) == b""
    assert reader.read_at(2**63, 100) == b""
    # a hole (the zero block at 2 MiB) and the data after it
    assert reader.read_at(2 * MiB, 4096) == bytes(4096)
    assert reader.read_at(4 * MiB - 3, 6) == sample.spec.chunk(4 * MiB - 3, 6)


def test_corrupt_vhd_is_refused_by_the_reader(image_copy: Callable[[str], Path]) -> None:
    path = image_copy("dynamic")
    data = bytearray(path.read_bytes())
    data[-512 + 100] ^= 0xFF  # footer byte outside every field: checksum only
    path.write_bytes(data)
    with pytest.raises(ImageFormatError, match=r"footer\.checksum"):
        VirtualReader(path)
