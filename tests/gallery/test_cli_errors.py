"""Every command's errors: bad input is one `imgrepl COMMAND: error: ...` line
and a non-zero exit that changes nothing; an unknown option is refused by the
command against its own usage; a reader that goes away is no error."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.gallery import catalog_state, cli, cli_env, cli_run, create_cli, shown, table_count

V = ["-r", "G", "-i", "D", "-e", "9.9.9"]  # a version that does not exist
# command -> (arguments its parser accepts, with a value the command refuses);
# {home} is the test's home, {file} a regular file, {missing} a path that is not there
BAD: dict[str, list[str]] = {
    "demo": ["--dir", "{file}"],
    "copy": ["{missing}", "{tmp}/out.raw"],
    "verify": ["{missing}"],
    "inspect": ["{missing}"],
    "region add": ["westeurope", "--store", "{tmp}/again", "--home", "{home}"],
    "region list": ["--home", "{file}/home"],
    "region show": ["nowhere", "--home", "{home}"],
    "region remove": ["nowhere", "--home", "{home}"],
    "region update": ["nowhere", "--agent-served", "--home", "{home}"],
    "agent": ["--region", "westeurope", "--home", "{home}"],  # not agent-served
    "region limits": ["--galleries", "0", "--home", "{home}"],
    "sig create": ["-r", "G", "-l", "westeurope", "--description", "x", "--home", "{home}",
                   "--location", "nowhere"],
    "sig show": ["-r", "nope", "--home", "{home}"],
    "sig delete": ["-r", "nope", "--home", "{file}/home"],
    "sig list": ["--home", "{file}/home"],
    "sig update": ["-r", "G", "--set", "location=eastus", "--home", "{home}"],
    "sig image-definition create": ["-r", "G", "-i", "E", "--publisher", "p", "--offer", "o",
                                    "--sku", "s", "--os-type", "Linux", "--end-of-life-date",
                                    "someday", "--home", "{home}"],
    "sig image-definition show": ["-r", "G", "-i", "nope", "--home", "{home}"],
    "sig image-definition delete": ["-r", "G", "-i", "D", "--home", "{file}/home"],
    "sig image-definition list": ["-r", "nope", "--home", "{home}"],
    "sig image-definition update": ["-r", "G", "-i", "D", "--set", "osType=Windows", "--home",
                                    "{home}"],
    "sig image-version create": [*V, "-l", "westeurope", "--os-vhd", "{missing}", "--home",
                                 "{home}"],
    "sig image-version update": [*V, "--replica-count", "2", "--home", "{home}"],
    "sig image-version show": [*V, "--home", "{home}"],
    "sig image-version list": ["-r", "G", "-i", "nope", "--home", "{home}"],
    "sig image-version replicate": [*V, "--home", "{home}"],
    "sig image-version wait": [*V, "--home", "{home}"],
    "sig image-version delete": [*V, "--home", "{file}/home"],
    "sig image-version list-replicas": [*V, "--home", "{home}"],
    "sig image-version verify": [*V, "--home", "{home}"],
    "sig image-version cost": [*V, "--home", "{home}"],
    "sig image-version export": [*V, "--out", "{tmp}/v.bundle", "--home", "{home}"],
    "sig image-version import": ["-r", "G", "-i", "D", "-l", "westeurope", "--bundle", "{file}",
                                 "--home", "{home}"],
    "sig share add": ["-r", "G", "--subscription-ids", "not-a-guid", "--home", "{home}"],
    "sig share remove": ["-r", "G", "--home", "{home}"],
    "sig share reset": ["-r", "nope", "--home", "{home}"],
    "token create": ["--principal", "a/b", "--home", "{home}"],
    "token list": ["--principal", "a b", "--home", "{home}"],
    "token revoke": ["tok-nope", "--home", "{home}"],
    "role assignment create": ["--assignee", "bob", "--role", "Reader", "--scope",
                               "/subscriptions/x", "--home", "{home}"],
    "role assignment list": ["--scope", "/galleries/G", "--home", "{home}"],
    "role assignment delete": ["--assignee", "nobody", "--home", "{home}"],
    "sig recommend-replicas": ["--concurrent-vms", "-5"],
    "configure": ["--defaults", "color=blue", "--home", "{home}"],
    "serve": ["--tls-cert", "{missing}", "--tls-key", "{missing}"],
    "disk create": ["--image", "G/D/9.9.9", "-l", "westeurope", "--out", "{tmp}/d.raw",
                    "--home", "{home}"],
}  # fmt: skip


def commands() -> set[str]:
    """Every command the parser has (a parser without subcommands)."""
    import argparse

    from imgrepl.cli import build_parser

    found: set[str] = set()

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            found.add(path)
        for action in subs:
            for name, child in action.choices.items():
                walk(child, f"{path} {name}".strip())

    walk(build_parser(), "")
    return found


def test_every_command_has_a_bad_input_case() -> None:
    assert commands() == set(BAD)


def run_main(argv: list[str]) -> tuple[int, str, str]:
    from imgrepl.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


# a home under a file is bad input only where the catalog lives in the home
_HOME_BOUND = pytest.mark.sqlite_only


@pytest.mark.parametrize(
    "command",
    [pytest.param(c, marks=_HOME_BOUND) if "{file}/home" in BAD[c] else c for c in sorted(BAD)],
)
def test_bad_input_is_one_line_and_changes_nothing(
    command: str, definition: Path, tmp_path: Path
) -> None:
    regular = tmp_path / "a-file"
    regular.write_text("not a directory")
    values = {
        "home": definition,
        "file": regular,
        "missing": tmp_path / "gone.vhd",
        "tmp": tmp_path,
    }
    argv = [*command.split(), *(a.format(**values) for a in BAD[command])]
    if "--home" in argv:
        argv += ["--as", "owner"]
    before = catalog_state(definition)
    code, out, err = run_main(argv)
    assert code == 1, err
    assert err.count("\n") == 1 and err.startswith(f"imgrepl {command}: error: "), err
    assert "Traceback" not in err and out == ""
    assert catalog_state(definition) == before

    code, _, err = run_main([*argv, "--bogus"])
    assert code == 2
    lines = err.splitlines()
    assert lines[0].startswith(f"usage: imgrepl {command} ")  # the command's usage, not the top
    assert lines[-1] == f"imgrepl {command}: error: unrecognized arguments: --bogus"


def test_os_vhd_message_names_option_and_path(definition: Path) -> None:
    bad = cli_run(definition, "sig", "image-version", "create", "-r", "G", "-i", "D", "-e",
                  "1.0.0", "-l", "westeurope", "--os-vhd", "nonexist.vhd")  # fmt: skip
    assert bad.stderr == (
        "imgrepl sig image-version create: error: --os-vhd nonexist.vhd: no such image file\n"
    )


def test_a_lun_given_twice_is_refused(definition: Path, image: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.raw"
    other.write_bytes(image.read_bytes()[:-512])
    create = ["sig", "image-version", "create", "-r", "G", "-i", "D", "-l", "westeurope",
              "--os-vhd", str(image)]  # fmt: skip
    before = catalog_state(definition)
    for twice in (["--data-vhds", f"0={image}", f"0={other}"],
                  ["--data-vhds", f"0={image}", "--data-vhds", f"0={other}"]):  # fmt: skip
        bad = cli_run(definition, *create, "-e", "1.0.0", *twice)
        assert bad.returncode == 1
        assert bad.stderr == (
            f"imgrepl sig image-version create: error: --data-vhds: LUN 0 given twice "
            f"({image} and {other}); each data disk needs its own LUN\n"
        )
        assert catalog_state(definition) == before
    # given twice with different LUNs: both disks, none dropped
    cli(definition, *create, "-e", "1.0.0", "--data-vhds", f"0={image}", "--data-vhds",
        f"1={other}")  # fmt: skip
    disks = shown(definition)["storageProfile"]["dataDiskImages"]
    assert [(d["lun"], d["sizeInBytes"]) for d in disks] == [
        (0, image.stat().st_size),
        (1, other.stat().st_size),
    ]


def test_target_regions_given_twice_are_merged(definition: Path, image: Path) -> None:
    create_cli(definition, "1.0.0", image, "--target-regions", "westeurope",
               "--target-regions", "eastus=2")  # fmt: skip
    targets = shown(definition)["publishingProfile"]["targetRegions"]
    assert [(t["name"], t["regionalReplicaCount"]) for t in targets] == [
        ("westeurope", 1),
        ("eastus", 2),
    ]
    assert table_count(definition, "replicas") == 3


def test_a_closed_pipe_ends_quietly(definition: Path) -> None:
    """`imgrepl ... -o json | head -1`: the reader is gone before the output."""
    for i in range(30):
        cli(definition, "sig", "create", "-r", f"G{i}", "-l", "westeurope")
    read, write = os.pipe()
    os.close(read)  # no reader at all: every write fails with EPIPE
    argv = [sys.executable, "-m", "imgrepl", "sig", "list", "--home", str(definition), "-o",
            "json"]  # fmt: skip
    proc = subprocess.run(argv, stdout=write, stderr=subprocess.PIPE, env=cli_env(), timeout=60)
    os.close(write)
    assert proc.stderr == b""
    assert proc.returncode == 0


@pytest.mark.parametrize("count", ["0", "101"])
def test_a_replica_count_out_of_range_is_refused(definition: Path, image: Path, count: str) -> None:
    """0 too, never taken for "not given" (the default, 1)."""
    before = catalog_state(definition)
    bad = cli_run(definition, "sig", "image-version", "create", "-r", "G", "-i", "D", "-e",
                  "1.0.0", "-l", "westeurope", "--os-vhd", str(image),
                  "--replica-count", count)  # fmt: skip
    assert bad.returncode == 1
    assert bad.stderr == (
        f"imgrepl sig image-version create: error: replicaCount {count} is out of range: 1..100\n"
    )
    assert catalog_state(definition) == before
