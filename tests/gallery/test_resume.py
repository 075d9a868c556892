"""A replication another process watches, kills, and a re-run finishes
without copying finished replicas again.  `--cap-mbps` slows the copies
enough to catch them in the middle; nothing here asserts on time."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from gallerykit import OWNER, cli, cli_proc, local, make_raw, make_vhd, run, xxh128
from imgrepl import Client

IDS = ["-r", "G", "-i", "D", "-e", "1.0.0"]


@pytest.fixture
def big(tmp_path: Path) -> Path:
    return make_vhd(tmp_path / "big.vhd", make_raw(tmp_path / "big.raw", 16), "fixed")


def maybe(home: Path, *args: str) -> Any:
    """The command's JSON, or None while the version is not recorded yet."""
    proc = cli_proc(home, *args)
    return json.loads(proc.stdout) if proc.returncode == 0 else None


def poll(what: str, check: object, timeout: float = 60) -> object:
    """Calls `check()` until it returns something true (a deadline, not an assertion on speed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()  # type: ignore[operator]
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_progress_is_visible_then_a_killed_job_resumes(definition: Path, big: Path) -> None:
    env = {**os.environ, "IMGREPL_PRINCIPAL": OWNER}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "imgrepl",
            "sig",
            "image-version",
            "create",
            *IDS,
            "--home",
            str(definition),
            "-l",
            "westeurope",
            "--os-vhd",
            str(big),
            "--target-regions",
            "westeurope",
            "eastus=3",
            "--cap-mbps",
            "6",
            "-o",
            "json",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def replicating() -> dict[str, object] | None:
            shown = maybe(
                definition, "sig", "image-version", "show", *IDS, "--expand", "ReplicationStatus"
            )
            for s in shown["replicationStatus"]["summary"] if shown else []:
                if s["state"] == "Replicating" and 0 < s["progress"] < 100:
                    return shown
            return None

        seen = poll("a region Replicating with partial progress", replicating)
        assert seen["provisioningState"] == "Creating"  # type: ignore[index]

        def inside_copy_started() -> list[dict[str, object]] | None:
            reps = maybe(definition, "sig", "image-version", "list-replicas", *IDS)
            inner = [r for r in reps or [] if r["region"] == "eastus" and not r["egress"]]
            if inner and all(r["state"] == "Copying" and r["bytesWritten"] > 0 for r in inner):
                return reps
            return None

        reps = poll("the copies inside eastus to be under way", inside_copy_started)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    done = [local(r["location"]) for r in reps if r["state"] == "Completed"]  # type: ignore[union-attr]
    assert len(done) == 2  # westeurope's replica and eastus's first
    before = [(p.stat().st_ino, p.stat().st_mtime_ns) for p in done]
    unfinished = [local(r["location"]) for r in reps if r["state"] != "Completed"]  # type: ignore[union-attr]
    assert unfinished and not any(p.exists() for p in unfinished)  # nothing at a final name

    stopped = cli(definition, "sig", "image-version", "show", *IDS, "--expand", "ReplicationStatus")
    eastus = next(s for s in stopped["replicationStatus"]["summary"] if s["region"] == "eastus")
    assert eastus["state"] == "Unknown" and "resume" in eastus["details"]

    resumed = cli(definition, "sig", "image-version", "replicate", *IDS)
    assert resumed["provisioningState"] == "Succeeded"
    assert [(p.stat().st_ino, p.stat().st_mtime_ns) for p in done] == before
    final = cli(definition, "sig", "image-version", "list-replicas", *IDS)
    assert len(final) == 4 and {r["state"] for r in final} == {"Completed"}
    assert {xxh128(local(r["location"])) for r in final} == {xxh128(big)}


def test_cancelled_replication_leaves_no_replica_and_resumes(definition: Path, big: Path) -> None:
    async def go() -> None:
        async with Client(definition, principal=OWNER) as c:
            task = asyncio.create_task(
                c.create_image_version(
                    "G",
                    "D",
                    "1.0.0",
                    location="westeurope",
                    os_vhd=big,
                    target_regions=["westeurope", "eastus"],
                    cap_mbps=8,
                )
            )
            while True:
                await asyncio.sleep(0.05)
                try:
                    reps = await c.list_replicas("G", "D", "1.0.0")
                except Exception:
                    continue
                if any(r.bytes_written > 0 for r in reps):
                    break
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            reps = await c.list_replicas("G", "D", "1.0.0")
            assert {r.state for r in reps} == {"Copying"}
            assert not any(local(r.location).exists() for r in reps)
            v = await c.get_image_version("G", "D", "1.0.0")
            assert v.replication_status is not None
            assert v.replication_status.aggregated_state == "Unknown"
            v = await c.replicate("G", "D", "1.0.0")
            assert v.provisioning_state == "Succeeded"
            reps = await c.list_replicas("G", "D", "1.0.0")
            assert {xxh128(local(r.location)) for r in reps} == {xxh128(big)}

    run(go())
