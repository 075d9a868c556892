"""Galleries and their image definitions."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from imgrepl.catalog.sql.regions import get_region
from imgrepl.catalog.sql.session import Db, Row, Session, check_quota, insert, record
from imgrepl.exceptions import ConflictError, NotFoundError
from imgrepl.gallery.models import Gallery, ImageDefinition
from imgrepl.gallery.rules import Limits
from imgrepl.gallery.sharing import SharingProfile

# the ImageDefinition fields an update may touch (each is its own column)
UPDATABLE_COLUMNS = (
    "description",
    "end_of_life_date",
    "release_note_uri",
    "vcpus_min",
    "vcpus_max",
    "memory_min",
    "memory_max",
)
_JSON_COLUMNS = ("tags", "disallowed_disk_types")
_DEFINITION_SELECT = (
    "SELECT d.*, g.name AS gallery, g.location AS location FROM definitions d "
    "JOIN galleries g ON g.id = d.gallery_id "
)


def gallery_row(db: Db, name: str) -> Row:
    row = db.execute("SELECT * FROM galleries WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise NotFoundError(f"gallery {name!r} not found")
    return row  # type: ignore[no-any-return]


def definition_row(db: Db, gallery: str, name: str) -> Row:
    gallery_row(db, gallery)
    row = db.execute(
        _DEFINITION_SELECT + "WHERE g.name = ? AND d.name = ?", (gallery, name)
    ).fetchone()
    if row is None:
        raise NotFoundError(f"image definition {gallery}/{name} not found")
    return row  # type: ignore[no-any-return]


def _gallery(row: Row) -> Gallery:
    sharing = SharingProfile.from_azure(json.loads(row["sharing_profile"]))
    return record(Gallery, row, sharing_profile=sharing)


def _definition(row: Row) -> ImageDefinition:
    return record(ImageDefinition, row, **{c: json.loads(row[c]) for c in _JSON_COLUMNS})


class SqlGalleries:
    def __init__(self, session: Session) -> None:
        self._s = session

    def create(self, gallery: Gallery, limits: Limits) -> Gallery:
        with self._s.write() as db:
            get_region(db, gallery.location)
            if db.execute("SELECT 1 FROM galleries WHERE name = ?", (gallery.name,)).fetchone():
                raise ConflictError(f"gallery {gallery.name!r} exists already")
            check_quota(
                db,
                "SELECT COUNT(*) FROM galleries WHERE location = ?",
                gallery.location,
                "galleries",
                limits.galleries,
            )
            values = {k: v for k, v in vars(gallery).items() if k != "provisioning_state"}
            values["sharing_profile"] = json.dumps(gallery.sharing_profile.to_azure())
            insert(db, "galleries", values)
        return gallery

    def get(self, name: str) -> Gallery:
        with self._s.read() as db:
            return _gallery(gallery_row(db, name))

    def all(self) -> list[Gallery]:
        with self._s.read() as db:
            return [_gallery(r) for r in db.execute("SELECT * FROM galleries ORDER BY name")]

    def set_sharing(self, name: str, profile: SharingProfile) -> None:
        with self._s.write() as db:
            gid = gallery_row(db, name)["id"]
            db.execute(
                "UPDATE galleries SET sharing_profile = ? WHERE id = ?",
                (json.dumps(profile.to_azure()), gid),
            )

    def update(self, name: str, description: str | None) -> Gallery:
        with self._s.write() as db:
            gallery_row(db, name)
            db.execute("UPDATE galleries SET description = ? WHERE name = ?", (description, name))
            return _gallery(gallery_row(db, name))

    def delete(self, name: str) -> None:
        with self._s.write() as db:
            gid = gallery_row(db, name)["id"]
            n = db.execute("SELECT COUNT(*) FROM definitions WHERE gallery_id = ?", (gid,))
            if (count := n.fetchone()[0]) > 0:
                raise ConflictError(
                    f"gallery {name!r} still has {count} image definitions; delete them first"
                )
            db.execute("DELETE FROM galleries WHERE id = ?", (gid,))


class SqlDefinitions:
    def __init__(self, session: Session) -> None:
        self._s = session

    def create(self, definition: ImageDefinition, limits: Limits) -> ImageDefinition:
        d = definition
        with self._s.write() as db:
            g = gallery_row(db, d.gallery)
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
            check_quota(
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
            return _definition(definition_row(db, d.gallery, d.name))

    def get(self, gallery: str, name: str) -> ImageDefinition:
        with self._s.read() as db:
            return _definition(definition_row(db, gallery, name))

    def all(self, gallery: str) -> list[ImageDefinition]:
        with self._s.read() as db:
            gallery_row(db, gallery)
            rows = db.execute(_DEFINITION_SELECT + "WHERE g.name = ? ORDER BY d.name", (gallery,))
            return [_definition(r) for r in rows]

    def update(self, gallery: str, name: str, changes: Mapping[str, Any]) -> ImageDefinition:
        with self._s.write() as db:
            row = definition_row(db, gallery, name)
            for key, value in changes.items():
                if key not in UPDATABLE_COLUMNS:  # a column name goes into the SQL
                    raise ValueError(f"not an updatable image definition field: {key!r}")
                db.execute(f"UPDATE definitions SET {key} = ? WHERE id = ?", (value, row["id"]))
            return _definition(definition_row(db, gallery, name))

    def delete(self, gallery: str, name: str) -> None:
        with self._s.write() as db:
            did = definition_row(db, gallery, name)["id"]
            n = db.execute("SELECT COUNT(*) FROM versions WHERE definition_id = ?", (did,))
            if (count := n.fetchone()[0]) > 0:
                raise ConflictError(
                    f"image definition {gallery}/{name} still has {count} image versions; "
                    "delete them first"
                )
            db.execute("DELETE FROM definitions WHERE id = ?", (did,))
