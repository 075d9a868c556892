"""A replica that stopped being wanted while its copy ran (its region
removed from the targets, or its region's count lowered) is never
recorded Completed: the edit lands while the copy waits at the
replicator's verify pause point (a real replication in another process),
and once the copy finishes, the replica is deleted instead of committed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from helpers.gallery import (
    IDS,
    catalog_sql,
    cli,
    cli_argv,
    cli_env,
    files_under,
    local,
    paused,
    poll,
)


def targets(home: Path) -> list[tuple[str, int | None]]:
    rows = catalog_sql(home, "SELECT region, replica_count FROM target_regions")
    return sorted((r[0], r[1]) for r in rows)


EDITS = {
    # edit, the replica it catches mid-copy, the targets once it landed, what stays
    "region removed": (
        ["--remove-target-region", "eastus"],
        "os-0.vhd",
        [("westeurope", None)],
        [("westeurope", 0)],
    ),
    "count lowered": (
        ["--target-regions", "westeurope", "eastus=1"],
        "os-1.vhd",
        [("eastus", 1), ("westeurope", None)],
        [("eastus", 0), ("westeurope", 0)],
    ),
}


@pytest.mark.parametrize("edit", EDITS)
def test_a_replica_unwanted_while_its_copy_runs_is_never_committed(
    definition: Path, big: Path, stores: Path, tmp_path: Path, edit: str
) -> None:
    args, caught, landed, kept = EDITS[edit]
    edits: list[subprocess.Popen[str]] = []
    update = ["sig", "image-version", "update", *IDS, *args]

    def remove_eastus(point: str, location: str) -> None:
        path = local(location)
        if (point, path.parts[-5], path.name) == ("verify", "eastus", caught):
            argv, pipe = cli_argv(definition, *update), subprocess.PIPE
            edits.append(subprocess.Popen(argv, env=cli_env(), text=True, stdout=pipe, stderr=pipe))
            poll("the edit to land", lambda: targets(definition) == landed)

    create = ["sig", "image-version", "create", *IDS, "-l", "westeurope", "--os-vhd", str(big),
              "--target-regions", "westeurope", "eastus=2"]  # fmt: skip
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
    assert sorted((r["region"], r["index"]) for r in replicas) == kept
    assert {r["state"] for r in replicas} == {"Completed"}
    on_disk = [p.name for p in files_under(stores / "eastus") if p.suffix == ".vhd"]
    assert on_disk == [f"os-{i}.vhd" for region, i in kept if region == "eastus"]
    shown = cli(definition, "sig", "image-version", "show", *IDS, "--expand", "ReplicationStatus")
    summary = shown["replicationStatus"]["summary"]
    assert sorted(s["region"] for s in summary) == sorted({region for region, _ in kept})
    assert shown["provisioningState"] == "Succeeded"
