"""Bulk copies without a gallery: one source, read once, to N destinations.

`imgrepl.copy` / `imgrepl.copy_async` run a whole job and return its
report; `imgrepl.start_copy` returns the running CopyJob for progress.
With `base=OLD` (an earlier replica with its manifest beside it) each
destination takes the chunks OLD already holds from OLD, checked against
their digests, and only changed chunks from the source: a delta copy.

(This module is not called `imgrepl/copy.py` on purpose: importing a
submodule named `copy` would replace the `imgrepl.copy` function with the
module.)
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence

from imgrepl import _aio, _core
from imgrepl._core import (
    CopyCancelledError,
    CopyJob,
    CopyReport,
    RepairReport,
    VerifyError,
    VerifyReport,
)
from imgrepl._core import verify as verify_replica
from imgrepl.exceptions import ReplicationError

PathArg = str | os.PathLike[str]
# Beside a server (`imgrepl serve`) copies run at this nice value, so a copy
# that can use every core leaves requests the CPU when they need it.
NICE_BESIDE_SERVER = 10


def run_copies_at_nice(nice: int) -> None:
    """Copies and engine tasks started from now on run at nice `nice` (0 to
    19; ValueError outside that)."""
    _core.set_engine_nice(nice)


DEFAULT_CHUNK_SIZE = 4 << 20


def _start(
    src: PathArg,
    dsts: Sequence[PathArg],
    chunk_size: int,
    threads: int | None,
    hash: bool,
    fsync: bool,
    overwrite: bool,
    bwlimit: int | None,
    base: PathArg | None,
    /,
) -> CopyJob:
    """The one place the copy functions' job arguments are checked and
    handed to the engine (positional, in their signatures' order)."""
    # A lone path is a sequence of characters: refuse it rather than copy
    # to one destination per letter.
    if isinstance(dsts, str | bytes | os.PathLike):
        raise TypeError(f"destinations must be a list of paths, not the single path {dsts!r}")
    bases = None if base is None else [(base, base_manifest(base))] * len(dsts)
    return CopyJob(
        src,
        list(dsts),
        chunk_size=chunk_size,
        threads=threads,
        hash=hash,
        fsync=fsync,
        overwrite=overwrite,
        bwlimit=bwlimit,
        bases=bases,
    )


def base_manifest(base: PathArg) -> bytes:
    """The manifest beside the base replica `base`; ValueError naming it
    when there is none (a base without one cannot be checked)."""
    manifest = _core.read_manifest_bytes(os.fspath(base))
    if manifest is None:
        raise ValueError(
            f"base {os.fspath(base)} has no manifest beside it "
            f"({os.fspath(base)}{_core.MANIFEST_SUFFIX}): "
            "only a replica imgrepl wrote can be a base"
        )
    return manifest


def _to_end(job: CopyJob) -> None:
    for _ in job:
        pass


def wait_for(job: CopyJob, follow: Callable[[CopyJob], object] = _to_end) -> CopyReport:
    """Consumes the job's progress stream with `follow` (by default just to
    its end), then returns the report.  Following the stream rather than
    blocking in wait() returns to Python every ~0.1 s, so Ctrl-C is seen
    promptly; it cancels the job and waits for its clean-up, then propagates."""
    try:
        follow(job)
        return job.wait()
    except KeyboardInterrupt:
        job.cancel()
        with contextlib.suppress(CopyCancelledError):
            job.wait()
        raise


def start_copy(
    src: PathArg,
    dsts: Sequence[PathArg],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    threads: int | None = None,
    hash: bool = True,
    fsync: bool = True,
    overwrite: bool = False,
    bwlimit: int | None = None,
    base: PathArg | None = None,
) -> CopyJob:
    """Starts a fan-out copy on engine threads and returns it running.

    Iterate it (sync or async) for Progress snapshots; `wait()` /
    `wait_async()` for the CopyReport.  Bad arguments raise here and change
    nothing; dropping the job without waiting cancels it.
    """
    return _start(src, dsts, chunk_size, threads, hash, fsync, overwrite, bwlimit, base)


def copy(
    src: PathArg,
    dsts: Sequence[PathArg],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    threads: int | None = None,
    verify: bool = False,
    hash: bool = True,
    fsync: bool = True,
    overwrite: bool = False,
    check: bool = True,
    bwlimit: int | None = None,
    base: PathArg | None = None,
) -> CopyReport:
    """Copies `src` to every destination, reading it once.

    `verify` re-reads every committed replica against its manifest.
    `check` raises ReplicationError (report attached as `.report`) when any
    destination failed; otherwise failures are only in the report.
    """
    job = _start(src, dsts, chunk_size, threads, hash, fsync, overwrite, bwlimit, base)
    report = wait_for(job)
    checks = [verify_replica(p) for p in _committed(report)] if verify else []
    return _finish(report, checks, check)


async def copy_async(
    src: PathArg,
    dsts: Sequence[PathArg],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    threads: int | None = None,
    verify: bool = False,
    hash: bool = True,
    fsync: bool = True,
    overwrite: bool = False,
    check: bool = True,
    bwlimit: int | None = None,
    base: PathArg | None = None,
) -> CopyReport:
    """`copy` for asyncio.  Cancel-safe: cancelling the awaiting task
    cancels the job and waits until its temporaries are gone before the
    CancelledError propagates, so nothing is left at any final name."""
    import asyncio  # here: `imgrepl copy` runs no loop and need not load it

    job = _start(src, dsts, chunk_size, threads, hash, fsync, overwrite, bwlimit, base)
    try:
        report = await job.wait_async()
    except asyncio.CancelledError:
        # The job ends promptly once cancelled; wait for its cleanup.
        await _aio.cancel_and_wait(job)
        raise
    checks = await asyncio.gather(*(verify_async(p) for p in _committed(report))) if verify else []
    return _finish(report, list(checks), check)


async def verify_async(
    path: PathArg, manifest: bytes | PathArg | None = None, threads: int | None = None
) -> VerifyReport:
    """`imgrepl.verify` as a coroutine: the check runs on an engine thread
    and the loop sleeps on its wake-up socket meanwhile.  `manifest` may be
    a path or URL, or the manifest's bytes."""
    return await _core.verify_async(path, manifest, threads)


async def repair_async(
    path: PathArg, good: PathArg, manifest: bytes | PathArg | None = None
) -> RepairReport:
    """`imgrepl.repair` as a coroutine."""
    return await _core.repair_async(path, good, manifest)


def failure_message(report: CopyReport) -> str:
    failed = [d for d in report.destinations if not d.ok]
    lines = [f"copy of {report.source} failed for {len(failed)} of "]
    lines[0] += f"{len(report.destinations)} destinations:"
    lines += [f"  {d.path}: {d.error}" for d in failed]
    return "\n".join(lines)


def raise_for_failures(report: CopyReport) -> None:
    """Raises ReplicationError (with `.report`) if any destination failed."""
    if report.ok:
        return
    err = ReplicationError(failure_message(report))
    err.report = report  # type: ignore[attr-defined]
    raise err


def _committed(report: CopyReport) -> list[str]:
    return [d.path for d in report.destinations if d.ok]


def _finish(report: CopyReport, checks: list[VerifyReport], check: bool) -> CopyReport:
    """What copy and copy_async do after the job: refuse replicas that
    failed verification, then (with `check`) failed destinations."""
    _raise_on_bad(checks)
    if check:
        raise_for_failures(report)
    return report


def _raise_on_bad(reports: list[VerifyReport]) -> None:
    bad = [r for r in reports if not r.ok]
    if not bad:
        return
    lines = ["replicas failed verification right after the copy:"]
    for r in bad:
        size = "" if r.size_ok else f" size {r.size} != {r.expected_size};"
        lines.append(f"  {r.path}:{size} bad ranges {r.bad_ranges}")
    err = VerifyError("\n".join(lines))
    err.reports = bad  # type: ignore[attr-defined]
    raise err
