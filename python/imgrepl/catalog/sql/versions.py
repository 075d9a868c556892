"""Image versions with their disks and target regions, read back as the
domain's StoredVersion (the version, its replica states, whether its job
lives) and as the PlanState its replica plan is computed from."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Unpack

from imgrepl.catalog.records import VersionRef, pid_alive
from imgrepl.catalog.sql.galleries import default_subscription, definition_row
from imgrepl.catalog.sql.regions import get_region
from imgrepl.catalog.sql.session import (
    Db,
    Row,
    Session,
    check_quota,
    insert,
    lun_column,
    lun_value,
)
from imgrepl.exceptions import ConflictError, NotFoundError
from imgrepl.gallery.models import DiskImage, ImageVersion, TargetRegion
from imgrepl.gallery.rules import Limits, TargetRegionSpec, VersionFields
from imgrepl.gallery.scope import DEFAULT_RESOURCE_GROUP, ArmId
from imgrepl.gallery.status import ReplicaState, StoredVersion

if TYPE_CHECKING:  # the planner loads when a version is planned, not to list one
    from imgrepl.gallery.planner import PlanState

# the columns set_fields may set (each key goes into the SQL as a name)
_FIELDS = set(VersionFields.__annotations__)


def _optional_int(flag: bool | None) -> int | None:
    return None if flag is None else int(flag)


# What a StoredVersion is made of, one query per table for all the versions
# `WHERE <where>` picks (one, or a definition's: no query per version).
_TARGETS = (
    "SELECT t.version_id, t.region, t.replica_count, t.storage_type, t.exclude_from_latest, "
    "r.display_name, r.agent_served FROM target_regions t JOIN regions r ON r.name = t.region "
    "WHERE t.version_id IN ({ids}) ORDER BY t.seq, t.region"
)
# not the manifest: a version's listing never needs it
_DISKS = (
    "SELECT version_id, lun, source, source_format, size, virtual_size, digest FROM disks "
    "WHERE version_id IN ({ids}) ORDER BY lun"
)
_STATES = (
    "SELECT version_id, region, state, size, bytes_written, details FROM replicas "
    "WHERE version_id IN ({ids}) ORDER BY region, id"
)


def _load(db: Db, ref: VersionRef) -> StoredVersion:
    found = _load_where(db, "id = ?", (ref.id,), lambda _: ref)
    if not found:
        raise NotFoundError(f"image version {ref.gallery}/{ref.definition}/{ref.name} is gone")
    return found[0]


def _load_all(db: Db, drow: Row, gallery: str) -> list[StoredVersion]:
    """Every version of the definition, in version order, in four queries."""
    return _load_where(db, "definition_id = ?", (drow["id"],), lambda r: _ref(drow, gallery, r))


def _load_where(
    db: Db, where: str, params: tuple[object, ...], ref_of: Callable[[Row], VersionRef]
) -> list[StoredVersion]:
    rows = db.execute(
        f"SELECT * FROM versions WHERE {where} ORDER BY major, minor, patch", params
    ).fetchall()
    if not rows:
        return []
    ids = f"SELECT id FROM versions WHERE {where}"
    targets, disks, states = (
        _by_version(db.execute(sql.format(ids=ids), params)) for sql in (_TARGETS, _DISKS, _STATES)
    )
    return [
        _stored(
            ref_of(r),
            r,
            targets.get(r["id"], []),
            disks.get(r["id"], []),
            states.get(r["id"], []),
        )
        for r in rows
    ]


def _by_version(rows: Iterable[Row]) -> dict[int, list[Row]]:
    """Rows grouped by their version, each group in the query's order."""
    out: dict[int, list[Row]] = {}
    for r in rows:
        out.setdefault(r["version_id"], []).append(r)
    return out


