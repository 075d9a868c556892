"""Shared fixtures: real sample disk images, made once per session with
qemu-img (see helpers/images.py for the helpers behind them).

`sample_images` (session) maps a name to an images.SampleImage; the files are
read-only by convention: a test that edits one takes `image_copy(name)`.

    name            what                                          creator
    raw             sparse raw, DiskSpec.standard(9 MiB + 1536)   -
    raw_odd         raw of 1000 bytes (not whole sectors)         -
    fixed           fixed VHD of the `raw` spec, force_size=on    qem2
    fixed_chs       same, force_size=off: rounded up to CHS       qemu
    dynamic         dynamic VHD of the `raw` spec, force_size=on  qem2
    dynamic_chs     same, force_size=off                          qemu
    dynamic_empty   `qemu-img create` dynamic, 64 MiB, no blocks  qem2
    dynamic_huge    `qemu-img create` dynamic, 200 GiB,           qemu
                    force_size=off: past CHS, so current_size

`SampleImage.spec` is what the virtual disk holds; bytes past spec.size (a
CHS-rounded disk) read as zeros.  Hypothesis runs without deadlines here:
the machine is shared and noisy, and timing is not what tests assert.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import postgres
from helpers.images import SampleImage, build_samples, qemu_img
from hypothesis import settings

settings.register_profile("imgrepl", deadline=None, print_blob=True)
settings.load_profile("imgrepl")


@pytest.fixture(autouse=True)
def _drop_test_databases() -> Iterator[None]:
    """After each test (its own fixtures stopped first), the PostgreSQL
    databases it was given are dropped."""
    yield
    for server in list(postgres.LIVE):
        server.drop_fresh()


@pytest.fixture(scope="session")
def qemu_img_path() -> str:
    """qemu-img's path; fails (never skips) when it is missing."""
    return qemu_img()


@pytest.fixture(scope="session")
def sample_images(
    tmp_path_factory: pytest.TempPathFactory, qemu_img_path: str
) -> dict[str, SampleImage]:
    return build_samples(tmp_path_factory.mktemp("images"))


@pytest.fixture
def image_copy(sample_images: dict[str, SampleImage], tmp_path: Path) -> Callable[[str], Path]:
    """image_copy(name) -> a private copy of a sample, free to edit."""

    def copy(name: str) -> Path:
        src = sample_images[name].path
        return Path(shutil.copy2(src, tmp_path / src.name))

    return copy
