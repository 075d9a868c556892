"""Image versions: their rows, disks and target regions, loaded as models
with the replication status derived from the replica rows."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from imgrepl.catalog.base import pid_alive, record
from imgrepl.catalog.grants import Grants
from imgrepl.exceptions import NotFoundError, ValidationError
from imgrepl.gallery.models import DiskImage, ImageVersion, TargetRegion
from imgrepl.gallery.status import ReplicaState, replication_status


@dataclass(frozen=True)
class VersionRef:
    id: int
    gallery: str
    definition: str
    name: str
    location: str


# columns an update may set directly
VERSION_FIELDS = {"exclude_from_latest", "end_of_life_date", "allow_deletion", "provisioning_state"}


def lun_column(lun: int | None) -> int:
    """The OS disk is LUN -1 in the catalog (a NULL would not be unique)."""
    return -1 if lun is None else lun


def _lun(value: int) -> int | None:
    return None if value < 0 else value


class Versions(Grants):
    def _ref(self, db: sqlite3.Connection, gallery: str, definition: str, name: str) -> VersionRef:
        drow = self._definition_row(db, gallery, definition)
        row = db.execute(
            "SELECT id, name, location FROM versions WHERE definition_id = ? AND name = ?",
            (drow["id"], name),
        ).fetchone()
        if row is None:
            raise NotFoundError(f"image version {gallery}/{definition}/{name} not found")
        return VersionRef(row["id"], gallery, drow["name"], row["name"], row["location"])

    def find_version(self, gallery: str, definition: str, name: str) -> VersionRef:
        with self._read() as db:
            return self._ref(db, gallery, definition, name)

    def get_version(self, ref: VersionRef) -> ImageVersion:
        with self._read() as db:
            return self._load(db, ref)

    def list_versions(self, gallery: str, definition: str) -> list[ImageVersion]:
        with self._read() as db:
            drow = self._definition_row(db, gallery, definition)
            rows = db.execute(
                "SELECT id, name, location FROM versions WHERE definition_id = ? "
                "ORDER BY major, minor, patch",
                (drow["id"],),
            ).fetchall()
            return [
                self._load(db, VersionRef(r["id"], gallery, drow["name"], r["name"], r["location"]))
                for r in rows
            ]

    def _load(self, db: sqlite3.Connection, ref: VersionRef) -> ImageVersion:
        row = db.execute("SELECT * FROM versions WHERE id = ?", (ref.id,)).fetchone()
        if row is None:
            raise NotFoundError(f"image version {ref.gallery}/{ref.definition}/{ref.name} is gone")
        targets = [
            TargetRegion(
                t["region"],
                t["display_name"],
                t["replica_count"] or row["replica_count"],
                t["storage_type"] or row["storage_type"],
                None if t["exclude_from_latest"] is None else bool(t["exclude_from_latest"]),
            )
            for t in db.execute(
                "SELECT t.*, r.display_name FROM target_regions t JOIN regions r "
                "ON r.name = t.region WHERE t.version_id = ? ORDER BY t.rowid",
                (ref.id,),
            )
        ]
        disks = [
            record(DiskImage, d, lun=_lun(d["lun"]))
            for d in db.execute("SELECT * FROM disks WHERE version_id = ? ORDER BY lun", (ref.id,))
        ]
        states = [
            record(ReplicaState, r)
            for r in db.execute("SELECT * FROM replicas WHERE version_id = ?", (ref.id,))
        ]
        alive = pid_alive(row["job_pid"], row["job_host"])
        return ImageVersion(
            gallery=ref.gallery,
            definition=ref.definition,
            name=row["name"],
            location=row["location"],
            provisioning_state=row["provisioning_state"],
            target_regions=targets,
            replica_count=row["replica_count"],
            storage_account_type=row["storage_type"],
            exclude_from_latest=bool(row["exclude_from_latest"]),
            end_of_life_date=row["end_of_life_date"],
            published_date=row["published_date"],
            allow_deletion_of_replicated_locations=bool(row["allow_deletion"]),
            disks=disks,
            source_version=row["source_version"],
            replication_status=replication_status([t.name for t in targets], states, alive),
        )

    def set_version_fields(self, ref: VersionRef, **fields: Any) -> None:
        with self._write() as db:
            self._set_fields(db, ref, fields)

    def _set_fields(self, db: sqlite3.Connection, ref: VersionRef, fields: dict[str, Any]) -> None:
        unknown = set(fields) - VERSION_FIELDS
        if unknown:
            raise ValidationError(f"unknown image version fields: {', '.join(sorted(unknown))}")
        for key, value in fields.items():
            db.execute(f"UPDATE versions SET {key} = ? WHERE id = ?", (value, ref.id))

    def delete_version_rows(self, ref: VersionRef) -> None:
        """Deletes the version; its disks, targets and replicas go with it (ON DELETE CASCADE)."""
        with self._write() as db:
            db.execute("DELETE FROM versions WHERE id = ?", (ref.id,))

    # --- what stage one learnt about each disk of the source ------------------------
    def set_disk_source(self, disk_id: int, digest: str, manifest: bytes) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE disks SET digest = ?, manifest = ? WHERE id = ?",
                (digest, manifest, disk_id),
            )

    def disk_manifest(self, disk_id: int) -> bytes | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT manifest FROM disks WHERE id = ?", (disk_id,)
            ).fetchone()
        return None if row is None or row[0] is None else bytes(row[0])
