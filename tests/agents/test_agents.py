"""Region agents end to end, all real parts on loopback (agents/conftest.py):
PostgreSQL as the shared catalog and queue, three regions on a directory,
S3 and Azure Blob, one `imgrepl agent` process per region holding only its
own region's credentials, versions published through the CLI.  Copies are
slowed with --cap-mbps so a test can act in the middle of one; nothing here
asserts on time."""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path
from typing import Any

from helpers.agents import AZ_SECRET, S3_SECRET, Team, replica_rows, wait_for
from helpers.gallery import IDS, cli, region_states, shown, xxh128
from helpers.store_servers import read_replica

TARGETS = ["westeurope=2", "eastus=2", "northeurope=2"]


def publish(team: Team, image: Path, *targets: str) -> Any:
    return cli(team.home, "sig", "image-version", "create", *IDS, "-l", "westeurope",
               "--os-vhd", str(image), "--target-regions", *targets)  # fmt: skip


def completed(team: Team) -> Any:
    version = shown(team.home)
    done = version["replicationStatus"]["aggregatedState"] == "Completed"
    return version if done and version["provisioningState"] == "Succeeded" else None


def row(team: Team, region: str, idx: int) -> dict[str, Any]:
    return next(r for r in replica_rows(team.url) if (r["region"], r["idx"]) == (region, idx))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def metrics(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("imgrepl_agent")
    }


def test_three_stores_an_agent_killed_mid_copy_and_taken_over(team: Team, image: Path) -> None:
    created = publish(team, image, *TARGETS)
    # the publisher only ingested the source as the home region's first
    # replica; the rest is queued for the agents
    assert created["provisioningState"] == "Creating"
    assert set(region_states(created).values()) == {"Replicating"}
    assert [(r["region"], r["idx"]) for r in replica_rows(team.url) if r["state"] == "Completed"] \
        == [("westeurope", 0)]  # fmt: skip

    port = free_port()
    cap = ("--cap-mbps", "3")
    west = team.agent("westeurope-1", ["westeurope"], "--cap-mbps", "2")
    team.agent("eastus", ["eastus"], *cap, "--metrics-port", str(port), **S3_SECRET)
    team.agent("northeurope", ["northeurope"], *cap, **AZ_SECRET)

    # SIGKILL the home region's agent in the middle of its in-region copy
    wait_for("the westeurope copy half done", lambda: row(team, "westeurope", 1)["bytes_written"]
             >= 8 << 20 and row(team, "westeurope", 1)["state"] == "Copying")  # fmt: skip
    west.kill()
    second = team.agent("westeurope-2", ["westeurope"])
    listed = cli(team.home, "agent", "list")  # the killed one is gone from it at once
    assert west.proc.pid not in [a["pid"] for a in listed]
    assert {"eastus", "northeurope"} <= {r for a in listed for r in a["regions"]}
    version = wait_for("every region Completed", lambda: completed(team))

    assert set(region_states(version).values()) == {"Completed"}
    assert "taking over an expired lease" in second.log
    assert "resumed" in second.log  # chunk-level on a directory store
    want = xxh128(image)
    rows = replica_rows(team.url)
    assert len(rows) == 6
    stores = {r["region"]: r["location"] for r in rows if r["idx"] == 0}
    for r in rows:
        data = read_replica(r["location"], team.s3, team.az)
        assert data is not None, r["location"]
        (team.root / "check").write_bytes(data)
        assert xxh128(team.root / "check") == want, r["location"]
        assert r["state"] == "Completed"
        # every replica committed exactly once (the home's first by the publisher)
        assert r["commits"] == (0 if (r["region"], r["idx"]) == ("westeurope", 0) else 1)
        if r["idx"] > 0:  # further replicas come from inside their region
            assert r["copied_from"] == stores[r["region"]]
        elif r["region"] != "westeurope":  # the one egress copy per region
            assert r["copied_from"] == stores["westeurope"]
    assert sum(r["egress"] for r in rows) == 3

    m = metrics(port)
    assert m['imgrepl_agent_jobs_finished_total{region="eastus",state="Completed"}'] == 2
    assert m['imgrepl_agent_bytes_copied_total{kind="egress",region="eastus"}'] > 0
    assert m.get('imgrepl_agent_lease_takeovers_total{region="eastus"}', 0) == 0

    # SIGTERM: each live agent drains and leaves the agent list
    assert [a.terminate() for a in team.agents if a is not west] == [0, 0, 0]
    assert cli(team.home, "agent", "list") == []


