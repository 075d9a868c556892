"""The gallery's storage, behind a typed protocol: every SQL statement lives
in this package, and the layers above see only `Catalog`.

    protocol  Catalog: one repository per aggregate (settings, regions,
              galleries, definitions, grants, versions, replicas, jobs,
              leases) and `transaction()`, the unit of work they share
    records   VersionRef, ReplicaRow: what it returns besides domain models
    schema    the migrations, one list for every backend
    sql/      the repositories in SQL, shared by every backend
    sqlite/   the SQLite backend (the embedded default)

`open_catalog(home)` opens `<home>/catalog.db`; `open_catalog("sqlite:///PATH")`
opens the SQLite catalog at PATH.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from imgrepl.catalog.protocol import Catalog, Repositories
from imgrepl.catalog.records import ReplicaRow, VersionRef
from imgrepl.exceptions import ValidationError
from imgrepl.home import catalog_path


def open_catalog(where: Path | str) -> Catalog:
    """The catalog of a home directory, or the one a URL names.  (Returning
    a SqliteCatalog as a Catalog is where mypy checks that it satisfies the
    protocol.)"""
    from imgrepl.catalog.sqlite import SqliteCatalog  # loads sqlite3 only when opened

    text = str(where)
    if "://" not in text:
        return SqliteCatalog(catalog_path(Path(where)))
    url = urlparse(text)
    if url.scheme != "sqlite" or url.netloc or not url.path:
        raise ValidationError(f"catalog URL {text!r} is not supported: use sqlite:///PATH")
    return SqliteCatalog(Path(unquote(url.path)))


__all__ = ["Catalog", "ReplicaRow", "Repositories", "VersionRef", "open_catalog"]
