"""`--subscription` and `-g/--resource-group` on the `sig` commands, their
defaults from `imgrepl configure` and the environment, and az's FAQ
pattern: one command's `-o tsv --query` piped into another."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.gallery import (
    OWNER,
    catalog_of,
    catalog_state,
    cli,
    cli_env,
    cli_run,
    worker_log,
)

SUB_A = "0000000a-0000-4000-8000-000000000001"
SUB_B = "0000000b-0000-4000-8000-000000000002"


@pytest.mark.sqlite_only  # shell pipelines; the scoped lists run on both in test_catalog_scopes
def test_galleries_of_two_subscriptions_through_a_pipe(definition: Path) -> None:
    """List the resource groups with -o tsv --query, pipe them into a list
    per group; and loop over two subscriptions: the right names each time."""
    made = {(SUB_A, "web", "Web1"), (SUB_A, "web", "Web2"), (SUB_A, "db", "Db1")}
    made |= {(SUB_B, "web", "Other")}
    for sub, group, name in made:
        cli(definition, "sig", "create", "-r", name, "-l", "westeurope",
            "--subscription", sub, "-g", group)  # fmt: skip
    sig = f"{shlex.quote(sys.executable)} -m imgrepl sig list --home {shlex.quote(str(definition))}"
    groups = (
        f"{sig} --subscription {SUB_A} --query '[].resourceGroup' -o tsv | sort -u"
        f" | xargs -I{{}} {sig} --subscription {SUB_A} -g {{}} "
        "--query \"[].join('/', [resourceGroup, name])\" -o tsv"
    )
    subs = (
        f"for s in {SUB_A} {SUB_B}; do {sig} --subscription $s "
        "--query '[].name' -o tsv | sed \"s/^/$s /\"; done"
    )
    env = cli_env(OWNER)
    out = [
        subprocess.run(
            ["bash", "-o", "pipefail", "-c", script],
            capture_output=True, text=True, env=env, timeout=120, check=True,
        ).stdout.split("\n")
        for script in (groups, subs)
    ]  # fmt: skip
    assert out[0] == ["db/Db1", "web/Web1", "web/Web2", ""]
    assert out[1] == [f"{SUB_A} Db1", f"{SUB_A} Web1", f"{SUB_A} Web2", f"{SUB_B} Other", ""]


def test_scope_defaults_from_configure_and_the_environment(definition: Path) -> None:
    """`configure --defaults group=... subscription=...` puts new galleries
    there and lists that group; IMGREPL_DEFAULTS_GROUP beats the file; an
    option beats both."""
    own = home_subscription(definition)
    cli(definition, "configure", "--defaults", f"subscription={SUB_A.upper()}", "group=team")
    assert cli(definition, "configure", "--list-defaults") == [
        {"name": "subscription", "source": str(definition / "config"), "value": SUB_A},
        {"name": "group", "source": str(definition / "config"), "value": "team"},
    ]
    made = cli(definition, "sig", "create", "-r", "T", "-l", "westeurope")
    assert made["id"].startswith(f"/subscriptions/{SUB_A}/resourceGroups/team/")
    assert [g["name"] for g in cli(definition, "sig", "list")] == ["T"]
    assert cli_run(definition, "sig", "show", "-r", "G").returncode == 1  # G is in `default`
    shown = cli(definition, "sig", "show", "-r", "G", "-g", "default", "--subscription", own)
    assert shown["location"] == "westeurope"
    env = cli_env(OWNER, IMGREPL_DEFAULTS_GROUP="fromenv", IMGREPL_DEFAULTS_LOCATION="eastus")
    proc = subprocess.run(
        [sys.executable, "-m", "imgrepl", "sig", "create", "-r", "E", "-o", "json",
         "--home", str(definition)],
        capture_output=True, text=True, env=env, timeout=120, check=True,
    )  # fmt: skip
    made_env = json.loads(proc.stdout)
    assert made_env["id"].startswith(f"/subscriptions/{SUB_A}/resourceGroups/fromenv/")
    assert made_env["location"] == "eastus"
    cli(definition, "configure", "--defaults", "group=", "subscription=")
    assert [g["name"] for g in cli(definition, "sig", "list")] == ["G"]  # the home's own


def home_subscription(home: Path) -> str:
    """The home's own subscription (where a gallery made with no defaults is)."""
    catalog = catalog_of(home)
    try:
        return str(catalog.settings.default_subscription())
    finally:
        catalog.close()


def test_bad_scope_options_are_one_line_and_change_nothing(
    definition: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = catalog_state(definition)
    for args, message in (
        (["--subscription", "nope"], "invalid subscription id 'nope'"),
        (["-g", "../x"], "invalid resource group name '../x'"),
    ):
        result = cli_run(definition, "sig", "create", "-r", "X", "-l", "westeurope", *args)
        assert result.returncode == 1
        assert result.stderr.count("\n") == 1 and message in result.stderr
    for item, message in (
        ("subscription=nope", "invalid subscription id 'nope'"),
        ("group=a/b", "invalid resource group name 'a/b'"),
    ):
        bad = cli_run(definition, "configure", "--defaults", "location=eastus", item)
        assert bad.returncode == 1 and message in bad.stderr
    assert not (definition / "config").exists()  # nothing written, not even the location
    monkeypatch.setenv("IMGREPL_DEFAULTS_GROUP", "x" * 91)  # a default from the environment
    env = cli_run(definition, "sig", "create", "-r", "X", "-l", "westeurope")
    assert env.returncode == 1 and env.stderr.count("\n") == 1
    assert "invalid resource group name" in env.stderr
    monkeypatch.delenv("IMGREPL_DEFAULTS_GROUP")
    assert catalog_state(definition) == before
    assert [g["name"] for g in cli(definition, "sig", "list")] == ["G"]


def test_a_background_replication_works_in_its_own_resource_group(
    definition: Path, image: Path
) -> None:
    """`--no-wait` in a group other than the default: the worker finds the
    version there (not the same-named one in `default`) and logs to a file
    of its own."""
    team = ["-g", "team", "--subscription", SUB_A]
    cli(definition, "sig", "create", "-r", "G", "-l", "westeurope", *team)
    cli(definition, "sig", "image-definition", "create", "-r", "G", "-i", "D", *team,
        "--publisher", "p", "--offer", "o", "--sku", "s", "--os-type", "Linux")  # fmt: skip
    ids = ["-r", "G", "-i", "D", "-e", "1.0.0", *team]
    made = cli(definition, "sig", "image-version", "create", *ids, "-l", "westeurope",
               "--os-vhd", str(image), "--no-wait")  # fmt: skip
    assert made["provisioningState"] == "Creating"
    done = cli(definition, "sig", "image-version", "wait", *ids, "--timeout", "120")
    assert done["replicationStatus"]["aggregatedState"] == "Completed"
    log = definition / "logs" / f"{SUB_A}-team-G-D-1.0.0.log"
    assert f"{done['id']}: Completed" in worker_log(log)
    assert not (definition / "logs" / "G-D-1.0.0.log").exists()
    shown = cli_run(definition, "sig", "image-version", "show", "-r", "G", "-i", "D", "-e", "1.0.0")
    assert shown.returncode == 1 and "not found" in shown.stderr  # nothing in `default`
