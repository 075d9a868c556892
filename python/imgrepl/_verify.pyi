# Stubs for rust/py/src/verify.rs, re-exported by imgrepl._core.
import os
from collections.abc import Coroutine
from typing import Any, final

@final
class VerifyReport:
    @property
    def path(self) -> str: ...
    @property
    def manifest_path(self) -> str: ...
    @property
    def ok(self) -> bool: ...
    @property
    def chunks_checked(self) -> int: ...
    @property
    def bad_ranges(self) -> list[tuple[int, int]]:
        """[start, end) byte ranges of differing chunks, adjacent ones merged."""
    @property
    def size_ok(self) -> bool: ...
    @property
    def size(self) -> int: ...
    @property
    def expected_size(self) -> int: ...
    @property
    def seconds(self) -> float: ...

@final
class RepairReport:
    @property
    def path(self) -> str: ...
    @property
    def chunks_repaired(self) -> int: ...
    @property
    def bytes_repaired(self) -> int: ...
    @property
    def verify(self) -> VerifyReport:
        """The verification after the repair."""

def verify(
    path: str | os.PathLike[str],
    manifest: bytes | str | os.PathLike[str] | None = None,
    threads: int | None = None,
) -> VerifyReport:
    """Checks a replica against its manifest (beside it, or `manifest`)."""

def verify_async(
    path: str | os.PathLike[str],
    manifest: bytes | str | os.PathLike[str] | None = None,
    threads: int | None = None,
) -> Coroutine[Any, Any, VerifyReport]: ...
def repair(
    path: str | os.PathLike[str],
    good: str | os.PathLike[str],
    manifest: bytes | str | os.PathLike[str] | None = None,
) -> RepairReport:
    """Rewrites the bad chunks of `path` from `good` (which must pass the
    same manifest first), then verifies again."""

def repair_async(
    path: str | os.PathLike[str],
    good: str | os.PathLike[str],
    manifest: bytes | str | os.PathLike[str] | None = None,
) -> Coroutine[Any, Any, RepairReport]: ...
