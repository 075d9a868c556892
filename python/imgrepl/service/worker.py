"""The event loop the service runs its replications and deletions on: its
own, on its own thread, beside the one that serves requests.  Under load
the serving loop is busy for tens of milliseconds per turn, and each of a
replication's many catalog steps (a worker-thread trip, then back to the
loop) waited a turn or more, behind the requests, while the copy itself
(in the engine, without the GIL) sat idle between stages.  On its own
loop, with its own worker threads, a replication's steps wait for nothing
but the GIL."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class Worker:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="imgrepl-replications", daemon=True
        )
        self._thread.start()

    async def run(self, make: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """`make()`'s coroutine, run on the worker loop.  Cancelling the
        caller cancels it there and returns once it has ended (a cancelled
        replication cleans up before the service closes its catalog)."""
        ended: concurrent.futures.Future[asyncio.Task[T]] = concurrent.futures.Future()
        tasks: list[asyncio.Task[T]] = []

        def start() -> None:
            task = self.loop.create_task(make())
            tasks.append(task)
            task.add_done_callback(ended.set_result)

        self.loop.call_soon_threadsafe(start)
        waited = asyncio.wrap_future(ended)
        try:
            task = await asyncio.shield(waited)
        except asyncio.CancelledError:
            # runs after start(): the loop calls back in order
            self.loop.call_soon_threadsafe(lambda: tasks[0].cancel())
            await waited
            raise
        return task.result()

    async def close(self) -> None:
        """Stops the loop (once nothing runs on it), its threads and itself."""
        ended = self.loop.shutdown_default_executor()
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(ended, self.loop))
        self.loop.call_soon_threadsafe(self.loop.stop)
        await asyncio.to_thread(self._thread.join)
        self.loop.close()
