"""Replica rows: where each replica lives, its state, progress and digest,
and reconciling them with the plan the domain computed."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from imgrepl.catalog.records import ReplicaRow, VersionRef
from imgrepl.catalog.sql.session import Row, Session, lun_value, record
from imgrepl.gallery.models import Transfer

if TYPE_CHECKING:
    from imgrepl.gallery.planner import Desired

SELECT_REPLICAS = (
    'SELECT r.*, r.idx AS "index", d.lun AS lun, d.source AS disk_source, '
    "d.digest AS disk_digest FROM replicas r JOIN disks d ON d.id = r.disk_id "
)


def replica_row(r: Row) -> ReplicaRow:
    crossed = r["bytes_crossed"]
    transfer = None if crossed is None else Transfer(crossed, r["bytes_local"] or 0, r["base"])
    return record(
        ReplicaRow, r, lun=lun_value(r["lun"]), egress=bool(r["egress"]), transfer=transfer
    )


class SqlReplicas:
    def __init__(self, session: Session) -> None:
        self._s = session

    def rows(self, ref: VersionRef) -> list[ReplicaRow]:
        with self._s.read() as db:
            rows = db.execute(
                SELECT_REPLICAS + "WHERE r.version_id = ? ORDER BY r.region, d.lun, r.zone, r.idx",
                (ref.id,),
            )
            return [replica_row(r) for r in rows]

    def reconcile(self, ref: VersionRef, desired: Sequence[Desired]) -> int:
        with self._s.write() as db:
            existing = {
                (r["disk_id"], r["region"], r["zone"], r["idx"]): r
                for r in db.execute("SELECT * FROM replicas WHERE version_id = ?", (ref.id,))
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
                        (ref.id, d.disk_id, d.region, d.zone, d.index, d.location, d.size,
                         int(d.egress)),
                    )  # fmt: skip
                    changed += 1
                elif old["state"] == "Deleting":
                    db.execute("UPDATE replicas SET state = 'Pending' WHERE id = ?", (old["id"],))
                    changed += 1
            return changed

    def set_state(
        self,
        replica_id: int,
        state: str,
        *,
        details: str | None = None,
        digest: str | None = None,
        bytes_written: int | None = None,
        transfer: Transfer | None = None,
    ) -> None:
        with self._s.write() as db:
            db.execute(
                "UPDATE replicas SET state = ?, details = ?, digest = COALESCE(?, digest), "
                "bytes_written = COALESCE(?, bytes_written) WHERE id = ?",
                (state, details, digest, bytes_written, replica_id),
            )
            if transfer is not None:
                db.execute(
                    "UPDATE replicas SET bytes_crossed = ?, bytes_local = ?, base = ? WHERE id = ?",
                    (transfer.bytes_crossed, transfer.bytes_local, transfer.base, replica_id),
                )

    def record_progress(self, written: Mapping[int, int]) -> None:
        with self._s.write() as db:
            db.executemany(
                "UPDATE replicas SET bytes_written = ? WHERE id = ? AND state = 'Copying'",
                [(n, rid) for rid, n in written.items()],
            )

    def reset(self, ref: VersionRef, *, failed: bool) -> int:
        states = ("Copying", "Failed") if failed else ("Copying",)
        with self._s.write() as db:
            # a replica an agent holds a live lease on is the agent's to finish
            cur = db.execute(
                "UPDATE replicas SET state = 'Pending', details = NULL, lease_owner = NULL, "
                "lease_until = NULL WHERE version_id = ? AND (lease_until IS NULL OR "
                f"lease_until < ?) AND state IN ({', '.join('?' * len(states))})",
                (ref.id, time.time(), *states),
            )
            return cur.rowcount

    def drop(self, replica_id: int) -> None:
        with self._s.write() as db:
            db.execute("DELETE FROM replicas WHERE id = ?", (replica_id,))

    def mark_deleting(self, ref: VersionRef) -> None:
        with self._s.write() as db:
            db.execute("UPDATE replicas SET state = 'Deleting' WHERE version_id = ?", (ref.id,))
