"""Galleries and their image definitions, in a scope: a repository made
with a subscription (and resource group) finds gallery names only there;
one made without (scope None) finds them anywhere, refusing a name that
more than one resource group uses."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from imgrepl.catalog.sql.regions import get_region
from imgrepl.catalog.sql.session import Db, Row, Session, check_quota, insert, record
from imgrepl.exceptions import ConflictError, NotFoundError
from imgrepl.gallery.models import Gallery, ImageDefinition
from imgrepl.gallery.rules import Limits
from imgrepl.gallery.scope import DEFAULT_RESOURCE_GROUP, ArmId
from imgrepl.gallery.sharing import SharingProfile

# the ImageDefinition fields an update may touch (each is its own column)
UPDATABLE_COLUMNS = (
    "tags",
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
    "SELECT d.*, g.name AS gallery, g.location AS location, g.subscription AS subscription, "
    "g.resource_group AS resource_group FROM definitions d JOIN galleries g ON g.id = "
    "d.gallery_id "
)


def in_scope(scope: ArmId | None) -> tuple[str, tuple[str, ...]]:
    """` AND ...` limiting galleries `g` to the scope, and its parameters."""
    if scope is None:
        return "", ()
    if scope.resource_group is None:
        return " AND g.subscription = ?", (scope.subscription,)
    return (
        " AND g.subscription = ? AND g.resource_group = ?",
        (scope.subscription, scope.resource_group),
    )


def _where(scope: ArmId | None) -> str:
    if scope is None:
        return ""
    if scope.resource_group is None:
        return f" in subscription {scope.subscription}"
    return f" in resource group {scope.resource_group!r}"


def gallery_row(db: Db, scope: ArmId | None, name: str) -> Row:
    sql, params = in_scope(scope)
    rows = db.execute(f"SELECT g.* FROM galleries g WHERE g.name = ?{sql}", (name, *params))
    found = rows.fetchall()
    if not found:
        raise NotFoundError(f"gallery {name!r} not found{_where(scope)}")
    if len(found) > 1:
        groups = ", ".join(sorted(repr(r["resource_group"]) for r in found))
        raise ConflictError(
            f"gallery {name!r} is in several resource groups ({groups}): name its resource group"
        )
    return found[0]  # type: ignore[no-any-return]


def definition_row(db: Db, scope: ArmId | None, gallery: str, name: str) -> Row:
    gid = gallery_row(db, scope, gallery)["id"]
    row = db.execute(_DEFINITION_SELECT + "WHERE g.id = ? AND d.name = ?", (gid, name)).fetchone()
    if row is None:
        raise NotFoundError(f"image definition {gallery}/{name} not found{_where(scope)}")
    return row  # type: ignore[no-any-return]


def default_subscription(db: Db) -> str:
    return str(db.execute("SELECT value FROM meta WHERE key = 'subscription'").fetchone()[0])


def _gallery(row: Row) -> Gallery:
    sharing = SharingProfile.from_azure(json.loads(row["sharing_profile"]))
    return record(Gallery, row, tags=json.loads(row["tags"]), sharing_profile=sharing)


def _definition(row: Row) -> ImageDefinition:
    return record(ImageDefinition, row, **{c: json.loads(row[c]) for c in _JSON_COLUMNS})


class SqlGalleries:
    def __init__(self, session: Session, scope: ArmId | None = None) -> None:
        self._s = session
        self._scope = scope

    def create(self, gallery: Gallery, limits: Limits) -> Gallery:
        """In the gallery's own subscription and resource group; given none,
        the repository's, else the catalog's default ones."""
        scope = self._scope
        with self._s.write() as db:
            get_region(db, gallery.location)
            sub = gallery.subscription or (
                scope.subscription if scope else default_subscription(db)
            )
            group = gallery.resource_group or (scope and scope.resource_group)
            gallery = replace(
                gallery, subscription=sub, resource_group=group or DEFAULT_RESOURCE_GROUP
            )
            where = ArmId(gallery.subscription, gallery.resource_group)
            sql, params = in_scope(where)
            if db.execute(
                f"SELECT 1 FROM galleries g WHERE g.name = ?{sql}", (gallery.name, *params)
            ).fetchone():
                raise ConflictError(f"gallery {gallery.name!r} exists already{_where(where)}")
            check_quota(
                db,
                "SELECT COUNT(*) FROM galleries WHERE subscription = ? AND location = ?",
                gallery.subscription,
                gallery.location,
                "galleries",
                limits.galleries,
            )
            values = {k: v for k, v in vars(gallery).items() if k != "provisioning_state"}
            values["sharing_profile"] = json.dumps(gallery.sharing_profile.to_azure())
            insert(db, "galleries", values | {"tags": json.dumps(gallery.tags)})
        return gallery

    def get(self, name: str) -> Gallery:
        with self._s.read() as db:
            return _gallery(gallery_row(db, self._scope, name))

    def all(self) -> list[Gallery]:
        """The scope's galleries (a subscription's: of all its resource groups)."""
        sql, params = in_scope(self._scope)
        with self._s.read() as db:
            rows = db.execute(
                f"SELECT g.* FROM galleries g WHERE 1 = 1{sql} "
                "ORDER BY g.name, g.resource_group, g.subscription",
                params,
            )
            return [_gallery(r) for r in rows]

    def set_sharing(self, name: str, profile: SharingProfile) -> None:
        with self._s.write() as db:
            gid = gallery_row(db, self._scope, name)["id"]
            db.execute(
                "UPDATE galleries SET sharing_profile = ? WHERE id = ?",
                (json.dumps(profile.to_azure()), gid),
            )

    def update(
        self, name: str, description: str | None, tags: dict[str, str] | None = None
    ) -> Gallery:
        with self._s.write() as db:
            gid = gallery_row(db, self._scope, name)["id"]
            db.execute("UPDATE galleries SET description = ? WHERE id = ?", (description, gid))
            if tags is not None:
                db.execute("UPDATE galleries SET tags = ? WHERE id = ?", (json.dumps(tags), gid))
            return _gallery(gallery_row(db, self._scope, name))

    def delete(self, name: str) -> None:
        with self._s.write() as db:
            gid = gallery_row(db, self._scope, name)["id"]
            n = db.execute("SELECT COUNT(*) FROM definitions WHERE gallery_id = ?", (gid,))
            if (count := n.fetchone()[0]) > 0:
                raise ConflictError(
                    f"gallery {name!r} still has {count} image definitions; delete them first"
                )
            db.execute("DELETE FROM galleries WHERE id = ?", (gid,))


class SqlDefinitions:
    def __init__(self, session: Session, scope: ArmId | None = None) -> None:
        self._s = session
        self._scope = scope

    def create(self, definition: ImageDefinition, limits: Limits) -> ImageDefinition:
        d = definition
        with self._s.write() as db:
            g = gallery_row(db, self._scope, d.gallery)
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
                "WHERE g.subscription = ? AND g.location = ?",
                g["subscription"],
                g["location"],
                "image definitions",
                limits.definitions,
            )
            values: dict[str, Any] = {"gallery_id": g["id"]} | {
                k: json.dumps(v) if k in _JSON_COLUMNS else v
                for k, v in vars(d).items()
                if k not in ("gallery", "location", "subscription", "resource_group")
            }
            insert(db, "definitions", values)
            return _definition(definition_row(db, self._scope, d.gallery, d.name))

    def get(self, gallery: str, name: str) -> ImageDefinition:
        with self._s.read() as db:
            return _definition(definition_row(db, self._scope, gallery, name))

    def all(self, gallery: str) -> list[ImageDefinition]:
        with self._s.read() as db:
            gid = gallery_row(db, self._scope, gallery)["id"]
            rows = db.execute(_DEFINITION_SELECT + "WHERE g.id = ? ORDER BY d.name", (gid,))
            return [_definition(r) for r in rows]

    def update(self, gallery: str, name: str, changes: Mapping[str, Any]) -> ImageDefinition:
        with self._s.write() as db:
            row = definition_row(db, self._scope, gallery, name)
            for key, value in changes.items():
                if key not in UPDATABLE_COLUMNS:  # a column name goes into the SQL
                    raise ValueError(f"not an updatable image definition field: {key!r}")
                stored = json.dumps(value) if key in _JSON_COLUMNS else value
                db.execute(f"UPDATE definitions SET {key} = ? WHERE id = ?", (stored, row["id"]))
            return _definition(definition_row(db, self._scope, gallery, name))

    def delete(self, gallery: str, name: str) -> None:
        with self._s.write() as db:
            did = definition_row(db, self._scope, gallery, name)["id"]
            n = db.execute("SELECT COUNT(*) FROM versions WHERE definition_id = ?", (did,))
            if (count := n.fetchone()[0]) > 0:
                raise ConflictError(
                    f"image definition {gallery}/{name} still has {count} image versions; "
                    "delete them first"
                )
            db.execute("DELETE FROM definitions WHERE id = ?", (did,))
