"""The one data layer of the gallery: every SQL statement lives in this package.

`open_catalog(home)` returns a Catalog over `<home>/catalog.db` (SQLite, WAL).
A PostgreSQL backend would be another Catalog with the same methods.

    base       connection, transactions, migrations, home settings
    schema     the migrations
    resources  regions, galleries, image definitions
    grants     roles of principals
    versions   image versions read back as models; disk manifests
    targets    recording a version, editing its target regions, replica plan
    replicas   replica rows: state, progress, digest
    work       the replicating job of a version; deployment leases
"""

from __future__ import annotations

from pathlib import Path

from imgrepl.catalog.replicas import ReplicaRow
from imgrepl.catalog.versions import VersionRef
from imgrepl.catalog.work import Work
from imgrepl.home import catalog_path


class Catalog(Work):
    """Regions, galleries, definitions, versions, replicas, grants and leases."""


def open_catalog(home: Path) -> Catalog:
    return Catalog(catalog_path(home))


__all__ = ["Catalog", "ReplicaRow", "VersionRef", "open_catalog"]
