"""Region agents in the tests: a real `imgrepl agent` process per region,
given only its own region's store secret in its environment and an empty
home of its own, its stderr kept in a log file the test reads; and the
catalog's replica rows as PostgreSQL holds them (read with psycopg, not
through imgrepl)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers.store_servers import AZURITE_KEY, Azurite, RcloneS3

# what an agent must not inherit: every store credential of the test process
_CREDENTIALS = ("AWS_", "AZURE_", "EASTUS_", "NORTHEUROPE_", "IMGREPL_HOME")


S3_SECRET = {"EASTUS_S3_SECRET": RcloneS3.secret_key}
AZ_SECRET = {"NORTHEUROPE_AZ_KEY": AZURITE_KEY}


class AgentProcess:
    def __init__(
        self,
        root: Path,
        name: str,
        catalog: str,
        regions: list[str],
        secrets: dict[str, str] | None = None,
        *args: str,
    ) -> None:
        self.name = name
        self.home = root / f"agent-{name}"
        self.home.mkdir(parents=True)
        self.log_path = root / f"agent-{name}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(_CREDENTIALS)}
        env |= {"IMGREPL_CATALOG": catalog, **(secrets or {})}
        argv = [sys.executable, "-m", "imgrepl", "agent", "--home", str(self.home)]
        for region in regions:
            argv += ["--region", region]
        with self.log_path.open("w") as log:
            self.proc = subprocess.Popen(
                [*argv, *args], stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env
            )

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    def completed(self) -> set[int]:
        """Replica ids this agent recorded Completed (its log lines)."""
        return {
            int(line.split("replica ", 1)[1].split()[0])
            for line in self.log.splitlines()
            if " replica " in line and line.split(": ")[-1] == "Completed"
        }

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM: it drains and exits; returns its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@dataclass
class Team:
    """A shared catalog, its publisher's home, and the agents started on it."""

    root: Path
    url: str
    home: Path
    s3: RcloneS3
    az: Azurite
    agents: list[AgentProcess] = field(default_factory=list)

    def agent(self, name: str, regions: list[str], *args: str, **secrets: str) -> AgentProcess:
        a = AgentProcess(self.root, name, self.url, regions, secrets, "--lease-seconds", "2", *args)
        self.agents.append(a)
        return a


def replica_rows(url: str) -> list[dict[str, Any]]:
    """Every replica row, straight from PostgreSQL."""
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(
            "SELECT id, region, idx, state, egress, commits, copied_from, attempts, location, "
            "bytes_written, details FROM replicas ORDER BY region, idx"
        ).fetchall()


def wait_for(what: str, check: Any, timeout: float = 90, every: float = 0.1) -> Any:
    """Calls `check()` until it returns something true (a deadline, not a speed test)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")
