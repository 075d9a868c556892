"""Regions: a name, its store URL and options, its zones."""

from __future__ import annotations

import json

from imgrepl.catalog.sql.session import Db, Row, Session, insert, record
from imgrepl.exceptions import ConflictError, NotFoundError
from imgrepl.gallery.models import Region


def _region(row: Row) -> Region:
    options = json.loads(row["store_options"])
    return record(Region, row, store_options=options, agent_served=bool(row["agent_served"]))


def get_region(db: Db, name: str) -> Region:
    """The region, which must exist (every repository naming one checks it here)."""
    row = db.execute("SELECT * FROM regions WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise NotFoundError(f"region {name!r} not found; add it with `imgrepl region add`")
    return _region(row)


class SqlRegions:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, region: Region) -> Region:
        with self._s.write() as db:
            if db.execute("SELECT 1 FROM regions WHERE name = ?", (region.name,)).fetchone():
                raise ConflictError(f"region {region.name!r} exists already")
            options = json.dumps(region.store_options)
            insert(db, "regions", vars(region) | {"store_options": options}, key="name")
        return region

    def get(self, name: str) -> Region:
        with self._s.read() as db:
            return get_region(db, name)

    def all(self) -> list[Region]:
        with self._s.read() as db:
            return [_region(r) for r in db.execute("SELECT * FROM regions ORDER BY name")]

    def set_store_options(self, name: str, options: dict[str, str]) -> None:
        with self._s.write() as db:
            get_region(db, name)
            db.execute(
                "UPDATE regions SET store_options = ? WHERE name = ?", (json.dumps(options), name)
            )

    def set_agent_served(self, name: str, served: bool) -> None:
        with self._s.write() as db:
            get_region(db, name)
            db.execute("UPDATE regions SET agent_served = ? WHERE name = ?", (int(served), name))

    def remove(self, name: str) -> None:
        with self._s.write() as db:
            get_region(db, name)
            users = db.execute(
                "SELECT (SELECT COUNT(*) FROM galleries WHERE location = ?)"
                " + (SELECT COUNT(*) FROM target_regions WHERE region = ?)"
                " + (SELECT COUNT(*) FROM versions WHERE location = ?)",
                (name, name, name),
            ).fetchone()[0]
            if users:
                raise ConflictError(
                    f"region {name!r} is in use by {users} galleries or image versions; "
                    "remove them or their target regions first"
                )
            db.execute("DELETE FROM regions WHERE name = ?", (name,))
