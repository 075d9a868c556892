"""What a region agent does with the jobs it claimed (imgrepl.replication.agent):
deletes, and copies.  Jobs that read the same source (a region's further
replicas, or several regions' egress copies from the home region's first)
run as one fan-out job, so the source is read once, as the in-process
replicator does.  Every replica is then verified against its disk's source
manifest on its own and recorded on its own; one that fails fails alone."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any, Protocol

from imgrepl import stores
from imgrepl.catalog import AgentJob, Outcome


class Worker(Protocol):
    """The agent, as its jobs see it."""

    async def record(self, job: AgentJob, state: str, **fields: Any) -> None: ...
    async def record_all(self, outcomes: Sequence[Outcome]) -> None: ...
    async def manifest(self, disk_id: int) -> bytes | None: ...
    def progress(self, job: AgentJob, done: int, written: int) -> None: ...
    def unusable(self, region: str) -> str | None: ...
    def say(self, text: str) -> None: ...


async def delete(w: Worker, job: AgentJob) -> None:
    await asyncio.to_thread(stores.remove, job.location)
    await w.record(job, "Deleted")


async def copy(w: Worker, jobs: Sequence[AgentJob], cap_mbps: float | None) -> None:
    """Copies jobs that share a source and a disk, verifies and records each."""
    manifest = await w.manifest(jobs[0].disk_id)
    ready = []
    for job in jobs:
        why = w.unusable(job.region)
        if why or manifest is None or job.source is None:
            await w.record(job, "Failed", details=why or "no source manifest to verify against")
        elif not await _adopt(w, job, manifest):
            try:
                await asyncio.to_thread(stores.prepare, job.location)
                ready.append(job)
            except OSError as exc:
                why = f"store unreachable for {job.location}: {exc}"
                await w.record(job, "Failed", details=why)
    if not ready or manifest is None:
        return
    results = await _fan_out(w, ready, cap_mbps)
    digest = stores.manifest_digest(manifest)
    outcomes = []
    for job, (written, error) in zip(ready, results, strict=True):
        if error is not None:
            outcomes.append(Outcome(job, "Failed", error, None, written))
            continue
        check = await stores.verify(job.location, manifest)
        if not check.ok:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(stores.remove, job.location)
            outcomes.append(Outcome(job, "Failed", check.reason, None, written))
        else:
            outcomes.append(Outcome(job, "Completed", None, digest, written))
    await w.record_all(outcomes)  # one catalog transaction for the fan-out


async def _adopt(w: Worker, job: AgentJob, manifest: bytes) -> bool:
    """A replica committed by an agent killed before it recorded it:
    verified, it is recorded instead of copied again."""
    if not await stores.exists_if_reachable(job.location):
        return False
    if not (await stores.verify(job.location, manifest)).ok:
        return False  # the copy overwrites it
    digest = stores.manifest_digest(manifest)
    await w.record(job, "Completed", digest=digest, bytes_written=job.size)
    return True


async def _fan_out(
    w: Worker, jobs: Sequence[AgentJob], cap_mbps: float | None
) -> list[tuple[int, str | None]]:
    """One engine job from the shared source to every replica: per replica
    (bytes written, why it failed or None)."""
    source = jobs[0].source
    assert source is not None
    try:
        job = stores.start_copy(source, [j.location for j in jobs], cap_mbps)
    except Exception as exc:  # refused before a byte moved
        return [(0, f"copy from {source} failed: {exc}")] * len(jobs)
    written = [0] * len(jobs)
    try:
        async for p in job:
            for i, j in enumerate(jobs):
                w.progress(j, int(p.bytes_done[i]), int(p.bytes_written[i]))
                written[i] = int(p.bytes_written[i])
        report = await job.wait_async()
    except asyncio.CancelledError:
        job.cancel()
        with contextlib.suppress(Exception):
            await job.wait_async()
        raise
    except Exception as exc:  # the source could not be read, say
        return [(n, f"copy from {source} failed: {exc}") for n in written]
    out: list[tuple[int, str | None]] = []
    for j, result in zip(jobs, report.destinations, strict=True):
        if result.resumed_bytes:
            w.say(f"replica {j.replica_id} ({j.region}): resumed {result.resumed_bytes} bytes")
        n = int(result.bytes_written) + int(result.resumed_bytes)
        out.append((n, None if result.ok else f"copy to {j.location} failed: {result.error}"))
    return out
