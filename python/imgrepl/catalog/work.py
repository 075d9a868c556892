"""Who is working on what: the one process replicating a version, and the
deployment leases that say how many readers each replica has."""

from __future__ import annotations

import os
import sqlite3
import time

from imgrepl.catalog.base import HOST, pid_alive
from imgrepl.catalog.replicas import SELECT_REPLICAS, ReplicaRow, Replicas, replica_row
from imgrepl.catalog.versions import VersionRef, lun_column
from imgrepl.exceptions import ConflictError, NotFoundError


class Work(Replicas):
    # --- the replication job that owns a version ---------------------------------
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

    # --- deployment leases --------------------------------------------------------
    def acquire_lease(
        self, ref: VersionRef, region: str, lun: int | None
    ) -> tuple[int, ReplicaRow]:
        """Picks the region's Completed replica with the fewest live readers."""
        with self._write() as db:
            self._purge_dead_leases(db)
            row = db.execute(
                SELECT_REPLICAS + "WHERE r.version_id = ? AND r.region = ? AND d.lun = ? "
                "AND r.state = 'Completed' ORDER BY "
                "(SELECT COUNT(*) FROM leases l WHERE l.replica_id = r.id), r.zone, r.idx LIMIT 1",
                (ref.id, region, lun_column(lun)),
            ).fetchone()
            if row is None:
                disk = "OS disk" if lun is None else f"data disk LUN {lun}"
                raise NotFoundError(
                    f"image version {ref.gallery}/{ref.definition}/{ref.name} has no completed "
                    f"replica of its {disk} in region {region!r}"
                )
            replica = replica_row(row)
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
