"""Progress a person can watch, drawn with rich on stderr: one bar per
destination of a copy (from a CopyJob's progress stream) or per region of a
replication (from the replicator's callback, or from the catalog when
`wait` / `show --watch` follow a replication another process runs), each
with bytes, rate, time left and time elapsed.  Quiet unless the output is a
table and stderr a terminal.  Imported only when a command runs: rich is
slow to import."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from imgrepl._core import Progress

# region -> (bytes done, bytes in total), as the replicator reports it
PerRegion = dict[str, tuple[int, int]]


def want_bars(args: argparse.Namespace) -> bool:
    """Bars only for a person: table output, stderr a terminal, not --only-show-errors."""
    return args.output == "table" and not args.only_show_errors and sys.stderr.isatty()


def _bars() -> Any:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )
    from rich.progress import Progress as Bars

    return Bars(
        TextColumn("{task.description:>14}"),
        BarColumn(),
        DownloadColumn(binary_units=True),
        TransferSpeedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        TextColumn("elapsed"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    )


def drive(stream: Iterable[Progress], labels: Sequence[str], show: bool) -> Progress | None:
    """Consumes a copy's progress stream to its end (the finished snapshot),
    drawing one bar per destination if `show`; returns the last snapshot."""
    last: Progress | None = None
    if not show:
        for last in stream:  # noqa: B007 - only the final snapshot matters
            pass
        return last
    with _bars() as bars:
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


class RegionBars:
    """Per-region bars for a replication (when `show`), and the engine's
    throughput per region, logged at the end (--verbose)."""

    def __init__(self, show: bool) -> None:
        self.bars = _bars() if show else None
        self.tasks: dict[str, Any] = {}
        self.started = time.monotonic()
        self.last: PerRegion = {}
        if self.bars is not None:
            self.bars.start()

    def update(self, per: PerRegion) -> None:
        self.last = dict(per)
        if self.bars is None:
            return
        for region, (done, total) in per.items():
            if region not in self.tasks:
                self.tasks[region] = self.bars.add_task(region, total=total)
            self.bars.update(self.tasks[region], completed=done, total=total)

    def stop(self) -> None:
        from imgrepl.cli.logs import log

        if self.bars is not None:
            self.bars.stop()
        seconds = max(time.monotonic() - self.started, 1e-9)
        for region, (done, total) in sorted(self.last.items()):
            log.info(
                "region %s: %d of %d bytes in %.1f s (%.1f MB/s)",
                region, done, total, seconds, done / 1e6 / seconds,
            )  # fmt: skip


def region_bars(args: argparse.Namespace) -> tuple[Callable[[PerRegion], None], Callable[[], None]]:
    """(on_progress, stop) for a replication this process runs."""
    bars = RegionBars(want_bars(args))
    return bars.update, bars.stop


def per_region(replicas: Sequence[Any]) -> PerRegion:
    """Bytes done and in total per region, from the catalog's replica rows,
    counted as the replicator counts them."""
    per: PerRegion = {}
    for r in replicas:
        if r.state == "Deleting":
            continue
        done, total = per.get(r.region, (0, 0))
        got = r.size if r.state == "Completed" else min(r.bytes_written, r.size)
        per[r.region] = (done + got, total + r.size)
    return per
