"""The catalog's repositories in SQL, shared by every backend: they run the
same statements on SQLite (imgrepl.catalog.sqlite) and PostgreSQL
(imgrepl.catalog.postgres), whose sessions hold what differs.

    session   the connection, transactions, migrations, row helpers
    settings  the home's owner and limits
    regions   regions
    galleries galleries and image definitions
    tokens    access tokens (hashes of their secrets)
    role_assignments  roles of principals at ARM scopes
    versions  image versions, their disks and target regions
    replicas  replica rows, and reconciling them with the plan
    jobs      the job replicating a version; deployment leases
    agents    the region agents' work queue (leases on replica rows) and registry
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from imgrepl.catalog.sql.agents import SqlAgents
from imgrepl.catalog.sql.galleries import SqlDefinitions, SqlGalleries
from imgrepl.catalog.sql.jobs import SqlJobs, SqlLeases
from imgrepl.catalog.sql.regions import SqlRegions
from imgrepl.catalog.sql.replicas import SqlReplicas
from imgrepl.catalog.sql.role_assignments import SqlRoleAssignments
from imgrepl.catalog.sql.session import Session
from imgrepl.catalog.sql.settings import SqlSettings
from imgrepl.catalog.sql.tokens import SqlTokens
from imgrepl.catalog.sql.versions import SqlVersions
from imgrepl.gallery.scope import ArmId


class SqlCatalog:
    """Every repository over one Session.  A transaction yields the catalog
    itself: the calls the thread makes inside it join the open transaction."""

    def __init__(self, session: Session, url: str, scope: ArmId | None = None) -> None:
        self.session = session
        self.url = url
        self.scope = scope
        self.settings = SqlSettings(session)
        self.regions = SqlRegions(session)
        self.galleries = SqlGalleries(session, scope)
        self.definitions = SqlDefinitions(session, scope)
        self.tokens = SqlTokens(session)
        self.role_assignments = SqlRoleAssignments(session)
        self.versions = SqlVersions(session, scope)
        self.replicas = SqlReplicas(session)
        self.jobs = SqlJobs(session)
        self.leases = SqlLeases(session)
        self.agents = SqlAgents(session)

    def scoped(self, scope: ArmId | None) -> SqlCatalog:
        """The same connection, its gallery names looked up in `scope`."""
        return SqlCatalog(self.session, self.url, scope)

    @contextmanager
    def transaction(self) -> Iterator[SqlCatalog]:
        with self.session.write():
            yield self

    def close(self) -> None:
        self.session.close()


__all__ = ["SqlCatalog"]
