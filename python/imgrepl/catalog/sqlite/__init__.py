"""The SQLite catalog (`<home>/catalog.db`, WAL): the embedded default.
Only imgrepl.catalog imports this package; the layers above see the
protocol.  The repositories are imgrepl.catalog.sql's; what is SQLite's
own is here: the connection's PRAGMAs (foreign keys, a busy timeout) and
BEGIN IMMEDIATE for every write, so two processes never both
read-then-write.
"""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Sequence
from pathlib import Path

from imgrepl.catalog.schema import migrations
from imgrepl.catalog.sql import SqlCatalog
from imgrepl.catalog.sql.session import Session
from imgrepl.exceptions import CatalogError
from imgrepl.files import file_kind

BUSY_TIMEOUT_MS = 30_000


class SqliteSession(Session):
    begin_write = ("BEGIN IMMEDIATE",)
    begin_read = ("BEGIN",)

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        _check_regular(path)
        self.path = path
        conn = sqlite3.connect(
            str(path),
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        try:  # the first statement that touches the file
            conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.DatabaseError as exc:  # not a database, cannot be opened, ...
            conn.close()
            raise CatalogError(f"catalog {path}: {exc}") from None
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        # what a write replaces (an old store option, say) is zeroed on
        # disk, not left in free pages
        conn.execute("PRAGMA secure_delete = ON")
        super().__init__(conn, str(path))
        self.migrate(migrations("sqlite"))

    def migrate(self, migrations: Sequence[Sequence[str]]) -> None:
        """With foreign keys off (they can only change outside a transaction):
        a migration that copies a table drops the old one, which would
        otherwise cascade to the rows referring to it (ids are copied, so
        the references hold)."""
        self._conn.execute("PRAGMA foreign_keys = OFF")
        try:
            super().migrate(migrations)
        finally:
            self._conn.execute("PRAGMA foreign_keys = ON")


def _check_regular(path: Path) -> None:
    """SQLite on a FIFO, a device or a directory fails with a bare "disk I/O
    error" (or worse): say what is there instead."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise CatalogError(f"catalog {path}: not a regular file ({file_kind(mode)})")


class SqliteCatalog(SqlCatalog):
    def __init__(self, path: Path) -> None:
        super().__init__(SqliteSession(path), f"sqlite://{path}")
        self.path = path


__all__ = ["SqliteCatalog"]
