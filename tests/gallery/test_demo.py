"""`imgrepl demo` does the main job end to end, as a newcomer runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers.gallery import local, xxh128
from imgrepl.catalog import ENV_CATALOG


def test_demo_replicates_a_sample_image(tmp_path: Path) -> None:
    """In a home of its own, whatever catalog the environment names."""
    team = tmp_path.parent / f"{tmp_path.name}-team.db"
    proc = subprocess.run(
        [sys.executable, "-m", "imgrepl", "demo", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, ENV_CATALOG: f"sqlite://{team}"},
    )
    assert proc.returncode == 0, proc.stderr
    assert not team.exists() and (tmp_path / "home" / "catalog.db").is_file()
    assert "provisioningState Succeeded, replication Completed" in proc.stdout
    replicas = [
        line.split()[-1]
        for line in proc.stdout.splitlines()
        if "file:///" in line and "/demo/ubuntu/1.0.0/" in line
    ]
    assert len(replicas) == 6  # westeurope=2, eastus=1, northeurope ZRS in 3 zones
    image = tmp_path / "sample.vhd"
    assert {xxh128(local(r)) for r in replicas} == {xxh128(image)}
    again = subprocess.run(
        [sys.executable, "-m", "imgrepl", "demo", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert again.returncode == 1 and "give an empty --dir" in again.stderr
