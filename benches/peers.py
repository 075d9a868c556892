"""The tools under comparison, as command lines, and how one timed sample of
a tool is taken: its processes in turn, then a `sync` of the filesystem so
every tool's time includes making its copies durable.  Peak RSS comes from
each child's own rusage (os.wait4), so the harness's memory never counts."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent

Argv = list[str]


@dataclass(frozen=True)
class Tool:
    name: str
    kind: str  # "imgrepl" | "peer" | "limit"
    commands: Callable[[Path, list[Path]], list[Argv]]
    sync_after: bool = True
    # dd writes one file whatever N is: its sample is a bandwidth, not a copy
    copies: bool = True


def _each(make: Callable[[Path, Path], Argv]) -> Callable[[Path, list[Path]], list[Argv]]:
    return lambda src, dsts: [make(src, d) for d in dsts]


def _cp(src: Path, dst: Path) -> Argv:
    return ["cp", str(src), str(dst)]


def _rclone(src: Path, dst: Path) -> Argv:
    # --config '' : run without a config file (local paths need none)
    return ["rclone", "--config", "", "copyto", "--checksum", str(src), str(dst)]


def _qemu_img(src: Path, dst: Path) -> Argv:
    # raw -> raw is a byte-for-byte copy of the VHD file, footer included
    return ["qemu-img", "convert", "-f", "raw", "-O", "raw", str(src), str(dst)]


def _pyloop(src: Path, dsts: list[Path]) -> list[Argv]:
    return [[sys.executable, str(HERE / "pyloop.py"), str(src), *map(str, dsts)]]


def _imgrepl(extra: list[str]) -> Callable[[Path, list[Path]], list[Argv]]:
    def commands(src: Path, dsts: list[Path]) -> list[Argv]:
        script = str(HERE / "imgrepl_copy.py")
        return [[sys.executable, script, *extra, str(src), *map(str, dsts)]]

    return commands


def _dd(src: Path, dsts: list[Path]) -> list[Argv]:
    return [["dd", f"if={src}", f"of={dsts[0]}", "bs=4M", "conv=fdatasync", "status=none"]]


def all_tools(chunk_size: int | None = None) -> dict[str, Tool]:
    extra = ["--chunk-size", str(chunk_size)] if chunk_size else []
    tools = [
        Tool("imgrepl", "imgrepl", _imgrepl(extra)),
        Tool("imgrepl-nohash", "imgrepl", _imgrepl([*extra, "--no-hash"])),
        Tool("cp", "peer", _each(_cp)),
        Tool("rclone", "peer", _each(_rclone)),
        Tool("qemu-img", "peer", _each(_qemu_img)),
        Tool("pyloop", "peer", _pyloop),
        Tool("dd", "limit", _dd, sync_after=False, copies=False),
    ]
    return {t.name: t for t in tools}


def imgrepl_available() -> str | None:
    """None if `imgrepl.copy` can be called, else why not."""
    probe = "import imgrepl; imgrepl.copy"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    if out.returncode == 0:
        return None
    return out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "import failed"


@dataclass(frozen=True)
class Timed:
    seconds: float
    peak_rss: int  # bytes, the largest of the tool's processes
    cpu_seconds: float  # user + system time of all its processes


class ToolFailed(RuntimeError):
    pass


def run_timed(tool: Tool, src: Path, dsts: list[Path]) -> Timed:
    """Run the tool's commands one after another, then sync the filesystem."""
    commands = tool.commands(src, dsts)
    if tool.sync_after:
        commands.append(["sync", "--file-system", str(dsts[0].parent)])
    peak, cpu = 0, 0.0
    start = time.perf_counter()
    for argv in commands:
        usage = _run_child(argv)
        peak = max(peak, usage.ru_maxrss * 1024)  # Linux reports KiB
        cpu += usage.ru_utime + usage.ru_stime
    return Timed(time.perf_counter() - start, peak, cpu)


def _run_child(argv: Argv) -> resource.struct_rusage:
    """Run to completion; return the child's own resource usage."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            tail = err.read()[-2000:].decode(errors="replace")
            raise ToolFailed(f"{argv[0]} exited {proc.returncode}: {' '.join(argv)}\n{tail}")
    return usage
