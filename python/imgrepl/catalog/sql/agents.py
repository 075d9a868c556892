"""The region agents' work queue: every replica row of an agent-served
region is a job.  An agent claims jobs under a lease (lease_owner until
lease_until), extends it with heartbeats that also record progress, and
finishes a job only while it still owns it, so an agent whose lease was
taken over can never commit.  A job is ready when its source is: a
region's first replica (the egress copy) reads the home region's first
replica, the others read their region's first; both must be Completed.

On PostgreSQL claims and heartbeats take row locks (`FOR UPDATE SKIP
LOCKED`), not the catalog's write lock, so agents never queue behind each
other; on SQLite every write is serialised anyway."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence

from imgrepl.catalog.records import AgentInfo, AgentJob, Outcome, pid_alive
from imgrepl.catalog.sql.session import Db, Row, Session

_READY = """
SELECT r.id, r.version_id, r.disk_id, r.region, r.location, r.size, r.egress, r.state,
       r.lease_owner, s.location AS source
FROM replicas r
JOIN versions v ON v.id = r.version_id
JOIN regions g ON g.name = r.region
LEFT JOIN replicas s ON s.disk_id = r.disk_id AND s.egress = 1 AND s.id <> r.id
     AND s.state = 'Completed'
     AND s.region = CASE WHEN r.egress = 1 THEN v.location ELSE r.region END
WHERE g.agent_served = 1 AND r.region IN ({regions})
  AND r.state IN ('Pending', 'Copying', 'Deleting')
  AND (r.lease_until IS NULL OR r.lease_until < ?)
  AND (r.state = 'Deleting' OR (s.id IS NOT NULL
       AND NOT (r.egress = 1 AND r.region = v.location)))
