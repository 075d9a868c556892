"""A replica whose region stopped being a target while its copy ran is
never recorded Completed: the edit lands while the copy waits at the
replicator's verify pause point (a real replication in another process),
and once the copy finishes, the replica is deleted instead of committed."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

from helpers.gallery import IDS, cli, cli_argv, cli_env, files_under, local, paused, poll


def targets(home: Path) -> list[str]:
    db = sqlite3.connect(home / "catalog.db")
    try:
        return sorted(r[0] for r in db.execute("SELECT region FROM target_regions"))
    finally:
        db.close()


def test_a_region_removed_while_its_copy_runs_is_never_committed(
    definition: Path, big: Path, stores: Path, tmp_path: Path
) -> None:
    edits: list[subprocess.Popen[str]] = []
    update = ["sig", "image-version", "update", *IDS, "--remove-target-region", "eastus"]

    def remove_eastus(point: str, location: str) -> None:
        if point == "verify" and local(location).parts[-5] == "eastus":
            argv, pipe = cli_argv(definition, *update), subprocess.PIPE
            edits.append(subprocess.Popen(argv, env=cli_env(), text=True, stdout=pipe, stderr=pipe))
            poll("eastus dropped from the targets", lambda: targets(definition) == ["westeurope"])

    create = ["sig", "image-version", "create", *IDS, "-l", "westeurope", "--os-vhd", str(big),
              "--target-regions", "westeurope", "eastus"]  # fmt: skip
    with paused(tmp_path / "pause", remove_eastus) as env:
        made = subprocess.run(
            cli_argv(definition, *create), env=cli_env(**env), capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
    assert len(edits) == 1
    _, err = edits[0].communicate(timeout=120)
    assert edits[0].returncode == 0, err
    assert made.returncode == 0, made.stderr

    replicas = cli(definition, "sig", "image-version", "list-replicas", *IDS)
    assert [(r["region"], r["state"]) for r in replicas] == [("westeurope", "Completed")]
    assert files_under(stores / "eastus") == []
    shown = cli(definition, "sig", "image-version", "show", *IDS, "--expand", "ReplicationStatus")
    assert [s["region"] for s in shown["replicationStatus"]["summary"]] == ["westeurope"]
    assert shown["provisioningState"] == "Succeeded"