def _stored(
    ref: VersionRef, row: Row, targets: list[Row], disks: list[Row], states: list[Row]
) -> StoredVersion:
    version = ImageVersion(
        gallery=ref.gallery,
        definition=ref.definition,
        name=row["name"],
        location=row["location"],
        provisioning_state=row["provisioning_state"],
        target_regions=[
            TargetRegion(
                t["region"],
                t["display_name"],
                t["replica_count"] or row["replica_count"],
                t["storage_type"] or row["storage_type"],
                None if t["exclude_from_latest"] is None else bool(t["exclude_from_latest"]),
            )
            for t in targets
        ],
        replica_count=row["replica_count"],
        storage_account_type=row["storage_type"],
        exclude_from_latest=bool(row["exclude_from_latest"]),
        end_of_life_date=row["end_of_life_date"],
        published_date=row["published_date"],
        allow_deletion_of_replicated_locations=bool(row["allow_deletion"]),
        disks=[_disk(d) for d in disks],
        source_version=row["source_version"],
        tags=json.loads(row["tags"]),
        subscription=ref.subscription,
        resource_group=ref.resource_group,
    )
    replicas = [
        ReplicaState(r["region"], r["state"], r["size"], r["bytes_written"], r["details"])
        for r in states
    ]
    served = frozenset(t["region"] for t in targets if t["agent_served"] == 1)
    return StoredVersion(version, replicas, pid_alive(row["job_pid"], row["job_host"]), served)


def _disk(d: Row) -> DiskImage:
    # field by field, not record(): a listing builds thousands of them
    size, virtual_size = d["size"], d["virtual_size"]
    return DiskImage(lun_value(d["lun"]), d["source"], d["source_format"], size, virtual_size,
                     d["digest"])  # fmt: skip


def _ref(drow: Row, gallery: str, row: Row) -> VersionRef:
    return VersionRef(
        row["id"],
        gallery,
        drow["name"],
        row["name"],
        row["location"],
        drow["subscription"],
        drow["resource_group"],
    )


def _path_scope(db: Db, subscription: str, group: str) -> tuple[str, ...]:
    """Replica path parts of a gallery's scope: none for the catalog's
    default subscription and resource group (the layout before scopes)."""
    if group.casefold() == DEFAULT_RESOURCE_GROUP and subscription == default_subscription(db):
        return ()
    return (subscription, group)


