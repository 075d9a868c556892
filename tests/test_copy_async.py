"""Async copies and the progress stream: many jobs at once from one event
loop, snapshots that only grow and end with `finished`."""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import sys
from pathlib import Path

import imgrepl
from engine_helpers import MIB, noise, write
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


def test_a_forked_child_gets_an_error_not_a_hang(tmp_path: Path) -> None:
    # The runtime's threads do not survive fork(): awaiting in the child
    # must raise at once (and say why) instead of never completing.
    src = write(tmp_path / "src", noise(3, MIB))
    imgrepl.copy(src, [tmp_path / "a"])
    code = (
        "import asyncio, os, sys, imgrepl\n"
        "asyncio.run(imgrepl.verify_async(sys.argv[1]))\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    async def child():\n"
        "        try:\n"
        "            await imgrepl.verify_async(sys.argv[1])\n"
        "        except RuntimeError as exc:\n"
        "            os._exit(3 if 'fork' in str(exc) else 4)\n"
        "        os._exit(5)\n"
        "    asyncio.run(child())\n"
        "_, status = os.waitpid(pid, 0)\n"
        "sys.exit(os.waitstatus_to_exitcode(status))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "a")], timeout=120)
    assert out.returncode == 3
    # The sync API starts fresh engine threads per call and works after fork.
    assert imgrepl.verify(tmp_path / "a").ok
