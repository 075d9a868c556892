"""A region agent (`imgrepl agent`): a long-running process that claims the
replica jobs of its regions from the catalog and copies where the data
lives.

A job is one replica (imgrepl.catalog.sql.agents): the region's first
replica is copied from the home region's first (the egress copy, which the
publisher ingested from the source), the others from their region's first,
server-side when the store can (the engine decides).  Every replica is
verified against the disk's source manifest before it is recorded
Completed, and it is recorded only while the agent still holds its lease.

Leases: a claim holds a job for `lease_s`; heartbeats (every third of it,
at least every second) extend the leases and record progress.  An agent killed at any moment loses
its jobs for at most `lease_s`, then another agent of the region takes them
over.  A takeover on a local store resumes chunk by chunk (the engine's
resume journal beside the partial replica); on s3:// and az:// it restarts
the object (an upload that was never committed leaves nothing behind).  A
heartbeat that finds a lease lost stops that copy without recording it.

The catalog may go away (a PostgreSQL restart): every call is retried with
backoff, copies in flight go on, and their outcomes are recorded once it is
back.  SIGTERM drains: claims stop, running copies get `drain_s` to finish,
the rest are cancelled and handed back (Pending, no lease).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from imgrepl import stores
from imgrepl.catalog import AgentInfo, AgentJob, Catalog
from imgrepl.catalog.records import HOST
from imgrepl.exceptions import CatalogError
from imgrepl.replication.agent_metrics import AgentMetrics

T = TypeVar("T")
BACKOFF_MAX_S = 5.0
BEAT_MAX_S = 1.0


@dataclass
class AgentConfig:
    regions: list[str]
    concurrency: int = 2
    lease_s: float = 30.0
    drain_s: float = 10.0
    cap_mbps: float | None = None  # each copy's source reads (AzCopy's --cap-mbps)
    # regions whose store this agent cannot use: region -> why (their jobs fail with it)
    unusable: Mapping[str, str] = field(default_factory=dict)

    @property
    def beat_s(self) -> float:
        """Heartbeats (leases, progress) come at least every second, and
        three times a lease, so one late beat never loses it."""
        return max(0.1, min(BEAT_MAX_S, self.lease_s / 3))


def say(text: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    print(f"{stamp} {text}", file=sys.stderr, flush=True)


class Agent:
    def __init__(
        self, catalog: Catalog, config: AgentConfig, metrics: AgentMetrics | None = None
    ) -> None:
        self.catalog = catalog
        self.config = config
        self.metrics = metrics or AgentMetrics()
        self.id = f"{HOST}:{os.getpid()}:{secrets.token_hex(3)}"
        self.started = time.time()
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._progress: dict[int, int] = {}  # replica id -> bytes done
        self._copied = 0
        self._rate = (time.monotonic(), 0)  # (when, bytes copied then) of the last beat
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()

    def drain(self) -> None:
        """Stops claiming; run() then finishes or hands back its jobs and returns."""
        self._stop.set()
        self._wake.set()

    async def run(self) -> None:
        say(f"agent {self.id} serving {', '.join(self.config.regions)}")
        last_beat = 0.0
        while not self._stop.is_set():
            if time.monotonic() - last_beat >= self.config.beat_s:
                last_beat = time.monotonic()
                await self._beat()
            free = self.config.concurrency - len(self._tasks)
            if free > 0:
                for job in await self._try(self._claim, free) or []:
                    self._start(job)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.config.beat_s)
        await self._finish_draining()

    # --- the control plane -------------------------------------------------------
    async def _call(self, fn: Callable[..., T], *args: Any, retry: bool = True) -> T:
        """A catalog call on a worker thread; while the catalog is away it is
        retried with backoff (`retry`), else the CatalogError goes up."""
        delay = 0.2
        while True:
            started = time.monotonic()
            try:
                return await asyncio.to_thread(fn, *args)
            except CatalogError as exc:
                if not retry:
                    raise
                self.metrics.retries.inc()
                say(f"catalog call failed, retrying in {delay:.1f}s: {exc}")
                await asyncio.sleep(delay)
                delay = min(BACKOFF_MAX_S, delay * 2)
            finally:
                self.metrics.control_seconds.inc(time.monotonic() - started)

    async def _try(self, fn: Callable[..., Any], *args: Any) -> Any:
        """A call that may be skipped this round (a claim, a heartbeat)."""
        try:
            return await fn(*args)
        except CatalogError as exc:
            self.metrics.retries.inc()
            say(f"catalog unavailable, will retry: {exc}")
            return None

    async def _claim(self, free: int) -> list[AgentJob]:
        c = self.config
        return await self._call(self.catalog.agents.claim, self.id, c.regions, free, c.lease_s,
                                retry=False)  # fmt: skip

    async def _beat(self) -> None:
        """Extends the leases (a job no longer ours is stopped), records
        progress, and tells `agent list` and the metrics how we are doing."""
        progress = {rid: self._progress.get(rid, 0) for rid in self._tasks}
        owned = await self._try(self._heartbeat, progress)
        if owned is not None:
            for rid in set(progress) - owned:
                say(f"replica {rid}: lease lost to another agent; stopping its copy")
                self._tasks[rid].cancel()
        await self._try(self._register)
        counts = await self._try(self._counts)
        if counts is not None:
            self.metrics.queue.clear()
            for (region, state), n in counts.items():
                self.metrics.queue.labels(region, state).set(n)

    async def _heartbeat(self, progress: dict[int, int]) -> set[int]:
        c = self.config
        return await self._call(self.catalog.agents.heartbeat, self.id, progress, c.lease_s,
                                retry=False)  # fmt: skip

    async def _counts(self) -> dict[tuple[str, str], int]:
        return await self._call(self.catalog.agents.counts, self.config.regions, retry=False)

    async def _register(self) -> None:
        now, copied = time.monotonic(), self._copied
        then, before = self._rate
        rate = (copied - before) / (now - then) if now > then else 0.0
        self._rate = (now, copied)
        info = AgentInfo(
            self.id, HOST, os.getpid(), list(self.config.regions), self.started, time.time(),
            copied, rate, sorted(self._tasks),
        )  # fmt: skip
        await self._call(self.catalog.agents.register, info, retry=False)

    # --- the jobs ----------------------------------------------------------------
    def _start(self, job: AgentJob) -> None:
        if job.replica_id in self._tasks:  # our own lease, lapsed while the catalog was away
            return
        if job.taken_over:
            self.metrics.takeovers.labels(job.region).inc()
            say(f"replica {job.replica_id} ({job.region}): taking over an expired lease")
        task = asyncio.create_task(self._work(job))
        self._tasks[job.replica_id] = task
        self.metrics.running.set(len(self._tasks))
        task.add_done_callback(lambda _: self._done(job.replica_id))

    def _done(self, replica_id: int) -> None:
        self._tasks.pop(replica_id, None)
        self._progress.pop(replica_id, None)
        self.metrics.running.set(len(self._tasks))
        self._wake.set()

    async def _work(self, job: AgentJob) -> None:
        try:
            if job.delete:
                await asyncio.to_thread(stores.remove, job.location)
                await self._record(job, "Deleted")
            else:
                await self._copy(job)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # one job's failure is its replica's, never the agent's
            await self._record(job, "Failed", details=str(exc) or type(exc).__name__)

    async def _copy(self, job: AgentJob) -> None:
        why = self.config.unusable.get(job.region)
        if why:
            await self._record(job, "Failed", details=why)
            return
        manifest = await self._call(self.catalog.versions.disk_manifest, job.disk_id)
        if manifest is None or job.source is None:
            await self._record(job, "Failed", details="no source manifest to verify against")
            return
        digest = stores.manifest_digest(manifest)
        if await self._adopt(job, manifest):
            return
        try:
            await asyncio.to_thread(stores.prepare, job.location)
        except OSError as exc:
            await self._record(
                job, "Failed", details=f"store unreachable for {job.location}: {exc}"
            )
            return
        written = await self._stream(job)
        if written is None:
            return
        check = await stores.verify(job.location, manifest)
        if not check.ok:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(stores.remove, job.location)
            await self._record(job, "Failed", details=check.reason, bytes_written=written)
            return
        await self._record(job, "Completed", digest=digest, bytes_written=written)

    async def _adopt(self, job: AgentJob, manifest: bytes) -> bool:
        """A replica committed by an agent killed before it recorded it:
        verified, it is recorded instead of copied again."""
        if not await stores.exists_if_reachable(job.location):
            return False
        if not (await stores.verify(job.location, manifest)).ok:
            return False  # the copy overwrites it
        digest = stores.manifest_digest(manifest)
        await self._record(job, "Completed", digest=digest, bytes_written=job.size)
        return True

    async def _stream(self, job: AgentJob) -> int | None:
        """Copies the job's source to its replica; returns the bytes written,
        or None when it failed (recorded here)."""
        assert job.source is not None
        copy = stores.start_copy(job.source, [job.location], self.config.cap_mbps)
        kind = "egress" if job.egress else "in_region"
        counted = 0
        try:
            async for p in copy:
                self._progress[job.replica_id] = int(p.bytes_done[0])
                now = int(p.bytes_written[0])
                self.metrics.bytes.labels(job.region, kind).inc(now - counted)
                self._copied += now - counted
                counted = now
            report = await copy.wait_async()
        except asyncio.CancelledError:
            copy.cancel()
            with contextlib.suppress(Exception):
                await copy.wait_async()
            raise
        except Exception as exc:  # the source could not be read, say
            await self._record(job, "Failed", details=f"copy from {job.source} failed: {exc}")
            return None
        result = report.destinations[0]
        if not result.ok:
            details = f"copy to {job.location} failed: {result.error}"
            await self._record(job, "Failed", details=details, bytes_written=counted)
            return None
        if result.resumed_bytes:
            say(f"replica {job.replica_id} ({job.region}): resumed {result.resumed_bytes} bytes")
        return int(result.bytes_written) + int(result.resumed_bytes)

    async def _record(self, job: AgentJob, state: str, **fields: Any) -> None:
        """The job's outcome, retried until the catalog takes it; nothing if
        the lease was lost meanwhile (the new holder records it)."""
        kept = await self._call(self._finish_one, job, state, fields)
        self.metrics.finished.labels(job.region, state if kept else "LeaseLost").inc()
        detail = f": {fields['details']}" if fields.get("details") else ""
        say(f"replica {job.replica_id} ({job.region}): {state if kept else 'lease lost'}{detail}")

    def _finish_one(self, job: AgentJob, state: str, fields: dict[str, Any]) -> bool:
        return self.catalog.agents.finish(self.id, job, state, **fields)

    async def _finish_draining(self) -> None:
        """Lets running copies finish for drain_s, hands the rest back, and leaves."""
        running = list(self._tasks.values())
        if running:
            say(f"draining: {len(running)} jobs get {self.config.drain_s:g}s to finish")
            _, late = await asyncio.wait(running, timeout=self.config.drain_s)
            late_ids = [rid for rid, t in self._tasks.items() if t in late]
            for t in late:
                t.cancel()
            await asyncio.gather(*late, return_exceptions=True)
            if late_ids:
                await self._call(self.catalog.agents.release, self.id, late_ids)
                say(f"handed back replicas {json.dumps(late_ids)}")
        await self._call(self.catalog.agents.deregister, self.id)
        say(f"agent {self.id} stopped")
