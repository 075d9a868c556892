"""A version's source is a regular file holding a raw image (non-empty,
whole 512-byte sectors) or a fixed or dynamic VHD; anything else is
refused before anything is recorded or copied, naming the reason, and a
FIFO is refused at once (never opened, so nothing hangs)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.gallery import catalog_state, cli_run, files_under, vhd
from helpers.images import make_empty_vhd
from test_vhd_differencing import make_child

Maker = Callable[[Path], Path]


def empty(tmp: Path) -> Path:
    (tmp / "empty.img").write_bytes(b"")
    return tmp / "empty.img"


def zero_byte_fixed_vhd(tmp: Path) -> Path:
    return make_empty_vhd(tmp / "zero.vhd", 0, "fixed")


def cut_fixed_vhd(tmp: Path) -> Path:
    """A fixed VHD missing its last 100 bytes: what is left of the footer
    still begins with `conectix`, and the engine reads it as raw."""
    path = vhd(tmp / "cut.vhd", 2)
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size - 100)
    return path


def odd_raw(tmp: Path) -> Path:
    (tmp / "odd.img").write_bytes(b"\x01" * 1000)
    return tmp / "odd.img"


def differencing(tmp: Path) -> Path:
    parent = vhd(tmp / "parent.vhd", 2, "dynamic")
    child = Path(shutil.copy(parent, tmp / "child.vhd"))
    make_child(child, parent)
    return child


def fifo(tmp: Path) -> Path:
    os.mkfifo(tmp / "pipe")
    return tmp / "pipe"


def directory(tmp: Path) -> Path:
    (tmp / "adir").mkdir()
    return tmp / "adir"


CASES: list[tuple[str, Maker, str]] = [
    ("empty file", empty, "the file is empty"),
    ("0-byte fixed VHD", zero_byte_fixed_vhd, "virtual size of 0 bytes"),
    ("cut fixed VHD", cut_fixed_vhd, "not a whole number of 512-byte sectors"),
    ("1000-byte raw", odd_raw, "not a whole number of 512-byte sectors"),
    ("differencing VHD", differencing, "differencing VHD is not a whole image"),
    ("FIFO", fifo, "not a regular file (a FIFO)"),
    ("directory", directory, "not a regular file (a directory)"),
    ("/dev/zero", lambda _: Path("/dev/zero"), "not a regular file (a character device)"),
    ("/proc file", lambda _: Path("/proc/self/status"), "the file is empty"),
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("what", "make", "why"), CASES, ids=[c[0] for c in CASES])
def test_a_source_that_is_no_image_is_refused_before_anything_is_recorded(
    definition: Path, stores: Path, tmp_path: Path, what: str, make: Maker, why: str
) -> None:
    source = make(tmp_path)
    before = catalog_state(definition)
    ids = ["-r", "G", "-i", "D", "-e", "1.0.0", "-l", "westeurope"]
    result = cli_run(definition, "sig", "image-version", "create", *ids, "--os-vhd", str(source))
    assert result.returncode == 1, what
    assert f"--os-vhd {source}: " in result.stderr and why in result.stderr
    assert result.stderr.count("\n") == 1
    assert catalog_state(definition) == before
    assert files_under(stores) == []


def test_a_bad_data_disk_names_its_lun(definition: Path, tmp_path: Path, image: Path) -> None:
    source = odd_raw(tmp_path)
    ids = ["-r", "G", "-i", "D", "-e", "1.0.0", "-l", "westeurope"]
    result = cli_run(definition, "sig", "image-version", "create", *ids, "--os-vhd", str(image),
                     "--data-vhds", f"2={source}")  # fmt: skip
    assert result.returncode == 1
    assert f"--data-vhds 2={source}: its size (1000 bytes)" in result.stderr


@pytest.mark.parametrize("kind", ["raw", "fixed", "dynamic"])
def test_whole_images_are_accepted(definition: Path, tmp_path: Path, kind: str) -> None:
    from helpers.gallery import raw

    source = raw(tmp_path / "os.img", 2) if kind == "raw" else vhd(tmp_path / "os.vhd", 2, kind)
    ids = ["-r", "G", "-i", "D", "-e", "1.0.0", "-l", "westeurope"]
    result = cli_run(definition, "sig", "image-version", "create", *ids, "--os-vhd", str(source))
    assert result.returncode == 0, result.stderr
    assert result.json()["provisioningState"] == "Succeeded"
