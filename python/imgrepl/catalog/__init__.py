"""The gallery's storage, behind a typed protocol: every SQL statement lives
in this package, and the layers above see only `Catalog`.

    protocol  Catalog: one repository per aggregate (settings, regions,
              galleries, definitions, tokens, role assignments, versions,
              replicas, jobs, leases) and `transaction()`, the unit of work they share
    records   VersionRef, ReplicaRow: what it returns besides domain models
    schema    the migrations, one list for every backend
    urls      which catalog a process opens; URLs without their passwords
    sql/      the repositories in SQL, shared by every backend
    sqlite/   the SQLite backend (the embedded default)
    postgres/ the PostgreSQL backend (a catalog a team shares)

`open_catalog(home)` opens `<home>/catalog.db`; `open_catalog(URL)` opens
`sqlite:///PATH` or `postgresql://[user[:password]@]host[:port]/database`.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from imgrepl.catalog.protocol import Catalog, Repositories
from imgrepl.catalog.records import AgentInfo, AgentJob, Outcome, ReplicaRow, VersionRef
from imgrepl.catalog.urls import ENV_CATALOG, redact, resolve_catalog
from imgrepl.exceptions import ValidationError
from imgrepl.home import catalog_path

_USAGE = "use sqlite:///PATH or postgresql://[USER[:PASSWORD]@]HOST[:PORT]/DATABASE"


def open_catalog(where: Path | str) -> Catalog:
    """The catalog of a home directory, or the one a URL names.  (Returning
    a backend as a Catalog is where mypy checks that it satisfies the
    protocol.)  Each backend's driver loads only when one is opened."""
    from imgrepl.catalog.sqlite import SqliteCatalog

    text = str(where)
    if "://" not in text:
        return SqliteCatalog(catalog_path(Path(where)))
    try:
        url = urlsplit(text)
        url.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise ValidationError(
            f"catalog URL {redact(text)!r} is not valid ({exc}): {_USAGE}"
        ) from None
    if url.scheme == "sqlite" and not url.netloc and url.path:
        return SqliteCatalog(Path(unquote(url.path)))
    if url.scheme in ("postgresql", "postgres") and url.path.strip("/"):
        from imgrepl.catalog.postgres import PostgresCatalog

        return PostgresCatalog(text)
    raise ValidationError(f"catalog URL {redact(text)!r} is not supported: {_USAGE}")


__all__ = [
    "ENV_CATALOG",
    "AgentInfo",
    "AgentJob",
    "Catalog",
    "Outcome",
    "ReplicaRow",
    "Repositories",
    "VersionRef",
    "open_catalog",
    "resolve_catalog",
]
