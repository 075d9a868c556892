"""Which footer field sizes the disk.  qemu-img only writes "qemu" (CHS =
current_size) and "qem2" (maximum geometry) footers, so the Virtual PC case,
where CHS and current_size disagree, is made by editing a qemu-made footer;
qemu-img info is the reference for it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import imgrepl
import pytest
import pyvhdi
from helpers.images import FOOTER, GiB, MiB, SampleImage, edit_footer, qemu_img_info, set_field
from imgrepl._core import ImageFormatError


def _pyvhdi_media_size(path: Path) -> int:
    f = pyvhdi.file()
    f.open(str(path))
    try:
        return int(f.media_size)
    finally:
        f.close()


def _set_geometry(c: int, h: int, s: int, app: bytes) -> Callable[[bytearray], None]:
    def edit(footer: bytearray) -> None:
        set_field(footer, FOOTER, "creator_app", app)
        set_field(footer, FOOTER, "cylinders", c)
        set_field(footer, FOOTER, "heads", h)
        set_field(footer, FOOTER, "sectors_per_track", s)

    return edit


@pytest.mark.parametrize("name", ["dynamic", "fixed"])
def test_virtual_pc_footer_is_sized_by_geometry(
    image_copy: Callable[[str], Path], name: str
) -> None:
    path = image_copy(name)
    # 266 * 4 * 17 sectors = 9,259,008 bytes, below current_size 9 MiB + 1536
    edit_footer(path, _set_geometry(266, 4, 17, b"vpc "))
    info = imgrepl.inspect(path)
    assert info.creator_app == "vpc"
    assert info.size_source == "geometry"
    assert info.virtual_size == 266 * 4 * 17 * 512 == qemu_img_info(path)["virtual-size"]
    assert info.current_size == 9 * MiB + 1536
    assert any("geometry" in w for w in info.warnings)


@pytest.mark.parametrize("app", [b"win ", b"wa\0\0", b"qem2", b"d2v "])
def test_other_creators_are_sized_by_current_size(
    image_copy: Callable[[str], Path], app: bytes
) -> None:
    path = image_copy("dynamic")
    edit_footer(path, _set_geometry(266, 4, 17, app))
    info = imgrepl.inspect(path)
    assert info.size_source == "current_size"
    assert info.virtual_size == 9 * MiB + 1536 == _pyvhdi_media_size(path)
    if app != b"wa\0\0":  # Azure's creator code is newer than qemu 7.2
        assert info.virtual_size == qemu_img_info(path)["virtual-size"]


def test_maximum_geometry_means_current_size(sample_images: dict[str, SampleImage]) -> None:
    # 200 GiB without force_size: past what CHS can address, qemu stores the
    # maximum geometry and the exact size, even as creator "qemu".
    info = imgrepl.inspect(sample_images["dynamic_huge"].path)
    assert info.creator_app == "qemu"
    assert info.geometry == (65535, 16, 255)
    assert info.size_source == "current_size"
    assert info.virtual_size == 200 * GiB
    assert info.allocated_bytes == 0 and info.allocated_blocks == 0
    assert info.max_table_entries == 200 * GiB // (2 * MiB)


def test_fixed_geometry_past_the_data_is_refused(image_copy: Callable[[str], Path]) -> None:
    path = image_copy("fixed")
    edit_footer(path, _set_geometry(300, 4, 17, b"vpc "))  # 10,444,800 > 9 MiB + 1536
    with pytest.raises(ImageFormatError, match=r"footer\.disk_geometry"):
        imgrepl.inspect(path)
