"""The engine's threads run at the nice value a process sets for them
(`imgrepl serve` sets 10), and the Python thread keeps its own.  Each case
runs in a child process, as the setting is the process's, and reads every
thread's nice value from /proc while a copy and an engine task run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.files import MIB, noise, write

CHILD = r"""
import asyncio, json, os, sys
sys.path.insert(0, sys.argv[5])
import imgrepl
from helpers.files import look_at_threads, nices_by_name
from imgrepl.copies import run_copies_at_nice, start_copy

src, slow, fast, nice = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
imgrepl.copy(src, [fast])
run_copies_at_nice(nice)
job = start_copy(src, [slow], bwlimit=4 * 1024 * 1024)  # runs for seconds
seen = {}
while "imgrepl-copy" not in nices_by_name(seen):
    look_at_threads(into=seen)
job.cancel()

async def during_verify():
    task = asyncio.ensure_future(imgrepl.verify_async(fast))
    while not task.done():
        look_at_threads(into=seen)
        await asyncio.sleep(0)
    await task

asyncio.run(during_verify())
seen = {name: sorted(nices) for name, nices in nices_by_name(seen).items()}
print(json.dumps(seen | {"main": os.getpriority(os.PRIO_PROCESS, 0)}))
"""


@pytest.mark.parametrize("nice", [0, 10])
def test_copies_and_engine_tasks_run_at_the_nice_value_set(tmp_path: Path, nice: int) -> None:
    src = write(tmp_path / "src.raw", noise(3, 128 * MIB))
    argv = [sys.executable, "-c", CHILD, str(src), str(tmp_path / "slow.raw")]
    argv += [str(tmp_path / "fast.raw"), str(nice), str(Path(__file__).parent)]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=True)
    seen = json.loads(out.stdout)
    assert seen["imgrepl-copy"] == [nice], seen
    assert seen["imgrepl-task"] == [nice], seen
    assert seen["main"] == 0  # the thread that runs Python


def test_a_nice_value_out_of_range_is_refused() -> None:
    from imgrepl.copies import run_copies_at_nice

    for bad in (-1, 20):
        with pytest.raises(ValueError, match="nice must be 0 to 19"):
            run_copies_at_nice(bad)
