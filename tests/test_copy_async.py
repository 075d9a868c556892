"""Async copies and the progress stream: many jobs at once from one event
loop, snapshots that only grow and end with `finished`."""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import sys
from pathlib import Path

import imgrepl
from helpers.files import MIB, noise, write
from imgrepl._core import Progress


def check_stream(snaps: list[Progress], size: int, n: int) -> None:
    assert snaps and snaps[-1].finished
    assert not any(s.finished for s in snaps[:-1])
    for before, after in itertools.pairwise(snaps):
        assert after.bytes_read >= before.bytes_read
        assert after.chunks_done >= before.chunks_done
        assert all(a >= b for a, b in zip(after.bytes_done, before.bytes_done, strict=True))
        assert all(a >= b for a, b in zip(after.bytes_written, before.bytes_written, strict=True))
    last = snaps[-1]
    assert last.bytes_done == [size] * n and last.done == [True] * n
    assert last.chunks_done == last.chunks_total and last.bytes_read == size


def test_several_copy_async_at_once(tmp_path: Path) -> None:
    sources = [write(tmp_path / f"src{i}", noise(i, 6 * MIB + i)) for i in range(5)]

    async def main() -> list[imgrepl.CopyReport]:
        jobs = [
            imgrepl.copy_async(s, [tmp_path / f"{s.name}.a", tmp_path / f"{s.name}.b"])
            for s in sources
        ]
        return list(await asyncio.gather(*jobs))

    reports = asyncio.run(main())
    for s, r in zip(sources, reports, strict=True):
        assert r.ok
        for d in r.destinations:
            assert Path(d.path).read_bytes() == s.read_bytes()


def test_progress_stream_sync(tmp_path: Path) -> None:
    size = 24 * MIB
    src = write(tmp_path / "src", noise(1, size))
    job = imgrepl.start_copy(
        src, [tmp_path / "a", tmp_path / "b"], chunk_size=MIB, bwlimit=48 * MIB
    )
    snaps = list(job)
    check_stream(snaps, size, 2)
    assert len(snaps) > 2  # the bandwidth cap makes it last ~0.5 s
    assert list(job) == []  # the stream ended
    assert job.wait().ok


def test_progress_stream_async(tmp_path: Path) -> None:
    size = 24 * MIB
    src = write(tmp_path / "src", noise(2, size))

    async def main() -> list[Progress]:
        job = imgrepl.start_copy(src, [tmp_path / "a"], chunk_size=MIB, bwlimit=48 * MIB)
        snaps = [p async for p in job]
        assert (await job.wait_async()).ok
        return snaps

    snaps = asyncio.run(main())
    check_stream(snaps, size, 1)
    assert len(snaps) > 2


def test_two_tasks_waiting_on_one_job(tmp_path: Path) -> None:
    # A progress loop and two wait_async calls sleep on the same job's
    # wake-up socket at once: every one of them must be woken (asyncio keeps
    # one reader per fd, so a naive add_reader per waiter would strand all
    # but the last).
    size = 24 * MIB
    src = write(tmp_path / "src", noise(4, size))

    async def main() -> tuple[list[Progress], imgrepl.CopyReport, imgrepl.CopyReport]:
        job = imgrepl.start_copy(src, [tmp_path / "a"], chunk_size=MIB, bwlimit=48 * MIB)

        async def follow() -> list[Progress]:
            return [p async for p in job]

        return await asyncio.gather(follow(), job.wait_async(), job.wait_async())

    snaps, first, second = asyncio.run(main())
    check_stream(snaps, size, 1)
    assert first.ok and first is second
    assert (tmp_path / "a").read_bytes() == src.read_bytes()


FORK_SCRIPT = """
import asyncio, contextlib, os, sys, imgrepl
from imgrepl import _core
src, good, dst = sys.argv[1:]
job = imgrepl.start_copy(src, [dst], chunk_size=1 << 20, bwlimit=1 << 20)
verify = _core.verify_async(good)  # its engine task starts now
pid = os.fork()
if pid == 0:
    def says_fork(exc: BaseException) -> bool:
        return isinstance(exc, RuntimeError) and "fork" in str(exc)
    async def child() -> int:
        guarded = 0
        for inherited in (job.wait_async(), anext(job), verify):
            try:
                await inherited
            except Exception as exc:
                guarded += says_fork(exc)
        try:
            job.wait()
        except Exception as exc:
            guarded += says_fork(exc)
        fresh = await imgrepl.verify_async(good)
        return guarded * 10 + fresh.ok
    os._exit(asyncio.run(child()))
job.cancel()
with contextlib.suppress(_core.CopyCancelledError):
    job.wait()
verify.close()
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def test_a_forked_child_gets_an_error_not_a_hang(tmp_path: Path) -> None:
    # Work started before fork() runs on threads the child does not have:
    # awaiting or waiting on it there must raise at once and say why,
    # instead of never completing.  Work the child starts itself just works.
    src = write(tmp_path / "src", noise(3, 8 * MIB))
    imgrepl.copy(src, [tmp_path / "a"])
    argv = [sys.executable, "-c", FORK_SCRIPT, str(src), str(tmp_path / "a"), str(tmp_path / "b")]
    out = subprocess.run(argv, timeout=120, capture_output=True, text=True)
    # 4 refusals (wait_async, __anext__, the verify task, wait) * 10 + a fresh verify ok
    assert out.returncode == 41, out.stderr
    assert not (tmp_path / "b").exists()
    # The sync API starts fresh engine threads per call and works after fork.
    assert imgrepl.verify(tmp_path / "a").ok
