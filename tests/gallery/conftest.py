"""Gallery fixtures: a home with local region stores and a real VHD (see
helpers/gallery.py), its catalog on each backend: every test that takes
`home` runs once on SQLite and once on PostgreSQL (a server the session
starts, a fresh database per test; helpers/postgres.py).  A test marked
`sqlite_only` reads SQLite's file itself, or needs two homes with catalogs
of their own; it runs on SQLite alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.gallery import run, setup_definition, vhd
from helpers.postgres import PostgresServer
from imgrepl.catalog import ENV_CATALOG

BACKENDS = ["sqlite", "postgresql"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: runs on the SQLite catalog alone")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep, drop = [], []
    for item in items:
        backend = getattr(item, "callspec", None) and item.callspec.params.get("catalog_url")
        sqlite_only = item.get_closest_marker("sqlite_only") is not None
        (drop if sqlite_only and backend == "postgresql" else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=BACKENDS)
def catalog_url(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str | None:
    """The catalog every client, CLI call and subprocess of the test opens
    ($IMGREPL_CATALOG); None: the home's own SQLite catalog.db."""
    if request.param == "sqlite":
        monkeypatch.delenv(ENV_CATALOG, raising=False)
        return None
    url: str = request.getfixturevalue("postgres").fresh()
    monkeypatch.setenv(ENV_CATALOG, url)
    return url


@pytest.fixture
def home(tmp_path: Path, catalog_url: str | None) -> Path:
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