class SqlVersions:
    def __init__(self, session: Session, scope: ArmId | None = None) -> None:
        self._s = session
        self._scope = scope

    def find(self, gallery: str, definition: str, name: str) -> VersionRef:
        with self._s.read() as db:
            drow = definition_row(db, self._scope, gallery, definition)
            row = db.execute(
                "SELECT id, name, location FROM versions WHERE definition_id = ? AND name = ?",
                (drow["id"], name),
            ).fetchone()
            if row is None:
                raise NotFoundError(f"image version {gallery}/{definition}/{name} not found")
            return _ref(drow, gallery, row)

    def get(self, ref: VersionRef) -> StoredVersion:
        with self._s.read() as db:
            return _load(db, ref)

    def all(self, gallery: str, definition: str) -> list[StoredVersion]:
        with self._s.read() as db:
            drow = definition_row(db, self._scope, gallery, definition)
            return _load_all(db, drow, gallery)

    def create(
        self, version: ImageVersion, targets: Sequence[TargetRegionSpec], limits: Limits
    ) -> VersionRef:
        v = version
        with self._s.write() as db:
            drow = definition_row(db, self._scope, v.gallery, v.definition)
            get_region(db, v.location)
            major, minor, patch = (int(p) for p in v.name.split("."))
            if db.execute(
                "SELECT 1 FROM versions WHERE definition_id = ? AND major = ? AND minor = ? "
                "AND patch = ?",
                (drow["id"], major, minor, patch),
            ).fetchone():
                raise ConflictError(f"image version {v.id} exists already")
            check_quota(
                db,
                "SELECT COUNT(*) FROM versions v JOIN definitions d ON d.id = v.definition_id "
                "JOIN galleries g ON g.id = d.gallery_id WHERE g.subscription = ? "
                "AND v.location = ?",
                drow["subscription"],
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
                    "tags": json.dumps(v.tags),
                },
            )
            for disk in v.disks:
                values = vars(disk) | {"version_id": vid, "lun": lun_column(disk.lun)}
                insert(db, "disks", {k: x for k, x in values.items() if k != "digest"})
            ref = VersionRef(
                vid,
                v.gallery,
                drow["name"],
                v.name,
                v.location,
                drow["subscription"],
                drow["resource_group"],
            )
            for t in targets:
                self.put_target(ref, t, keep_count=False)
            return ref

    def set_fields(self, ref: VersionRef, **fields: Unpack[VersionFields]) -> None:
        with self._s.write() as db:
            for key, value in fields.items():
                if key not in _FIELDS:  # a column name goes into the SQL
                    raise ValueError(f"not an image version field: {key!r}")
                stored = json.dumps(value) if key == "tags" else value
                db.execute(f"UPDATE versions SET {key} = ? WHERE id = ?", (stored, ref.id))

    def put_target(self, ref: VersionRef, target: TargetRegionSpec, *, keep_count: bool) -> None:
        t = target
        with self._s.write() as db:
            get_region(db, t.name)
            count = (
                "COALESCE(excluded.replica_count, t.replica_count)"
                if keep_count
                else "excluded.replica_count"
            )
            db.execute(
                "INSERT INTO target_regions AS t (version_id, region, replica_count, "
                "storage_type, exclude_from_latest, seq) VALUES (?, ?, ?, ?, ?, "
                "(SELECT COALESCE(MAX(seq), 0) + 1 FROM target_regions WHERE version_id = ?)) "
                "ON CONFLICT(version_id, region) DO UPDATE SET "
                f"replica_count = {count}, "
                "storage_type = COALESCE(excluded.storage_type, t.storage_type), "
                "exclude_from_latest = COALESCE(excluded.exclude_from_latest, "
                "t.exclude_from_latest)",
                (
                    ref.id,
                    t.name,
                    t.replica_count,
                    t.storage_type,
                    _optional_int(t.exclude_from_latest),
                    ref.id,
                ),
            )

    def remove_target(self, ref: VersionRef, region: str) -> None:
        with self._s.write() as db:
            db.execute(
                "DELETE FROM target_regions WHERE version_id = ? AND region = ?", (ref.id, region)
            )

    def plan_state(self, ref: VersionRef) -> PlanState:
        from imgrepl.gallery.planner import PlanDisk, PlanState, PlanTarget

        with self._s.read() as db:
            # the stored names (a caller may spell them in another case): replica paths
            v = db.execute(
                "SELECT v.*, d.name AS definition, g.name AS gallery, g.subscription, "
                "g.resource_group FROM versions v "
                "JOIN definitions d ON d.id = v.definition_id JOIN galleries g ON g.id = "
                "d.gallery_id WHERE v.id = ?",
                (ref.id,),
            ).fetchone()
            disks = [
                PlanDisk(d["id"], lun_value(d["lun"]), d["size"])
                for d in db.execute(
                    "SELECT id, lun, size FROM disks WHERE version_id = ?", (ref.id,)
                )
            ]
            targets = [
                PlanTarget(t["region"], t["replica_count"], t["storage_type"])
                for t in db.execute("SELECT * FROM target_regions WHERE version_id = ?", (ref.id,))
            ]
            regions = {t.region: get_region(db, t.region) for t in targets}
            return PlanState(
                (v["gallery"], v["definition"], v["name"]),
                disks,
                targets,
                regions,
                v["replica_count"],
                v["storage_type"],
                _path_scope(db, v["subscription"], v["resource_group"]),
            )

    def delete(self, ref: VersionRef) -> None:
        with self._s.write() as db:  # disks, targets and replicas go with it (ON DELETE CASCADE)
            db.execute("DELETE FROM versions WHERE id = ?", (ref.id,))

    def set_disk_source(self, disk_id: int, digest: str, manifest: bytes) -> None:
        with self._s.write() as db:
            db.execute(
                "UPDATE disks SET digest = ?, manifest = ? WHERE id = ?",
                (digest, manifest, disk_id),
            )

    def disk_manifest(self, disk_id: int) -> bytes | None:
        with self._s.read() as db:
            row = db.execute("SELECT manifest FROM disks WHERE id = ?", (disk_id,)).fetchone()
        return None if row is None or row[0] is None else bytes(row[0])
