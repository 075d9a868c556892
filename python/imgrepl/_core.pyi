# Stubs for the Rust extension imgrepl._core; kept honest by mypy.stubtest.
import os
from collections.abc import Coroutine, Sequence
from typing import Any, final

__version__: str
MANIFEST_SUFFIX: str
"""A replica's manifest is stored at its address plus this suffix, on every backend."""

class ImgreplError(Exception): ...
class ImageFormatError(ImgreplError): ...
class ManifestError(ImgreplError): ...
class VerifyError(ImgreplError): ...
class StoreError(ImgreplError): ...
class CopyCancelledError(ImgreplError): ...

# --- inspect (rust/py/src/inspect.rs) ---
@final
class ImageInfo:
    """What a disk image file is.  VHD-only fields are None for raw files;
    dynamic-only ones (block_size, max_table_entries, allocated_blocks) are
    None for fixed disks; parent_* only for differencing disks."""

    @property
    def format(self) -> str:
        """ "raw" or "vhd"."""
    @property
    def vhd_type(self) -> str | None:
        """ "fixed", "dynamic" or "differencing"."""
    @property
    def virtual_size(self) -> int:
        """Bytes the guest sees (raw: the file size)."""
    @property
    def file_size(self) -> int: ...
    @property
    def allocated_bytes(self) -> int:
        """Bytes of the virtual disk backed by storage, <= virtual_size:
        stored blocks for dynamic VHDs, host allocation for raw/fixed."""
    @property
    def creator_app(self) -> str | None: ...
    @property
    def creator_version(self) -> tuple[int, int] | None: ...
    @property
    def creator_host_os(self) -> str | None: ...
    @property
    def geometry(self) -> tuple[int, int, int] | None:
        """(cylinders, heads, sectors per track)."""
    @property
    def unique_id(self) -> str | None: ...
    @property
    def timestamp(self) -> int | None:
        """Creation time, Unix seconds."""
    @property
    def original_size(self) -> int | None: ...
    @property
    def current_size(self) -> int | None: ...
    @property
    def size_source(self) -> str | None:
        """ "geometry" or "current_size": which footer field gave virtual_size."""
    @property
    def saved_state(self) -> bool | None: ...
    @property
    def block_size(self) -> int | None: ...
    @property
    def max_table_entries(self) -> int | None: ...
    @property
    def allocated_blocks(self) -> int | None: ...
    @property
    def parent_name(self) -> str | None: ...
    @property
    def parent_uuid(self) -> str | None: ...
    @property
    def warnings(self) -> list[str]: ...
    def to_dict(self) -> dict[str, Any]: ...

def inspect(path: str | os.PathLike[str]) -> ImageInfo:
    """Inspects a raw or VHD image, reading only its metadata.  Raises
    ImageFormatError naming the field of a corrupt VHD."""

def inspect_async(path: str | os.PathLike[str]) -> Coroutine[Any, Any, ImageInfo]:
    """`inspect` on an engine thread, as a coroutine."""

@final
class VirtualReader:
    """The virtual disk of a raw file or a fixed or dynamic VHD, by offset."""

    def __new__(cls, path: str | os.PathLike[str]) -> VirtualReader: ...
    @property
    def size(self) -> int: ...
    def read_at(self, offset: int, length: int) -> bytes: ...

# --- copy (rust/py/src/copy.rs) ---
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
    ) -> CopyJob: ...
    def progress(self) -> Progress:
        """A snapshot now, without waiting."""
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

# --- engine tasks behind every *_async function (rust/py/src/task.rs) ---
@final
class Task:
    """One engine call running off the Python thread; the *_async
    functions return a coroutine (imgrepl._aio.task_result) awaiting it."""

    def fileno(self) -> int:
        """Wake-up socket, readable once the call may have ended."""
    def done(self) -> bool: ...
    def result(self) -> Any:
        """The call's value, or raises its error; RuntimeError while running."""
    def cancel(self) -> None:
        """Stops an object-store call; verify, repair and inspect run to their
        end unseen."""

