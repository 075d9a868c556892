"""`--exclude-from-latest true|false` on create and update, as az takes it
(the bare flag on create still means true)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.gallery import catalog_state, cli, cli_run, create_cli


def excluded(home: Path, version: str) -> bool:
    ids = ["-r", "G", "-i", "D", "-e", version]
    shown = cli(home, "sig", "image-version", "show", *ids)
    return bool(shown["publishingProfile"]["excludeFromLatest"])


@pytest.mark.parametrize(
    ("given", "want"),
    [([], False), (["--exclude-from-latest"], True), (["--exclude-from-latest", "true"], True),
     (["--exclude-from-latest", "False"], False), (["--exclude-from-latest", "TRUE"], True)],
)  # fmt: skip
def test_create_takes_true_or_false(
    definition: Path, image: Path, given: list[str], want: bool
) -> None:
    create_cli(definition, "1.0.0", image, *given)
    assert excluded(definition, "1.0.0") is want


def test_update_takes_true_or_false_and_latest_follows(definition: Path, image: Path) -> None:
    create_cli(definition, "1.0.0", image)
    create_cli(definition, "1.1.0", image, "--exclude-from-latest", "true")
    latest = ["sig", "image-version", "show", "-r", "G", "-i", "D", "-e", "latest", "-l",
              "westeurope"]  # fmt: skip
    assert cli(definition, *latest)["name"] == "1.0.0"
    ids = ["-r", "G", "-i", "D", "-e", "1.1.0"]
    cli(definition, "sig", "image-version", "update", *ids, "--exclude-from-latest", "false")
    assert cli(definition, *latest)["name"] == "1.1.0"
    cli(definition, "sig", "image-version", "update", *ids, "--exclude-from-latest", "true")
    assert cli(definition, *latest)["name"] == "1.0.0"


def test_a_value_that_is_not_true_or_false_is_refused(definition: Path, image: Path) -> None:
    before = catalog_state(definition)
    bad = cli_run(definition, "sig", "image-version", "create", "-r", "G", "-i", "D", "-e",
                  "1.0.0", "-l", "westeurope", "--os-vhd", str(image),
                  "--exclude-from-latest", "maybe")  # fmt: skip
    assert bad.returncode == 1
    assert bad.stderr == (
        "imgrepl sig image-version create: error: --exclude-from-latest must be true or false, "
        "got 'maybe'\n"
    )
    assert catalog_state(definition) == before
