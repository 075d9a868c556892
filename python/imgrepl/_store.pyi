# Stubs for rust/py/src/store.rs (region stores, any backend), re-exported by imgrepl._core.
from collections.abc import Coroutine
from typing import Any

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
