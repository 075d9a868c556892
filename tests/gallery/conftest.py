"""Gallery fixtures: a home with local region stores (see gallerykit)."""

from __future__ import annotations

from pathlib import Path

import pytest
from gallerykit import run, setup_definition


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
