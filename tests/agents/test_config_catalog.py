"""The catalog from the home's config file (`imgrepl configure --defaults
catalog=URL`): what a team's machines set once instead of --catalog or
$IMGREPL_CATALOG on every command; both of those still win over it."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.agents import AgentProcess, wait_for
from helpers.gallery import cli, cli_run
from helpers.postgres import PostgresServer


def test_the_config_file_names_the_catalog(
    tmp_path: Path, postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IMGREPL_CATALOG", raising=False)
    url = postgres.fresh().replace("postgres@", "postgres:hunter2-not-shown@")
    home = tmp_path / "home"
    cli(home, "configure", "--defaults", f"catalog={url}")
    listed = cli(home, "configure", "--list-defaults")
    assert listed == [{"name": "catalog", "source": str(home / "config"),
                       "value": url.replace("hunter2-not-shown", "***")}]  # fmt: skip

    cli(home, "region", "add", "westeurope", "--store", str(tmp_path / "we"), "--agent-served")
    # the region went to PostgreSQL, not to a catalog.db in the home
    assert not (home / "catalog.db").exists()
    from imgrepl.catalog import open_catalog

    catalog = open_catalog(url)
    try:
        assert [r.name for r in catalog.regions.all()] == ["westeurope"]
    finally:
        catalog.close()
    # `agent list` through the config file sees an agent started on that catalog
    agent = AgentProcess(tmp_path, "we", url, ["westeurope"])
    wait_for("the agent listed", lambda: cli(home, "agent", "list"))
    assert agent.terminate() == 0
    assert "hunter2" not in agent.log

    # --catalog beats the config file
    other = tmp_path / "other.db"
    assert cli_run(home, "region", "list", "--catalog", f"sqlite://{other}").json() == []
