"""Replication failures stay in their region and are retried alone; verify
and repair; `latest`; `--no-wait` and `wait`; concurrent updates."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from gallerykit import OWNER, cli, cli_proc, local, make_raw, make_vhd, run, xxh128
from imgrepl import Client
from imgrepl.exceptions import NotFoundError


@pytest.fixture
def vhd(tmp_path: Path) -> Path:
    return make_vhd(tmp_path / "os.vhd", make_raw(tmp_path / "os.raw", 4), "fixed")


def stamps(paths: list[Path]) -> list[tuple[int, int]]:
    return [(p.stat().st_ino, p.stat().st_mtime_ns) for p in paths]


def summary(version: object) -> dict[str, str]:
    status = version.replication_status  # type: ignore[attr-defined]
    return {s.region: s.state for s in status.summary}


def test_unreachable_store_fails_its_region_only_and_retry_fixes_it(
    home: Path, tmp_path: Path, vhd: Path
) -> None:
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where the store's parent directory should be")

    async def go() -> None:
        async with Client(home, principal=OWNER) as c:
            await c.add_region("westeurope", str(tmp_path / "we"))
            await c.add_region("eastus", str(blocker / "store"))
            await c.create_gallery("G", "westeurope")
            await c.create_image_definition(
                "G", "D", publisher="p", offer="o", sku="s", os_type="Linux"
            )
            v = await c.create_image_version(
                "G",
                "D",
                "1.0.0",
                location="westeurope",
                os_vhd=vhd,
                target_regions=["westeurope=2", "eastus"],
            )
            assert summary(v) == {"westeurope": "Completed", "eastus": "Failed"}
            assert v.provisioning_state == "Failed"
            status = v.replication_status
            assert status is not None and status.aggregated_state == "Failed"
            details = status.summary[1].details or ""
            assert "store unreachable" in details and str(blocker) in details
            # usable where it completed, not where it failed
            assert (
                await c.get_image_version("G", "D", "latest", location="westeurope")
            ).name == "1.0.0"
            with pytest.raises(NotFoundError, match=r"in region 'eastus'"):
                await c.get_image_version("G", "D", "latest", location="eastus")
            good = [
                local(r.location)
                for r in await c.list_replicas("G", "D", "1.0.0")
                if r.region == "westeurope"
            ]
            before = stamps(good)
            blocker.unlink()
            again = await c.replicate("G", "D", "1.0.0", retry_failed=True)
            assert summary(again) == {"westeurope": "Completed", "eastus": "Completed"}
            assert again.provisioning_state == "Succeeded"
            assert stamps(good) == before  # finished replicas were not copied again
            fixed = [r for r in await c.list_replicas("G", "D", "1.0.0") if r.region == "eastus"]
            assert xxh128(local(fixed[0].location)) == xxh128(vhd)

    run(go())


@contextlib.contextmanager
def tmpfs(path: Path, size: str, *, read_only: bool = False) -> Iterator[Path]:
    path.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr!r}")
    try:
        if read_only:
            subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True)
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.mark.parametrize(
    ("kind", "message"), [("full", "No space left"), ("readonly", "Read-only")]
)
def test_full_or_read_only_store_fails_its_region_only(
    home: Path, tmp_path: Path, vhd: Path, kind: str, message: str
) -> None:
    with tmpfs(tmp_path / "small", "1m", read_only=kind == "readonly") as small:

        async def go() -> None:
            async with Client(home, principal=OWNER) as c:
                await c.add_region("westeurope", str(tmp_path / "we"))
                await c.add_region("eastus", str(tmp_path / "us"))
                await c.add_region("small", str(small))
                await c.create_gallery("G", "westeurope")
                await c.create_image_definition(
                    "G", "D", publisher="p", offer="o", sku="s", os_type="Linux"
                )
                v = await c.create_image_version(
                    "G",
                    "D",
                    "1.0.0",
                    location="westeurope",
                    os_vhd=vhd,
                    target_regions=["westeurope", "small=2", "eastus=2"],
                )
                assert summary(v) == {
                    "westeurope": "Completed",
                    "small": "Failed",
                    "eastus": "Completed",
                }
                assert v.replication_status is not None
                assert message in (v.replication_status.summary[1].details or "")
                reps = await c.list_replicas("G", "D", "1.0.0")
                for r in reps:
                    if r.region == "small":
                        assert r.state == "Failed" and not local(r.location).exists()
                    else:
                        assert xxh128(local(r.location)) == xxh128(vhd)

        run(go())
        assert [p.name for p in small.rglob("*") if p.is_file()] == []  # nothing half-written


def test_verify_finds_and_repairs_a_corrupt_replica(definition: Path, vhd: Path) -> None:
    cli(
        definition,
        "sig",
        "image-version",
        "create",
        "-r",
        "G",
        "-i",
        "D",
        "-e",
        "1.0.0",
        "-l",
        "westeurope",
        "--os-vhd",
        str(vhd),
        "--target-regions",
        "westeurope=2",
        "eastus",
    )
    reps = cli(
        definition, "sig", "image-version", "list-replicas", "-r", "G", "-i", "D", "-e", "1.0.0"
    )
    victim = local(reps[0]["location"])
    with victim.open("r+b") as f:
        f.seek(5000)
        f.write(b"\xff" * 16)
    ids = ["-r", "G", "-i", "D", "-e", "1.0.0"]
    found = cli_proc(definition, "sig", "image-version", "verify", *ids)
    assert found.returncode == 1
    bad = [x for x in json.loads(found.stdout) if not x["ok"]]
    assert [x["location"] for x in bad] == [reps[0]["location"]]
    assert bad[0]["badRanges"] and bad[0]["badRanges"][0][0] <= 5000
    shown = cli(definition, "sig", "image-version", "show", *ids, "--expand", "ReplicationStatus")
    states = {s["region"]: s["state"] for s in shown["replicationStatus"]["summary"]}
    assert states[reps[0]["region"]] == "Failed"  # not complete while a replica is bad
    fixed = cli(definition, "sig", "image-version", "verify", *ids, "--repair")
    assert all(x["ok"] for x in fixed) and [x["repaired"] for x in fixed].count(True) == 1
    assert xxh128(victim) == xxh128(vhd)
    shown = cli(definition, "sig", "image-version", "show", *ids, "--expand", "ReplicationStatus")
    assert shown["replicationStatus"]["aggregatedState"] == "Completed"


def test_latest_per_region_through_the_cli(definition: Path, vhd: Path) -> None:
    def create(version: str, *extra: str) -> None:
        cli(
            definition,
            "sig",
            "image-version",
            "create",
            "-r",
            "G",
            "-i",
            "D",
            "-e",
            version,
            "-l",
            "westeurope",
            "--os-vhd",
            str(vhd),
            *extra,
        )

    create("1.0.0", "--target-regions", "westeurope", "eastus")
    create("1.2.0", "--target-regions", "westeurope", "eastus", "--exclude-from-latest")
    create("1.10.0", "--target-regions", "westeurope")
    create("2.0.0", "--target-regions", "westeurope", "eastus", "--end-of-life-date", "2001-01-01")

    def latest(region: str) -> str:
        shown = cli(
            definition,
            "sig",
            "image-version",
            "show",
            "-r",
            "G",
            "-i",
            "D",
            "-e",
            "latest",
            "-l",
            region,
        )
        return str(shown["name"])

    assert (latest("westeurope"), latest("eastus")) == ("1.10.0", "1.0.0")
    cli(
        definition,
        "sig",
        "image-version",
        "update",
        "-r",
        "G",
        "-i",
        "D",
        "-e",
        "1.2.0",
        "--exclude-from-latest",
        "false",
    )
    assert latest("eastus") == "1.2.0"
    listed = cli(
        definition, "sig", "image-version", "list", "-r", "G", "-i", "D", "--exclude-end-of-life"
    )
    assert [v["name"] for v in listed] == ["1.0.0", "1.2.0", "1.10.0"]
    nowhere = cli_proc(
        definition,
        "sig",
        "image-version",
        "show",
        "-r",
        "G",
        "-i",
        "D",
        "-e",
        "latest",
        "-l",
        "northeurope",
    )
    assert nowhere.returncode == 1 and "in region 'northeurope'" in nowhere.stderr


def test_no_wait_returns_and_wait_waits(definition: Path, vhd: Path) -> None:
    ids = ["-r", "G", "-i", "D", "-e", "1.0.0"]
    made = cli(
        definition,
        "sig",
        "image-version",
        "create",
        *ids,
        "-l",
        "westeurope",
        "--os-vhd",
        str(vhd),
        "--target-regions",
        "westeurope",
        "northeurope=2=Standard_ZRS",
        "--no-wait",
    )
    assert made["provisioningState"] == "Creating"
    done = cli(definition, "sig", "image-version", "wait", *ids, "--timeout", "120")
    assert done["provisioningState"] == "Succeeded"
    assert done["replicationStatus"]["aggregatedState"] == "Completed"
    reps = cli(definition, "sig", "image-version", "list-replicas", *ids)
    assert len(reps) == 1 + 2 * 3 and {r["state"] for r in reps} == {"Completed"}


def test_two_processes_add_different_regions_at_once(definition: Path, vhd: Path) -> None:
    ids = ["-r", "G", "-i", "D", "-e", "1.0.0"]
    cli(
        definition, "sig", "image-version", "create", *ids, "-l", "westeurope", "--os-vhd", str(vhd)
    )
    argv = [
        sys.executable,
        "-m",
        "imgrepl",
        "sig",
        "image-version",
        "update",
        *ids,
        "--home",
        str(definition),
        "-o",
        "json",
    ]
    env = {**os.environ, "IMGREPL_PRINCIPAL": OWNER}
    procs = [
        subprocess.Popen(
            [*argv, "--add-target-region", region],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for region in ("eastus=2", "northeurope")
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    shown = cli(definition, "sig", "image-version", "show", *ids, "--expand", "ReplicationStatus")
    targets = {
        t["name"]: t["regionalReplicaCount"] for t in shown["publishingProfile"]["targetRegions"]
    }
    assert targets == {"westeurope": 1, "eastus": 2, "northeurope": 1}
    assert shown["replicationStatus"]["aggregatedState"] == "Completed"
    reps = cli(definition, "sig", "image-version", "list-replicas", *ids)
    assert sorted(r["region"] for r in reps) == ["eastus", "eastus", "northeurope", "westeurope"]
