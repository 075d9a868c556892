"""A replication another process watches while it runs, then interrupts
(Ctrl-C, a kill, a cancelled task); a re-run finishes the job without
copying finished replicas again.  `--cap-mbps` slows the copies enough to
catch them in the middle; nothing here asserts on time."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from helpers.gallery import (
    IDS,
    OWNER,
    cli,
    cli_argv,
    cli_env,
    cli_run,
    local,
    poll,
    publish,
    run,
    shown,
    stamps,
    xxh128,
)
from imgrepl import Client


def maybe(home: Path, *args: str) -> Any:
    """The command's JSON, or None while the version is not recorded yet."""
    result = cli_run(home, *args)
    return result.json() if result.returncode == 0 else None


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill"])
def test_progress_is_visible_then_an_interrupted_job_resumes(
    definition: Path, big: Path, sig: signal.Signals
) -> None:
    create = cli_argv(definition, "sig", "image-version", "create", *IDS, "-l", "westeurope",
                      "--os-vhd", str(big), "--target-regions", "westeurope", "eastus=3",
                      "--cap-mbps", "4")  # fmt: skip
    proc = subprocess.Popen(
        create, env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:

        def replicating() -> dict[str, Any] | None:
            version = maybe(definition, "sig", "image-version", "show", *IDS, "--expand",
                            "ReplicationStatus")  # fmt: skip
            for s in version["replicationStatus"]["summary"] if version else []:
                if s["state"] == "Replicating" and 0 < s["progress"] < 100:
                    return version
            return None

        seen = poll("a region Replicating with partial progress", replicating)
        assert seen["provisioningState"] == "Creating"

        def inside_copies_started() -> list[dict[str, Any]] | None:
            reps = maybe(definition, "sig", "image-version", "list-replicas", *IDS)
            inner = [r for r in reps or [] if r["region"] == "eastus" and not r["egress"]]
            if inner and all(r["state"] == "Copying" and r["bytesWritten"] > 0 for r in inner):
                return reps
            return None

        reps = poll("the copies inside eastus to be under way", inside_copies_started)
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if sig == signal.SIGINT:  # Ctrl-C: a clean stop, temporaries removed
        assert proc.returncode == 130 and "interrupted" in stderr
        assert not any(p.name.startswith(".") for p in (definition.parent / "stores").rglob("*"))
    done = [local(r["location"]) for r in reps if r["state"] == "Completed"]
    assert len(done) == 2  # westeurope's replica and eastus's first
    before = stamps(done)
    unfinished = [local(r["location"]) for r in reps if r["state"] != "Completed"]
    assert unfinished and not any(p.exists() for p in unfinished)  # nothing at a final name

    stopped = shown(definition)
    eastus = next(s for s in stopped["replicationStatus"]["summary"] if s["region"] == "eastus")
    assert eastus["state"] == "Unknown" and "resume" in eastus["details"]

    resumed = cli(definition, "sig", "image-version", "replicate", *IDS)
    assert resumed["provisioningState"] == "Succeeded"
    assert stamps(done) == before
    final = cli(definition, "sig", "image-version", "list-replicas", *IDS)
    assert len(final) == 4 and {r["state"] for r in final} == {"Completed"}
    assert {xxh128(local(r["location"])) for r in final} == {xxh128(big)}


def test_cancelled_replication_leaves_no_replica_and_resumes(definition: Path, big: Path) -> None:
    async def go() -> None:
        async with Client(definition, principal=OWNER) as c:
            # slow enough (2 MB/s) that the cancel lands before any replica is committed
            task = asyncio.create_task(publish(c, big, "westeurope", "eastus", cap_mbps=2))
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
