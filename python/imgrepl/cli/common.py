"""Parser set-up shared by the one-off image commands (copy, verify,
inspect).  Imported while the parser is built, so argparse-level imports
only; each command's run() imports the engine."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from imgrepl.cli.output import positive_int

Run = Callable[[argparse.Namespace], int]


def add_command(
    sub: Any, name: str, run: Run, *, help: str, description: str
) -> argparse.ArgumentParser:
    """The subcommand's parser, with `run` as what it does."""
    p: argparse.ArgumentParser = sub.add_parser(name, help=help, description=description)
    p.set_defaults(run=run)
    return p


def add_threads_arg(p: argparse.ArgumentParser, help: str) -> None:
    p.add_argument("--threads", type=positive_int, default=None, metavar="N", help=help)
