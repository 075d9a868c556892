"""inspect() on VHDs qemu-img made, field by field against three independent
views: pyvhdi (libvhdi), qemu-img info/map, and the footer/header bytes
unpacked here with struct."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import imgrepl
import pytest
import pyvhdi
from helpers.images import (
    DYNAMIC_HEADER,
    FOOTER,
    DiskSpec,
    MiB,
    Subformat,
    get_field,
    make_vhd,
    qemu_img_info,
    qemu_img_map,
    read_footer,
)

VHD_EPOCH = 946_684_800
# Sizes: one block, a partial last block, a CHS-unfriendly size, 64 MiB.
SUBFORMATS: tuple[Subformat, ...] = ("fixed", "dynamic")
SIZES = [MiB, 3 * MiB + 3584, 10 * MiB + 512, 64 * MiB]
CASES = [(size, sub, force) for size in SIZES for sub in SUBFORMATS for force in (True, False)]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[int, Subformat, bool], Path]:
    root = tmp_path_factory.mktemp("qemu_vhds")
    return {
        (size, sub, force): make_vhd(
            root / f"{sub}-{size}-{force}.vhd",
            DiskSpec.standard(size, seed=size),
            sub,
            force_size=force,
        )
        for size, sub, force in CASES
    }


def _pyvhdi(path: Path) -> dict[str, Any]:
    f = pyvhdi.file()
    f.open(str(path))
    try:
        return {
            "media_size": f.media_size,
            "disk_type": f.disk_type,
            "format_version": f.format_version,
            "identifier": f.identifier,
            "bytes_per_sector": f.bytes_per_sector,
        }
    finally:
        f.close()


def _dynamic_header(path: Path) -> tuple[bytes, list[int]]:
    at = get_field(read_footer(path), FOOTER, "data_offset")
    data = path.read_bytes()
    header = data[at : at + 1024]
    table = get_field(header, DYNAMIC_HEADER, "table_offset")
    count = get_field(header, DYNAMIC_HEADER, "max_table_entries")
    bat = [int.from_bytes(data[table + 4 * i : table + 4 * i + 4], "big") for i in range(count)]
    return header, bat


@pytest.mark.parametrize(("size", "sub", "force"), CASES)
def test_matches_pyvhdi(
    made: dict[tuple[int, Subformat, bool], Path], size: int, sub: Subformat, force: bool
) -> None:
    path = made[size, sub, force]
    info = imgrepl.inspect(path)
    theirs = _pyvhdi(path)
    assert info.format == "vhd"
    assert info.vhd_type == {2: "fixed", 3: "dynamic"}[theirs["disk_type"]] == sub
    assert info.virtual_size == theirs["media_size"]
    assert info.unique_id == theirs["identifier"]
    assert theirs["format_version"] == "1.0"
    assert info.virtual_size % theirs["bytes_per_sector"] == 0


@pytest.mark.parametrize(("size", "sub", "force"), CASES)
def test_matches_qemu_img(
    made: dict[tuple[int, Subformat, bool], Path], size: int, sub: Subformat, force: bool
) -> None:
    path = made[size, sub, force]
    info = imgrepl.inspect(path)
    qemu = qemu_img_info(path)
    assert info.virtual_size == qemu["virtual-size"]
    assert info.file_size == path.stat().st_size
    if sub == "fixed":
        # host allocation (qemu's actual-size is st_blocks * 512), capped
        assert info.allocated_bytes == min(qemu["actual-size"], info.virtual_size)
        assert qemu.get("cluster-size") is None
    else:
        stored = sum(e["length"] for e in qemu_img_map(path) if e["data"])
        assert info.allocated_bytes == stored
        assert info.block_size == qemu["cluster-size"]


@pytest.mark.parametrize(("size", "sub", "force"), CASES)
def test_fields_match_the_bytes(
    made: dict[tuple[int, Subformat, bool], Path], size: int, sub: Subformat, force: bool
) -> None:
    path = made[size, sub, force]
    info = imgrepl.inspect(path)
    footer = read_footer(path)

    def field(name: str) -> Any:
        return get_field(footer, FOOTER, name)

    assert info.creator_app == ("qem2" if force else "qemu") == field("creator_app").decode()
    version = field("creator_version")
    assert info.creator_version == (version >> 16, version & 0xFFFF)
    assert info.creator_host_os == field("creator_host_os").decode() == "Wi2k"
    geometry = (field("cylinders"), field("heads"), field("sectors_per_track"))
    assert info.geometry == geometry
    assert info.timestamp == field("timestamp") + VHD_EPOCH
    assert info.current_size == field("current_size")
    assert info.original_size == field("original_size")
    assert info.saved_state is False
    assert info.warnings == []
    if force:
        # force_size keeps the requested size; geometry is the maximum
        assert info.virtual_size == size
        assert info.size_source == "current_size"
        assert geometry == (65535, 16, 255)
    else:
        # rounded up to a CHS geometry, which then gives the size
        assert info.size_source == "geometry"
        assert info.virtual_size == geometry[0] * geometry[1] * geometry[2] * 512 >= size
    if sub == "dynamic":
        header, bat = _dynamic_header(path)
        assert info.block_size == get_field(header, DYNAMIC_HEADER, "block_size") == 2 * MiB
        assert info.max_table_entries == len(bat)
        assert info.allocated_blocks == sum(1 for e in bat if e != 0xFFFFFFFF)
    else:
        assert (info.block_size, info.max_table_entries, info.allocated_blocks) == (None,) * 3
    assert (info.parent_name, info.parent_uuid) == (None, None)


@pytest.mark.parametrize("size", SIZES)
def test_dynamic_stores_exactly_the_blocks_with_data(
    made: dict[tuple[int, Subformat, bool], Path], size: int
) -> None:
    # From the spec alone: qemu-img convert leaves all-zero blocks out.
    spec = DiskSpec.standard(size, seed=size)
    block = 2 * MiB
    expected_blocks = [
        i for i in range(-(-size // block)) if spec.chunk(i * block, block).count(0) < block
    ]
    info = imgrepl.inspect(made[size, "dynamic", True])
    assert info.allocated_blocks == len(expected_blocks)
    assert info.allocated_bytes == sum(min(block, size - i * block) for i in expected_blocks)
