# Stubs for rust/py/src/inspect.rs, re-exported by imgrepl._core.
import os
from collections.abc import Coroutine
from typing import Any, final

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
