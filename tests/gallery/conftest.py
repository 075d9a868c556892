"""Gallery fixtures: a home with local region stores and a real VHD (see helpers/gallery.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.gallery import run, setup_definition, vhd


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def stores(tmp_path: Path) -> Path:
    return tmp_path / "stores"


@pytest.fixture
def definition(home: Path, stores: Path) -> Path:
    """A home with regions westeurope, eastus, northeurope (3 zones) and G/D."""
    run(setup_definition(home, stores, northeurope=3))
    return home


@pytest.fixture
def image(tmp_path: Path) -> Path:
    """A 4 MiB fixed VHD made by qemu-img (one engine chunk plus the footer)."""
    return vhd(tmp_path / "os.vhd", 4)


@pytest.fixture
def big(tmp_path: Path) -> Path:
    """A 9 MiB fixed VHD: three chunks, so a chunk in the middle can go bad."""
    return vhd(tmp_path / "big.vhd", 9)
