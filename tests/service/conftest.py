"""Service fixtures: a home with two local regions and an import root
holding a VHD made by qemu-img, TLS from a trustme CA, and `imgrepl serve`
running on it as a real process.  The catalog is SQLite or PostgreSQL (a
server the session starts; helpers/postgres.py): tests that take `home`
run on both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.gallery import OWNER, run, vhd
from helpers.postgres import PostgresServer
from helpers.service import Served, Tls, make_tls, serve_argv, start_serve
from imgrepl.catalog import ENV_CATALOG
from imgrepl.home import ENV_PRINCIPAL

REGIONS = ("westeurope", "eastus")


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog_url(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str | None:
    monkeypatch.setenv(ENV_PRINCIPAL, OWNER)  # the home's owner, locally
    if request.param == "sqlite":
        monkeypatch.delenv(ENV_CATALOG, raising=False)
        return None
    url: str = request.getfixturevalue("postgres").fresh()
    monkeypatch.setenv(ENV_CATALOG, url)
    return url


@pytest.fixture
def imports(tmp_path: Path) -> Path:
    """The server's --import-root, with os.vhd (6 MiB, fixed) in it."""
    root = tmp_path / "imports"
    root.mkdir()
    vhd(root / "os.vhd", 6)
    return root


@pytest.fixture
def home(tmp_path: Path, catalog_url: str | None) -> Path:
    """A home with regions westeurope and eastus on local stores."""
    from imgrepl import Client

    home = tmp_path / "home"

    async def setup() -> None:
        async with Client(home, principal=OWNER) as c:
            for name in REGIONS:
                await c.add_region(name, str(tmp_path / "stores" / name))

    run(setup())
    return home


@pytest.fixture
def served(home: Path, tls: Tls, imports: Path) -> Iterator[Served]:
    server = start_serve(serve_argv(home, tls, "--import-root", str(imports)))
    try:
        yield server
    finally:
        code = server.stop()
        assert code == 0, server.output()
