"""The SQLite connection every repository shares: WAL mode with foreign
keys and a busy timeout, explicit transactions (BEGIN IMMEDIATE for every
write, so two processes never both read-then-write), nesting (a call made
inside `write()` joins it), the migrations, and row helpers.

SQLite-only here: the PRAGMAs, BEGIN IMMEDIATE (another backend takes a
lock or runs SERIALIZABLE), `lastrowid` (elsewhere: RETURNING id).  The
repositories use qmark (`?`) parameters, which a driver of another
database spells its own way."""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from imgrepl.catalog.schema import MIGRATIONS
from imgrepl.exceptions import ConflictError, LimitExceededError

BUSY_TIMEOUT_MS = 30_000
T = TypeVar("T")


class Session:
    """One connection, one transaction at a time (a thread holds the lock
    for the whole of it; other processes wait on SQLite's lock)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._depth = 0  # open transactions of the thread holding the lock
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
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, or the one already open; any exception
        rolls all of it back."""
        with self._transaction("BEGIN IMMEDIATE") as db:
            yield db

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several SELECTs (or the open transaction)."""
        with self._transaction("BEGIN") as db:
            yield db

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._depth:  # joins the unit of work this thread has open
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            self._conn.execute(begin)
            self._depth = 1
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                self._depth = 0

    def _migrate(self) -> None:
        with self.write() as db:
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


def row_dict(row: sqlite3.Row) -> dict[str, Any]:
    return {k: row[k] for k in row.keys()}  # noqa: SIM118 - sqlite3.Row is not a Mapping


def record(cls: type[T], row: sqlite3.Row, **overrides: Any) -> T:
    """A dataclass from the row's columns named like its fields (plus overrides)."""
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    values = {k: v for k, v in row_dict(row).items() if k in names}
    return cls(**(values | overrides))


def insert(db: sqlite3.Connection, table: str, values: Mapping[str, Any]) -> int:
    """INSERT of one row from column -> value; returns its id (SQLite's rowid)."""
    columns = ", ".join(values)
    marks = ", ".join("?" * len(values))
    cur = db.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(values.values()))
    assert cur.lastrowid is not None
    return cur.lastrowid


def lun_column(lun: int | None) -> int:
    """The OS disk is LUN -1 in the catalog (a NULL would not be unique)."""
    return -1 if lun is None else lun


def lun_value(column: int) -> int | None:
    return None if column < 0 else column


def check_quota(db: sqlite3.Connection, count_sql: str, region: str, kind: str, limit: int) -> None:
    """Refuses a new resource when `region` holds `limit` of its kind already."""
    n = db.execute(count_sql, (region,)).fetchone()[0]
    if n >= limit:
        raise LimitExceededError(
            f"region {region!r} has {n} {kind}: the limit is {limit} per region"
        )
