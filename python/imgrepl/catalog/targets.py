"""A version's plan in the catalog: recording a new version, editing its
target regions, and reconciling the replica rows with what the plan wants.

Every change is one BEGIN IMMEDIATE transaction that edits only the rows it
names (an upsert per added region, a delete per removed one) and then
reconciles, so two processes editing different regions both take effect:
nothing is read outside the transaction and written back later.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from imgrepl.catalog.base import insert
from imgrepl.catalog.resources import _check_quota
from imgrepl.catalog.versions import VersionRef, Versions, lun_column
from imgrepl.exceptions import ConflictError, NotFoundError, ValidationError
from imgrepl.gallery import planner
from imgrepl.gallery.models import ImageVersion
from imgrepl.gallery.rules import Limits, TargetRegionSpec


def _optional_int(flag: bool | None) -> int | None:
    return None if flag is None else int(flag)


class Targets(Versions):
    def create_version(
        self, v: ImageVersion, targets: Sequence[TargetRegionSpec], limits: Limits
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
            _check_quota(
                db,
                "SELECT COUNT(*) FROM versions WHERE location = ?",
                v.location,
                "image versions",
                limits.versions,
            )
            vid = insert(
                db,
                "versions",
                {
                    "definition_id": drow["id"],
                    "name": v.name,
                    "major": major,
                    "minor": minor,
                    "patch": patch,
                    "location": v.location,
                    "provisioning_state": "Creating",
                    "replica_count": v.replica_count,
                    "storage_type": v.storage_account_type,
                    "exclude_from_latest": int(v.exclude_from_latest),
                    "end_of_life_date": v.end_of_life_date,
                    "published_date": v.published_date,
                    "allow_deletion": int(v.allow_deletion_of_replicated_locations),
                    "source_version": v.source_version,
                },
            )
            for disk in v.disks:
                values = vars(disk) | {"version_id": vid, "lun": lun_column(disk.lun)}
                insert(db, "disks", {k: x for k, x in values.items() if k != "digest"})
            for t in targets:
                self._upsert_target(db, vid, t, keep_count=False)
            self._reconcile(db, vid)
            return VersionRef(vid, v.gallery, v.definition, v.name, v.location)

    def edit_targets(
        self,
        ref: VersionRef,
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
            for name in sorted(drop):
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
            for spec, keep in specs:
                self._upsert_target(db, ref.id, spec, keep_count=keep)
            changed = self._reconcile(db, ref.id)
            if changed:
                db.execute(
                    "UPDATE versions SET provisioning_state = 'Updating' WHERE id = ?", (ref.id,)
                )
            return changed

    def _upsert_target(
        self, db: sqlite3.Connection, vid: int, t: TargetRegionSpec, *, keep_count: bool
    ) -> None:
        """Adds a target region or changes the fields the spec gives."""
        self._get_region(db, t.name)
        count = (
            "IFNULL(excluded.replica_count, replica_count)"
            if keep_count
            else "excluded.replica_count"
        )
        db.execute(
            "INSERT INTO target_regions VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(version_id, region) DO UPDATE SET "
            f"replica_count = {count}, "
            "storage_type = IFNULL(excluded.storage_type, storage_type), "
            "exclude_from_latest = IFNULL(excluded.exclude_from_latest, exclude_from_latest)",
            (vid, t.name, t.replica_count, t.storage_type, _optional_int(t.exclude_from_latest)),
        )

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
            for d in db.execute("SELECT id, lun, size FROM disks WHERE version_id = ?", (vid,))
        ]
        targets = [
            planner.PlanTarget(t["region"], t["replica_count"], t["storage_type"])
            for t in db.execute("SELECT * FROM target_regions WHERE version_id = ?", (vid,))
        ]
        regions = {t.region: self._get_region(db, t.region) for t in targets}
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
