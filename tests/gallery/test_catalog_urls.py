"""Choosing the catalog: `--catalog URL`, $IMGREPL_CATALOG and
`Client(catalog=URL)` open the same PostgreSQL catalog from any home, the
option beats the environment, and a bad URL or a server that does not
answer is one line naming it, without its password, changing nothing."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from helpers.gallery import OWNER, cli, cli_run, run
from helpers.postgres import PostgresServer
from imgrepl import Client
from imgrepl.catalog import ENV_CATALOG


def test_option_environment_and_client_open_one_catalog(
    postgres: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_CATALOG, raising=False)
    url = postgres.fresh()
    store = str(tmp_path / "stores" / "we")
    cli(tmp_path / "a", "region", "add", "westeurope", "--store", store, "--catalog", url)
    assert not (tmp_path / "a").exists()  # nothing went to the home's SQLite file

    async def listed() -> list[str]:
        async with Client(tmp_path / "c", principal=OWNER, catalog=url) as c:
            return [r.name for r in await c.list_regions()]

    assert run(listed()) == ["westeurope"]
    monkeypatch.setenv(ENV_CATALOG, url)
    assert [r["name"] for r in cli(tmp_path / "b", "region", "list")] == ["westeurope"]
    other = f"sqlite:///{tmp_path}/other.db"  # the option beats the environment
    assert cli(tmp_path / "b", "region", "list", "--catalog", other) == []


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens once it is closed


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://alice:s3cret@127.0.0.1:{closed}/db", "Connection refused"),
        ("postgresql://alice:s3cret@127.0.0.1:{port}/db", 'role "alice" does not exist'),
        ("postgresql://alice:s3cret@127.0.0.1:port/db", "is not valid"),
        ("mysql://alice:s3cret@127.0.0.1/db", "is not supported"),
        ("postgresql://alice:s3cret@127.0.0.1:{port}", "is not supported"),
    ],
)
def test_a_bad_catalog_is_one_line_without_its_password(
    postgres: PostgresServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    says: str,
) -> None:
    monkeypatch.delenv(ENV_CATALOG, raising=False)
    url = url.format(closed=_closed_port(), port=postgres.port)
    home = tmp_path / "home"
    for args in (["--catalog", url], []):
        if not args:
            monkeypatch.setenv(ENV_CATALOG, url)
        result = cli_run(home, "region", "add", "westeurope", "--store", "/srv/we", *args)
        assert result.returncode != 0 and result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and says in lines[0], result.stderr
        assert "s3cret" not in result.stderr and "alice:***@" in lines[0]
    assert not home.exists()
