"""Logging for `--verbose` and `--debug`, to stderr through `logging`, and
`step()`, which logs how long each step of a command took.  Imported once
the arguments are parsed, never by `imgrepl --help`."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger("imgrepl")


def configure(args: argparse.Namespace) -> None:
    """az's levels: warnings by default, errors only with --only-show-errors,
    info with --verbose, everything with --debug."""
    if getattr(args, "debug", False):
        level = logging.DEBUG
    elif getattr(args, "verbose", False):
        level = logging.INFO
    elif getattr(args, "only_show_errors", False):
        level = logging.ERROR
    else:
        level = logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(name)s: %(message)s"))
    log.handlers[:] = [handler]  # main() may run more than once in a process (tests)
    log.setLevel(level)
    log.propagate = False


@contextmanager
def step(what: str) -> Iterator[None]:
    """Logs `what` when it starts (info) and its duration when it ends (debug)."""
    log.info("%s", what)
    start = time.perf_counter()
    try:
        yield
    finally:
        log.debug("%s: %.3f s", what, time.perf_counter() - start)
