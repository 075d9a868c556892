"""SIGTERM drains an agent: it claims nothing more, gives its running copy
`--drain-seconds` to finish, then cancels it, hands the job back (Pending,
no lease, so another agent starts it at once rather than after the lease)
and leaves `agent list`; it exits 0."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from helpers.agents import Team, replica_rows, wait_for
from helpers.gallery import IDS, cli, region_states, shown


def test_sigterm_hands_the_running_copy_back(team: Team, image: Path) -> None:
    cli(team.home, "sig", "image-version", "create", *IDS, "-l", "westeurope",
        "--os-vhd", str(image), "--target-regions", "westeurope=2")  # fmt: skip
    slow = team.agent("slow", ["westeurope"], "--cap-mbps", "1", "--drain-seconds", "0.5",
                      "--lease-seconds", "60")  # fmt: skip
    copying = wait_for("the copy under way", lambda: [
        r for r in replica_rows(team.url)
        if r["state"] == "Copying" and r["bytes_written"] > 0])  # fmt: skip
    started = time.monotonic()
    assert slow.terminate() == 0
    assert time.monotonic() - started < 30  # not the 60 s lease, nor the 16 s copy
    assert "handed back replicas" in slow.log
    back = next(r for r in replica_rows(team.url) if r["id"] == copying[0]["id"])
    assert back["state"] == "Pending"
    assert cli(team.home, "agent", "list") == []

    # with a 60 s lease it would wait a minute; handed back, it goes on now
    team.agent("next", ["westeurope"], "--lease-seconds", "60")
    version = wait_for("westeurope Completed", lambda: (v := shown(team.home))["provisioningState"]
                       == "Succeeded" and v, timeout=30)  # fmt: skip
    assert region_states(version) == {"westeurope": "Completed"}


def test_sigterm_with_the_catalog_away_exits_within_a_lease(
    team: Team, image: Path, postgres: Any
) -> None:
    cli(team.home, "sig", "image-version", "create", *IDS, "-l", "westeurope",
        "--os-vhd", str(image), "--target-regions", "westeurope=2")  # fmt: skip
    agent = team.agent("slow", ["westeurope"], "--cap-mbps", "1", "--drain-seconds", "0.5")
    wait_for("the copy under way", lambda: [
        r for r in replica_rows(team.url)
        if r["state"] == "Copying" and r["bytes_written"] > 0])  # fmt: skip
    postgres.pg_ctl("stop")
    try:
        started = time.monotonic()
        assert agent.terminate(timeout=60) == 0
        assert time.monotonic() - started < 20  # drain 0.5 s + lease 2 s + backoff
        assert "could not hand back replicas" in agent.log
    finally:
        postgres.pg_ctl("start")
