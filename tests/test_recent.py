"""imgrepl.api.recent: a value read lately is served again within its TTL
and, following writes, until this process commits a catalog write; callers
that miss together share one read; failures and refused values are kept
by none."""

from __future__ import annotations

import asyncio

import pytest
from imgrepl.api.recent import Recent
from imgrepl.catalog import changes


class Reads:
    """A read that counts its calls, slowly enough for callers to pile up."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> int:
        self.calls += 1
        n = self.calls
        await asyncio.sleep(0.01)
        return n


def test_callers_share_one_read_and_reuse_it_within_the_ttl() -> None:
    now = [100.0]
    recent: Recent[int] = Recent(0.5, follow_writes=False, clock=lambda: now[0])
    read = Reads()

    async def go() -> None:
        assert await asyncio.gather(*[recent.get("k", read) for _ in range(64)]) == [1] * 64
        now[0] += 0.49
        assert await recent.get("k", read) == 1 and recent.peek("k") == 1
        assert await recent.get("other", read) == 2  # per key
        now[0] += 0.01
        assert recent.peek("k") is None
        assert await recent.get("k", read) == 3
        now[0] -= 10  # a clock that went back proves nothing fresh
        assert recent.peek("k") is None

    asyncio.run(go())
    assert read.calls == 3


@pytest.mark.parametrize("follow_writes", [True, False])
def test_a_catalog_write_in_this_process_is_seen_at_the_next_read(follow_writes: bool) -> None:
    recent: Recent[int] = Recent(60, follow_writes=follow_writes)
    read = Reads()

    async def go() -> None:
        assert await recent.get("k", read) == 1
        changes.committed()  # what every committed write transaction calls
        assert await recent.get("k", read) == (2 if follow_writes else 1)

    asyncio.run(go())


def test_a_read_that_starts_after_a_write_does_not_join_one_started_before() -> None:
    recent: Recent[int] = Recent(60, follow_writes=True)
    read = Reads()

    async def go() -> None:
        before = asyncio.ensure_future(recent.get("k", read))
        await asyncio.sleep(0)  # its read is under way
        changes.committed()
        after = await recent.get("k", read)
        assert (await before, after) == (1, 2)

    asyncio.run(go())


def test_failures_and_refused_values_are_kept_by_none() -> None:
    recent: Recent[int] = Recent(60, follow_writes=False)
    calls = 0

    async def fails() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        raise LookupError("no")

    async def go() -> None:
        got = await asyncio.gather(*[recent.get("k", fails) for _ in range(3)],
                                   return_exceptions=True)  # fmt: skip
        assert all(isinstance(e, LookupError) for e in got)
        assert calls == 3  # the waiters read for themselves
        read = Reads()
        assert await recent.get("k", read, keep=lambda v: v > 1) == 1
        assert await recent.get("k", read, keep=lambda v: v > 1) == 2
        assert await recent.get("k", read, keep=lambda v: v > 1) == 2
        assert recent.peek("nothing") is None

    asyncio.run(go())
