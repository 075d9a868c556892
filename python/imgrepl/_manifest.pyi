# Stubs for rust/py/src/manifest.rs, re-exported by imgrepl._core.
import os
from collections.abc import Coroutine
from typing import Any, final

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
