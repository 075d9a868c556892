"""Runs a version's copy plan on the engine and keeps the catalog current.

Replicas already Completed are never copied again; a replica whose final
file exists but was not yet recorded (the process died after the rename) is
verified and adopted.  Progress goes into the catalog every half second so
another process sees it; every replica is verified before it is Completed.
A failing destination fails only its own replica and region.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable, Sequence

from imgrepl.exceptions import ConflictError
from imgrepl.gallery import engine
from imgrepl.gallery.db import Catalog, ReplicaRow, VersionRef
from imgrepl.gallery.models import ImageVersion
from imgrepl.gallery.planner import CopyStage, PlanReplica, copy_stages

PROGRESS_INTERVAL = 0.5
CLAIM_POLL = 0.2
# region -> (bytes done, bytes in total), for progress bars
ProgressCallback = Callable[[dict[str, tuple[int, int]]], None]


class Replicator:
    def __init__(
        self,
        catalog: Catalog,
        ref: VersionRef,
        on_progress: ProgressCallback | None = None,
        cap_mbps: float | None = None,
    ) -> None:
        self.catalog = catalog
        self.ref = ref
        self.on_progress = on_progress
        self.cap_mbps = cap_mbps
        self._done: dict[int, int] = {}
        self._rows: dict[int, ReplicaRow] = {}
        self._digests: dict[int, str | None] = {}

    async def _db(self, fn: Callable[..., object], *args: object, **kw: object) -> object:
        return await asyncio.to_thread(fn, *args, **kw)

    async def run(self, *, retry_failed: bool = False) -> ImageVersion:
        pid = os.getpid()
        await self._claim(pid)
        try:
            await self._db(self.catalog.reset_replicas, self.ref, failed=retry_failed)
            # an update in another process may add replicas while we copy
            while await self._delete_unwanted() + await self._run_plan():
                pass
            version = await asyncio.to_thread(self.catalog.get_version, self.ref)
            status = version.replication_status
            done = status is not None and status.aggregated_state == "Completed"
            state = "Succeeded" if done else "Failed"
            await self._db(self.catalog.set_version_fields, self.ref, provisioning_state=state)
        finally:
            await asyncio.shield(asyncio.to_thread(self.catalog.release_job, self.ref, pid))
        return await asyncio.to_thread(self.catalog.get_version, self.ref)

    async def _claim(self, pid: int) -> None:
        """Becomes the version's one replicating process, after any live one."""
        while True:
            try:
                await self._db(self.catalog.claim_job, self.ref, pid)
                return
            except ConflictError:
                await asyncio.sleep(CLAIM_POLL)

    async def _delete_unwanted(self) -> int:
        rows = await asyncio.to_thread(self.catalog.replica_rows, self.ref)
        doomed = [r for r in rows if r.state == "Deleting"]
        for row in doomed:
            await asyncio.to_thread(engine.remove, row.location)
            await self._db(self.catalog.drop_replica, row.id)
        return len(doomed)

    async def _run_plan(self) -> int:
        """Copies every Pending replica; returns how many there were."""
        rows = await asyncio.to_thread(self.catalog.replica_rows, self.ref)
        self._rows = {r.id: r for r in rows}
        self._done = {r.id: r.size if r.state == "Completed" else 0 for r in rows}
        self._digests = {r.disk_id: r.disk_digest for r in rows}
        pending = [r for r in rows if r.state == "Pending"]
        pending = [r for r in pending if not await self._adopt(r)]
        plan = [PlanReplica(r.id, r.disk_id, r.region, r.location, r.egress) for r in pending]
        sources = {r.disk_id: r.disk_source for r in rows}
        firsts = {(r.disk_id, r.region): r.location for r in rows if r.egress}
        one, two = copy_stages(plan, sources, firsts)
        self._report()
        for stage in one:
            await self._run_stage(stage, from_source=True)
        await asyncio.gather(*(self._run_stage(s, from_source=False) for s in two))
        return len(plan)

    async def _adopt(self, row: ReplicaRow) -> bool:
        """A complete replica left by an earlier run: verify it instead of copying."""
        digest = self._digests.get(row.disk_id)
        if digest is None or not engine.exists(row.location):
            return False
        check = await engine.verify(row.location, digest)
        if not check.ok:
            await asyncio.to_thread(engine.remove, row.location)
            return False
        await self._db(self.catalog.set_replica, row.id, "Completed", digest=digest)
        self._done[row.id] = row.size
        return True

    async def _run_stage(self, stage: CopyStage, *, from_source: bool) -> None:
        if not from_source:
            first = next(
                r
                for r in await asyncio.to_thread(self.catalog.replica_rows, self.ref)
                if r.location == stage.source
            )
            if first.state != "Completed":
                why = f"the region's first replica is not complete: {first.details or first.state}"
                for d in stage.destinations:
                    await self._db(self.catalog.set_replica, d.id, "Failed", details=why)
                return
        ready: list[PlanReplica] = []
        for d in stage.destinations:
            try:
                await asyncio.to_thread(engine.prepare, d.location)
                ready.append(d)
            except OSError as exc:
                details = f"store unreachable for {d.location}: {exc}"
                await self._db(self.catalog.set_replica, d.id, "Failed", details=details)
        if ready:
            source = stage.source if from_source else engine.engine_path(stage.source)
            await self._copy(stage.disk_id, source, ready)

    async def _copy(self, disk_id: int, source: str, dsts: Sequence[PlanReplica]) -> None:
        for d in dsts:
            await self._db(self.catalog.set_replica, d.id, "Copying", bytes_written=0)
        job = None
        try:
            paths = [engine.engine_path(d.location) for d in dsts]
            job = engine.start_copy(source, paths, self.cap_mbps)
            await self._stream(job, dsts)
            report = await job.wait_async()
        except asyncio.CancelledError:
            if job is not None:  # stop it and let it clean up before we go
                job.cancel()
                with contextlib.suppress(Exception):
                    await job.wait_async()
            raise
        except Exception as exc:  # the whole job failed (source unreadable...)
            for d in dsts:
                await self._db(self.catalog.set_replica, d.id, "Failed", details=str(exc))
            return
        digest = self._digests.get(disk_id)
        if digest is None and report.digest:  # "" when no destination got the whole source
            digest = str(report.digest)
            self._digests[disk_id] = digest
            await self._db(self.catalog.set_disk_digest, disk_id, digest)
        for d, result in zip(dsts, report.destinations, strict=True):
            await self._finish(d, result, digest or "")

    async def _finish(self, d: PlanReplica, result: object, digest: str) -> None:
        written = int(getattr(result, "bytes_written", 0))
        if not getattr(result, "ok", False):
            details = f"copy to {d.location} failed: {getattr(result, 'error', None)}"
            await self._db(
                self.catalog.set_replica, d.id, "Failed", details=details, bytes_written=written
            )
            return
        check = await engine.verify(d.location, digest)
        state = "Completed" if check.ok else "Failed"
        await self._db(
            self.catalog.set_replica,
            d.id,
            state,
            details=check.reason,
            digest=digest,
            bytes_written=written,
        )
        self._done[d.id] = self._rows[d.id].size if check.ok else 0
        self._report()

    async def _stream(self, job: object, dsts: Sequence[PlanReplica]) -> None:
        last = 0.0
        async for p in job:  # type: ignore[attr-defined]
            # bytes handled (written, zero or resumed): what progress means
            for d, n in zip(dsts, p.bytes_done, strict=True):
                self._done[d.id] = int(n)
            now = time.monotonic()
            if now - last >= PROGRESS_INTERVAL or p.finished:
                last = now
                written = {d.id: self._done[d.id] for d in dsts}
                await self._db(self.catalog.record_progress, self.ref, written)
                self._report()

    def _report(self) -> None:
        if self.on_progress is None:
            return
        per: dict[str, tuple[int, int]] = {}
        for rid, row in self._rows.items():
            if row.state == "Deleting":
                continue
            done, total = per.get(row.region, (0, 0))
            per[row.region] = (done + min(self._done.get(rid, 0), row.size), total + row.size)
        self.on_progress(per)
