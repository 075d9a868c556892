"""The catalog connection: SQLite in WAL mode with foreign keys, a busy
timeout, explicit transactions (BEGIN IMMEDIATE for every write, so two
processes never both read-then-write), and schema migrations."""

from __future__ import annotations

import dataclasses
import os
import socket
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from imgrepl.catalog.schema import MIGRATIONS
from imgrepl.exceptions import ConflictError
from imgrepl.gallery.rules import Limits

BUSY_TIMEOUT_MS = 30_000
HOST = socket.gethostname()
T = TypeVar("T")


class Base:
    """Owns the connection; the resource mixins add the queries."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            str(path),
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        self._conn.row_factory = sqlite3.Row
        self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA foreign_keys = ON")
        self._conn.execute("PRAGMA synchronous = NORMAL")
        self._migrate()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; any exception rolls all of it back."""
        with self._transaction("BEGIN IMMEDIATE") as db:
            yield db

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several SELECTs."""
        with self._transaction("BEGIN") as db:
            yield db

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute(begin)
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _migrate(self) -> None:
        with self._write() as db:
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = db.execute("SELECT version FROM schema_version").fetchone()
            current = row[0] if row else 0
            if current > len(MIGRATIONS):
                raise ConflictError(
                    f"catalog {self.path} has schema version {current}, newer than this "
                    f"imgrepl ({len(MIGRATIONS)}); upgrade imgrepl"
                )
            for script in MIGRATIONS[current:]:
                for statement in script.split(";\n"):
                    if statement.strip():
                        db.execute(statement)
            if row is None:
                db.execute("INSERT INTO schema_version VALUES (?)", (len(MIGRATIONS),))
            else:
                db.execute("UPDATE schema_version SET version = ?", (len(MIGRATIONS),))

    def schema_version(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT version FROM schema_version").fetchone()[0])

    # --- home settings --------------------------------------------------------
    def _meta(self, db: sqlite3.Connection, key: str) -> str | None:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def ensure_owner(self, principal: str) -> str:
        """The home's owner: whoever opened it first."""
        with self._write() as db:
            owner = self._meta(db, "owner")
            if owner is None:
                db.execute("INSERT INTO meta VALUES ('owner', ?)", (principal,))
                owner = principal
            return owner

    def limits(self) -> Limits:
        with self._lock:
            values = {
                k: int(self._meta(self._conn, f"limit.{k}") or getattr(Limits(), k))
                for k in ("galleries", "definitions", "versions")
            }
        return Limits(**values)

    def set_limits(self, limits: Limits) -> None:
        limits.checked()
        with self._write() as db:
            for key in ("galleries", "definitions", "versions"):
                db.execute(
                    "INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = "
                    "excluded.value",
                    (f"limit.{key}", str(getattr(limits, key))),
                )


def pid_alive(pid: int | None, host: str | None) -> bool:
    """Whether a job or lease holder still runs (other hosts: assume it does)."""
    if pid is None:
        return False
    if host != HOST:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def row_dict(row: sqlite3.Row) -> dict[str, Any]:
    return {k: row[k] for k in row.keys()}  # noqa: SIM118 - sqlite3.Row is not a Mapping


def record(cls: type[T], row: sqlite3.Row, **overrides: Any) -> T:
    """A dataclass from the row's columns named like its fields (plus overrides)."""
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    values = {k: v for k, v in row_dict(row).items() if k in names}
    return cls(**(values | overrides))


def insert(db: sqlite3.Connection, table: str, values: Mapping[str, Any]) -> int:
    """INSERT of one row from column -> value; returns its rowid."""
    columns = ", ".join(values)
    marks = ", ".join("?" * len(values))
    cur = db.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(values.values()))
    assert cur.lastrowid is not None
    return cur.lastrowid
