"""Choosing the catalog: `--catalog URL`, $IMGREPL_CATALOG and
`Client(catalog=URL)` open the same PostgreSQL catalog from any home, the
option beats the environment, and a bad URL or a server that does not
answer is one line naming it, without its password, changing nothing;
a catalog outlives a server restart."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from helpers.gallery import (
    CATALOGS,
    IDS,
    OWNER,
    cli,
    cli_run,
    create_cli,
    run,
    setup_definition,
    vhd,
)
from helpers.postgres import PostgresServer
from imgrepl import Client
from imgrepl.catalog import ENV_CATALOG, open_catalog
from imgrepl.exceptions import CatalogError, ConflictError
from imgrepl.gallery.models import Region


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


def test_a_catalog_outlives_a_server_restart(postgres: PostgresServer, tmp_path: Path) -> None:
    """While the server is down a call fails with one clear line (no
    password); once it is back, the next call reconnects, also when no call
    saw it go."""
    url = postgres.fresh().replace("postgres@", "postgres:s3cret@")  # trust: any password
    catalog = open_catalog(url)
    try:
        catalog.regions.add(Region("westeurope", "West Europe", (tmp_path / "we").as_uri()))
        postgres.pg_ctl("stop")
        try:
            with pytest.raises(CatalogError) as down:
                catalog.regions.all()
        finally:
            postgres.pg_ctl("start")
        assert "s3cret" not in str(down.value) and "postgres:***@" in str(down.value)
        assert len(str(down.value).splitlines()) == 1
        assert [r.name for r in catalog.regions.all()] == ["westeurope"]
        postgres.pg_ctl("stop")
        postgres.pg_ctl("start")
        catalog.regions.add(Region("eastus", "East US", (tmp_path / "us").as_uri()))
    finally:
        catalog.close()
    again = open_catalog(url)
    assert [r.name for r in again.regions.all()] == ["eastus", "westeurope"]
    again.close()


def test_a_newer_schema_is_refused_naming_the_catalog(postgres: PostgresServer) -> None:
    import psycopg

    url = postgres.fresh()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE schema_version SET version = 999")
    secret = url.replace("postgres@", "postgres:s3cret@")
    with pytest.raises(ConflictError, match=r"postgres:\*\*\*@.* schema version 999, newer"):
        open_catalog(secret)


def test_a_background_replication_uses_the_catalog_given_by_option(
    postgres: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--catalog` alone (no $IMGREPL_CATALOG): the `--no-wait` worker
    process replicates in that catalog, not in the home's SQLite file."""
    monkeypatch.delenv(ENV_CATALOG, raising=False)
    home = tmp_path / "home"
    CATALOGS[home] = postgres.fresh()  # the helpers pass it as --catalog
    try:
        run(setup_definition(home, tmp_path / "stores"))
        image = vhd(tmp_path / "os.vhd", 4)
        made = create_cli(home, "1.0.0", image, "--target-regions", "westeurope", "eastus",
                          "--no-wait")  # fmt: skip
        assert made["provisioningState"] == "Creating"
        done = cli(home, "sig", "image-version", "wait", *IDS, "--timeout", "120")
        assert done["replicationStatus"]["aggregatedState"] == "Completed"
    finally:
        CATALOGS.pop(home, None)
    assert not (home / "catalog.db").exists()


def test_a_role_that_may_not_create_the_tables_is_one_line(postgres: PostgresServer) -> None:
    """PostgreSQL 15 lets only a schema's owner create in it: a new catalog
    opened by another role is refused, naming the catalog and why."""
    postgres.sql("DO $$ BEGIN CREATE ROLE bob LOGIN; EXCEPTION WHEN duplicate_object THEN END $$")
    postgres.sql("CREATE DATABASE not_bobs")
    url = postgres.url("not_bobs").replace("postgres@", "bob:s3cret@")
    with pytest.raises(CatalogError) as refused:
        open_catalog(url)
    message = str(refused.value)
    assert message.startswith("catalog postgresql://bob:***@") and "s3cret" not in message
    assert "permission denied for schema public" in message and len(message.splitlines()) == 1
