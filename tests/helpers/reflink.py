"""A filesystem that shares blocks (XFS with reflink) for the tests of the
engine's reflink path: a loop-mounted image made for the test, as root
with xfsprogs (scripts/test.sh installs it); elsewhere the test is skipped,
saying why."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def xfs_mount(tmp_path: Path, size: str = "1G") -> Iterator[Path]:
    mkfs = shutil.which("mkfs.xfs") or "/usr/sbin/mkfs.xfs"
    if os.geteuid() != 0 or not os.path.exists(mkfs):
        pytest.skip("needs root and mkfs.xfs to mount an XFS image with reflink")
    image, mount = tmp_path / "xfs.img", tmp_path / "xfs"
    subprocess.run(["truncate", "-s", size, str(image)], check=True)
    subprocess.run([mkfs, "-q", "-m", "reflink=1", str(image)], check=True)
    mount.mkdir()
    done = subprocess.run(["mount", "-o", "loop", str(image), str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot loop-mount here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def used_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return (st.f_blocks - st.f_bfree) * st.f_frsize
