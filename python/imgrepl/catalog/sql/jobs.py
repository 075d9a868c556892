"""Who works on what: the one process replicating (or deleting) a version,
and the deployment leases that say how many readers each replica has.  A
dead holder (pid gone on this host) counts as no holder."""

from __future__ import annotations

import os
import time

from imgrepl.catalog.records import HOST, ReplicaRow, VersionRef, pid_alive
from imgrepl.catalog.sql.replicas import SELECT_REPLICAS, replica_row
from imgrepl.catalog.sql.session import Db, Session, insert, lun_column
from imgrepl.exceptions import ConflictError, NotFoundError


class SqlJobs:
    def __init__(self, session: Session) -> None:
        self._s = session

    def claim(self, ref: VersionRef, pid: int) -> None:
        with self._s.write() as db:
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

    def release(self, ref: VersionRef, pid: int) -> None:
        with self._s.write() as db:
            db.execute(
                "UPDATE versions SET job_pid = NULL, job_host = NULL WHERE id = ? "
                "AND job_pid = ? AND job_host = ?",
                (ref.id, pid, HOST),
            )

    def alive(self, ref: VersionRef) -> bool:
        with self._s.read() as db:
            row = db.execute(
                "SELECT job_pid, job_host FROM versions WHERE id = ?", (ref.id,)
            ).fetchone()
        return row is not None and pid_alive(row["job_pid"], row["job_host"])

    def heartbeat(self, ref: VersionRef) -> None:
        with self._s.write() as db:
            db.execute("UPDATE versions SET job_heartbeat = ? WHERE id = ?", (time.time(), ref.id))


class SqlLeases:
    def __init__(self, session: Session) -> None:
        self._s = session

    def acquire(self, ref: VersionRef, region: str, lun: int | None) -> tuple[int, ReplicaRow]:
        with self._s.write() as db:
            _purge_dead_leases(db)
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
            values = {"replica_id": replica.id, "pid": os.getpid(), "host": HOST}
            return int(insert(db, "leases", values | {"started": time.time()})), replica

    def release(self, lease_id: int) -> None:
        with self._s.write() as db:
            db.execute("DELETE FROM leases WHERE id = ?", (lease_id,))

    def readers(self, replica_id: int) -> int:
        with self._s.read() as db:
            row = db.execute(
                "SELECT COUNT(*) FROM leases WHERE replica_id = ?", (replica_id,)
            ).fetchone()
            return max(1, int(row[0]))


def _purge_dead_leases(db: Db) -> None:
    for lease in db.execute("SELECT id, pid, host FROM leases").fetchall():
        if not pid_alive(lease["pid"], lease["host"]):
            db.execute("DELETE FROM leases WHERE id = ?", (lease["id"],))
