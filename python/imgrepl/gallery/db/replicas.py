"""Replica rows (state, progress, digest) and deployment leases."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass

from imgrepl.exceptions import NotFoundError
from imgrepl.gallery.db.base import HOST, pid_alive
from imgrepl.gallery.db.versions import VersionRef, Versions
from imgrepl.gallery.models import Replica


@dataclass(frozen=True)
class ReplicaRow:
    id: int
    disk_id: int
    lun: int | None
    region: str
    zone: str
    index: int
    location: str
    state: str
    size: int
    bytes_written: int
    digest: str | None
    egress: bool
    details: str | None
    disk_source: str
    disk_digest: str | None

    def to_model(self) -> Replica:
        return Replica(
            self.region,
            self.zone,
            self.index,
            self.lun,
            self.location,
            self.state,
            self.size,
            self.bytes_written,
            self.digest,
            self.egress,
            self.details,
        )


_SELECT = (
    "SELECT r.*, d.lun AS lun, d.source AS disk_source, d.digest AS disk_digest "
    "FROM replicas r JOIN disks d ON d.id = r.disk_id "
)


def _row(r: sqlite3.Row) -> ReplicaRow:
    return ReplicaRow(
        r["id"],
        r["disk_id"],
        None if r["lun"] < 0 else r["lun"],
        r["region"],
        r["zone"],
        r["idx"],
        r["location"],
        r["state"],
        r["size"],
        r["bytes_written"],
        r["digest"],
        bool(r["egress"]),
        r["details"],
        r["disk_source"],
        r["disk_digest"],
    )


class Replicas(Versions):
    def replica_rows(self, ref: VersionRef) -> list[ReplicaRow]:
        with self._lock:
            rows = self._conn.execute(
                _SELECT + "WHERE r.version_id = ? ORDER BY r.region, d.lun, r.zone, r.idx",
                (ref.id,),
            )
            return [_row(r) for r in rows]

    def set_replica(
        self,
        replica_id: int,
        state: str,
        *,
        details: str | None = None,
        digest: str | None = None,
        bytes_written: int | None = None,
    ) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE replicas SET state = ?, details = ?, digest = IFNULL(?, digest), "
                "bytes_written = IFNULL(?, bytes_written) WHERE id = ?",
                (state, details, digest, bytes_written, replica_id),
            )

    def record_progress(self, ref: VersionRef, written: Mapping[int, int]) -> None:
        """Bytes written so far per replica, plus the job's heartbeat."""
        with self._write() as db:
            db.executemany(
                "UPDATE replicas SET bytes_written = ? WHERE id = ? AND state = 'Copying'",
                [(n, rid) for rid, n in written.items()],
            )
            db.execute("UPDATE versions SET job_heartbeat = ? WHERE id = ?", (time.time(), ref.id))

    def reset_replicas(self, ref: VersionRef, *, failed: bool) -> int:
        """Makes interrupted (and with `failed`, failed) replicas Pending again."""
        states = ("Copying", "Failed") if failed else ("Copying",)
        with self._write() as db:
            cur = db.execute(
                f"UPDATE replicas SET state = 'Pending', details = NULL WHERE version_id = ? "
                f"AND state IN ({', '.join('?' * len(states))})",
                (ref.id, *states),
            )
            return cur.rowcount

    def drop_replica(self, replica_id: int) -> None:
        with self._write() as db:
            db.execute("DELETE FROM replicas WHERE id = ?", (replica_id,))

    def mark_all_deleting(self, ref: VersionRef) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE versions SET provisioning_state = 'Deleting' WHERE id = ?", (ref.id,)
            )
            db.execute("UPDATE replicas SET state = 'Deleting' WHERE version_id = ?", (ref.id,))

    def set_disk_digest(self, disk_id: int, digest: str) -> None:
        with self._write() as db:
            db.execute("UPDATE disks SET digest = ? WHERE id = ?", (digest, disk_id))

    # --- deployment leases --------------------------------------------------------
    def acquire_lease(
        self, ref: VersionRef, region: str, lun: int | None
    ) -> tuple[int, ReplicaRow]:
        """Picks the region's Completed replica with the fewest live readers."""
        with self._write() as db:
            self._purge_dead_leases(db)
            rows = db.execute(
                "SELECT r.*, d.lun AS lun, d.source AS disk_source, d.digest AS disk_digest, "
                "(SELECT COUNT(*) FROM leases l WHERE l.replica_id = r.id) AS busy "
                "FROM replicas r JOIN disks d ON d.id = r.disk_id "
                "WHERE r.version_id = ? AND r.region = ? AND d.lun = ? AND r.state = 'Completed' "
                "ORDER BY busy, r.zone, r.idx LIMIT 1",
                (ref.id, region, -1 if lun is None else lun),
            ).fetchall()
            if not rows:
                disk = "OS disk" if lun is None else f"data disk LUN {lun}"
                raise NotFoundError(
                    f"image version {ref.gallery}/{ref.definition}/{ref.name} has no completed "
                    f"replica of its {disk} in region {region!r}"
                )
            replica = _row(rows[0])
            lease = db.execute(
                "INSERT INTO leases (replica_id, pid, host, started) VALUES (?, ?, ?, ?)",
                (replica.id, os.getpid(), HOST, time.time()),
            ).lastrowid
            assert lease is not None
            return lease, replica

    def _purge_dead_leases(self, db: sqlite3.Connection) -> None:
        for lease in db.execute("SELECT id, pid, host FROM leases").fetchall():
            if not pid_alive(lease["pid"], lease["host"]):
                db.execute("DELETE FROM leases WHERE id = ?", (lease["id"],))

    def release_lease(self, lease_id: int) -> None:
        with self._write() as db:
            db.execute("DELETE FROM leases WHERE id = ?", (lease_id,))

    def readers_of(self, replica_id: int) -> int:
        with self._lock:
            row = self._conn.execute(
                "SELECT COUNT(*) FROM leases WHERE replica_id = ?", (replica_id,)
            ).fetchone()
            return max(1, int(row[0]))
