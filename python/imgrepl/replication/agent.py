"""A region agent (`imgrepl agent`): a long-running process that claims the
replica jobs of its regions from the catalog and copies where the data
lives.

A job is one replica (imgrepl.catalog.sql.agents): the region's first
replica is copied from the home region's first (the egress copy, which the
publisher ingested from the source), the others from their region's first,
server-side when the store can (the engine decides).  Claimed jobs that
share a source run as one fan-out (imgrepl.replication.agent_jobs).  Every replica is
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
import math
import os
import secrets
import sys
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from imgrepl.catalog import AgentInfo, AgentJob, Catalog, Outcome
from imgrepl.catalog.records import HOST
from imgrepl.exceptions import CatalogError
from imgrepl.replication import agent_jobs
from imgrepl.replication.agent_metrics import AgentMetrics

T = TypeVar("T")
BACKOFF_MAX_S = 5.0
BEAT_MAX_S = 1.0
REGISTER_EVERY = 5  # beats between refreshing `agent list` and the queue gauge


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
        self._written: dict[int, int] = {}  # replica id -> bytes written, counted in metrics
        self._copied = 0
        self._rate = (time.monotonic(), 0)  # (when, bytes copied then) of the last beat
        self._stop = asyncio.Event()
        self._calls = 0  # catalog calls in flight, and since when there have been any
        self._busy_since = 0.0
        self._beats = 0
        self._give_up = math.inf  # when a draining agent stops retrying the catalog
        self._wake = asyncio.Event()

    def drain(self) -> None:
        """Stops claiming; run() then finishes or hands back its jobs and returns.
        A catalog that is away is retried for a lease at most: by then the
        jobs not handed back are free for other agents anyway."""
        if not self._stop.is_set():
            self._give_up = time.monotonic() + self.config.drain_s + self.config.lease_s
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
                self._start(await self._try(self._claim, free) or [])
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
            self._calls += 1
            if self._calls == 1:
                self._busy_since = time.monotonic()
            try:
                return await asyncio.to_thread(fn, *args)
            except CatalogError as exc:
                if not retry or time.monotonic() > self._give_up:
                    raise
                self.metrics.retries.inc()
                say(f"catalog call failed, retrying in {delay:.1f}s: {exc}")
                await asyncio.sleep(delay)
                delay = min(BACKOFF_MAX_S, delay * 2)
            finally:
                self._calls -= 1
                if self._calls == 0:  # the union of calls in flight, not their sum
                    self.metrics.control_seconds.inc(time.monotonic() - self._busy_since)

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
                task = self._tasks.get(rid)
                if task is None or task.done():
                    continue
                say(f"replica {rid}: lease lost to another agent; stopping its copy")
                task.cancel()  # with the replicas it fans out to: those are handed back
                siblings = [r for r, t in self._tasks.items() if t is task and r in owned]
                if siblings:
                    await self._try(self._call, self.catalog.agents.release, self.id, siblings)
        self._beats += 1
        if self._beats % REGISTER_EVERY != 1:  # `agent list` and the queue gauge need less
            return
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
    def _start(self, jobs: list[AgentJob]) -> None:
        """One task per delete, one per source for copies (a fan-out)."""
        batches: dict[tuple[str | None, int], list[AgentJob]] = {}
        for job in jobs:
            if job.replica_id in self._tasks:  # ours; its lease lapsed while the catalog was away
                continue
            if job.taken_over:
                self.metrics.takeovers.labels(job.region).inc()
                say(f"replica {job.replica_id} ({job.region}): taking over an expired lease")
            if job.delete:
                self._spawn([job], agent_jobs.delete(self, job))
            else:
                batches.setdefault((job.source, job.disk_id), []).append(job)
        for batch in batches.values():
            self._spawn(batch, self._copy(batch))

    def _spawn(self, jobs: list[AgentJob], work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(self._guarded(jobs, work))
        for job in jobs:
            self._tasks[job.replica_id] = task
        self.metrics.running.set(len(self._tasks))
        task.add_done_callback(lambda _: self._done([j.replica_id for j in jobs]))

    def _done(self, replica_ids: list[int]) -> None:
        for rid in replica_ids:
            self._tasks.pop(rid, None)
            self._progress.pop(rid, None)
        self.metrics.running.set(len(self._tasks))
        self._wake.set()

    async def _copy(self, jobs: list[AgentJob]) -> None:
        await agent_jobs.copy(self, jobs, self.config.cap_mbps)

    async def _guarded(self, jobs: list[AgentJob], work: Coroutine[Any, Any, None]) -> None:
        """One job's failure is its replicas', never the agent's."""
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            for job in jobs:
                await self.record(job, "Failed", details=str(exc) or type(exc).__name__)

    # what agent_jobs needs (its Worker protocol)
    async def manifest(self, disk_id: int) -> bytes | None:
        return await self._call(self.catalog.versions.disk_manifest, disk_id)

    def progress(self, job: AgentJob, done: int, written: int) -> None:
        self._progress[job.replica_id] = done
        before = self._written.get(job.replica_id, 0)
        self._written[job.replica_id] = written
        kind = "egress" if job.egress else "in_region"
        self.metrics.bytes.labels(job.region, kind).inc(written - before)
        self._copied += written - before

    def unusable(self, region: str) -> str | None:
        return self.config.unusable.get(region)

    def say(self, text: str) -> None:
        say(text)

    async def record(self, job: AgentJob, state: str, **fields: Any) -> None:
        await self.record_all([Outcome(job, state, **fields)])

    async def record_all(self, outcomes: Sequence[Outcome]) -> None:
        """The jobs' outcomes, retried until the catalog takes them; nothing
        for a job whose lease was lost meanwhile (the new holder records it)."""
        for o in outcomes:
            self._written.pop(o.job.replica_id, None)
        kept = await self._call(self.catalog.agents.finish_all, self.id, list(outcomes))
        for o, ok in zip(outcomes, kept, strict=True):
            self.metrics.finished.labels(o.job.region, o.state if ok else "LeaseLost").inc()
            detail = f": {o.details}" if o.details else ""
            say(f"replica {o.job.replica_id} ({o.job.region}): "
                f"{o.state if ok else 'lease lost'}{detail}")  # fmt: skip

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
            try:
                if late_ids:
                    await self._call(self.catalog.agents.release, self.id, late_ids)
                    say(f"handed back replicas {json.dumps(late_ids)}")
            except CatalogError as exc:
                say(f"could not hand back replicas {json.dumps(late_ids)} ({exc}); "
                    f"their leases run out within {self.config.lease_s:g}s")  # fmt: skip
        with contextlib.suppress(CatalogError):
            await self._call(self.catalog.agents.deregister, self.id)
        say(f"agent {self.id} stopped")
