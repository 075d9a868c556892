"""A real PostgreSQL server for the tests, from Debian's `postgresql`
package: initdb + pg_ctl in a temporary directory, on a free loopback port
(as the `postgres` user when the tests run as root, which initdb refuses),
one per session; each test gets a fresh database cloned from a template
that is migrated once.  Fails (never skips) when PostgreSQL is missing."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def bindir() -> Path:
    """Where initdb and pg_ctl are: on PATH, or Debian's newest version."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if not versions:
        raise RuntimeError(
            "PostgreSQL is not installed (no initdb): apt-get install postgresql "
            "(scripts/test.sh does)"
        )
    return Path(versions[-1]).parent


def _version(path: str) -> tuple[int, ...]:
    return tuple(int(p) for p in Path(path).parts[-3].split(".") if p.isdigit())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """`url(db)` names a database on it; `fresh()` makes a new one."""

    TEMPLATE = "imgrepl_template"

    def __init__(self) -> None:
        self.bin = bindir()
        self.dir = Path(tempfile.mkdtemp(prefix="imgrepl-pg-", dir=_data_root()))
        self.port = _free_port()
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            self._as_user = ["runuser", "-u", "postgres", "--"]
        self._count = 0
        self._made: list[str] = []  # databases fresh() made, dropped by drop_fresh()

    def _run(self, *argv: str) -> None:
        proc = subprocess.run([*self._as_user, *argv], capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed: {proc.stderr or proc.stdout}")

    def start(self) -> PostgresServer:
        data = self.dir / "data"
        self._run(str(self.bin / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--no-sync")  # fmt: skip
        self.pg_ctl("start")
        LIVE.add(self)
        self.sql(f"CREATE DATABASE {self.TEMPLATE}")
        from imgrepl.catalog import open_catalog

        open_catalog(self.url(self.TEMPLATE)).close()  # migrated once, cloned per test
        return self

    def pg_ctl(self, action: str, mode: str = "fast") -> None:
        """Starts or stops the server (fast: its connections are cut)."""
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} "
                   "-c fsync=off -c max_connections=200")  # fmt: skip
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-o", options,
                  "-l", str(self.dir / "log"), "-m", mode, "-w", action)  # fmt: skip

    def stop(self) -> None:
        LIVE.discard(self)
        with contextlib.suppress(RuntimeError):
            self.pg_ctl("stop", "immediate")  # its data goes next
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            conn.execute(statement)

    def fresh(self) -> str:
        """A new catalog database, migrated (a copy of the template)."""
        self._count += 1
        name = f"catalog_{self._count}"
        self.sql(f"CREATE DATABASE {name} TEMPLATE {self.TEMPLATE}")
        self._made.append(name)
        return self.url(name)

    def drop_fresh(self) -> None:
        """Drops what fresh() made (a test's processes cut off): each
        database is ~12 MB of files, and hundreds of them made the server's
        removal at the end of a session take minutes."""
        made, self._made = self._made, []
        for name in made:
            self.sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# the servers running now (tests/conftest.py drops their test databases after each test)
LIVE: set[PostgresServer] = set()


def _data_root() -> str | None:
    """Memory (/dev/shm) when it has room: the server's files are scratch."""
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free > 2 << 30:
        return shm
    return None
