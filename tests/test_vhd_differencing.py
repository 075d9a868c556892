"""Differencing disks.  qemu-img cannot make one ("Backing file not
supported for file format 'vpc'"), so the child is built by hand from a
qemu-made dynamic disk: disk type 4, a new unique id, and the parent's
uuid and UTF-16 name in the dynamic header.  pyvhdi is the reference."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import imgrepl
import pytest
import pyvhdi
from helpers.images import (
    DYNAMIC_HEADER,
    FOOTER,
    SampleImage,
    edit_dynamic_header,
    edit_footer,
    get_field,
    set_field,
)
from imgrepl._core import ImageFormatError, VirtualReader

PARENT_NAME = "C:\\images\\base disk é.vhd"


def make_child(path: Path, parent: Path) -> uuid.UUID:
    parent_id = get_field(_footer(parent), FOOTER, "unique_id")
    child_id = uuid.uuid5(uuid.NAMESPACE_URL, str(path))

    def footer(f: bytearray) -> None:
        set_field(f, FOOTER, "disk_type", 4)
        set_field(f, FOOTER, "unique_id", child_id.bytes)

    def header(h: bytearray) -> None:
        set_field(h, DYNAMIC_HEADER, "parent_uuid", parent_id)
        set_field(h, DYNAMIC_HEADER, "parent_timestamp", 12345)
        set_field(h, DYNAMIC_HEADER, "parent_unicode_name", PARENT_NAME.encode("utf-16-be"))

    edit_footer(path, footer)
    edit_dynamic_header(path, header)
    return child_id


def _footer(path: Path) -> bytes:
    return path.read_bytes()[-512:]


def test_parent_matches_pyvhdi(
    sample_images: dict[str, SampleImage], image_copy: Callable[[str], Path]
) -> None:
    parent = sample_images["dynamic"].path
    child = image_copy("dynamic")
    child_id = make_child(child, parent)
    info = imgrepl.inspect(child)
    f = pyvhdi.file()
    f.open(str(child))
    try:
        assert f.disk_type == 4
        assert info.vhd_type == "differencing"
        assert info.unique_id == f.identifier == str(child_id)
        assert info.parent_uuid == f.parent_identifier == imgrepl.inspect(parent).unique_id
        assert info.parent_name == f.parent_filename == PARENT_NAME
        assert info.virtual_size == f.media_size
    finally:
        f.close()
    assert info.block_size == 2 << 20
    assert info.allocated_blocks == imgrepl.inspect(parent).allocated_blocks


def test_reader_refuses_differencing(
    sample_images: dict[str, SampleImage], image_copy: Callable[[str], Path]
) -> None:
    child = image_copy("dynamic")
    make_child(child, sample_images["dynamic"].path)
    with pytest.raises(ImageFormatError, match=r"footer\.disk_type: differencing"):
        VirtualReader(child)


@pytest.mark.parametrize(("offset", "ok"), [(1 << 40, False), (100, False), (1536 + 20, True)])
def test_parent_locator_must_lie_in_the_file(
    sample_images: dict[str, SampleImage],
    image_copy: Callable[[str], Path],
    offset: int,
    ok: bool,
) -> None:
    child = image_copy("dynamic")
    make_child(child, sample_images["dynamic"].path)

    def locator(h: bytearray) -> None:
        # entry 0 at 576: platform code, data space, data length, reserved, offset
        h[576:600] = b"W2ru" + (1).to_bytes(4, "big") + (20).to_bytes(4, "big") + bytes(4)
        h[592:600] = offset.to_bytes(8, "big")

    edit_dynamic_header(child, locator)
    if ok:
        assert imgrepl.inspect(child).vhd_type == "differencing"
    else:
        with pytest.raises(ImageFormatError, match=r"dynamic_header\.parent_locator"):
            imgrepl.inspect(child)
