"""imgrepl: a self-hosted image gallery with a native replication engine.

Attributes are loaded on first use so that `imgrepl --help` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> module that defines it
_LAZY = {
    "__version__": "imgrepl._core",
    "Client": "imgrepl.client",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'imgrepl' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
