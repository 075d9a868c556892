"""Help a person can work from: every command has a summary, a description
and examples that parse; every option has help; enumerated values are listed
and matched case-insensitively; `imgrepl --help`'s walkthrough publishes a
version to three regions as written."""

from __future__ import annotations

import argparse
import contextlib
import io
import shlex
from pathlib import Path

import pytest
from helpers.gallery import cli, cli_run, shown
from imgrepl.cli import build_parser
from imgrepl.cli.parser import commands


def _commands() -> dict[str, argparse.ArgumentParser]:
    return {p.prog.removeprefix("imgrepl "): p for p in commands(build_parser())}


def _summaries() -> dict[str, str | None]:
    """command -> the one-line summary its group lists it with."""
    found: dict[str, str | None] = {}

    def walk(parser: argparse.ArgumentParser) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    found[f"{parser.prog} {choice.dest}".removeprefix("imgrepl ")] = choice.help
                for child in action.choices.values():
                    walk(child)

    walk(build_parser())
    return found


def _example_lines(text: str) -> list[str]:
    """The command lines of an "examples:" section (continuations joined)."""
    body = text.split("examples:", 1)[1]
    lines, joined = [], ""
    for raw in body.splitlines():
        line = raw.strip()
        if joined or line.startswith("imgrepl "):
            joined += line.removesuffix("\\").strip() + " "
        if joined and not line.endswith("\\"):
            lines.append(joined.strip())
            joined = ""
    return lines


@pytest.mark.parametrize("name", sorted(_commands()))
def test_every_command_is_documented(name: str) -> None:
    parser = _commands()[name]
    assert _summaries()[name], f"{name} has no summary"
    assert parser.description and len(parser.description) > 20
    examples = _example_lines(parser.epilog or "")
    assert examples, f"{name} has no example"
    for line in examples:
        argv = shlex.split(line)[1:]
        assert " ".join(argv[: len(name.split())]) == name
        with contextlib.redirect_stderr(io.StringIO()) as err:
            try:
                build_parser().parse_args(argv)
            except SystemExit:
                pytest.fail(f"example does not parse: {line}\n{err.getvalue()}")
    for action in parser._actions:
        if not isinstance(action, argparse._HelpAction):
            assert action.help, f"{name} {action.option_strings or action.dest} has no help"


def test_enumerated_values_are_choices_in_any_case(definition: Path) -> None:
    helptext = _commands()["sig image-definition create"].format_help()
    assert "{Linux,Windows}" in helptext and "{Generalized,Specialized}" in helptext
    assert "{V1,V2}" in helptext and "{x64,Arm64}" in helptext
    made = cli(definition, "sig", "image-definition", "create", "-r", "G", "-i", "W",
               "--publisher", "p", "--offer", "o", "--sku", "s", "--os-type", "windows",
               "--hyper-v-generation", "v2", "--architecture", "ARM64")  # fmt: skip
    assert (made["osType"], made["hyperVGeneration"], made["architecture"]) == (
        "Windows",
        "V2",
        "Arm64",
    )
    bad = cli_run(definition, "sig", "image-definition", "create", "-r", "G", "-i", "X",
                  "--publisher", "p", "--offer", "o", "--sku", "t",
                  "--os-type", "BeOS")  # fmt: skip
    assert bad.returncode == 2
    assert bad.stderr.splitlines()[-1] == (
        "imgrepl sig image-definition create: error: argument --os-type: invalid choice: "
        "'BeOS' (choose from 'Linux', 'Windows')"
    )
    role = _commands()["role assignment create"].format_help()
    assert "{Reader,Contributor,Owner}" in role


def test_memory_is_in_gb_as_the_model_keeps_it(definition: Path) -> None:
    """Azure's REST API and imgrepl's model hold recommended.memory in GB (az's
    help says MB); the option passes the number through and its help says GB."""
    helptext = _commands()["sig image-definition update"].format_help()
    assert "recommended.memory.min, in GB" in " ".join(helptext.split())
    cli(definition, "sig", "image-definition", "update", "-r", "G", "-i", "D",
        "--minimum-memory", "16", "--maximum-memory", "64")  # fmt: skip
    got = cli(definition, "sig", "image-definition", "show", "-r", "G", "-i", "D")
    assert got["recommended"]["memory"] == {"min": 16, "max": 64}


def test_the_walkthrough_in_help_publishes_to_three_regions(tmp_path: Path, image: Path) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        build_parser().parse_args(["--help"])
    steps = _example_lines(out.getvalue())
    home = tmp_path / "home"
    for line in steps:
        line = line.replace("/srv/imgrepl/", f"{tmp_path}/stores/")
        line = line.replace("s3://bucket/", f"{tmp_path}/stores/").replace("disk.vhd", str(image))
        cli(home, *shlex.split(line)[1:])
    version = shown(home, "-r", "MyGallery", "-i", "MyImage", "-e", "1.0.0")
    summary = {s["region"]: s["state"] for s in version["replicationStatus"]["summary"]}
    assert summary == {"westeurope": "Completed", "eastus": "Completed", "northeurope": "Completed"}
