"""The az output contract on imgrepl's commands: every `-o` format, `--query`
(JMESPath on the JSON shape, before formatting), `--only-show-errors`,
`--verbose` and `--debug`, and az's table and TSV rules."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers.gallery import IDS, catalog_state, cli, cli_env, cli_run, create_cli, run, setup_home


@pytest.fixture
def two(definition: Path) -> Path:
    """G (westeurope, described) and H (eastus) in one home."""
    cli(definition, "sig", "update", "-r", "G", "--description", "first")
    cli(definition, "sig", "create", "-r", "H", "-l", "eastus")
    return definition


def test_json_yaml_and_none_carry_the_same_data(two: Path) -> None:
    data = cli(two, "sig", "list")
    assert [g["name"] for g in data] == ["G", "H"]
    assert yaml.safe_load(cli_run(two, "sig", "list", output="yaml").stdout) == data
    # colour only on a terminal: piped, jsonc and yamlc are plain, as in az
    assert json.loads(cli_run(two, "sig", "list", output="jsonc").stdout) == data
    assert yaml.safe_load(cli_run(two, "sig", "list", output="yamlc").stdout) == data
    none = cli_run(two, "sig", "list", output="none")
    assert (none.returncode, none.stdout) == (0, "")
    upper = cli_run(two, "sig", "list", output="YAML").stdout  # case-insensitive, as in az
    assert upper == cli_run(two, "sig", "list", output="yaml").stdout


def test_tsv_is_values_only_in_az_order(two: Path) -> None:
    out = cli_run(two, "sig", "list", output="tsv").stdout
    rows = [line.split("\t") for line in out.splitlines()]
    # az's order: keys sorted; a nested object is an empty field; null is None
    # description, id, identifier, location, name, provisioningState,
    # resourceGroup, sharingProfile, tags, type
    ids = [g["id"] for g in cli(two, "sig", "list")]
    assert ids[0].endswith("/resourceGroups/default/providers/Microsoft.Compute/galleries/G")
    assert rows == [
        [
            "first",
            ids[0],
            "",
            "westeurope",
            "G",
            "Succeeded",
            "default",
            "",
            "",
            "Microsoft.Compute/galleries",
        ],
        [
            "None",
            ids[1],
            "",
            "eastus",
            "H",
            "Succeeded",
            "default",
            "",
            "",
            "Microsoft.Compute/galleries",
        ],
    ]
    # a query's multiselect keeps its own order; a list is written as its length
    picked = cli_run(two, "sig", "image-definition", "list", "-r", "G", "--query",
                     "[].{os: osType, n: name, d: disallowed.diskTypes}", output="tsv")  # fmt: skip
    assert picked.stdout == "Linux\tD\t0\n"
    flag = cli_run(two, "sig", "image-definition", "show", "-r", "G", "-i", "D", "--query",
                   "recommended.vCPUs.min == null", output="tsv")  # fmt: skip
    assert flag.stdout == "true\n"  # a bare boolean row is lower case, as in az


def test_query_filters_before_any_format(two: Path) -> None:
    q = "[?location=='eastus'].name"
    assert cli(two, "sig", "list", "--query", q) == ["H"]
    assert cli_run(two, "sig", "list", "--query", q, output="tsv").stdout == "H\n"
    assert cli_run(two, "sig", "list", "--query", q, output="yaml").stdout == "- H\n"
    table = cli_run(two, "sig", "list", "--query", "[].{Gallery: name, Home: location}",
                    output="table")  # fmt: skip
    assert table.stdout.splitlines() == [
        "Gallery  Home",
        "-------  ----------",
        "G        westeurope",
        "H        eastus",
    ]


def test_a_bad_query_is_refused_before_anything_changes(definition: Path) -> None:
    before = catalog_state(definition)
    bad = cli_run(definition, "sig", "create", "-r", "New", "-l", "eastus", "--query", "[?")
    assert bad.returncode == 2
    assert bad.stderr.splitlines()[-1] == (
        "imgrepl sig create: error: argument --query: invalid JMESPath query '[?': "
        "Incomplete expression"
    )
    assert catalog_state(definition) == before


def test_table_has_short_headers_and_a_row_per_region(definition: Path, image: Path) -> None:
    gallery = cli_run(definition, "sig", "show", "-r", "G", output="table").stdout.splitlines()
    assert gallery[0].split() == [
        "Name", "ResourceGroup", "Location", "Description", "ProvisioningState",
    ]  # fmt: skip
    assert gallery[2].split()[:3] == ["G", "default", "westeurope"]
    create_cli(definition, "1.0.0", image, "--target-regions", "westeurope", "eastus=2")
    listed = cli_run(definition, "sig", "image-version", "list", "-r", "G", "-i", "D",
                     output="table").stdout.splitlines()  # fmt: skip
    assert listed[0].split() == [
        "Name", "Location", "ProvisioningState", "TargetRegions", "ExcludeFromLatest",
        "EndOfLifeDate", "AggregatedState",
    ]  # fmt: skip
    assert listed[2].split()[:5] == ["1.0.0", "westeurope", "Succeeded", "westeurope,", "eastus"]
    assert max(len(line) for line in listed) < 120
    shown = cli_run(definition, "sig", "image-version", "show", *IDS, "--expand",
                    "ReplicationStatus", output="table").stdout.split("\n\n")  # fmt: skip
    regions = shown[1].splitlines()
    assert regions[0].split() == ["Region", "State", "Progress", "Details"]
    assert sorted(r.split()[:3] for r in regions[2:]) == [
        ["eastus", "Completed", "100"],
        ["westeurope", "Completed", "100"],
    ]
    plain = cli_run(definition, "sig", "image-version", "show", *IDS, output="table").stdout
    assert "\n\n" not in plain and "Completed" not in plain


def test_logging_levels(definition: Path, image: Path) -> None:
    quiet = cli_run(definition, "sig", "show", "-r", "G", output="none")
    assert quiet.stderr == ""
    verbose = cli_run(definition, "sig", "show", "-r", "G", "--verbose", output="none")
    assert "INFO: imgrepl: opening the home" in verbose.stderr
    assert "DEBUG" not in verbose.stderr
    debug = cli_run(definition, "sig", "show", "-r", "G", "--debug", output="none")
    timed = [line for line in debug.stderr.splitlines() if line.startswith("DEBUG")]
    steps = {line.rsplit(":", 1)[0].removeprefix("DEBUG: imgrepl: ") for line in timed}
    assert {"opening the home", "running the request", "imgrepl sig show"} <= steps
    assert all(line.endswith(" s") for line in timed)
    # a table run prints the cost of a replication to stderr; --only-show-errors does not
    loud = cli_run(definition, *_create("1.0.0", image), output="table")
    assert "egress" in loud.stderr
    silent = cli_run(definition, *_create("1.0.1", image), "--only-show-errors", output="table")
    assert silent.returncode == 0 and silent.stderr == ""


def _create(version: str, image: Path) -> list[str]:
    ids = ["-r", "G", "-i", "D", "-e", version]
    return ["sig", "image-version", "create", *ids, "-l", "westeurope", "--os-vhd", str(image)]


def test_faq_pattern_lists_galleries_of_two_homes_through_a_pipe(tmp_path: Path) -> None:
    """The seed document's FAQ pattern: names from `-o tsv --query` piped
    into a second command, for two homes (imgrepl's subscriptions)."""
    homes = {"one": ["Alpha", "Beta"], "two": ["Gamma"]}
    for name, galleries in homes.items():
        home = tmp_path / name
        run(setup_home(home, {"westeurope": tmp_path / f"{name}-store"}))
        for g in galleries:
            cli(home, "sig", "create", "-r", g, "-l", "westeurope")
    imgrepl = f"{shlex.quote(sys.executable)} -m imgrepl"
    script = (
        f"for h in {tmp_path / 'one'} {tmp_path / 'two'}; do "
        f"{imgrepl} sig list --home $h --query \"[?name!='G'].name\" -o tsv | "
        f"xargs -I NAME {imgrepl} sig show --home $h -r NAME "
        "--query '{n: name, l: location}' -o tsv; "
        "done"
    )
    env = cli_env(PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.splitlines() == [
        "Alpha\twesteurope", "Beta\twesteurope", "Gamma\twesteurope"
    ]  # fmt: skip


@pytest.mark.parametrize(("coloured", "plain"), [("jsonc", json.loads), ("yamlc", yaml.safe_load)])
def test_colour_on_a_terminal_only(two: Path, coloured: str, plain: Any) -> None:
    import pty
    import re

    master, slave = pty.openpty()
    argv = [sys.executable, "-m", "imgrepl", "sig", "list", "--home", str(two), "-o", coloured]
    proc = subprocess.Popen(argv, stdout=slave, env={**cli_env(), "TERM": "xterm"})
    os.close(slave)
    out = b""
    with contextlib.suppress(OSError):  # EIO once the process has closed the terminal
        while chunk := os.read(master, 1 << 16):
            out += chunk
    os.close(master)
    assert proc.wait(timeout=60) == 0
    text = out.decode().replace("\r\n", "\n")
    assert "\x1b[" in text  # coloured
    assert plain(re.sub(r"\x1b\[[0-9;]*m", "", text)) == cli(two, "sig", "list")