ORDER BY r.egress DESC, r.id
LIMIT ?"""


class SqlAgents:
    def __init__(self, session: Session) -> None:
        self._s = session

    def claim(
        self, agent: str, regions: Sequence[str], limit: int, lease_s: float
    ) -> list[AgentJob]:
        now = time.time()
        sql = _READY.format(regions=", ".join("?" * len(regions))) + self._s.skip_locked
        with self._s.claim() as db:
            rows = db.execute(sql, (*regions, now, limit)).fetchall()
            if rows:  # one statement for all of them
                db.execute(
                    "UPDATE replicas SET lease_owner = ?, lease_until = ?, "
                    "attempts = attempts + 1, state = CASE WHEN state = 'Deleting' "
                    "THEN 'Deleting' ELSE 'Copying' END, details = NULL, "
                    "bytes_written = CASE WHEN state = 'Deleting' THEN bytes_written ELSE 0 END "
                    f"WHERE id IN ({', '.join('?' * len(rows))})",
                    (agent, now + lease_s, *(r["id"] for r in rows)),
                )
        return [_job(r) for r in rows]

    def heartbeat(self, agent: str, progress: Mapping[int, int], lease_s: float) -> set[int]:
        """Extends the agent's leases and records bytes written; returns the
        jobs it still owns (a job missing from it was taken over: stop it)."""
        if not progress:
            return set()
        ids = list(progress)
        marks = ", ".join("?" * len(ids))
        with self._s.claim() as db:
            owned = {
                r[0]
                for r in db.execute(
                    f"UPDATE replicas SET lease_until = ? WHERE id IN ({marks}) "
                    "AND lease_owner = ? RETURNING id",
                    (time.time() + lease_s, *ids, agent),
                ).fetchall()
            }
            db.executemany(
                "UPDATE replicas SET bytes_written = ? WHERE id = ? AND state = 'Copying'",
                [(progress[i], i) for i in owned],
            )
        return owned

    def finish(
        self,
        agent: str,
        job: AgentJob,
        state: str,
        *,
        details: str | None = None,
        digest: str | None = None,
        bytes_written: int = 0,
    ) -> bool:
        """One job's outcome (finish_all)."""
        outcome = Outcome(job, state, details, digest, bytes_written)
        return self.finish_all(agent, [outcome])[0]

    def finish_all(self, agent: str, outcomes: Sequence[Outcome]) -> list[bool]:
        """Records each job's outcome if the agent still owns it, in one
        transaction; a replica whose region stopped being a target meanwhile
        becomes Deleting.  Completed counts a commit; a delete job ends
        Deleted (the row goes).  The version's provisioning state follows
        once none of its replicas is left to copy or delete.

        On PostgreSQL this takes the replicas' row locks, not the write lock:
        an edit that makes a replica unwanted either commits first (the row
        is Deleting and nothing is recorded) or waits for this and then
        marks it Deleting.  The version is settled after the commit, so of
        two agents finishing its last replicas at once the later one sees
        both done."""
        ids = [o.job.replica_id for o in outcomes]
        versions = sorted({o.job.version_id for o in outcomes})
        with self._s.claim() as db:
            owned = {
                r["id"]: r["state"]
                for r in db.execute(
                    f"SELECT r.id, r.state FROM replicas r WHERE r.id IN ({_marks(ids)}) "
                    "AND r.lease_owner = ?" + self._s.lock_rows,
                    (*ids, agent),
                )
            }
            targets = {
                (r[0], r[1])
                for r in db.execute(
                    "SELECT version_id, region FROM target_regions "
                    f"WHERE version_id IN ({_marks(versions)})",
                    tuple(versions),
                )
            }
            kept = _record_all(db, outcomes, owned, targets)
        for version_id in {o.job.version_id for o in outcomes}:
            self._settle(version_id)
        return kept

    def _settle(self, version_id: int) -> None:
        with self._s.read() as db:
            left = db.execute(_BUSY, (version_id,)).fetchone()
        if left is None:
            with self._s.write() as db:
                _settle_version(db, version_id)

    def release(self, agent: str, replica_ids: Sequence[int]) -> None:
        """Hands jobs back (a draining agent): Pending again, no lease."""
        with self._s.claim() as db:
            db.executemany(
                "UPDATE replicas SET lease_owner = NULL, lease_until = NULL, state = CASE "
                "WHEN state = 'Copying' THEN 'Pending' ELSE state END "
                "WHERE id = ? AND lease_owner = ?",
                [(i, agent) for i in replica_ids],
            )

    def register(self, info: AgentInfo) -> None:
        """Records (or refreshes) a live agent."""
        values = (
            info.host, info.pid, json.dumps(info.regions), info.started, info.heartbeat,
            info.bytes_copied, info.bytes_per_second, json.dumps(info.jobs), info.id,
        )  # fmt: skip
        with self._s.claim() as db:
            cur = db.execute(
                "UPDATE agents SET host = ?, pid = ?, regions = ?, started = ?, heartbeat = ?, "
                "bytes_copied = ?, bytes_per_second = ?, jobs = ? WHERE id = ?",
                values,
            )
            if cur.rowcount == 0:
                db.execute(
                    "INSERT INTO agents (host, pid, regions, started, heartbeat, bytes_copied, "
                    "bytes_per_second, jobs, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    values,
                )

    def deregister(self, agent: str) -> None:
        with self._s.claim() as db:
            db.execute("DELETE FROM agents WHERE id = ?", (agent,))

    def live(self, within_s: float) -> list[AgentInfo]:
        """Agents whose last heartbeat is at most `within_s` old, by id."""
        with self._s.read() as db:
            rows = db.execute(
                "SELECT * FROM agents WHERE heartbeat >= ? ORDER BY id", (time.time() - within_s,)
            ).fetchall()
        # one killed on this host is gone at once; elsewhere, when it stops beating
        return [a for a in map(_info, rows) if pid_alive(a.pid, a.host)]

    def counts(self, regions: Sequence[str]) -> dict[tuple[str, str], int]:
        """Replicas of agent-served regions by (region, state): the queue's depth."""
        marks = ", ".join("?" * len(regions))
        with self._s.read() as db:
            rows = db.execute(
                "SELECT r.region, r.state, COUNT(*) FROM replicas r JOIN regions g ON "
                f"g.name = r.region WHERE g.agent_served = 1 AND r.region IN ({marks}) "
                "GROUP BY r.region, r.state",
                tuple(regions),
            ).fetchall()
        return {(r[0], r[1]): int(r[2]) for r in rows}

    def pending(self, version_id: int) -> int:
        """Replicas of the version in agent-served regions still to copy or delete."""
        with self._s.read() as db:
            return int(
                db.execute(
                    "SELECT COUNT(*) FROM replicas r JOIN regions g ON g.name = r.region "
                    "WHERE r.version_id = ? AND g.agent_served = 1 "
                    "AND r.state IN ('Pending', 'Copying', 'Deleting')",
                    (version_id,),
                ).fetchone()[0]
            )


