"""How many catalog writes this process has committed: a number that
changes after every write transaction commits (any backend, any
connection), so a cache of catalog reads can tell in a dictionary lookup
whether this process wrote since it read.

    seen = generation()   # before the read transaction begins
    value = read()
    ...
    fresh = generation() == seen   # nothing written here since

Writes by other processes (agents, the CLI) are not counted: a cache
bounds how long it serves them stale by its own time to live."""

from __future__ import annotations

import threading

_lock = threading.Lock()
_generation = 0


def generation() -> int:
    return _generation


def committed() -> None:
    """Called once a write transaction has committed (under a lock: two
    writers on two threads each move the number on, never back)."""
    global _generation
    with _lock:
        _generation += 1
