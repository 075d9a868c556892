"""`imgrepl configure`: defaults in the home's INI config file, taken by every
command that takes --location; and shell completion through argcomplete."""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
from pathlib import Path

from helpers.gallery import catalog_state, cli, cli_env, cli_run, create_cli


def test_defaults_are_kept_in_the_home_config(definition: Path) -> None:
    assert cli(definition, "configure", "--defaults", "location=eastus") is None
    path = definition / "config"
    ini = configparser.ConfigParser()
    ini.read(path)
    assert dict(ini["defaults"]) == {"location": "eastus"}
    assert path.stat().st_mode & 0o777 == 0o600
    listed = cli(definition, "configure", "--list-defaults")
    assert listed == [{"name": "location", "source": str(path), "value": "eastus"}]
    assert cli(definition, "configure", "--defaults", "location=") is None  # KEY= clears
    assert cli(definition, "configure", "--list-defaults") == []


def test_every_command_with_location_takes_the_default(definition: Path, image: Path) -> None:
    cli(definition, "configure", "--defaults", "location=eastus")
    assert cli(definition, "sig", "create", "-r", "H")["location"] == "eastus"
    assert cli(definition, "sig", "create", "-r", "I", "-l", "northeurope")["location"] == (
        "northeurope"  # given beats the default
    )
    ids = ["-r", "G", "-i", "D", "-e", "1.0.0"]
    made = cli(definition, "sig", "image-version", "create", *ids, "--os-vhd", str(image),
               "--target-regions", "eastus", "westeurope")  # fmt: skip
    assert made["location"] == "eastus"
    latest = cli(definition, "sig", "image-version", "show", "-r", "G", "-i", "D", "-e", "latest")
    assert latest["name"] == "1.0.0"
    out = definition.parent / "vm.raw"
    disk = cli(definition, "disk", "create", "--image", "G/D/latest", "--out", str(out))
    assert disk["region"] == "eastus" and out.stat().st_size > 0


def test_without_a_default_location_is_required(definition: Path, image: Path) -> None:
    before = catalog_state(definition)
    for argv in (["sig", "create", "-r", "H"],
                 ["sig", "image-version", "create", "-r", "G", "-i", "D", "-e", "1.0.0",
                  "--os-vhd", str(image)]):  # fmt: skip
        bad = cli_run(definition, *argv)
        assert bad.returncode == 1
        assert bad.stderr == (
            f"imgrepl {' '.join(argv[:2] if argv[1] == 'create' else argv[:3])}: error: "
            "--location is required: give it, or set a default with "
            "`imgrepl configure --defaults location=VALUE`\n"
        )
    assert catalog_state(definition) == before
    unknown = cli_run(definition, "configure", "--defaults", "color=blue")
    assert unknown.returncode == 1
    assert (
        unknown.stderr
        == "imgrepl configure: error: unknown default 'color': imgrepl knows location, group, "
        "subscription, catalog\n"
    )
    assert not (definition / "config").exists()


def test_the_config_follows_imgrepl_home(definition: Path, image: Path) -> None:
    env = {**cli_env(), "IMGREPL_HOME": str(definition)}
    run = [sys.executable, "-m", "imgrepl", "configure", "--defaults", "location=northeurope"]
    subprocess.run(run, env=env, check=True)
    assert "northeurope" in (definition / "config").read_text()
    create_cli(definition, "1.0.0", image)  # the helper gives -l westeurope: no default needed
    shown = subprocess.run(
        [sys.executable, "-m", "imgrepl", "sig", "create", "-r", "N", "-o", "json",
         "--query", "location"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert shown.stdout.strip() == '"northeurope"'


def test_shell_completion(tmp_path: Path) -> None:
    out = tmp_path / "completions"
    line = "imgrepl sig image-version cr"
    env = {**os.environ, "_ARGCOMPLETE": "1", "COMP_LINE": line, "COMP_POINT": str(len(line)),
           "_ARGCOMPLETE_STDOUT_FILENAME": str(out)}  # fmt: skip
    subprocess.run([sys.executable, "-m", "imgrepl"], env=env, check=True, timeout=60)
    assert out.read_text().split() == ["create"]
