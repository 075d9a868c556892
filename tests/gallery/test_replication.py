"""Replication failures stay in their region and are retried alone (an
unreachable, full or read-only store; a replica that fails verification);
verify and repair; `latest`; `--no-wait` and `wait`; concurrent updates."""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.gallery import (
    IDS,
    OWNER,
    cli,
    cli_argv,
    cli_env,
    cli_run,
    create_cli,
    flip,
    local,
    paused,
    publish,
    region_states,
    run,
    setup_home,
    shown,
    stamps,
    xxh128,
)
from helpers.images import MiB
from imgrepl import Client
from imgrepl.exceptions import NotFoundError


def test_unreachable_store_fails_its_region_only_and_retry_fixes_it(
    home: Path, tmp_path: Path, image: Path
) -> None:
    blocker = tmp_path / "blocked"
    run(setup_home(home, {"westeurope": tmp_path / "we", "eastus": blocker / "store"}))
    # after `region add`, which refuses a store under a regular file
    blocker.write_text("a file where the store's parent directory should be")

    async def go() -> None:
        async with Client(home, principal=OWNER) as c:
            v = await publish(c, image, "westeurope=2", "eastus")
            assert region_states(v) == {"westeurope": "Completed", "eastus": "Failed"}
            assert v.provisioning_state == "Failed"
            status = v.replication_status
            assert status is not None and status.aggregated_state == "Failed"
            details = status.summary[1].details or ""
            assert "store unreachable" in details and str(blocker) in details
            # usable where it completed, not where it failed
            latest = await c.get_image_version("G", "D", "latest", location="westeurope")
            assert latest.name == "1.0.0"
            with pytest.raises(NotFoundError, match=r"in region 'eastus'"):
                await c.get_image_version("G", "D", "latest", location="eastus")

    run(go())
    reps = cli(home, "sig", "image-version", "list-replicas", *IDS)
    good = [local(r["location"]) for r in reps if r["region"] == "westeurope"]
    before = stamps(good)
    blocker.unlink()
    again = cli_run(home, "sig", "image-version", "replicate", *IDS, "--retry-failed",
                    output="table")  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert region_states(shown(home)) == {"westeurope": "Completed", "eastus": "Completed"}
    assert shown(home)["provisioningState"] == "Succeeded"
    assert stamps(good) == before  # finished replicas were not copied again
    size = image.stat().st_size
    assert again.stderr.endswith(
        f"storage {3 * size:,} bytes in 3 replicas in 2 regions; egress {size:,} bytes\n"
    )
    fixed = [r for r in cli(home, "sig", "image-version", "list-replicas", *IDS)
             if r["region"] == "eastus"]  # fmt: skip
    assert xxh128(local(fixed[0]["location"])) == xxh128(image)


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    path.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr!r}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.mark.parametrize(
    ("kind", "message"), [("full", "No space left"), ("readonly", "Read-only")]
)
def test_full_or_read_only_store_fails_its_region_only(
    home: Path, tmp_path: Path, image: Path, kind: str, message: str
) -> None:
    with tmpfs(tmp_path / "small", "1m") as small:
        regions = {"westeurope": tmp_path / "we", "eastus": tmp_path / "us", "small": small}
        run(setup_home(home, regions))
        if kind == "readonly":  # after `region add`, which refuses a store it cannot write
            subprocess.run(["mount", "-o", "remount,ro", str(small)], check=True)

        async def go() -> None:
            async with Client(home, principal=OWNER) as c:
                v = await publish(c, image, "westeurope", "small=2", "eastus=2")
                assert region_states(v) == {
                    "westeurope": "Completed",
                    "small": "Failed",
                    "eastus": "Completed",
                }
                assert v.replication_status is not None
                assert message in (v.replication_status.summary[1].details or "")
                for r in await c.list_replicas("G", "D", "1.0.0"):
                    if r.region == "small":
                        assert r.state == "Failed" and not local(r.location).exists()
                    else:
                        assert xxh128(local(r.location)) == xxh128(image)

        run(go())
        assert [p.name for p in small.rglob("*") if p.is_file()] == []  # nothing half-written


