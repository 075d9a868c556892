"""Values read from the catalog, kept for a moment: for what every request
reads again (who a token is, a version's status), so a busy service pays
one catalog read per change instead of one per request.

A value is served again only while it is younger than `ttl` (so a write
by another process, an agent or the CLI, shows within `ttl`) and, with
`follow_writes`, while this process has committed no catalog write since
it was read (imgrepl.catalog.changes: a write by this process shows at its
very next read).  Callers that find nothing fresh while a read of the same
key is under way wait for that read instead of starting their own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from imgrepl.catalog.changes import generation

T = TypeVar("T")


@dataclass(frozen=True)
class _Kept(Generic[T]):
    value: T
    generation: int  # the catalog's, before it was read
    at: float  # on the clock, before it was read


class Recent(Generic[T]):
    def __init__(
        self,
        ttl: float,
        *,
        follow_writes: bool,
        clock: Callable[[], float] = time.monotonic,
        kept: int = 4096,
    ) -> None:
        self.ttl = ttl
        self.follow_writes = follow_writes
        self._clock = clock
        self._most = kept  # values kept at most (all are forgotten past that)
        self._kept: dict[Hashable, _Kept[T]] = {}
        self._reading: dict[tuple[Hashable, int], asyncio.Future[_Kept[T] | None]] = {}

    def _generation(self) -> int:
        return generation() if self.follow_writes else 0

    def peek(self, key: Hashable) -> T | None:
        """The value kept for `key` if it is fresh (no waiting, no reading)."""
        kept = self._kept.get(key)
        if kept is None or kept.generation != self._generation():
            return None
        return kept.value if kept.at <= self._clock() < kept.at + self.ttl else None

    async def get(
        self,
        key: Hashable,
        read: Callable[[], Awaitable[T]],
        keep: Callable[[T], bool] = lambda _: True,
    ) -> T:
        """The fresh value kept for `key`, else `read()`'s, kept if `keep`
        says so (an exception is raised to its caller and kept by none)."""
        fresh = self.peek(key)
        if fresh is not None:
            return fresh
        seen, now = self._generation(), self._clock()
        pending = self._reading.get((key, seen))
        if pending is not None:
            shared = await asyncio.shield(pending)
            return await read() if shared is None else shared.value
        pending = self._reading[(key, seen)] = asyncio.get_running_loop().create_future()
        kept = None
        try:
            value = await read()
            if keep(value):
                kept = _Kept(value, seen, now)
                if len(self._kept) >= self._most:
                    self._kept.clear()
                self._kept[key] = kept
            return value
        finally:  # waiters read for themselves when this read kept nothing
            del self._reading[(key, seen)]
            pending.set_result(kept)