# --- manifest (rust/py/src/manifest.rs) ---
@final
class Manifest:
    """Per-chunk xxh3-128 digests and zero flags of an image."""

    @staticmethod
    def load(path: str | os.PathLike[str]) -> Manifest:
        """Reads and checks a manifest file; ManifestError names what is wrong."""
    @staticmethod
    def from_bytes(data: bytes) -> Manifest: ...
    @staticmethod
    def compute(
        path: str | os.PathLike[str], chunk_size: int = 4194304, threads: int | None = None
    ) -> Manifest:
        """Hashes a file into the manifest a copy of it would write."""
    @staticmethod
    def compute_async(
        path: str | os.PathLike[str], chunk_size: int = 4194304, threads: int | None = None
    ) -> Coroutine[Any, Any, Manifest]: ...
    @property
    def chunk_size(self) -> int: ...
    @property
    def source_size(self) -> int: ...
    @property
    def chunk_count(self) -> int: ...
    @property
    def digest(self) -> str:
        """Whole-image digest, 32 hex characters."""
    @property
    def hashed(self) -> bool: ...
    def digest_bytes(self) -> bytes:
        """chunk_count * 16 bytes, canonical (big-endian) xxh3-128 per chunk."""
    def zero_flags(self) -> bytes:
        """chunk_count bytes, 1 for an all-zero chunk."""
    def chunk_range(self, index: int) -> tuple[int, int]:
        """[start, end) of chunk `index`."""
    def to_bytes(self) -> bytes: ...
    def save(self, path: str | os.PathLike[str]) -> None: ...

# --- verify / repair (rust/py/src/verify.rs) ---
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
    manifest: str | os.PathLike[str] | None = None,
    threads: int | None = None,
) -> VerifyReport:
    """Checks a replica against its manifest (beside it, or `manifest`)."""

def verify_async(
    path: str | os.PathLike[str],
    manifest: str | os.PathLike[str] | None = None,
    threads: int | None = None,
) -> Coroutine[Any, Any, VerifyReport]: ...
def repair(
    path: str | os.PathLike[str],
    good: str | os.PathLike[str],
    manifest: str | os.PathLike[str] | None = None,
) -> RepairReport:
    """Rewrites the bad chunks of `path` from `good` (which must pass the
    same manifest first), then verifies again."""

def repair_async(
    path: str | os.PathLike[str],
    good: str | os.PathLike[str],
    manifest: str | os.PathLike[str] | None = None,
) -> Coroutine[Any, Any, RepairReport]: ...

# --- region stores, any backend (rust/py/src/store.rs) ---
def register_store(prefix: str, options: dict[str, str]) -> None:
    """Makes `options` apply to every s3:// or az:// object below `prefix`
    (the longest registered prefix wins).  S3: endpoint, allow_http, region,
    access_key_id, secret_access_key, session_token, unsigned_payload...;
    Azure: account, access_key, sas_token, endpoint, use_emulator...; both:
    max_retries, retry_timeout (seconds), concurrency (parts or ranges in
    flight per replica), part_size (bytes, rounded up to whole chunks).
    Unset settings come from AWS_* / AZURE_* environment variables.  Bad
    keys or values raise ValueError now.  Values are never shown in reprs,
    logs or errors."""

def unregister_store(prefix: str) -> bool:
    """Forgets the options registered for exactly `prefix`."""

def registered_stores() -> list[str]:
    """The registered prefixes (never their options)."""

def store_stat(url: str) -> int | None:
    """Size of the replica at `url` (a plain path, file://, s3:// or az://
    URL), or None if there is none.  At a local path, anything but a regular
    file (a directory, a device) raises rather than being taken for a
    replica or for nothing: IsADirectoryError for a directory."""

def store_stat_async(url: str) -> Coroutine[Any, Any, int | None]: ...
def store_delete(url: str) -> None:
    """Deletes one object or file (a replica's manifest is a separate
    one); one that is already gone is not an error."""

def store_delete_async(url: str) -> Coroutine[Any, Any, None]: ...
def store_list(prefix: str) -> list[tuple[str, int]]:
    """(url, size) of every object below `prefix`, recursively (for a local
    directory: the path and size of every regular file below it)."""

def store_list_async(prefix: str) -> Coroutine[Any, Any, list[tuple[str, int]]]: ...
def read_manifest_bytes(url: str) -> bytes | None:
    """The manifest bytes stored beside the replica at `url` (as stored,
    unchecked: see Manifest.from_bytes), or None if there is none."""

def read_manifest_bytes_async(url: str) -> Coroutine[Any, Any, bytes | None]: ...
