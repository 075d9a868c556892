"""Cancelling copies: nothing at any final name, no temporaries left."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

import imgrepl
import pytest
from helpers.files import MIB, listing, noise, write
from imgrepl._core import CopyCancelledError


def slow_setup(tmp_path: Path, n: int = 3) -> tuple[Path, list[Path]]:
    src = write(tmp_path / "src.raw", noise(9, 64 * MIB))
    dirs = [tmp_path / f"d{i}" for i in range(n)]
    for d in dirs:
        d.mkdir()
    return src, [d / "img.raw" for d in dirs]


def test_cancelling_copy_async_cleans_up_before_raising(tmp_path: Path) -> None:
    src, dsts = slow_setup(tmp_path)
    seen_partial: list[bool] = []

    async def main() -> None:
        task = asyncio.create_task(imgrepl.copy_async(src, dsts, chunk_size=MIB, bwlimit=16 * MIB))
        # Cancel mid-copy: once the first replica has a partial file on disk.
        while not any(p.name.endswith("imgrepl-partial") for p in dsts[0].parent.iterdir()):
            await asyncio.sleep(0.01)
        seen_partial.append(True)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # CancelledError arrives only after cleanup: nothing is left, at once.
        for d in dsts:
            assert listing(d.parent) == []

    asyncio.run(main())
    assert seen_partial == [True]


def test_cancel_on_the_job_raises_copy_cancelled(tmp_path: Path) -> None:
    src, dsts = slow_setup(tmp_path, 2)
    job = imgrepl.start_copy(src, dsts, chunk_size=MIB, bwlimit=16 * MIB)
    for p in job:
        if p.bytes_done[0] >= 4 * MIB:
            job.cancel()
            break
    with pytest.raises(CopyCancelledError):
        job.wait()
    assert job.progress().finished
    # Waiting again gives the same answer.
    with pytest.raises(CopyCancelledError):
        job.wait()
    for d in dsts:
        assert listing(d.parent) == []


def test_dropping_an_unwaited_job_cancels_it(tmp_path: Path) -> None:
    src, dsts = slow_setup(tmp_path, 1)
    job = imgrepl.start_copy(src, dsts, chunk_size=MIB, bwlimit=16 * MIB)
    stream = iter(job)
    next(stream)
    del job, stream
    # The engine cleans up on its own thread once the handle is gone.  (A
    # generous bound, not a speed assertion: it only stops a hung test.)
    for _ in range(3000):
        if listing(dsts[0].parent) == []:
            break
        time.sleep(0.01)
    assert listing(dsts[0].parent) == []
    report = imgrepl.copy(src, dsts, chunk_size=MIB)
    assert report.ok and report.destinations[0].resumed_bytes == 0
    assert dsts[0].read_bytes() == src.read_bytes()


@pytest.mark.parametrize("via", ["api", "cli"])
def test_ctrl_c_cancels_and_cleans_up(tmp_path: Path, via: str) -> None:
    src, dsts = slow_setup(tmp_path, 2)
    if via == "api":
        code = (
            "import sys, imgrepl\n"
            "imgrepl.copy(sys.argv[1], sys.argv[2:], chunk_size=1 << 20, bwlimit=16 << 20)\n"
        )
        argv = [sys.executable, "-c", code, str(src), *map(str, dsts)]
    else:
        argv = [sys.executable, "-m", "imgrepl", "copy", str(src), *map(str, dsts)]
        argv += ["--chunk-size", "1MiB", "--bwlimit", "16MiB", "-o", "json"]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as child:
        while not any(p.name.endswith("imgrepl-partial") for p in dsts[0].parent.iterdir()):
            assert child.poll() is None, "the copy ended before Ctrl-C"
            time.sleep(0.01)
        child.send_signal(signal.SIGINT)
        _, err = child.communicate()
    if via == "api":
        assert b"KeyboardInterrupt" in err
    else:
        assert child.returncode == 130 and b"interrupted" in err
    for d in dsts:
        assert listing(d.parent) == []
