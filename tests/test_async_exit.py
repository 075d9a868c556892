"""The async API against interpreter exit and against scale.

Awaitables used to be completed by tokio workers that attached to the
interpreter; when `asyncio.run(...)` returned and the interpreter finalized
while one of them was still attached, CPython aborted ("PyGILState_Release:
thread state ... must be current") or segfaulted: 8 to 11 runs in 30 of the
script below.  Now engine threads only write a byte to a socket the event
loop watches, so no foreign thread is ever inside Python.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import imgrepl
import pytest
from helpers.files import MIB, listing, noise, write
from helpers.images import SampleImage
from imgrepl.exceptions import StoreError

RUNS = 20  # at ~30% per run before the fix, 20 clean runs leave < 0.1% to chance

COPY_THEN_EXIT = """
import asyncio, sys, imgrepl
src, out = sys.argv[1:]
async def main():
    await imgrepl.copy_async(src, [out])
    await imgrepl.verify_async(out)
    job = imgrepl.start_copy(src, [out + "b"])
    async for p in job:
        pass
    await job.wait_async()
asyncio.run(main())
"""

INSPECT_VERIFY_THEN_EXIT = """
import asyncio, sys, imgrepl
vhd, replica = sys.argv[1:]
async def main():
    info = await imgrepl.inspect_async(vhd)
    report = await imgrepl.verify_async(replica)
    both = await asyncio.gather(imgrepl.inspect_async(vhd), imgrepl.verify_async(replica))
    print(info.vhd_type, report.ok, both[0].vhd_type, both[1].ok)
asyncio.run(main())
"""


def run_script(script: str, *args: Path) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-c", script, *map(str, args)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


def test_copy_progress_and_wait_then_exit(tmp_path: Path) -> None:
    src = write(tmp_path / "src.raw", noise(1, 8 * MIB))
    for i in range(RUNS):
        out = tmp_path / f"out{i}.raw"
        done = run_script(COPY_THEN_EXIT, src, out)
        assert (done.returncode, done.stderr) == (0, ""), f"run {i}"
        assert out.read_bytes() == Path(f"{out}b").read_bytes() == src.read_bytes()


def test_inspect_and_verify_then_exit(
    tmp_path: Path, sample_images: dict[str, SampleImage]
) -> None:
    replica = tmp_path / "replica.raw"
    imgrepl.copy(write(tmp_path / "src.raw", noise(2, 8 * MIB)), [replica])
    vhd = sample_images["dynamic"].path
    for i in range(RUNS):
        done = run_script(INSPECT_VERIFY_THEN_EXIT, vhd, replica)
        expected = (0, "dynamic True dynamic True\n", "")
        assert (done.returncode, done.stdout, done.stderr) == expected, f"run {i}"


def test_forty_copies_at_once_one_cancelled(tmp_path: Path) -> None:
    # More jobs than the default executor has threads (at most 32): none of
    # them may hold a thread while awaited.  Each is slowed to ~4 s.
    n, victim, size = 40, 7, 8 * MIB
    src = write(tmp_path / "src.raw", noise(3, size))
    dirs = [tmp_path / f"d{i}" for i in range(n)]
    for d in dirs:
        d.mkdir()

    async def main() -> list[imgrepl.CopyReport]:
        loop = asyncio.get_running_loop()
        copies = [
            asyncio.create_task(
                imgrepl.copy_async(src, [d / "img.raw"], chunk_size=MIB, bwlimit=2 * MIB)
            )
            for d in dirs
        ]
        while not all(listing(d) for d in dirs):  # every job has its partial file
            await asyncio.sleep(0.01)
        # The default executor is not tied up by 40 awaiting copies: a call
        # through it returns while every copy is still running.
        assert await loop.run_in_executor(None, sum, [1, 2]) == 3
        assert not any(c.done() for c in copies)
        copies[victim].cancel()
        with pytest.raises(asyncio.CancelledError):
            await copies[victim]
        # CancelledError arrives only after the job's cleanup.
        assert listing(dirs[victim]) == []
        return list(await asyncio.gather(*(c for i, c in enumerate(copies) if i != victim)))

    reports = asyncio.run(main())
    assert len(reports) == n - 1 and all(r.ok for r in reports)
    data = src.read_bytes()
    for i, d in enumerate(dirs):
        if i == victim:
            assert listing(d) == []
        else:
            assert (d / "img.raw").read_bytes() == data


def test_manifest_compute_async_matches_its_sync_twin(tmp_path: Path) -> None:
    src = write(tmp_path / "src.raw", noise(4, 5 * MIB + 512))

    async def main() -> imgrepl.Manifest:
        return await imgrepl.Manifest.compute_async(src, chunk_size=MIB)

    got = asyncio.run(main())
    assert got == imgrepl.Manifest.compute(src, chunk_size=MIB)
    assert got.chunk_count == 6 and got.source_size == 5 * MIB + 512


@pytest.fixture
def hushed_store() -> Iterator[tuple[str, list[socket.socket]]]:
    """An s3:// prefix whose server accepts connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):  # the listener closed
            while True:
                accepted.append(listener.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    options = {
        "endpoint": f"http://127.0.0.1:{listener.getsockname()[1]}",
        "allow_http": "true",
        "region": "us-east-1",
        "access_key_id": "hushed",
        "secret_access_key": "hushed-secret",
        "timeout": "120s",
        "max_retries": "0",
    }
    imgrepl.register_store("s3://hushed", options)
    yield "s3://hushed/img.raw", accepted
    imgrepl.unregister_store("s3://hushed")
    listener.close()
    for conn in accepted:
        conn.close()


def test_cancelling_a_store_call_aborts_it(
    hushed_store: tuple[str, list[socket.socket]],
) -> None:
    # store_*_async run as futures on the engine's runtime; cancelling the
    # awaiting task must abort the request, not leave it hanging for the
    # store's 120 s timeout.
    url, accepted = hushed_store

    async def main() -> None:
        call = asyncio.create_task(imgrepl.store_stat_async(url))
        while not accepted:  # the request reached the server
            await asyncio.sleep(0.01)
        assert not call.done()
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call

    asyncio.run(main())
    conn = accepted[0]
    conn.settimeout(60)  # a bound that only stops a hung test
    while conn.recv(65536):  # the request; then EOF once the client dropped it
        pass


def test_store_errors_are_the_same_sync_and_async() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    options = {"endpoint": f"http://127.0.0.1:{port}", "allow_http": "true"}
    options |= {"region": "us-east-1", "access_key_id": "k", "secret_access_key": "s"}
    options |= {"max_retries": "0"}
    imgrepl.register_store("s3://nobody", options)
    try:
        with pytest.raises(StoreError) as sync_err:
            imgrepl.store_stat("s3://nobody/x.raw")

        async def main() -> None:
            await imgrepl.store_stat_async("s3://nobody/x.raw")

        with pytest.raises(StoreError) as async_err:
            asyncio.run(main())
    finally:
        imgrepl.unregister_store("s3://nobody")
    # the same message but for the elapsed time the retry layer reports
    elapsed = re.compile(r" in [0-9.]+\S*s\b")
    assert elapsed.sub("", str(async_err.value)) == elapsed.sub("", str(sync_err.value))
    assert "stat s3://nobody/x.raw (s3)" in str(async_err.value)