def test_two_agents_for_one_region_split_its_replicas(team: Team, image: Path) -> None:
    publish(team, image, "westeurope=6")
    args = ("--cap-mbps", "16", "--concurrency", "1")
    one = team.agent("one", ["westeurope"], *args)
    two = team.agent("two", ["westeurope"], *args)
    wait_for("every replica Completed", lambda: completed(team))
    assert one.terminate() == 0 and two.terminate() == 0

    rows = replica_rows(team.url)
    copies = {r["id"] for r in rows if r["idx"] > 0}
    # both worked, on different replicas, and between them on all of them
    assert one.completed() and two.completed()
    assert one.completed().isdisjoint(two.completed())
    assert one.completed() | two.completed() == copies
    for r in rows:
        if r["idx"] > 0:  # claimed once, written once, committed once
            assert (r["attempts"], r["commits"], r["state"]) == (1, 1, "Completed")


def test_postgres_down_for_10s_mid_replication(team: Team, image: Path, postgres: Any) -> None:
    import subprocess
    import time

    from helpers.gallery import cli_argv, cli_env

    publish(team, image, "westeurope=2", "eastus=2")
    team.agent("westeurope", ["westeurope"], "--cap-mbps", "2")
    team.agent("eastus", ["eastus"], "--cap-mbps", "2", **S3_SECRET)
    waiter = subprocess.Popen(cli_argv(team.home, "sig", "image-version", "wait", *IDS),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=cli_env())  # fmt: skip
    wait_for("a copy under way", lambda: any(
        r["state"] == "Copying" and r["bytes_written"] > 0
        for r in replica_rows(team.url)))  # fmt: skip
    postgres.pg_ctl("stop")
    try:
        time.sleep(10)
    finally:
        postgres.pg_ctl("start")
    out, err = waiter.communicate(timeout=120)
    assert waiter.returncode == 0, err
    import json

    assert json.loads(out)["replicationStatus"]["aggregatedState"] == "Completed"
    rows = replica_rows(team.url)
    assert [r["state"] for r in rows] == ["Completed"] * 4
    assert all(r["commits"] == 1 for r in rows if (r["region"], r["idx"]) != ("westeurope", 0))
    assert any("retrying" in a.log for a in team.agents)
    want = xxh128(image)
    for r in rows:
        (team.root / "check").write_bytes(read_replica(r["location"], team.s3, team.az) or b"")
        assert xxh128(team.root / "check") == want


def test_an_agent_without_its_credentials_fails_its_region_with_the_reason(
    team: Team, image: Path
) -> None:
    publish(team, image, "westeurope", "eastus")
    team.agent("westeurope", ["westeurope"])
    bare = team.agent("eastus", ["eastus"])  # no EASTUS_S3_SECRET given
    version = wait_for("eastus Failed", lambda: (v := shown(team.home))["provisioningState"]
                       == "Failed" and v)  # fmt: skip
    states = {s["region"]: s for s in version["replicationStatus"]["summary"]}
    assert states["westeurope"]["state"] == "Completed"
    assert states["eastus"]["state"] == "Failed"
    assert (
        "secret_access_key: environment variable EASTUS_S3_SECRET is unset"
        in (states["eastus"]["details"])
    )
    assert bare.terminate() == 0
    for a in team.agents:  # no secret in any agent's output
        assert S3_SECRET["EASTUS_S3_SECRET"] not in a.log
        assert AZ_SECRET["NORTHEUROPE_AZ_KEY"] not in a.log


def test_bad_agent_invocations_are_one_line_errors(team: Team) -> None:
    from helpers.gallery import cli_run

    cli(team.home, "region", "add", "westus", "--store", str(team.root / "westus"))
    for args, why in [
        (["agent"], "--region is required"),
        (["agent", "--region", "westus"], "region 'westus' is not agent-served"),
        (["agent", "--region", "mars"], "region 'mars' not found"),
    ]:
        result = cli_run(team.home, *args)
        assert result.returncode == 1, result
        assert why in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr
    assert cli_run(team.home, "agent", "--lease-seconds", "0").returncode == 2
