"""imgrepl: a self-hosted image gallery with a native replication engine.

Attributes are loaded on first use so that `imgrepl --help` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> module that defines it
_LAZY = {
    "__version__": "imgrepl._core",
    "copy": "imgrepl.copies",
    "copy_async": "imgrepl.copies",
    "start_copy": "imgrepl.copies",
    "verify": "imgrepl._core",
    "verify_async": "imgrepl.copies",
    "repair": "imgrepl._core",
    "repair_async": "imgrepl.copies",
    "load_manifest": "imgrepl.manifest",
    "CopyJob": "imgrepl._core",
    "CopyReport": "imgrepl._core",
    "DestinationReport": "imgrepl._core",
    "Progress": "imgrepl._core",
    "Manifest": "imgrepl._core",
    "VerifyReport": "imgrepl._core",
    "RepairReport": "imgrepl._core",
    "ImageInfo": "imgrepl._core",
    "inspect": "imgrepl._core",
    "inspect_async": "imgrepl._core",
    "Client": "imgrepl.api.client",
    "register_store": "imgrepl._core",
    "unregister_store": "imgrepl._core",
    "registered_stores": "imgrepl._core",
    "store_stat": "imgrepl._core",
    "store_stat_async": "imgrepl._core",
    "store_delete": "imgrepl._core",
    "store_delete_async": "imgrepl._core",
    "store_list": "imgrepl._core",
    "store_list_async": "imgrepl._core",
    "read_manifest_bytes": "imgrepl._core",
    "read_manifest_bytes_async": "imgrepl._core",
    "MANIFEST_SUFFIX": "imgrepl._core",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'imgrepl' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