def test_a_replica_failing_verification_fails_its_region_only(
    definition: Path, big: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real corruption at the replicator's pause points: eastus's second
    replica gets a bad byte in chunk 1 between its copy and its verification;
    northeurope's first replica gets one in chunk 0 after its verification,
    before the copies inside the region read it."""

    def corrupt(point: str, location: str) -> None:
        path = local(location)
        if (point, path.parts[-5], path.name) == ("verify", "eastus", "os-1.vhd"):
            flip(path, 5 * MiB + 7)
        if (point, path.parts[-5], path.name) == ("fanout", "northeurope", "os-0.vhd"):
            flip(path, 100)

    async def go() -> None:
        async with Client(definition, principal=OWNER) as c:
            with paused(tmp_path / "pause", corrupt) as env:
                monkeypatch.setenv(*next(iter(env.items())))
                v = await publish(c, big, "westeurope", "eastus=2", "northeurope=2")
                monkeypatch.delenv(next(iter(env)))
            assert v.provisioning_state == "Failed"
            assert region_states(v) == {
                "westeurope": "Completed",
                "eastus": "Failed",
                "northeurope": "Failed",
            }
            assert v.replication_status is not None
            eastus, northeurope = v.replication_status.summary[1:]
            assert "eastus/G/D/1.0.0/os-1.vhd failed: bytes 4194304-8388608 (chunk 1) differ " in (
                eastus.details or ""
            )
            assert "northeurope/G/D/1.0.0/os-0.vhd failed: bytes 0-4194304 (chunk 0) differ" in (
                northeurope.details or ""
            )
            reps = {(r.region, r.index): r for r in await c.list_replicas("G", "D", "1.0.0")}
            failed = [("eastus", 1), ("northeurope", 0), ("northeurope", 1)]
            for key, r in reps.items():
                assert r.state == ("Failed" if key in failed else "Completed"), key
                assert local(r.location).exists() == (key not in failed), key  # no bad replica
            cost = await c.cost("G", "D", "1.0.0")  # only what exists counts
            size = big.stat().st_size
            # eastus's first replica crossed; westeurope's, in the source region, did not
            assert (cost.storage_bytes, cost.egress_bytes) == (2 * size, size)
            good = [local(reps[k].location) for k in (("westeurope", 0), ("eastus", 0))]
            before = stamps(good)

            again = await c.replicate("G", "D", "1.0.0")  # without --retry-failed
            assert region_states(again)["eastus"] == "Failed"
            # any update retries what failed
            retried = await c.update_image_version("G", "D", "1.0.0", end_of_life_date="2040-01-01")
            assert retried.provisioning_state == "Succeeded"
            assert set(region_states(retried).values()) == {"Completed"}
            assert stamps(good) == before  # only the failed replicas were copied again
            final = await c.list_replicas("G", "D", "1.0.0")
            assert {xxh128(local(r.location)) for r in final} == {xxh128(big)}

    run(go())


def test_verify_finds_and_repairs_a_corrupt_replica(definition: Path, image: Path) -> None:
    create_cli(definition, "1.0.0", image, "--target-regions", "westeurope=2", "eastus")
    reps = cli(definition, "sig", "image-version", "list-replicas", *IDS)
    victim = local(reps[0]["location"])
    flip(victim, 5000)
    found = cli_run(definition, "sig", "image-version", "verify", *IDS)
    assert found.returncode == 1
    bad = [x for x in json.loads(found.stdout) if not x["ok"]]
    assert [x["location"] for x in bad] == [reps[0]["location"]]
    assert bad[0]["badRanges"] == [[0, 4 * MiB]]
    assert "bytes 0-4194304 (chunk 0) differ from the source manifest" in bad[0]["verifyDetails"]
    states = region_states(shown(definition))
    assert states[reps[0]["region"]] == "Failed"  # not complete while a replica is bad
    fixed = cli(definition, "sig", "image-version", "verify", *IDS, "--repair")
    assert all(x["ok"] for x in fixed) and [x["repaired"] for x in fixed].count(True) == 1
    assert xxh128(victim) == xxh128(image)
    assert shown(definition)["replicationStatus"]["aggregatedState"] == "Completed"


def test_latest_per_region_and_end_of_life(definition: Path, image: Path) -> None:
    create_cli(definition, "1.0.0", image, "--target-regions", "westeurope", "eastus")
    create_cli(
        definition, "1.2.0", image, "--target-regions", "westeurope", "eastus",
        "--exclude-from-latest",
    )  # fmt: skip
    create_cli(definition, "1.10.0", image, "--target-regions", "westeurope")
    create_cli(
        definition, "2.0.0", image, "--target-regions", "westeurope", "eastus",
        "--end-of-life-date", "2001-01-01",
    )  # fmt: skip

    def latest(region: str) -> str:
        found = cli(definition, "sig", "image-version", "show", "-r", "G", "-i", "D",
                    "-e", "latest", "-l", region)  # fmt: skip
        return str(found["name"])

    # end of life is informational, as in Azure: 2.0.0 is past it and still latest
    assert (latest("westeurope"), latest("eastus")) == ("2.0.0", "2.0.0")
    update = ["sig", "image-version", "update", "-r", "G", "-i", "D"]
    cli(definition, *update, "-e", "2.0.0", "--exclude-from-latest", "true")
    assert (latest("westeurope"), latest("eastus")) == ("1.10.0", "1.0.0")
    cli(definition, *update, "-e", "1.2.0", "--exclude-from-latest", "false")
    assert latest("eastus") == "1.2.0"
    ls = ["sig", "image-version", "list", "-r", "G", "-i", "D"]
    assert [v["name"] for v in cli(definition, *ls)] == ["1.0.0", "1.2.0", "1.10.0", "2.0.0"]
    listed = cli(definition, *ls, "--exclude-end-of-life")
    assert [v["name"] for v in listed] == ["1.0.0", "1.2.0", "1.10.0"]
    nowhere = cli_run(definition, "sig", "image-version", "show", "-r", "G", "-i", "D",
                      "-e", "latest", "-l", "northeurope")  # fmt: skip
    assert nowhere.returncode == 1 and "in region 'northeurope'" in nowhere.stderr


def test_no_wait_returns_and_wait_waits(definition: Path, image: Path) -> None:
    made = create_cli(
        definition, "1.0.0", image, "--target-regions", "westeurope",
        "northeurope=2=Standard_ZRS", "--no-wait",
    )  # fmt: skip
    assert made["provisioningState"] == "Creating"
    done = cli(definition, "sig", "image-version", "wait", *IDS, "--timeout", "120")
    assert done["provisioningState"] == "Succeeded"
    assert done["replicationStatus"]["aggregatedState"] == "Completed"
    reps = cli(definition, "sig", "image-version", "list-replicas", *IDS)
    assert len(reps) == 1 + 2 * 3 and {r["state"] for r in reps} == {"Completed"}
    updating = cli(definition, "sig", "image-version", "update", *IDS,
                   "--add-target-region", "eastus", "--no-wait")  # fmt: skip
    assert updating["provisioningState"] == "Updating"
    done = cli(definition, "sig", "image-version", "wait", *IDS, "--timeout", "120")
    assert done["provisioningState"] == "Succeeded"
    assert region_states(done)["eastus"] == "Completed"


def test_wait_exits_1_when_the_replication_failed(home: Path, tmp_path: Path, image: Path) -> None:
    """As a synchronous create: the version is printed, each region that
    did not complete is named on stderr, and the exit status is 1."""
    blocker = tmp_path / "blocked"
    run(setup_home(home, {"westeurope": tmp_path / "we", "eastus": blocker / "store"}))
    blocker.write_text("a file where the store's parent directory should be")
    made = create_cli(home, "1.0.0", image, "--target-regions", "westeurope", "eastus",
                      "--no-wait")  # fmt: skip
    assert made["provisioningState"] == "Creating"
    waited = cli_run(home, "sig", "image-version", "wait", *IDS, "--timeout", "120")
    assert waited.returncode == 1, waited.stderr
    assert waited.json()["replicationStatus"]["aggregatedState"] == "Failed"
    assert waited.stderr.startswith("region eastus: Failed: ") and waited.stderr.count("\n") == 1
    assert str(blocker) in waited.stderr


def test_the_background_worker_gets_every_option(tmp_path: Path) -> None:
    from imgrepl.api.background import parse_args
    from imgrepl.catalog import VersionRef
    from imgrepl.replication.worker import worker_argv

    argv = worker_argv(tmp_path, VersionRef(1, "G", "D", "1.0.0", "we"), True, 2.5)
    assert argv[1:3] == ["-m", "imgrepl.api.background"]
    got = parse_args(argv[3:])
    assert (got.home, got.gallery, got.definition, got.version) == (str(tmp_path), "G", "D",
                                                                    "1.0.0")  # fmt: skip
    assert (got.retry_failed, got.cap_mbps) == (True, 2.5)


def test_processes_adding_different_regions_at_once_all_take_effect(
    definition: Path, image: Path
) -> None:
    create_cli(definition, "1.0.0", image)
    update = cli_argv(definition, "sig", "image-version", "update", *IDS)
    procs = [
        subprocess.Popen(
            [*update, *args],
            env=cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for args in (
            ["--add-target-region", "eastus=2"],
            ["--add-target-region", "northeurope"],
            ["--add-target-region", "westeurope=2"],
        )
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    version = shown(definition)
    targets = {
        t["name"]: t["regionalReplicaCount"] for t in version["publishingProfile"]["targetRegions"]
    }
    assert targets == {"westeurope": 2, "eastus": 2, "northeurope": 1}
    assert version["replicationStatus"]["aggregatedState"] == "Completed"
    reps = cli(definition, "sig", "image-version", "list-replicas", *IDS)
    assert (
        sorted(r["region"] for r in reps) == ["eastus"] * 2 + ["northeurope"] + ["westeurope"] * 2
    )


def test_a_region_added_after_the_source_is_gone_is_copied_from_a_replica(
    definition: Path, image: Path
) -> None:
    """As in Azure, a version outlives its source file: a target region
    added later is copied from the home region's replica (and verified
    against the source manifest like any copy)."""
    want = xxh128(image)
    kept = image.read_bytes()
    create_cli(definition, "1.0.0", image)
    image.unlink()
    update = cli_run(definition, "sig", "image-version", "update", *IDS,
                     "--add-target-region", "eastus=2")  # fmt: skip
    assert update.returncode == 0, update.stderr
    version = shown(definition)
    assert version["replicationStatus"]["aggregatedState"] == "Completed"
    reps = cli(definition, "sig", "image-version", "list-replicas", *IDS)
    assert sorted(r["region"] for r in reps) == ["eastus", "eastus", "westeurope"]
    assert {xxh128(local(r["location"])) for r in reps} == {want}
    image.write_bytes(kept)  # the fixture's file, for its teardown
