"""The connection every repository shares, whatever the database: explicit
transactions (every write serialised against every other writer, every
read one consistent snapshot), nesting (a call made inside `write()` joins
it), the migrations, and row helpers.

A backend (imgrepl.catalog.sqlite, imgrepl.catalog.postgres) gives the
connection, how a write and a read begin, and its dialect's migrations;
the repositories' SQL, with qmark (`?`) parameters, is the same for both.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from imgrepl.catalog import changes
from imgrepl.exceptions import ConflictError, LimitExceededError

T = TypeVar("T")


class Row(Protocol):
    """A result row, by column name or position (sqlite3.Row's interface)."""

    def __getitem__(self, key: int | str, /) -> Any: ...
    def keys(self) -> list[str]: ...


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Db(Protocol):
    """The connection a transaction yields: sqlite3.Connection's execute."""

    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Cursor: ...
    def executemany(self, sql: str, params: Iterable[Sequence[Any]], /) -> Cursor: ...
    def close(self) -> None: ...


class Session:
    """One connection, one transaction at a time (a thread holds the lock
    for the whole of it; other processes wait on the database's lock)."""

    # what a backend sets: the statements that open a write and a read transaction
    begin_write: tuple[str, ...] = ()
    begin_read: tuple[str, ...] = ()
    # agents' claims and heartbeats: where the backend can, row locks only
    # (skipping rows another claim holds) instead of the write lock
    begin_claim: tuple[str, ...] = ()
    skip_locked = ""
    lock_rows = ""  # FOR UPDATE of the rows a claim-transaction SELECT reads (alias r)

    def __init__(self, conn: Db, where: str) -> None:
        self.where = where  # names the catalog in messages (never with a password)
        self._conn = conn
        self._lock = threading.RLock()
        self._depth = 0  # open transactions of the thread holding the lock

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def write(self) -> Iterator[Db]:
        """One write transaction, or the one already open; any exception
        rolls all of it back."""
        with self._transaction(self.begin_write, writes=True) as db:
            yield db

    @contextmanager
    def claim(self) -> Iterator[Db]:
        """A write transaction for the agents' queue (begin_claim, or a write)."""
        with self._transaction(self.begin_claim or self.begin_write, writes=True) as db:
            yield db

    @contextmanager
    def read(self) -> Iterator[Db]:
        """A consistent snapshot for several SELECTs (or the open transaction)."""
        with self._transaction(self.begin_read) as db:
            yield db

    @contextmanager
    def _transaction(self, begin: tuple[str, ...], writes: bool = False) -> Iterator[Db]:
        with self._lock:
            if self._depth:  # joins the unit of work this thread has open
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            for statement in begin:
                self._conn.execute(statement)
            self._depth = 1
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
                if writes:  # caches of reads made before this commit are stale now
                    changes.committed()
            finally:
                self._depth = 0

    def migrate(self, migrations: Sequence[Sequence[str]]) -> None:
        """Applies the migrations not applied yet (each a list of statements),
        in one write transaction: two processes opening a new catalog at once
        apply them once."""
        with self.write() as db:
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = db.execute("SELECT version FROM schema_version").fetchone()
            current = row[0] if row else 0
            if current > len(migrations):
                raise ConflictError(
                    f"catalog {self.where} has schema version {current}, newer than this "
                    f"imgrepl ({len(migrations)}); upgrade imgrepl"
                )
            for statements in migrations[current:]:
                for statement in statements:
                    db.execute(statement)
            if row is None:
                db.execute("INSERT INTO schema_version VALUES (?)", (len(migrations),))
            else:
                db.execute("UPDATE schema_version SET version = ?", (len(migrations),))


def row_dict(row: Row) -> dict[str, Any]:
    return {k: row[k] for k in row.keys()}  # noqa: SIM118 - a Row is not a Mapping


def record(cls: type[T], row: Row, **overrides: Any) -> T:
    """A dataclass from the row's columns named like its fields (plus overrides)."""
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    values = {k: v for k, v in row_dict(row).items() if k in names}
    return cls(**(values | overrides))


def insert(db: Db, table: str, values: Mapping[str, Any], key: str = "id") -> Any:
    """INSERT of one row from column -> value; returns its key (RETURNING:
    SQLite has it since 3.35)."""
    columns = ", ".join(values)
    marks = ", ".join("?" * len(values))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING {key}"
    return db.execute(sql, tuple(values.values())).fetchone()[0]


def lun_column(lun: int | None) -> int:
    """The OS disk is LUN -1 in the catalog (a NULL would not be unique)."""
    return -1 if lun is None else lun


def lun_value(column: int) -> int | None:
    return None if column < 0 else column


def check_quota(
    db: Db, count_sql: str, subscription: str, region: str, kind: str, limit: int
) -> None:
    """Refuses a new resource when the subscription holds `limit` of its kind
    in `region` already (exact: every writer holds the write lock while it
    counts and inserts).  `count_sql` takes the subscription, then the region."""
    n = db.execute(count_sql, (subscription, region)).fetchone()[0]
    if n >= limit:
        raise LimitExceededError(
            f"region {region!r} has {n} {kind}: the limit is {limit} per region "
            f"in subscription {subscription}"
        )
