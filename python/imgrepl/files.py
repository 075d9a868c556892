"""Local files the user names, handled so that no kind of file can hang or
fool a command: a FIFO, a device, a socket or a directory where a regular
file is expected is refused by what it is, a FIFO is never waited on, and
only a regular file is ever replaced.  (The engine does the same in Rust
for what it opens: images, replicas, manifests.)"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

_KINDS = [
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
]


def file_kind(mode: int) -> str:
    """What a non-regular file is, for a message: 'a FIFO', 'a directory', ..."""
    return next((kind for test, kind in _KINDS if test(mode)), "not a file")


class NotRegularFileError(OSError):
    """Something other than a regular file is where one is expected; its
    message is `PATH: not a regular file (a FIFO)`."""


def read_regular(path: Path) -> bytes:
    """The bytes of the regular file at `path` (symlinks followed).  The
    open cannot block (O_NONBLOCK: a FIFO without a writer would hang a
    plain open) and the check is an fstat of the opened descriptor, so
    nothing can be swapped in between a check and the read."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFileError(f"{path}: not a regular file ({file_kind(mode)})")
        os.set_blocking(fd, True)
        with os.fdopen(os.dup(fd), "rb") as f:
            return f.read()
    finally:
        os.close(fd)


def open_stream(path: Path) -> BinaryIO:
    """The regular file or pipe at `path`, to read once from the start (a
    bundle may come through `<(ssh host ...)`).  Opened without blocking,
    so a FIFO nobody writes to reads as empty instead of hanging; a
    device, a socket or a directory is refused by what it is."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
            raise NotRegularFileError(f"{path}: not a regular file or a pipe ({file_kind(mode)})")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def create_temporary(path: Path, mode: int = 0o666) -> BinaryIO:
    """A new file at `path` (a temporary name of ours) to write, truncated;
    a symlink planted there is not followed and anything else than a
    regular file is refused."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    fd = os.open(path, flags, mode)
    try:
        st_mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(st_mode):
            raise NotRegularFileError(f"{path}: not a regular file ({file_kind(st_mode)})")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        raise


def check_replaceable(path: Path, label: str) -> bool:
    """True if a regular file is at `path`, False if nothing is; anything
    else there (a device, a FIFO, a socket, a directory, a symlink, which
    is not followed) must never be replaced: NotRegularFileError naming
    what it is, after `label` (the option that named it)."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(mode):
        raise NotRegularFileError(f"{label} {path}: not a regular file ({file_kind(mode)})")
    return True


def check_directory(path: Path, label: str) -> None:
    """Fails, naming what is there, if something other than a directory
    (symlinks followed) is at `path`; missing is fine."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(mode):
        raise NotADirectoryError(f"{label} {path}: not a directory ({file_kind(mode)})")
