"""Runs a version's copy plan on the engine and keeps the catalog current.

Stage one copies each disk from its source to every region's first replica
in one fan-out job (the source is read once) and records the source
manifest; a region holding an earlier version of the definition gets only
the changed chunks across, the rest from that replica (see `delta`).  Stage
two copies each region's first replica to its others (taking unchanged
chunks from that earlier replica too when it is on the same filesystem:
shared blocks, or an in-kernel copy, instead of written bytes).
Every replica is verified against the source manifest before it counts as
Completed; one that fails is deleted and marked Failed with the chunk
ranges that differ, and only its region fails.

Replicas already Completed are never copied again; a replica whose final
file exists but was not yet recorded (the process died after the rename) is
verified and adopted.  Progress goes into the catalog every half second so
another process sees it.

Replicas an update made unwanted (Deleting) are deleted from their store
first; one whose store fails stays Deleting with the reason, the rest of the
work goes on, and the run then ends Failed with a StoreError naming it (a
later update or replicate deletes it).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

from imgrepl import stores
from imgrepl.catalog import Catalog, ReplicaRow, VersionRef
from imgrepl.exceptions import ConflictError, StoreError
from imgrepl.gallery.models import ImageVersion, Transfer
from imgrepl.gallery.planner import CopyStage, PlanReplica, copy_stages
from imgrepl.gallery.status import with_status
from imgrepl.replication import delta
from imgrepl.replication.pause import pause
from imgrepl.replication.verify import readable_source, source_manifest

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
        *,
        delta: bool = True,
    ) -> None:
        self.catalog = catalog
        self.ref = ref
        self.on_progress = on_progress
        self.cap_mbps = cap_mbps
        self.delta = delta
        self._done: dict[int, int] = {}
        self._rows: dict[int, ReplicaRow] = {}
        self._digests: dict[int, str | None] = {}  # disk id -> source digest
        self._manifests: dict[int, bytes | None] = {}  # disk id -> source manifest
        self._undeleted: dict[int, str] = {}  # replica id -> why its delete failed
        self._agent_regions: set[str] = set()  # their replicas are the agents' work

    async def _db(self, fn: Callable[..., object], *args: object, **kw: object) -> Any:
        return await asyncio.to_thread(fn, *args, **kw)

    async def run(self, *, retry_failed: bool = False) -> ImageVersion:
        pid = os.getpid()
        reset = True
        while reset or await self._left_behind():
            await self._claim(pid)
            regions = await self._db(self.catalog.regions.all)
            self._agent_regions = {r.name for r in regions if r.agent_served}
            try:
                if reset:
                    await self._db(self.catalog.replicas.reset, self.ref, failed=retry_failed)
                    reset = False
                # an update in another process may add replicas while we copy
                while await self._delete_unwanted() + await self._run_plan():
                    pass
                if not await self._db(self.catalog.agents.pending, self.ref.id):
                    await self._settle()
            finally:
                await asyncio.shield(asyncio.to_thread(self.catalog.jobs.release, self.ref, pid))
        if self._agent_regions and not await self._db(self.catalog.agents.pending, self.ref.id):
            await self._settle()  # the agents finished while we held the job
        if self._undeleted:
            reasons = "; ".join(self._undeleted.values())
            raise StoreError(
                f"{self.ref.gallery}/{self.ref.definition}/{self.ref.name}: {reasons}; "
                "those replicas stay Deleting in the catalog: update or replicate again "
                "once the store is back"
            )
        return await self._version()

    async def _left_behind(self) -> bool:
        """Whether an edit in another process added work after our last
        look and before we let go of the job.  That process waits for the
        job and copies it; claiming again waits for it too, so a run ends
        (and reports) only when the version has nothing of ours left."""
        rows = await self._db(self.catalog.replicas.rows, self.ref)
        return any(
            self._mine(r)
            and (r.state == "Pending" or (r.state == "Deleting" and r.id not in self._undeleted))
            for r in rows
        )

    async def _settle(self) -> None:
        """The provisioning state, once nothing is left to copy: region
        agents set it themselves when they finish last."""
        status = (await self._version()).replication_status
        done = status is not None and status.aggregated_state == "Completed"
        state = "Succeeded" if done and not self._undeleted else "Failed"
        await self._db(self.catalog.versions.set_fields, self.ref, provisioning_state=state)

    def _mine(self, row: ReplicaRow) -> bool:
        """Whether this process copies (or deletes) the replica: region agents
        do it in their regions, except the home region's first replica, which
        ingests the source from where it was submitted."""
        if row.region not in self._agent_regions:
            return True
        return row.egress and row.region == self.ref.location and row.state != "Deleting"

    async def _version(self) -> ImageVersion:
        return with_status(await self._db(self.catalog.versions.get, self.ref))

    async def _claim(self, pid: int) -> None:
        """Becomes the version's one replicating process, after any live one."""
        while True:
            try:
                await self._db(self.catalog.jobs.claim, self.ref, pid)
                return
            except ConflictError:
                await asyncio.sleep(CLAIM_POLL)

    async def _delete_unwanted(self) -> int:
        """Deletes the Deleting replicas; returns how many are gone.  Each
        row goes only once its store deleted the replica."""
        rows = await self._db(self.catalog.replicas.rows, self.ref)
        doomed = [
            r
            for r in rows
            if r.state == "Deleting" and r.id not in self._undeleted and self._mine(r)
        ]
        gone = 0
        for row in doomed:
            try:
                await asyncio.to_thread(stores.remove, row.location)
            except (StoreError, OSError) as exc:
                self._undeleted[row.id] = str(exc)
                await self._db(
                    self.catalog.replicas.set_state, row.id, "Deleting", details=str(exc)
                )
                continue
            await self._db(self.catalog.replicas.drop, row.id)
            gone += 1
        return gone

    async def _discard(self, location: str) -> str:
        """Deletes a replica that failed; if its store fails too, says so
        (the row is Failed either way, and a retry overwrites it)."""
        try:
            await asyncio.to_thread(stores.remove, location)
        except (StoreError, OSError) as exc:
            return f"; it could not be deleted: {exc}"
        return ""

    async def _run_plan(self) -> int:
        """Copies every Pending replica; returns how many there were."""
        rows: list[ReplicaRow] = await self._db(self.catalog.replicas.rows, self.ref)
        self._rows = {r.id: r for r in rows}
        self._done = {r.id: r.size if r.state == "Completed" else 0 for r in rows}
        for disk_id, digest in {r.disk_id: r.disk_digest for r in rows}.items():
            self._digests[disk_id] = digest
            self._manifests[disk_id] = await source_manifest(self.catalog, disk_id, digest, rows)
        pending = [r for r in rows if r.state == "Pending" and self._mine(r)]
        pending = [r for r in pending if not await self._adopt(r)]
        plan = [PlanReplica(r.id, r.disk_id, r.region, r.location, r.egress) for r in pending]
        given = {r.disk_id: r.disk_source for r in rows}  # one look per disk, not per replica
        home = self.ref.location
        sources = {d: readable_source(d, src, rows, home) for d, src in given.items()}
        firsts = {(r.disk_id, r.region): r.location for r in rows if r.egress}
        one, two = copy_stages(plan, sources, firsts)
        self._report()
        for stage in one:
            await self._run_stage(stage, from_source=True)
        await asyncio.gather(*(self._run_stage(s, from_source=False) for s in two))
        return len(plan)

    async def _adopt(self, row: ReplicaRow) -> bool:
        """A complete replica left by an earlier run: verify it instead of copying."""
        manifest = self._manifests.get(row.disk_id)
        if manifest is None or not await stores.exists_if_reachable(row.location):
            return False
        check = await stores.verify(row.location, manifest)
        if not check.ok:
            await self._discard(row.location)  # the copy overwrites it anyway
            return False
        digest = self._digests[row.disk_id]
        if await self._commit(row, "Completed", digest=digest):
            self._done[row.id] = row.size
        return True

    async def _fail(self, replicas: Sequence[PlanReplica | ReplicaRow], details: str) -> None:
        for r in replicas:
            await self._commit(r, "Failed", details=details)

    async def _commit(self, replica: PlanReplica | ReplicaRow, state: str, **fields: Any) -> bool:
        """Records what a copy reached, unless an edit made the replica
        unwanted meanwhile; returns whether it did (see _commit_wanted)."""
        return bool(await self._db(self._commit_wanted, replica.id, replica.region, state, fields))

    def _commit_wanted(self, replica_id: int, region: str, state: str, fields: Any) -> bool:
        """A replica whose region is no longer a target (or that an edit marked
        Deleting: a lower count) is never recorded Completed, Failed or Copying:
        checked in the transaction that writes, so no edit slips between.  It
        stays Deleting, and the run's next round deletes it from its store."""
        with self.catalog.transaction() as tx:
            row = next((r for r in tx.replicas.rows(self.ref) if r.id == replica_id), None)
            targets = {t.region for t in tx.versions.plan_state(self.ref).targets}
            if row is None or row.state == "Deleting":
                return False
            if region not in targets:
                tx.replicas.set_state(replica_id, "Deleting", details="no longer a target region")
                return False
            tx.replicas.set_state(replica_id, state, **fields)
            return True

    async def _run_stage(self, stage: CopyStage, *, from_source: bool) -> None:
        if not from_source:
            rows = await self._db(self.catalog.replicas.rows, self.ref)
            first = next(r for r in rows if r.location == stage.source)
            if first.state != "Completed":
                why = f"the region's first replica is not complete: {first.details or first.state}"
                await self._fail(stage.destinations, why)
                return
            await pause("fanout", stage.source)
        ready: list[PlanReplica] = []
        for d in stage.destinations:
            try:
                await asyncio.to_thread(stores.prepare, d.location)
                ready.append(d)
            except OSError as exc:
                await self._fail([d], f"store unreachable for {d.location}: {exc}")
        if ready:
            await self._copy(stage, ready, from_source)

    async def _copy(self, stage: CopyStage, dsts: Sequence[PlanReplica], from_source: bool) -> None:
        for d in dsts:
            await self._commit(d, "Copying", bytes_written=0)
        # in-region, only a base the kernel can copy from helps: none to look for
        # (catalog reads of every earlier version) when no replica is a local file
        local = from_source or any(stores.is_local(d.location) for d in dsts)
        bases = await self._bases(stage.disk_id, dsts) if local else [None] * len(dsts)
        if not from_source:
            pairs = zip(bases, dsts, strict=True)
            bases = [b if b and delta.same_filesystem(b, d.location) else None for b, d in pairs]
        job = None
        try:
            locations = [d.location for d in dsts]
            job = stores.start_copy(
                stage.source, locations, self.cap_mbps, bases=delta.engine_bases(bases)
            )
            await self._stream(job, dsts)
            report = await job.wait_async()
        except asyncio.CancelledError:
            if job is not None:  # stop it and let it clean up before we go
                job.cancel()
                with contextlib.suppress(Exception):
                    await job.wait_async()
            raise
        except Exception as exc:  # the whole job failed (source unreadable...)
            if job is None and len(dsts) > 1:
                # refused before a byte was read (a destination URL the engine
                # cannot serve): each alone, so only the bad store's region fails
                for d in dsts:
                    await self._copy(stage, [d], from_source)
                return
            await self._fail(dsts, str(exc))
            return
        if from_source:
            await self._learn_source(stage.disk_id, dsts, report)
        elif report.digest and report.digest != self._digests.get(stage.disk_id):
            await self._source_replica_changed(stage)
        for d, result, base in zip(dsts, report.destinations, bases, strict=True):
            await self._finish(d, result, base if from_source else None, from_source)

    async def _bases(self, disk_id: int, dsts: Sequence[PlanReplica]) -> list[delta.Base | None]:
        """The base of each replica (see `delta`); none with --no-delta."""
        if not self.delta:
            return [None] * len(dsts)
        lun = next(r.lun for r in self._rows.values() if r.disk_id == disk_id)
        wanted = [(d.region, lun) for d in dsts]
        chosen = await delta.choose_bases(
            self.catalog, self.ref, wanted, {lun: self._manifests.get(disk_id)}
        )
        return [chosen.get(key) for key in wanted]

    async def _learn_source(self, disk_id: int, dsts: Sequence[PlanReplica], report: Any) -> None:
        """Records the source's digest and manifest the first time a copy read it all."""
        if self._digests.get(disk_id) is not None or not report.digest:
            return  # known already: the new replicas are verified against it
        for d, result in zip(dsts, report.destinations, strict=True):
            if not result.ok:
                continue
            manifest = await stores.read_manifest(d.location)
            if stores.manifest_digest(manifest) == report.digest:
                await self._db(
                    self.catalog.versions.set_disk_source, disk_id, report.digest, manifest
                )
                self._digests[disk_id], self._manifests[disk_id] = report.digest, manifest
                return

    async def _source_replica_changed(self, stage: CopyStage) -> None:
        """Stage two read a first replica that no longer matches the source:
        it was damaged after its verification.  It fails (and is deleted) too."""
        first = next(r for r in self._rows.values() if r.location == stage.source)
        manifest = self._manifests[stage.disk_id]
        assert manifest is not None  # it was verified against it
        check = await stores.verify(first.location, manifest)
        why = check.reason or f"{first.location} changed after it was verified"
        why += await self._discard(first.location)
        await self._fail([first], why)

    async def _finish(
        self, d: PlanReplica, result: Any, base: delta.Base | None, first: bool
    ) -> None:
        written = int(result.bytes_written)
        if not result.ok:
            details = f"copy to {d.location} failed: {result.error}"
            await self._commit(d, "Failed", details=details, bytes_written=written)
            return
        await pause("verify", d.location)
        manifest = self._manifests.get(d.disk_id)
        if manifest is None:
            check = stores.Check(False, f"no source manifest to verify {d.location} against", [])
        else:
            check = await stores.verify(d.location, manifest)
        why = check.reason
        if not check.ok:  # a failed copy leaves nothing at its final name
            why = f"{check.reason}{await self._discard(d.location)}"
        crossed, local = int(result.bytes_from_source), int(result.bytes_from_base)
        used = base.version if base is not None and local else None
        if check.ok and result.base_note:
            why = result.base_note
        committed = await self._commit(
            d,
            "Completed" if check.ok else "Failed",
            details=why,
            digest=self._digests.get(d.disk_id) if check.ok else None,
            bytes_written=written,
            transfer=Transfer(crossed, local, used) if first and check.ok else None,
        )
        self._done[d.id] = self._rows[d.id].size if check.ok and committed else 0
        self._report()

    async def _stream(self, job: Any, dsts: Sequence[PlanReplica]) -> None:
        last = 0.0
        async for p in job:
            # bytes handled (written, zero or resumed): what progress means
            for d, n in zip(dsts, p.bytes_done, strict=True):
                self._done[d.id] = int(n)
            now = time.monotonic()
            if now - last >= PROGRESS_INTERVAL or p.finished:
                last = now
                written = {d.id: self._done[d.id] for d in dsts}
                await self._db(self._record_progress, written)
                self._report()

    def _record_progress(self, written: dict[int, int]) -> None:
        with self.catalog.transaction() as tx:
            tx.replicas.record_progress(written)
            tx.jobs.heartbeat(self.ref)

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
