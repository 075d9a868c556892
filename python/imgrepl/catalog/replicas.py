"""Replica rows: state, progress, digest, and where each one lives."""

from __future__ import annotations

import dataclasses
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass

from imgrepl.catalog.base import record
from imgrepl.catalog.targets import Targets
from imgrepl.catalog.versions import VersionRef
from imgrepl.gallery.models import Replica


@dataclass(frozen=True, kw_only=True)
class ReplicaRow(Replica):
    """A replica as the replicator needs it: the model plus its catalog ids
    and its disk's source and whole-image digest."""

    id: int
    disk_id: int
    disk_source: str
    disk_digest: str | None

    def to_model(self) -> Replica:
        return Replica(**{f.name: getattr(self, f.name) for f in dataclasses.fields(Replica)})


SELECT_REPLICAS = (
    'SELECT r.*, r.idx AS "index", d.lun AS lun, d.source AS disk_source, '
    "d.digest AS disk_digest FROM replicas r JOIN disks d ON d.id = r.disk_id "
)


def replica_row(r: sqlite3.Row) -> ReplicaRow:
    return record(ReplicaRow, r, lun=None if r["lun"] < 0 else r["lun"], egress=bool(r["egress"]))


class Replicas(Targets):
    def replica_rows(self, ref: VersionRef) -> list[ReplicaRow]:
        with self._lock:
            rows = self._conn.execute(
                SELECT_REPLICAS + "WHERE r.version_id = ? ORDER BY r.region, d.lun, r.zone, r.idx",
                (ref.id,),
            )
            return [replica_row(r) for r in rows]

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