def _job(r: Row) -> AgentJob:
    return AgentJob(
        r["id"], r["version_id"], r["disk_id"], r["region"], r["location"], r["source"],
        r["size"], bool(r["egress"]), r["state"] == "Deleting",
        r["state"] == "Copying" and r["lease_owner"] is not None,
    )  # fmt: skip


def _info(r: Row) -> AgentInfo:
    return AgentInfo(
        r["id"], r["host"], r["pid"], json.loads(r["regions"]), r["started"], r["heartbeat"],
        r["bytes_copied"], r["bytes_per_second"], json.loads(r["jobs"]),
    )  # fmt: skip


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


def _record_all(
    db: Db, outcomes: Sequence[Outcome], owned: dict[int, str], targets: set[tuple[int, str]]
) -> list[bool]:
    """The outcomes of the jobs the agent owns, a few statements for all."""
    drop, retry, unwanted, done, kept = [], [], [], [], []
    for o in outcomes:
        job, state = o.job, owned.get(o.job.replica_id)
        if state is None or (state == "Deleting" and not job.delete):
            kept.append(False)  # not ours, or an edit made it unwanted: nothing recorded
            if state is not None:
                unwanted.append((job.replica_id,))
            continue
        kept.append(True)
        if job.delete and o.state == "Deleted":
            drop.append((job.replica_id,))
        elif job.delete:  # its store failed: tried again once the lease runs out
            retry.append((o.details, job.replica_id))
        elif (job.version_id, job.region) not in targets:
            unwanted.append((job.replica_id,))
            db.execute("UPDATE replicas SET state = 'Deleting', details = "
                       "'no longer a target region' WHERE id = ?", (job.replica_id,))  # fmt: skip
        else:
            done.append((o.state, o.details, o.digest, o.bytes_written, job.source,
                         int(o.state == "Completed"), job.replica_id))  # fmt: skip
    if drop:
        db.executemany("DELETE FROM replicas WHERE id = ?", drop)
    if retry:
        db.executemany("UPDATE replicas SET details = ?, lease_owner = NULL WHERE id = ?", retry)
    if unwanted:
        db.executemany(
            "UPDATE replicas SET lease_owner = NULL, lease_until = NULL WHERE id = ?", unwanted
        )
    if done:
        db.executemany(
            "UPDATE replicas SET state = ?, details = ?, digest = ?, bytes_written = ?, "
            "copied_from = ?, commits = commits + ?, lease_owner = NULL, "
            "lease_until = NULL WHERE id = ?",
            done,
        )
    return kept


_BUSY = (
    "SELECT 1 FROM replicas WHERE version_id = ? AND state IN "
    "('Pending', 'Copying', 'Deleting') LIMIT 1"
)


def _settle_version(db: Db, version_id: int) -> None:
    """Succeeded or Failed once no replica of the version is left to do (and
    no in-process replication holds it); it stops at the first one left."""
    busy = db.execute(_BUSY, (version_id,)).fetchone()
    job = db.execute("SELECT job_pid FROM versions WHERE id = ?", (version_id,)).fetchone()
    if busy is not None or job is None or job["job_pid"] is not None:
        return
    failed = db.execute(
        "SELECT 1 FROM replicas WHERE version_id = ? AND state = 'Failed' LIMIT 1", (version_id,)
    ).fetchone()
    state = "Failed" if failed else "Succeeded"
    db.execute("UPDATE versions SET provisioning_state = ? WHERE id = ?", (state, version_id))
