"""The SQLite catalog (`<home>/catalog.db`, WAL): the embedded default
implementation of imgrepl.catalog.protocol.Catalog.  Only imgrepl.catalog
imports this package; the layers above see the protocol.

    session   the connection, transactions, migrations, row helpers
    settings  the home's owner and limits
    regions   regions
    galleries galleries and image definitions
    grants    roles of principals
    versions  image versions, their disks and target regions
    replicas  replica rows, and reconciling them with the plan
    jobs      the job replicating a version; deployment leases

SQL is kept portable where it costs nothing (the migrations are one list
for every backend); SQLite-only spots say so in a comment.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from imgrepl.catalog.sqlite.galleries import SqliteDefinitions, SqliteGalleries
from imgrepl.catalog.sqlite.grants import SqliteGrants
from imgrepl.catalog.sqlite.jobs import SqliteJobs, SqliteLeases
from imgrepl.catalog.sqlite.regions import SqliteRegions
from imgrepl.catalog.sqlite.replicas import SqliteReplicas
from imgrepl.catalog.sqlite.session import Session
from imgrepl.catalog.sqlite.settings import SqliteSettings
from imgrepl.catalog.sqlite.versions import SqliteVersions


class SqliteCatalog:
    """Every repository over one Session.  A transaction yields the catalog
    itself: the calls the thread makes inside it join the open transaction."""

    def __init__(self, path: Path) -> None:
        self.session = Session(path)
        self.settings = SqliteSettings(self.session)
        self.regions = SqliteRegions(self.session)
        self.galleries = SqliteGalleries(self.session)
        self.definitions = SqliteDefinitions(self.session)
        self.grants = SqliteGrants(self.session)
        self.versions = SqliteVersions(self.session)
        self.replicas = SqliteReplicas(self.session)
        self.jobs = SqliteJobs(self.session)
        self.leases = SqliteLeases(self.session)

    @property
    def path(self) -> Path:
        return self.session.path

    @contextmanager
    def transaction(self) -> Iterator[SqliteCatalog]:
        with self.session.write():
            yield self

    def close(self) -> None:
        self.session.close()


__all__ = ["SqliteCatalog"]
