"""The one data layer of the gallery: every SQL statement lives in this package.

`open_catalog(home)` returns a Catalog over `<home>/catalog.db` (SQLite, WAL).
A PostgreSQL backend would be another Catalog with the same methods.
"""

from __future__ import annotations

from pathlib import Path

from imgrepl.gallery.db.replicas import ReplicaRow, Replicas
from imgrepl.gallery.db.versions import VersionRef
from imgrepl.gallery.home import catalog_path


class Catalog(Replicas):
    """Regions, galleries, definitions, versions, replicas, grants and leases."""


def open_catalog(home: Path) -> Catalog:
    return Catalog(catalog_path(home))


__all__ = ["Catalog", "ReplicaRow", "VersionRef", "open_catalog"]
