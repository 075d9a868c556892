"""Awaiting engine work from asyncio.

Every engine job or task (imgrepl._core.CopyJob, imgrepl._core.Task) owns a
wake-up socket: its engine thread publishes state in Rust and writes a byte,
never calling into Python.  Here the event loop watches that socket with
`add_reader` and, when woken, polls the state through the object.  Nothing
holds a thread while it waits, so any number of jobs can be awaited at once,
and no foreign thread touches the interpreter while it shuts down.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # asyncio is loaded by whoever runs a loop: `imgrepl copy` never does
    import asyncio

    from imgrepl._core import CopyJob, CopyReport, Progress, Task


class Pollable(Protocol):
    def fileno(self) -> int: ...


# (loop, fd) -> the futures sleeping on it.  asyncio keeps one reader per
# fd, and several coroutines may wait on one job (a progress loop and
# wait_async, say), so one reader wakes them all.
_sleepers: dict[tuple[asyncio.AbstractEventLoop, int], set[asyncio.Future[None]]] = {}


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 4096):
            pass
    except BlockingIOError:
        pass


def _wake(key: tuple[asyncio.AbstractEventLoop, int]) -> None:
    _drain(key[1])
    for fut in _sleepers.get(key, ()):
        if not fut.done():
            fut.set_result(None)


async def until(src: Pollable, ready: Callable[[], bool]) -> None:
    """Returns once `ready()` is true, sleeping on `src`'s socket between
    checks.  The sleeper is registered before each check, so a change
    published after the check always wakes it: no wake-up is lost."""
    import asyncio

    loop = asyncio.get_running_loop()
    key = (loop, src.fileno())
    while True:
        sleepers = _sleepers.get(key)
        if sleepers is None:
            sleepers = _sleepers[key] = set()
            loop.add_reader(key[1], _wake, key)
        fut = loop.create_future()
        sleepers.add(fut)
        try:
            if ready():
                return
            await fut
        finally:
            sleepers.discard(fut)
            if not sleepers:
                del _sleepers[key]
                loop.remove_reader(key[1])


async def task_result(task: Task) -> Any:
    """Awaits an engine Task; cancelling stops it where it can be stopped."""
    import asyncio

    try:
        await until(task, task.done)
    except asyncio.CancelledError:
        task.cancel()
        raise
    return task.result()


async def copy_report(job: CopyJob) -> CopyReport:
    """`CopyJob.wait_async`: the report once the job has ended.  Cancelling
    the wait does not cancel the job (see `cancel_and_wait`)."""
    await until(job, job.done)
    return job.result()


async def next_progress(job: CopyJob) -> Progress:
    """`CopyJob.__anext__`: the next snapshot; StopAsyncIteration after
    the finished one."""
    got: list[Progress] = []

    def ready() -> bool:
        snap = job.poll_progress()
        if snap is not None:
            got.append(snap)
        return bool(got)

    await until(job, ready)
    return got[0]


async def cancel_and_wait(job: CopyJob) -> None:
    """Cancels `job` and returns once it has ended and removed its
    temporaries.  For a CancelledError handler: a second cancellation
    during this short wait is absorbed so the cleanup is always awaited;
    the caller re-raises the first one."""
    import asyncio

    job.cancel()
    while not job.done():
        try:
            await until(job, job.done)
        except asyncio.CancelledError:
            continue
