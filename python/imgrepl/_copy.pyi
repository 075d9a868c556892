# Stubs for rust/py/src/copy/ (mod, progress, report), re-exported by imgrepl._core.
import os
from collections.abc import Coroutine, Sequence
from typing import Any, final

@final
class Progress:
    """A frozen snapshot of a running CopyJob; lists are per destination."""

    @property
    def source_size(self) -> int: ...
    @property
    def bytes_read(self) -> int:
        """Bytes read from the source so far (holes are never read)."""
    @property
    def chunks_total(self) -> int: ...
    @property
    def chunks_done(self) -> int:
        """Chunks every still-healthy destination has handled."""
    @property
    def bytes_written(self) -> list[int]:
        """Data bytes written (zero chunks and resumed chunks excluded)."""
    @property
    def bytes_done(self) -> list[int]:
        """Bytes handled: written, skipped as zeros, or resumed."""
    @property
    def done(self) -> list[bool]:
        """Committed or failed."""
    @property
    def failed(self) -> list[bool]: ...
    @property
    def finished(self) -> bool:
        """The job has ended and cleaned up; this is the last snapshot."""

@final
class DestinationReport:
    @property
    def path(self) -> str: ...
    @property
    def ok(self) -> bool: ...
    @property
    def error(self) -> str | None:
        """Why this destination failed: operation, path and cause."""
    @property
    def bytes_written(self) -> int: ...
    @property
    def zero_bytes_skipped(self) -> int: ...
    @property
    def resumed_bytes(self) -> int:
        """Data bytes an interrupted earlier run had already made durable."""
    @property
    def manifest_path(self) -> str: ...
    @property
    def bytes_from_source(self) -> int:
        """Data bytes written from the source's chunks (what crossed regions
        when this destination's region is not the source's)."""
    @property
    def bytes_from_base(self) -> int:
        """Data bytes taken from the base replica, each chunk checked first."""
    @property
    def base(self) -> str | None:
        """The base replica this destination was given, if any."""
    @property
    def base_note(self) -> str | None:
        """Why the base served less than planned (unreadable, chunks that did
        not match); those chunks came from the source."""

@final
class CopyReport:
    @property
    def source(self) -> str: ...
    @property
    def source_size(self) -> int: ...
    @property
    def bytes_read(self) -> int: ...
    @property
    def holes_skipped(self) -> int:
        """Source bytes not read because they lie in holes."""
    @property
    def zero_bytes(self) -> int:
        """Bytes in all-zero chunks, holes included."""
    @property
    def chunk_size(self) -> int: ...
    @property
    def digest(self) -> str:
        """Whole-image digest (32 hex chars); "" if every destination failed
        before the source was read to the end."""
    @property
    def hashed(self) -> bool: ...
    @property
    def seconds(self) -> float: ...
    @property
    def destinations(self) -> list[DestinationReport]: ...
    @property
    def ok(self) -> bool:
        """Every destination was committed."""

@final
class CopyJob:
    """A fan-out copy: the source is read once and written to every
    destination.  It starts on engine threads when constructed; bad
    arguments raise here and change nothing.  Dropping the job unwaited
    cancels it."""

    def __new__(
        cls,
        source: str | os.PathLike[str],
        destinations: Sequence[str | os.PathLike[str]],
        *,
        chunk_size: int = 4194304,
        threads: int | None = None,
        hash: bool = True,
        fsync: bool = True,
        overwrite: bool = False,
        bwlimit: int | None = None,
        bases: Sequence[tuple[str | os.PathLike[str], bytes] | None] | None = None,
    ) -> CopyJob: ...
    def progress(self) -> Progress:
        """A snapshot now, without waiting."""
    def set_bwlimit(self, bwlimit: int | None) -> None:
        """Changes the cap on source reads (bytes/s) from the next read on;
        None lifts it."""
    def cancel(self) -> None: ...
    def wait(self) -> CopyReport:
        """Blocks until the job ends; raises on a job-level failure (source
        unreadable, CopyCancelledError).  Per-destination failures are in
        the report."""
    def wait_async(self) -> Coroutine[Any, Any, CopyReport]:
        """`wait` as a coroutine that sleeps on `fileno()` (no thread is held).
        Cancelling it does not cancel the job."""
    def fileno(self) -> int:
        """The job's wake-up socket: readable whenever progress or the
        outcome may have changed.  Whoever watches it drains it."""
    def done(self) -> bool:
        """The job has ended and cleaned up."""
    def result(self) -> CopyReport:
        """`wait` without waiting: RuntimeError while the job runs."""
    def poll_progress(self) -> Progress | None:
        """The next snapshot if one is ready, else None; StopAsyncIteration
        after the finished snapshot was taken."""
    def __iter__(self) -> CopyJob: ...
    def __next__(self) -> Progress:
        """Waits for a change or ~0.1 s; StopIteration after the finished
        snapshot."""
    def __aiter__(self) -> CopyJob: ...
    def __anext__(self) -> Coroutine[Any, Any, Progress]: ...
