"""az's flags that scripts pass: `--exclude-from-latest true|false` on create
and update (the bare flag on create still means true), the source flags
(`--os-vhd-uri`, `--data-vhds-uris` with `--data-vhds-luns`), and `wait
--created/--updated/--deleted/--exists/--custom/--interval`."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from helpers.gallery import catalog_state, cli, cli_argv, cli_env, cli_run, create_cli


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


def test_az_source_flags(definition: Path, image: Path, tmp_path: Path) -> None:
    data = tmp_path / "data.raw"
    data.write_bytes(image.read_bytes()[:-512])
    ids = ["-r", "G", "-i", "D", "-l", "westeurope"]
    base = ["sig", "image-version", "create", *ids, "--os-vhd-uri", str(image),
            "--os-vhd-storage-account", "acct"]  # fmt: skip
    made = cli(definition, *base, "-e", "1.0.0", "--data-vhds-uris", str(data), str(image),
               "--data-vhds-luns", "2", "5", "--data-vhds-storage-accounts", "acct")  # fmt: skip
    disks = made["storageProfile"]
    assert disks["osDiskImage"]["sizeInBytes"] == image.stat().st_size
    assert [(d["lun"], d["sizeInBytes"]) for d in disks["dataDiskImages"]] == [
        (2, data.stat().st_size),
        (5, image.stat().st_size),
    ]
    plain = cli(definition, *base, "-e", "1.0.1", "--data-vhds-uris", str(data), str(image))
    assert [d["lun"] for d in plain["storageProfile"]["dataDiskImages"]] == [0, 1]  # az's default

    before = catalog_state(definition)
    for extra, message in (
        (["--data-vhds-uris", str(data), "--data-vhds-luns", "1", "2"],
         "--data-vhds-luns gives 2 LUNs for 1 --data-vhds-uris; give one LUN per URI"),
        (["--data-vhds", f"0={image}", "--data-vhds-uris", str(data)],
         f"--data-vhds: LUN 0 given twice ({image} and {data}); each data disk needs its own LUN"),
    ):  # fmt: skip
        bad = cli_run(definition, *base, "-e", "1.0.2", *extra)
        assert bad.returncode == 1
        assert bad.stderr == f"imgrepl sig image-version create: error: {message}\n"
    assert catalog_state(definition) == before


def test_wait_for_az_conditions(definition: Path, image: Path) -> None:
    ids = ["-r", "G", "-i", "D", "-e", "1.0.0"]
    wait = ["sig", "image-version", "wait", *ids, "--interval", "0.05"]
    late = cli_run(definition, *wait, "--created", "--timeout", "0.2")
    assert late.returncode == 1
    assert late.stderr == (
        "imgrepl sig image-version wait: error: G/D/1.0.0: not created after 0.2 s\n"
    )
    create_cli(definition, "1.0.0", image, "--target-regions", "westeurope", "eastus")
    assert cli(definition, *wait, "--created")["provisioningState"] == "Succeeded"
    assert cli(definition, *wait, "--exists")["name"] == "1.0.0"
    east = "replicationStatus.summary[?region=='eastus'] | [0].state=='Completed'"
    assert cli(definition, *wait, "--custom", east)["name"] == "1.0.0"
    never = cli_run(definition, *wait, "--custom", "name=='2.0.0'", "--timeout", "0.2")
    assert never.returncode == 1 and "not matching the --custom query after 0.2 s" in never.stderr
    both = cli_run(definition, *wait, "--created", "--deleted")
    assert both.returncode == 2 and "not allowed with argument" in both.stderr
    # --deleted waits for another process to delete it, then prints nothing
    waiting = subprocess.Popen(cli_argv(definition, *wait, "--deleted", "--timeout", "60"),
                               stdout=subprocess.PIPE, text=True, env=cli_env())  # fmt: skip
    try:
        time.sleep(1)
        assert waiting.poll() is None  # still waiting: the version is there
        cli(definition, "sig", "image-version", "delete", *ids)
        out = waiting.communicate(timeout=60)[0]
    finally:
        waiting.kill()
    assert (waiting.returncode, out) == (0, "")
