"""Regions, galleries and image definitions."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from imgrepl.catalog.base import Base, insert, record
from imgrepl.exceptions import ConflictError, LimitExceededError, NotFoundError
from imgrepl.gallery.models import Gallery, ImageDefinition, Region
from imgrepl.gallery.rules import Limits

# ImageDefinition field -> column, for the fields an update may touch
DEFINITION_COLUMNS = {
    "description": "description",
    "end_of_life_date": "end_of_life_date",
    "release_note_uri": "release_note_uri",
    "vcpus_min": "vcpus_min",
    "vcpus_max": "vcpus_max",
    "memory_min": "memory_min",
    "memory_max": "memory_max",
}
_JSON_COLUMNS = ("tags", "disallowed_disk_types")


def _definition(row: sqlite3.Row) -> ImageDefinition:
    return record(ImageDefinition, row, **{c: json.loads(row[c]) for c in _JSON_COLUMNS})


def _region(row: sqlite3.Row) -> Region:
    return record(Region, row, store_options=json.loads(row["store_options"]))


_DEFINITION_SELECT = (
    "SELECT d.*, g.name AS gallery, g.location AS location FROM definitions d "
    "JOIN galleries g ON g.id = d.gallery_id "
)


def _check_quota(
    db: sqlite3.Connection, count_sql: str, region: str, kind: str, limit: int
) -> None:
    """Refuses a new resource when `region` holds `limit` of its kind already."""
    n = db.execute(count_sql, (region,)).fetchone()[0]
    if n >= limit:
        raise LimitExceededError(
            f"region {region!r} has {n} {kind}: the limit is {limit} per region"
        )


class Resources(Base):
    # --- regions ------------------------------------------------------------------
    def add_region(self, region: Region) -> Region:
        with self._write() as db:
            if db.execute("SELECT 1 FROM regions WHERE name = ?", (region.name,)).fetchone():
                raise ConflictError(f"region {region.name!r} exists already")
            options = json.dumps(region.store_options)
            insert(db, "regions", vars(region) | {"store_options": options})
        return region

    def _get_region(self, db: sqlite3.Connection, name: str) -> Region:
        row = db.execute("SELECT * FROM regions WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NotFoundError(f"region {name!r} not found; add it with `imgrepl region add`")
        return _region(row)

    def get_region(self, name: str) -> Region:
        with self._lock:
            return self._get_region(self._conn, name)

    def list_regions(self) -> list[Region]:
        with self._lock:
            rows = self._conn.execute("SELECT * FROM regions ORDER BY name")
            return [_region(r) for r in rows]

    def remove_region(self, name: str) -> None:
        with self._write() as db:
            self._get_region(db, name)
            users = db.execute(
                "SELECT (SELECT COUNT(*) FROM galleries WHERE location = :n)"
                " + (SELECT COUNT(*) FROM target_regions WHERE region = :n)"
                " + (SELECT COUNT(*) FROM versions WHERE location = :n)",
                {"n": name},
            ).fetchone()[0]
            if users:
                raise ConflictError(
                    f"region {name!r} is in use by {users} galleries or image versions; "
                    "remove them or their target regions first"
                )
            db.execute("DELETE FROM regions WHERE name = ?", (name,))

    # --- galleries ----------------------------------------------------------------
    def create_gallery(self, gallery: Gallery, limits: Limits) -> Gallery:
        with self._write() as db:
            self._get_region(db, gallery.location)
            if db.execute("SELECT 1 FROM galleries WHERE name = ?", (gallery.name,)).fetchone():
                raise ConflictError(f"gallery {gallery.name!r} exists already")
            _check_quota(
                db,
                "SELECT COUNT(*) FROM galleries WHERE location = ?",
                gallery.location,
                "galleries",
                limits.galleries,
            )
            values = {k: v for k, v in vars(gallery).items() if k != "provisioning_state"}
            insert(db, "galleries", values)
        return gallery

    def _gallery_row(self, db: sqlite3.Connection, name: str) -> sqlite3.Row:
        row = db.execute("SELECT * FROM galleries WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NotFoundError(f"gallery {name!r} not found")
        return row  # type: ignore[no-any-return]

    def get_gallery(self, name: str) -> Gallery:
        with self._lock:
            return record(Gallery, self._gallery_row(self._conn, name))

    def list_galleries(self) -> list[Gallery]:
        with self._lock:
            rows = self._conn.execute("SELECT * FROM galleries ORDER BY name")
            return [record(Gallery, r) for r in rows]

    def update_gallery(self, name: str, description: str | None) -> Gallery:
        with self._write() as db:
            self._gallery_row(db, name)
            db.execute("UPDATE galleries SET description = ? WHERE name = ?", (description, name))
            return record(Gallery, self._gallery_row(db, name))

    def delete_gallery(self, name: str) -> None:
        with self._write() as db:
            gid = self._gallery_row(db, name)["id"]
            n = db.execute("SELECT COUNT(*) FROM definitions WHERE gallery_id = ?", (gid,))
            if (count := n.fetchone()[0]) > 0:
                raise ConflictError(
                    f"gallery {name!r} still has {count} image definitions; delete them first"
                )
            db.execute("DELETE FROM galleries WHERE id = ?", (gid,))

    # --- image definitions --------------------------------------------------------
    def create_definition(self, d: ImageDefinition, limits: Limits) -> ImageDefinition:
        with self._write() as db:
            g = self._gallery_row(db, d.gallery)
            if db.execute(
                "SELECT 1 FROM definitions WHERE gallery_id = ? AND name = ?", (g["id"], d.name)
            ).fetchone():
                raise ConflictError(f"image definition {d.gallery}/{d.name} exists already")
            clash = db.execute(
                "SELECT name FROM definitions WHERE gallery_id = ? AND publisher = ? "
                "AND offer = ? AND sku = ?",
                (g["id"], d.publisher, d.offer, d.sku),
            ).fetchone()
            if clash:
                raise ConflictError(
                    f"identifier {d.publisher}/{d.offer}/{d.sku} is already used by image "
                    f"definition {clash[0]!r} in gallery {d.gallery!r}"
                )
            _check_quota(
                db,
                "SELECT COUNT(*) FROM definitions d JOIN galleries g ON g.id = d.gallery_id "
                "WHERE g.location = ?",
                g["location"],
                "image definitions",
                limits.definitions,
            )
            values: dict[str, Any] = {"gallery_id": g["id"]} | {
                k: json.dumps(v) if k in _JSON_COLUMNS else v
                for k, v in vars(d).items()
                if k not in ("gallery", "location")
            }
            insert(db, "definitions", values)
            return self._get_definition(db, d.gallery, d.name)

    def _definition_row(self, db: sqlite3.Connection, gallery: str, name: str) -> sqlite3.Row:
        self._gallery_row(db, gallery)
        row = db.execute(
            _DEFINITION_SELECT + "WHERE g.name = ? AND d.name = ?", (gallery, name)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"image definition {gallery}/{name} not found")
        return row  # type: ignore[no-any-return]

    def _get_definition(self, db: sqlite3.Connection, gallery: str, name: str) -> ImageDefinition:
        return _definition(self._definition_row(db, gallery, name))

    def get_definition(self, gallery: str, name: str) -> ImageDefinition:
        with self._read() as db:
            return self._get_definition(db, gallery, name)

    def list_definitions(self, gallery: str) -> list[ImageDefinition]:
        with self._read() as db:
            self._gallery_row(db, gallery)
            rows = db.execute(_DEFINITION_SELECT + "WHERE g.name = ? ORDER BY d.name", (gallery,))
            return [_definition(r) for r in rows]

    def update_definition(
        self, gallery: str, name: str, changes: dict[str, Any]
    ) -> ImageDefinition:
        """Applies checked column changes; min/max are re-checked against the
        stored values inside the transaction."""
        from imgrepl.gallery.builders import check_recommended

        with self._write() as db:
            row = self._definition_row(db, gallery, name)
            check_recommended({k: row[c] for k, c in DEFINITION_COLUMNS.items()} | changes)
            for key, value in changes.items():
                db.execute(
                    f"UPDATE definitions SET {DEFINITION_COLUMNS[key]} = ? WHERE id = ?",
                    (value, row["id"]),
                )
            return self._get_definition(db, gallery, name)

    def delete_definition(self, gallery: str, name: str) -> None:
        with self._write() as db:
            did = self._definition_row(db, gallery, name)["id"]
            n = db.execute("SELECT COUNT(*) FROM versions WHERE definition_id = ?", (did,))
            if (count := n.fetchone()[0]) > 0:
                raise ConflictError(
                    f"image definition {gallery}/{name} still has {count} image versions; "
                    "delete them first"
                )
            db.execute("DELETE FROM definitions WHERE id = ?", (did,))
