"""Resume after SIGKILL: a child process copies a 256 MiB image with a
bandwidth cap and is killed mid-copy; re-running the same copy continues
from the durable chunks and produces an identical replica."""

from __future__ import annotations

import filecmp
import os
import signal
import subprocess
import sys
from pathlib import Path

import imgrepl
from helpers.files import MIB, listing, noise

SIZE = 256 * MIB
CHUNK = 256 * 1024

CHILD = """
import sys, imgrepl
job = imgrepl.start_copy(sys.argv[1], [sys.argv[2]], chunk_size=int(sys.argv[3]),
                         bwlimit=128 * 1024 * 1024)
for p in job:
    print(p.bytes_done[0], flush=True)
"""


def big_source(tmp_path: Path) -> Path:
    src = tmp_path / "src.raw"
    with src.open("wb") as f:
        for i in range(SIZE // (16 * MIB)):
            # 16 MiB of noise, then every fourth block all zeros.
            f.write(bytes(16 * MIB) if i % 4 == 3 else noise(i, 16 * MIB))
    return src


def kill_mid_copy(src: Path, dst: Path, chunk: int, at: int) -> None:
    """Runs the copy in a child and SIGKILLs it once `at` bytes are done."""
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, str(src), str(dst), str(chunk)],
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdout is not None
        for line in child.stdout:
            done = int(line)
            assert done < SIZE, "the copy finished before it could be killed"
            if done >= at:
                os.kill(child.pid, signal.SIGKILL)
                break
    assert child.returncode == -signal.SIGKILL


def test_resume_after_sigkill_is_byte_identical(tmp_path: Path) -> None:
    src = big_source(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    dst = out / "img.raw"
    kill_mid_copy(src, dst, CHUNK, 160 * MIB)
    # The kill left the partial and its journal, nothing at the final name.
    assert listing(out) == [".img.raw.imgrepl-journal", ".img.raw.imgrepl-partial"]
    report = imgrepl.copy(src, [dst], chunk_size=CHUNK)
    d = report.destinations[0]
    # Data is made durable (fdatasync + journal) every 64 MiB, so at least
    # the first 128 MiB (96 MiB of it data) survived the kill.
    assert d.resumed_bytes >= 96 * MIB
    assert d.resumed_bytes + d.bytes_written + d.zero_bytes_skipped == SIZE
    assert report.bytes_read == SIZE  # the source is still read once to rebuild the manifest
    assert filecmp.cmp(src, dst, shallow=False)
    assert listing(out) == ["img.raw", "img.raw.imgrepl-manifest"]
    assert imgrepl.verify(dst).ok


def test_a_journal_from_another_chunk_size_is_not_trusted(tmp_path: Path) -> None:
    src = big_source(tmp_path)
    dst = tmp_path / "img.raw"
    kill_mid_copy(src, dst, CHUNK, 160 * MIB)
    report = imgrepl.copy(src, [dst], chunk_size=2 * CHUNK)
    assert report.destinations[0].resumed_bytes == 0
    assert filecmp.cmp(src, dst, shallow=False)
