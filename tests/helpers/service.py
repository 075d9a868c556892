"""`imgrepl serve` as a real process for the service tests: TLS from a
trustme CA, a free port, the `listening on` line awaited, and a stop by
signal that reports the exit status."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme

LISTENING = re.compile(r"listening on (https?://\S+)")


@dataclass
class Tls:
    ca_pem: Path
    cert: Path
    key: Path


def make_tls(where: Path) -> Tls:
    """A CA and a certificate for 127.0.0.1 and localhost signed by it."""
    where.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    tls = Tls(where / "ca.pem", where / "cert.pem", where / "key.pem")
    ca.cert_pem.write_to_path(str(tls.ca_pem))
    cert.cert_chain_pems[0].write_to_path(str(tls.cert))
    cert.private_key_pem.write_to_path(str(tls.key))
    return tls


@dataclass
class Served:
    """A running `imgrepl serve`."""

    proc: subprocess.Popen[str]
    url: str
    lines: list[str] = field(default_factory=list)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        finally:
            self._drain()

    def _drain(self) -> None:
        out = self.proc.stdout
        if out is not None and not out.closed:
            self.lines.append(out.read())
            out.close()

    def output(self) -> str:
        """Everything it printed (once it has stopped)."""
        return "".join(self.lines)


def serve_argv(home: Path, tls: Tls | None, *extra: str) -> list[str]:
    argv = [sys.executable, "-m", "imgrepl", "serve", "--home", str(home), "--port", "0"]
    if tls is not None:
        argv += ["--tls-cert", str(tls.cert), "--tls-key", str(tls.key)]
    return argv + list(extra)


def start_serve(argv: list[str], env: dict[str, str] | None = None, wait: float = 60) -> Served:
    """Starts the server and waits for its `listening on` line."""
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.2)
        if ready:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            found = LISTENING.search(line)
            if found:
                return Served(proc, found.group(1), lines)
        elif proc.poll() is not None:
            break
    proc.kill()
    out = "".join(lines) + (proc.stdout.read() or "")
    raise AssertionError(f"imgrepl serve did not start: {out}")


# --- principals -----------------------------------------------------------------------
SUB = "00000000-0000-0000-0000-00000000aaaa"
OTHER_SUB = "00000000-0000-0000-0000-00000000bbbb"
RG = "rg"


def token_for(home: Path, principal: str, role: str | None, scope: str | None = None, *,
              expires_in: str = "1h") -> str:  # fmt: skip
    """A token made by the home's owner with `imgrepl token create`, and, given
    a role, its assignment at `scope` (default: the test subscription)."""
    from helpers.gallery import cli

    made = cli(home, "token", "create", "--principal", principal, "--expires-in", expires_in)
    if role is not None:
        cli(home, "role", "assignment", "create", "--assignee", principal, "--role", role,
            "--scope", scope or f"/subscriptions/{SUB}")  # fmt: skip
    return str(made["token"])


def replica_digests(
    home: Path, g: str = "G", d: str = "D", v: str = "1.0.0", s3: Any = None
) -> dict[str, list[str]]:
    """region -> the xxh3-128 of each of the version's replicas, read here
    (files directly; s3:// objects from the rclone server's directory)."""
    import xxhash
    from imgrepl import Client

    from helpers.gallery import OWNER, run
    from helpers.store_servers import read_replica

    async def rows() -> list[tuple[str, str]]:
        async with Client(home, principal=OWNER, subscription=SUB, resource_group=RG) as c:
            found = await c.list_replicas(g, d, v)
        return [(r.region, r.location) for r in found]

    out: dict[str, list[str]] = {}
    for region, location in run(rows()):
        data = read_replica(location, s3, None)  # type: ignore[arg-type]
        assert data is not None, location
        out.setdefault(region, []).append(xxhash.xxh3_128(data).hexdigest())
    return out
