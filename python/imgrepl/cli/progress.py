"""Progress bars for engine jobs, drawn with rich from a CopyJob's
progress stream (no callbacks from the engine).  Imported only when a
command runs, since rich is slow to import."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from imgrepl._core import Progress


def want_bars(args: argparse.Namespace) -> bool:
    """Bars only for humans: table output on a terminal, not --only-show-errors."""
    return args.output == "table" and not args.only_show_errors and sys.stderr.isatty()


def drive(stream: Iterable[Progress], labels: Sequence[str], show: bool) -> Progress | None:
    """Consumes the progress stream to its end (the finished snapshot),
    drawing one bar per destination if `show`; returns the last snapshot."""
    last: Progress | None = None
    if not show:
        for last in stream:  # noqa: B007 - only the final snapshot matters
            pass
        return last
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )
    from rich.progress import Progress as Bars

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(binary_units=True),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    from rich.console import Console

    with Bars(*columns, console=Console(stderr=True), transient=False) as bars:
        tasks = [bars.add_task(label, total=None) for label in labels]
        for last in stream:
            for i, task in enumerate(tasks):
                state = " [red]failed" if last.failed[i] else ""
                bars.update(
                    task,
                    total=last.source_size,
                    completed=last.bytes_done[i],
                    description=f"{labels[i]}{state}",
                )
    return last
