"""The PostgreSQL catalog (`postgresql://user@host/db`), for a team: the
repositories are imgrepl.catalog.sql's, and this holds what is
PostgreSQL's own.

psycopg 3, synchronous: the catalog calls are synchronous and run on worker
threads, and psycopg's `Connection.execute` returns a cursor as sqlite3's
does, so the shared repositories run unchanged (asyncpg would need an event
loop on every worker thread).  Its `%s` parameters are the repositories' `?`.

Every write transaction first takes one transaction-scoped advisory lock,
so writers are serialised exactly as SQLite's BEGIN IMMEDIATE serialises
them: a caller's read-compute-write (`Catalog.transaction()`) cannot be
retried by the catalog, which SERIALIZABLE would need, and counting rows
against a limit needs every writer of that table excluded, which row locks
alone do not give.  Reads are REPEATABLE READ snapshots and take no lock.
Region agents (imgrepl.catalog.sql.agents) do not take it for their claims,
heartbeats and outcomes: those lock the replica rows they touch, claims
with `FOR UPDATE SKIP LOCKED`, so agents never queue behind each other.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import psycopg
from psycopg.adapt import Dumper

from imgrepl.catalog.schema import migrations
from imgrepl.catalog.sql import SqlCatalog
from imgrepl.catalog.sql.session import Cursor, Session
from imgrepl.catalog.urls import redact, scrub
from imgrepl.exceptions import CatalogError

# the advisory lock every writer holds (its key: "imgrepl" in ASCII)
WRITE_LOCK = 0x696D6772_65706C
CONNECT_TIMEOUT_S = 10


class PgRow:
    """A row by column name or position, as sqlite3.Row gives it."""

    __slots__ = ("_names", "_values")

    def __init__(self, names: dict[str, int], values: Sequence[Any]) -> None:
        self._names = names
        self._values = values

    def __getitem__(self, key: int | str) -> Any:
        return self._values[self._names[key] if isinstance(key, str) else key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def keys(self) -> list[str]:
        return list(self._names)


def _row_factory(cursor: Any) -> Any:
    names = [c.name for c in cursor.description or ()]
    index = {n: i for i, n in reversed(list(enumerate(names)))}  # the first of a name wins

    def make(values: Sequence[Any]) -> PgRow:
        return PgRow(index, values)

    return make


class _IntBool(Dumper):
    """Booleans are stored as 0/1 integers, as in SQLite."""

    oid = psycopg.postgres.types["int8"].oid

    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"


@functools.lru_cache(maxsize=512)
def _pyformat(sql: str) -> str:
    """qmark parameters in psycopg's spelling (no statement has a `?` or `%` of its own)."""
    return sql.replace("%", "%%").replace("?", "%s")


class PgConnection:
    """psycopg's connection with sqlite3's interface.  A server that went
    away is a CatalogError; a transaction begun after that reconnects, so a
    long-lived process outlives a server restart (nothing of an interrupted
    transaction was committed, so nothing is half done)."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._conn = self._connect()

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(
                self._url,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT_S,
                row_factory=_row_factory,
            )
        except psycopg.Error as exc:
            raise self.error(exc) from None
        conn.adapters.register_dumper(bool, _IntBool)
        return conn

    def error(self, exc: psycopg.Error) -> CatalogError:
        """The driver's error as one line naming the catalog (its password scrubbed)."""
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return CatalogError(f"catalog {redact(self._url)}: {scrub(first, self._url)}")

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> Cursor:
        begin = sql.startswith("BEGIN")
        if begin and self._conn.closed:  # lost with the last transaction
            self._conn = self._connect()
        try:
            return self._execute(sql, params)
        except psycopg.OperationalError as exc:  # the server went away, or refused
            if not (begin and self._conn.closed):
                raise self.error(exc) from exc
        self._conn = self._connect()  # it restarted since the last transaction
        try:
            return self._execute(sql, params)
        except psycopg.OperationalError as exc:
            raise self.error(exc) from exc

    def _execute(self, sql: str, params: Sequence[Any]) -> Cursor:
        if params:
            return self._conn.execute(_pyformat(sql), params)
        return self._conn.execute(sql)

    def executemany(self, sql: str, params: Iterable[Sequence[Any]], /) -> Cursor:
        cursor = self._conn.cursor()
        try:
            cursor.executemany(_pyformat(sql), list(params))
        except psycopg.OperationalError as exc:
            raise self.error(exc) from exc
        return cursor

    def close(self) -> None:
        self._conn.close()


class PostgresSession(Session):
    begin_write = (
        "BEGIN ISOLATION LEVEL READ COMMITTED",
        f"SELECT pg_advisory_xact_lock({WRITE_LOCK})",
    )
    begin_read = ("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",)
    begin_claim = ("BEGIN ISOLATION LEVEL READ COMMITTED",)
    skip_locked = " FOR UPDATE OF r SKIP LOCKED"
    lock_rows = " FOR UPDATE OF r"

    def __init__(self, url: str) -> None:
        conn = PgConnection(url)
        super().__init__(conn, redact(url))
        try:
            self.migrate(migrations("postgresql"))
        except psycopg.Error as exc:  # e.g. a role that may not create the tables
            conn.close()
            raise conn.error(exc) from None
        except BaseException:
            conn.close()
            raise


class PostgresCatalog(SqlCatalog):
    def __init__(self, url: str) -> None:
        super().__init__(PostgresSession(url), url)


__all__ = ["PostgresCatalog"]
