"""Regions, galleries, image definitions and role grants."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from imgrepl.exceptions import ConflictError, LimitExceededError, NotFoundError
from imgrepl.gallery.db.base import Base
from imgrepl.gallery.models import Gallery, Grant, ImageDefinition, Region
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


def _region(row: sqlite3.Row) -> Region:
    return Region(
        row["name"], row["display_name"], row["store"], row["zones"], row["replica_read_mbps"]
    )


def _gallery(row: sqlite3.Row) -> Gallery:
    return Gallery(row["name"], row["location"], row["description"], row["unique_name"])


def _definition(row: sqlite3.Row) -> ImageDefinition:
    return ImageDefinition(
        gallery=row["gallery"],
        name=row["name"],
        location=row["location"],
        publisher=row["publisher"],
        offer=row["offer"],
        sku=row["sku"],
        os_type=row["os_type"],
        os_state=row["os_state"],
        description=row["description"],
        eula=row["eula"],
        privacy_statement_uri=row["privacy_statement_uri"],
        release_note_uri=row["release_note_uri"],
        end_of_life_date=row["end_of_life_date"],
        tags=json.loads(row["tags"]),
        vcpus_min=row["vcpus_min"],
        vcpus_max=row["vcpus_max"],
        memory_min=row["memory_min"],
        memory_max=row["memory_max"],
        disallowed_disk_types=json.loads(row["disallowed_disk_types"]),
        hyper_v_generation=row["hyper_v_generation"],
        architecture=row["architecture"],
    )


_DEFINITION_SELECT = (
    "SELECT d.*, g.name AS gallery, g.location AS location FROM definitions d "
    "JOIN galleries g ON g.id = d.gallery_id "
)


class Resources(Base):
    # --- regions ------------------------------------------------------------------
    def add_region(self, region: Region) -> Region:
        with self._write() as db:
            if db.execute("SELECT 1 FROM regions WHERE name = ?", (region.name,)).fetchone():
                raise ConflictError(f"region {region.name!r} exists already")
            db.execute(
                "INSERT INTO regions VALUES (?, ?, ?, ?, ?)",
                (
                    region.name,
                    region.display_name,
                    region.store,
                    region.zones,
                    region.replica_read_mbps,
                ),
            )
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
            return [_region(r) for r in self._conn.execute("SELECT * FROM regions ORDER BY name")]

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
            n = db.execute(
                "SELECT COUNT(*) FROM galleries WHERE location = ?", (gallery.location,)
            ).fetchone()[0]
            if n >= limits.galleries:
                raise LimitExceededError(
                    f"region {gallery.location!r} has {n} galleries: the limit is "
                    f"{limits.galleries} per region"
                )
            db.execute(
                "INSERT INTO galleries (name, location, description, unique_name) "
                "VALUES (?, ?, ?, ?)",
                (gallery.name, gallery.location, gallery.description, gallery.unique_name),
            )
        return gallery

    def _gallery_row(self, db: sqlite3.Connection, name: str) -> sqlite3.Row:
        row = db.execute("SELECT * FROM galleries WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NotFoundError(f"gallery {name!r} not found")
        return row  # type: ignore[no-any-return]

    def get_gallery(self, name: str) -> Gallery:
        with self._lock:
            return _gallery(self._gallery_row(self._conn, name))

    def list_galleries(self) -> list[Gallery]:
        with self._lock:
            rows = self._conn.execute("SELECT * FROM galleries ORDER BY name")
            return [_gallery(r) for r in rows]

    def update_gallery(self, name: str, description: str | None) -> Gallery:
        with self._write() as db:
            self._gallery_row(db, name)
            db.execute("UPDATE galleries SET description = ? WHERE name = ?", (description, name))
            return _gallery(self._gallery_row(db, name))

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
            n = db.execute(
                "SELECT COUNT(*) FROM definitions d JOIN galleries g ON g.id = d.gallery_id "
                "WHERE g.location = ?",
                (g["location"],),
            ).fetchone()[0]
            if n >= limits.definitions:
                raise LimitExceededError(
                    f"region {g['location']!r} has {n} image definitions: the limit is "
                    f"{limits.definitions} per region"
                )
            db.execute(
                "INSERT INTO definitions (gallery_id, name, publisher, offer, sku, os_type, "
                "os_state, description, eula, privacy_statement_uri, release_note_uri, "
                "end_of_life_date, tags, vcpus_min, vcpus_max, memory_min, memory_max, "
                "disallowed_disk_types, hyper_v_generation, architecture) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    g["id"],
                    d.name,
                    d.publisher,
                    d.offer,
                    d.sku,
                    d.os_type,
                    d.os_state,
                    d.description,
                    d.eula,
                    d.privacy_statement_uri,
                    d.release_note_uri,
                    d.end_of_life_date,
                    json.dumps(d.tags),
                    d.vcpus_min,
                    d.vcpus_max,
                    d.memory_min,
                    d.memory_max,
                    json.dumps(d.disallowed_disk_types),
                    d.hyper_v_generation,
                    d.architecture,
                ),
            )
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
        with self._write() as db:
            row = self._definition_row(db, gallery, name)
            merged = {k: row[c] for k, c in DEFINITION_COLUMNS.items()} | changes
            low, high = merged["vcpus_min"], merged["vcpus_max"]
            from imgrepl.gallery.rules import min_max

            min_max("vCPUs", low, high, 640)
            min_max("memory", merged["memory_min"], merged["memory_max"], 32768)
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

    # --- grants -------------------------------------------------------------------
    def _scope_ids(
        self, db: sqlite3.Connection, gallery: str, definition: str | None
    ) -> tuple[int, int | None]:
        gid = int(self._gallery_row(db, gallery)["id"])
        if definition is None:
            return gid, None
        return gid, int(self._definition_row(db, gallery, definition)["id"])

    def set_grant(self, grant: Grant) -> Grant:
        with self._write() as db:
            gid, did = self._scope_ids(db, grant.gallery, grant.definition)
            db.execute(
                "DELETE FROM grants WHERE principal = ? AND gallery_id = ? "
                "AND IFNULL(definition_id, 0) = IFNULL(?, 0)",
                (grant.principal, gid, did),
            )
            db.execute(
                "INSERT INTO grants (principal, role, gallery_id, definition_id) "
                "VALUES (?, ?, ?, ?)",
                (grant.principal, grant.role, gid, did),
            )
        return grant

    def remove_grant(self, principal: str, gallery: str, definition: str | None) -> None:
        with self._write() as db:
            gid, did = self._scope_ids(db, gallery, definition)
            cur = db.execute(
                "DELETE FROM grants WHERE principal = ? AND gallery_id = ? "
                "AND IFNULL(definition_id, 0) = IFNULL(?, 0)",
                (principal, gid, did),
            )
            if cur.rowcount == 0:
                scope = gallery + (f"/{definition}" if definition else "")
                raise NotFoundError(f"principal {principal!r} has no role on {scope}")

    def list_grants(self, gallery: str, definition: str | None = None) -> list[Grant]:
        """Grants at the gallery, and at the definition if one is named."""
        with self._read() as db:
            gid, did = self._scope_ids(db, gallery, definition)
            rows = db.execute(
                "SELECT gr.principal, gr.role, d.name AS definition FROM grants gr "
                "LEFT JOIN definitions d ON d.id = gr.definition_id WHERE gr.gallery_id = ? "
                "AND (gr.definition_id IS NULL OR gr.definition_id = IFNULL(?, gr.definition_id))"
                " ORDER BY d.name IS NOT NULL, d.name, gr.principal",
                (gid, did),
            )
            return [Grant(r["principal"], r["role"], gallery, r["definition"]) for r in rows]

    def roles_of(self, principal: str, gallery: str, definition: str | None) -> list[str]:
        """The roles a principal holds that cover this gallery or definition."""
        with self._read() as db:
            rows = db.execute(
                "SELECT gr.role FROM grants gr JOIN galleries g ON g.id = gr.gallery_id "
                "LEFT JOIN definitions d ON d.id = gr.definition_id "
                "WHERE gr.principal = ? AND g.name = ? AND (gr.definition_id IS NULL "
                "OR (d.name = ? COLLATE NOCASE))",
                (principal, gallery, definition),
            )
            return [str(r[0]) for r in rows]

    def definitions_granted(self, principal: str, gallery: str) -> list[str]:
        """Definitions of a gallery on which the principal holds a definition-level role."""
        with self._read() as db:
            rows = db.execute(
                "SELECT d.name FROM grants gr JOIN definitions d ON d.id = gr.definition_id "
                "JOIN galleries g ON g.id = gr.gallery_id WHERE gr.principal = ? AND g.name = ?",
                (principal, gallery),
            )
            return [str(r[0]) for r in rows]
