"""Image versions: their disks, target regions and replica rows.

Every change of target regions is one BEGIN IMMEDIATE transaction that edits
only the rows it names and then reconciles the replica rows with the plan,
so two processes editing different regions both take effect.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from imgrepl.exceptions import ConflictError, LimitExceededError, NotFoundError, ValidationError
from imgrepl.gallery import planner
from imgrepl.gallery.db.base import HOST, pid_alive
from imgrepl.gallery.db.resources import Resources
from imgrepl.gallery.models import DiskImage, ImageVersion, TargetRegion
from imgrepl.gallery.rules import Limits, TargetRegionSpec
from imgrepl.gallery.status import ReplicaState, replication_status


@dataclass(frozen=True)
class VersionRef:
    id: int
    gallery: str
    definition: str
    name: str
    location: str


VERSION_FIELDS = {"exclude_from_latest", "end_of_life_date", "allow_deletion", "provisioning_state"}


class Versions(Resources):
    def create_version(
        self,
        v: ImageVersion,
        targets: Sequence[TargetRegionSpec],
        limits: Limits,
    ) -> VersionRef:
        """Records the version (Creating), its disks, targets and planned replicas."""
        with self._write() as db:
            drow = self._definition_row(db, v.gallery, v.definition)
            self._get_region(db, v.location)
            major, minor, patch = (int(p) for p in v.name.split("."))
            if db.execute(
                "SELECT 1 FROM versions WHERE definition_id = ? AND major = ? AND minor = ? "
                "AND patch = ?",
                (drow["id"], major, minor, patch),
            ).fetchone():
                raise ConflictError(f"image version {v.id} exists already")
            n = db.execute("SELECT COUNT(*) FROM versions WHERE location = ?", (v.location,))
            if (count := n.fetchone()[0]) >= limits.versions:
                raise LimitExceededError(
                    f"region {v.location!r} has {count} image versions: the limit is "
                    f"{limits.versions} per region"
                )
            vid = db.execute(
                "INSERT INTO versions (definition_id, name, major, minor, patch, location, "
                "provisioning_state, replica_count, storage_type, exclude_from_latest, "
                "end_of_life_date, published_date, allow_deletion, source_version) "
                "VALUES (?, ?, ?, ?, ?, ?, 'Creating', ?, ?, ?, ?, ?, ?, ?)",
                (
                    drow["id"],
                    v.name,
                    major,
                    minor,
                    patch,
                    v.location,
                    v.replica_count,
                    v.storage_account_type,
                    int(v.exclude_from_latest),
                    v.end_of_life_date,
                    v.published_date,
                    int(v.allow_deletion_of_replicated_locations),
                    v.source_version,
                ),
            ).lastrowid
            assert vid is not None
            for disk in v.disks:
                db.execute(
                    "INSERT INTO disks (version_id, lun, source, source_format, size, "
                    "virtual_size) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        vid,
                        -1 if disk.lun is None else disk.lun,
                        disk.source,
                        disk.source_format,
                        disk.size,
                        disk.virtual_size,
                    ),
                )
            for t in targets:
                self._get_region(db, t.name)
                db.execute(
                    "INSERT INTO target_regions VALUES (?, ?, ?, ?, ?)",
                    (
                        vid,
                        t.name,
                        t.replica_count,
                        t.storage_type,
                        None if t.exclude_from_latest is None else int(t.exclude_from_latest),
                    ),
                )
            self._reconcile(db, vid)
            return VersionRef(vid, v.gallery, v.definition, v.name, v.location)

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

    def version_names(self, gallery: str, definition: str) -> list[str]:
        with self._read() as db:
            drow = self._definition_row(db, gallery, definition)
            rows = db.execute(
                "SELECT name FROM versions WHERE definition_id = ? ORDER BY major, minor, patch",
                (drow["id"],),
            )
            return [str(r[0]) for r in rows]

    def get_version(self, ref: VersionRef) -> ImageVersion:
        with self._read() as db:
            return self._load(db, ref)

    def _load(self, db: sqlite3.Connection, ref: VersionRef) -> ImageVersion:
        row = db.execute("SELECT * FROM versions WHERE id = ?", (ref.id,)).fetchone()
        if row is None:
            raise NotFoundError(f"image version {ref.gallery}/{ref.definition}/{ref.name} is gone")
        regions = {
            r["name"]: r["display_name"]
            for r in db.execute("SELECT name, display_name FROM regions")
        }
        targets = [
            TargetRegion(
                t["region"],
                regions[t["region"]],
                t["replica_count"] or row["replica_count"],
                t["storage_type"] or row["storage_type"],
                None if t["exclude_from_latest"] is None else bool(t["exclude_from_latest"]),
            )
            for t in db.execute(
                "SELECT * FROM target_regions WHERE version_id = ? ORDER BY rowid", (ref.id,)
            )
        ]
        disks = [
            DiskImage(
                None if d["lun"] < 0 else d["lun"],
                d["source"],
                d["source_format"],
                d["size"],
                d["virtual_size"],
                d["digest"],
            )
            for d in db.execute("SELECT * FROM disks WHERE version_id = ? ORDER BY lun", (ref.id,))
        ]
        states = [
            ReplicaState(r["region"], r["state"], r["size"], r["bytes_written"], r["details"])
            for r in db.execute(
                "SELECT region, state, size, bytes_written, details FROM replicas "
                "WHERE version_id = ?",
                (ref.id,),
            )
        ]
        alive = pid_alive(row["job_pid"], row["job_host"])
        status = replication_status([t.name for t in targets], states, alive)
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
            replication_status=status,
        )

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

    def set_version_fields(self, ref: VersionRef, **fields: Any) -> None:
        with self._write() as db:
            self._set_fields(db, ref, fields)

    def _set_fields(self, db: sqlite3.Connection, ref: VersionRef, fields: dict[str, Any]) -> None:
        unknown = set(fields) - VERSION_FIELDS
        if unknown:
            raise ValidationError(f"unknown image version fields: {', '.join(sorted(unknown))}")
        for key, value in fields.items():
            db.execute(f"UPDATE versions SET {key} = ? WHERE id = ?", (value, ref.id))

    def edit_targets(
        self,
        ref: VersionRef,
        *,
        replace: Sequence[TargetRegionSpec] | None = None,
        add: Sequence[TargetRegionSpec] = (),
        remove: Sequence[str] = (),
        replica_count: int | None = None,
        allow_deletion: bool = False,
        fields: Mapping[str, Any] | None = None,
    ) -> int:
        """Edits the version in place, all or nothing: `fields` (VERSION_FIELDS),
        then the target regions; returns how many replica rows changed."""
        with self._write() as db:
            self._set_fields(db, ref, dict(fields or {}))
            row = db.execute("SELECT * FROM versions WHERE id = ?", (ref.id,)).fetchone()
            current = {
                r[0]
                for r in db.execute(
                    "SELECT region FROM target_regions WHERE version_id = ?", (ref.id,)
                )
            }
            if replica_count is not None:
                db.execute(
                    "UPDATE versions SET replica_count = ? WHERE id = ?", (replica_count, ref.id)
                )
            # (spec, whether a count it omits keeps the region's current one)
            specs = [(s, True) for s in add]
            drop = set(remove)
            if replace is not None:
                specs = [(s, False) for s in replace] + specs
                drop |= current - {s.name for s in replace}
            for name in drop:
                if name not in current:
                    raise NotFoundError(f"region {name!r} is not a target region of {ref.name}")
            if row["location"] in drop:
                raise ValidationError(
                    f"the source region {row['location']!r} must stay a target region"
                )
            allowed = allow_deletion or bool(row["allow_deletion"])
            for name in sorted(drop):
                self._check_removable(db, ref, name, allowed)
                db.execute(
                    "DELETE FROM target_regions WHERE version_id = ? AND region = ?", (ref.id, name)
                )
            for s, keep in specs:
                self._get_region(db, s.name)
                count = (
                    "IFNULL(excluded.replica_count, replica_count)"
                    if keep
                    else ("excluded.replica_count")
                )
                db.execute(
                    "INSERT INTO target_regions VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT(version_id, region) DO UPDATE SET "
                    f"replica_count = {count}, "
                    "storage_type = IFNULL(excluded.storage_type, storage_type), "
                    "exclude_from_latest = IFNULL(excluded.exclude_from_latest, "
                    "exclude_from_latest)",
                    (
                        ref.id,
                        s.name,
                        s.replica_count,
                        s.storage_type,
                        None if s.exclude_from_latest is None else int(s.exclude_from_latest),
                    ),
                )
            changed = self._reconcile(db, ref.id)
            if changed:
                db.execute(
                    "UPDATE versions SET provisioning_state = 'Updating' WHERE id = ?", (ref.id,)
                )
            return changed

    def _check_removable(
        self, db: sqlite3.Connection, ref: VersionRef, region: str, allowed: bool
    ) -> None:
        done = db.execute(
            "SELECT COUNT(*) FROM replicas WHERE version_id = ? AND region = ? "
            "AND state = 'Completed'",
            (ref.id, region),
        ).fetchone()[0]
        if done and not allowed:
            raise ValidationError(
                f"region {region!r} holds {done} replicas of {ref.name}: removing it deletes "
                "them; pass --allow-replicated-location-deletion "
                "(safetyProfile.allowDeletionOfReplicatedLocations) to confirm"
            )

    def _reconcile(self, db: sqlite3.Connection, vid: int) -> int:
        """Makes the replica rows match the plan: new ones Pending, extra ones Deleting."""
        v = db.execute(
            "SELECT v.*, d.name AS definition, g.name AS gallery FROM versions v "
            "JOIN definitions d ON d.id = v.definition_id JOIN galleries g ON g.id = "
            "d.gallery_id WHERE v.id = ?",
            (vid,),
        ).fetchone()
        disks = [
            planner.PlanDisk(d["id"], None if d["lun"] < 0 else d["lun"], d["size"])
            for d in db.execute("SELECT * FROM disks WHERE version_id = ?", (vid,))
        ]
        targets = [
            planner.PlanTarget(t["region"], t["replica_count"], t["storage_type"])
            for t in db.execute("SELECT * FROM target_regions WHERE version_id = ?", (vid,))
        ]
        regions = {r.name: r for r in (self._get_region(db, t.region) for t in targets)}
        desired = planner.desired_replicas(
            (v["gallery"], v["definition"], v["name"]),
            disks,
            targets,
            regions,
            v["replica_count"],
            v["storage_type"],
        )
        existing = {
            (r["disk_id"], r["region"], r["zone"], r["idx"]): r
            for r in db.execute("SELECT * FROM replicas WHERE version_id = ?", (vid,))
        }
        wanted = {(d.disk_id, d.region, d.zone, d.index): d for d in desired}
        changed = 0
        for key, r in existing.items():
            if key not in wanted and r["state"] != "Deleting":
                db.execute("UPDATE replicas SET state = 'Deleting' WHERE id = ?", (r["id"],))
                changed += 1
        for key, d in wanted.items():
            old = existing.get(key)
            if old is None:
                db.execute(
                    "INSERT INTO replicas (version_id, disk_id, region, zone, idx, location, "
                    "state, size, egress) VALUES (?, ?, ?, ?, ?, ?, 'Pending', ?, ?)",
                    (vid, d.disk_id, d.region, d.zone, d.index, d.location, d.size, int(d.egress)),
                )
                changed += 1
            elif old["state"] == "Deleting":
                db.execute("UPDATE replicas SET state = 'Pending' WHERE id = ?", (old["id"],))
                changed += 1
        return changed

    def delete_version_rows(self, ref: VersionRef) -> None:
        with self._write() as db:
            db.execute("DELETE FROM versions WHERE id = ?", (ref.id,))

    # --- the replication job that owns a version -------------------------------
    def claim_job(self, ref: VersionRef, pid: int) -> None:
        """Makes `pid` the one process replicating this version."""
        with self._write() as db:
            row = db.execute(
                "SELECT job_pid, job_host FROM versions WHERE id = ?", (ref.id,)
            ).fetchone()
            owner, host = row["job_pid"], row["job_host"]
            if owner is not None and (owner, host) != (pid, HOST) and pid_alive(owner, host):
                raise ConflictError(
                    f"image version {ref.gallery}/{ref.definition}/{ref.name} is being "
                    f"replicated by process {owner} on {host}; wait for it "
                    "(`imgrepl sig image-version wait`)"
                )
            db.execute(
                "UPDATE versions SET job_pid = ?, job_host = ?, job_heartbeat = ? WHERE id = ?",
                (pid, HOST, time.time(), ref.id),
            )

    def release_job(self, ref: VersionRef, pid: int) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE versions SET job_pid = NULL, job_host = NULL WHERE id = ? "
                "AND job_pid = ? AND job_host = ?",
                (ref.id, pid, HOST),
            )

    def job_alive(self, ref: VersionRef) -> bool:
        with self._lock:
            row = self._conn.execute(
                "SELECT job_pid, job_host FROM versions WHERE id = ?", (ref.id,)
            ).fetchone()
        return row is not None and pid_alive(row["job_pid"], row["job_host"])
