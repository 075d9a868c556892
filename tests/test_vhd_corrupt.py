"""A corrupt VHD is refused with ImageFormatError naming the broken field,
and inspecting it changes nothing.  Each case breaks one field of a copy of
a qemu-made sample; checksums are re-computed (unless the checksum is the
point) so the fault reaches the check behind them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import imgrepl
import pytest
from helpers.images import (
    DYNAMIC_HEADER,
    FOOTER,
    SECTOR,
    edit_dynamic_header,
    edit_footer,
    get_field,
    read_footer,
    set_field,
    write_footer,
)
from imgrepl._core import ImageFormatError

Edit = Callable[[Path], None]


def footer_field(name: str, value: object) -> Edit:
    return lambda p: edit_footer(p, lambda f: set_field(f, FOOTER, name, value))


def header_field(name: str, value: object) -> Edit:
    return lambda p: edit_dynamic_header(p, lambda h: set_field(h, DYNAMIC_HEADER, name, value))


def flip_footer_byte(p: Path) -> None:
    # a reserved byte: only the checksum can notice
    edit_footer(p, lambda f: f.__setitem__(300, f[300] ^ 0x55), reseal=False)


def flip_header_byte(p: Path) -> None:
    edit_dynamic_header(p, lambda h: h.__setitem__(900, h[900] ^ 0x55), reseal=False)


def break_tail_cookie(p: Path) -> None:
    # only the footer at the end: the copy at 0 still says "dynamic VHD"
    footer = read_footer(p)
    footer[7] = ord("X")
    write_footer(p, footer)


def _bat(p: Path) -> tuple[int, list[int]]:
    at = get_field(read_footer(p), FOOTER, "data_offset")
    with open(p, "rb") as f:
        f.seek(at)
        header = f.read(1024)
        table = get_field(header, DYNAMIC_HEADER, "table_offset")
        count = get_field(header, DYNAMIC_HEADER, "max_table_entries")
        f.seek(table)
        raw = f.read(4 * count)
    return table, [int.from_bytes(raw[i : i + 4], "big") for i in range(0, len(raw), 4)]


def set_bat(index: int, value: Callable[[Path, list[int]], int]) -> Edit:
    def edit(p: Path) -> None:
        table, entries = _bat(p)
        with open(p, "r+b") as f:
            f.seek(table + 4 * index)
            f.write(value(p, entries).to_bytes(4, "big"))

    return edit


def truncate_to(size: Callable[[int], int]) -> Edit:
    def edit(p: Path) -> None:
        with open(p, "r+b") as f:
            f.truncate(size(p.stat().st_size))

    return edit


TB = 1 << 40
# (sample, edit, field the error must name)
CASES: dict[str, tuple[str, Edit, str]] = {
    "fixed checksum": ("fixed", flip_footer_byte, "footer.checksum"),
    "dynamic checksum": ("dynamic", flip_footer_byte, "footer.checksum"),
    "version": ("fixed", footer_field("file_format_version", 0x00020000), "file_format_version"),
    "disk type 0": ("fixed", footer_field("disk_type", 0), "footer.disk_type"),
    "disk type 5": ("dynamic", footer_field("disk_type", 5), "footer.disk_type"),
    "fixed bigger": ("fixed", footer_field("current_size", 10 << 20), "footer.current_size"),
    "fixed smaller": ("fixed", footer_field("current_size", 1 << 20), "footer.current_size"),
    "size not sectors": ("dynamic", footer_field("current_size", 1000), "footer.current_size"),
    "size past table": ("dynamic", footer_field("current_size", TB), "max_table_entries"),
    "data offset EOF": ("dynamic", footer_field("data_offset", TB), "footer.data_offset"),
    "data offset none": ("dynamic", footer_field("data_offset", 2**64 - 1), "footer.data_offset"),
    "data offset 0": ("dynamic", footer_field("data_offset", 0), "footer.data_offset"),
    "header cookie": ("dynamic", header_field("cookie", b"cxsparsE"), "dynamic_header.cookie"),
    "header checksum": ("dynamic", flip_header_byte, "dynamic_header.checksum"),
    "header version": ("dynamic", header_field("header_version", 2), "header_version"),
    "block size 0": ("dynamic", header_field("block_size", 0), "dynamic_header.block_size"),
    "block size 3M": ("dynamic", header_field("block_size", 3 << 20), "block_size"),
    "block size 256": ("dynamic", header_field("block_size", 256), "block_size"),
    "table too small": ("dynamic", header_field("max_table_entries", 4), "max_table_entries"),
    "table past EOF": ("dynamic", header_field("table_offset", TB), "table_offset"),
    "table on header": ("dynamic", header_field("table_offset", 1024), "table_offset"),
    "table huge": ("dynamic", header_field("max_table_entries", 2**32 - 1), "table_offset"),
    "bat past EOF": ("dynamic", set_bat(1, lambda p, e: p.stat().st_size // SECTOR), "bat"),
    "bat on footer": ("dynamic", set_bat(1, lambda p, e: p.stat().st_size // SECTOR - 1), "bat"),
    "bat on header": ("dynamic", set_bat(1, lambda p, e: 1), "bat"),
    "bat on bat": ("dynamic", set_bat(1, lambda p, e: 3), "bat"),
    "bat aliases": ("dynamic", set_bat(1, lambda p, e: e[0]), "bat"),
    "bat overlaps": ("dynamic", set_bat(1, lambda p, e: e[0] + 8), "bat"),
    "tail cookie": ("dynamic", break_tail_cookie, "footer.cookie"),
    "cut to 300": ("dynamic", truncate_to(lambda n: 300), "footer"),
    "cut in header": ("dynamic", truncate_to(lambda n: 1200), "footer.data_offset"),
    "cut in data": ("dynamic", truncate_to(lambda n: n // 2), "bat"),
    "cut last sector": ("dynamic", truncate_to(lambda n: n - SECTOR), "bat"),
    "cut one byte": ("dynamic", truncate_to(lambda n: n - 1), "bat"),
}


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.mark.parametrize("case", list(CASES))
def test_refused_by_field_name(image_copy: Callable[[str], Path], case: str) -> None:
    sample, edit, field = CASES[case]
    path = image_copy(sample)
    assert imgrepl.inspect(path).format == "vhd"  # sound before the edit
    edit(path)
    before = _digest(path)
    with pytest.raises(ImageFormatError) as caught:
        imgrepl.inspect(path)
    message = str(caught.value)
    assert field in message
    assert str(path) in message
    assert _digest(path) == before


def test_the_free_bat_slot_is_really_unallocated(image_copy: Callable[[str], Path]) -> None:
    # The BAT cases edit entry 1: the sample's all-zero block at 2 MiB.
    _, entries = _bat(image_copy("dynamic"))
    assert entries[1] == 0xFFFFFFFF and entries[0] != 0xFFFFFFFF


def test_fixed_without_its_footer_is_raw(image_copy: Callable[[str], Path]) -> None:
    # A fixed disk is data + footer: lose the footer's cookie (or the whole
    # footer) and what is left cannot be told from a raw disk.
    path = image_copy("fixed")
    edit_footer(path, lambda f: set_field(f, FOOTER, "cookie", b"CONECTIX"))
    info = imgrepl.inspect(path)
    assert (info.format, info.vhd_type) == ("raw", None)
    assert info.virtual_size == path.stat().st_size


def test_differing_footer_copy_is_only_a_warning(image_copy: Callable[[str], Path]) -> None:
    path = image_copy("dynamic")
    with open(path, "r+b") as f:
        f.seek(300)
        f.write(b"\x01")
    info = imgrepl.inspect(path)
    assert info.vhd_type == "dynamic"
    assert info.warnings == ["the footer copy at offset 0 differs from the footer"]
