"""Progress a person can watch: bars per region with bytes, rate, time left
and time elapsed, on a terminal only; `wait` and `show --watch` draw the same
bars for a replication another process runs; the background worker's log
has a timestamped line per region per state change and per 10 %."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.gallery import cli, cli_env, cli_run, raw, worker_log

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
REGIONS = ("westeurope", "eastus", "northeurope")
TARGETS = ["--target-regions", "westeurope=2", "eastus", "northeurope"]
# a bar: region, bytes done/total, rate, time left, time elapsed
BAR = re.compile(
    r"^\s*(?P<region>\w+) \S+ (?P<done>[\d.]+)/(?P<total>[\d.]+) MiB "
    r"(?P<rate>[\d.]+ [kMG]?B/s|\?)\s+eta (?P<eta>[\d:-]+) elapsed (?P<elapsed>\d+:\d\d:\d\d)$"
)


def on_terminal(home: Path, *args: str) -> tuple[int, str, list[dict[str, str]]]:
    """Runs the CLI with stderr on a pseudo-terminal: (exit status, stdout,
    every bar drawn, in order)."""
    master, slave = pty.openpty()
    env = {**cli_env(), "COLUMNS": "160", "TERM": "xterm"}
    argv = [sys.executable, "-m", "imgrepl", *args, "--home", str(home)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=slave, env=env, text=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 1 << 16)
        except OSError:  # EIO: the process closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    out = proc.communicate(timeout=120)[0]
    text = ANSI.sub("", b"".join(chunks).decode())
    bars = [m.groupdict() for line in re.split(r"[\r\n]+", text) if (m := BAR.match(line))]
    return proc.returncode, out, bars


@pytest.fixture
def image(tmp_path: Path) -> Path:
    return raw(tmp_path / "os.raw", 12)


def create(version: str, image: Path, *extra: str) -> list[str]:
    return ["sig", "image-version", "create", "-r", "G", "-i", "D", "-e", version, "-l",
            "westeurope", "--os-vhd", str(image), *TARGETS, "--cap-mbps", "12", *extra]  # fmt: skip


def check_bars(bars: list[dict[str, str]], *, followed: bool, joined: bool = False) -> None:
    """Every region has a bar; it ends full, with a rate, a time left and an
    elapsed time; `followed`: it was drawn while the bytes were moving.
    `joined`: the bars follow another process's replication, which may have
    finished some regions before the follower started (a loaded machine
    starts Python slowly), so only one region needs to be seen moving."""
    assert {b["region"] for b in bars} == set(REGIONS), bars[-3:]
    moving = []
    for region in REGIONS:
        mine = [b for b in bars if b["region"] == region]
        last = mine[-1]
        assert last["done"] == last["total"] and float(last["total"]) in (12.0, 24.0)
        assert last["eta"] == "0:00:00"
        seen = any(b["rate"] != "?" for b in mine) and (
            not followed or any(float(b["done"]) < float(b["total"]) for b in mine)
        )
        assert seen or joined, mine[:3]
        moving.append(seen)
    assert any(moving), bars[:3]
    elapsed = max(int(b["elapsed"].rsplit(":", 1)[1]) for b in bars)
    assert elapsed >= 1 or joined  # 48 MiB read at 12 MB/s take a few seconds


def test_replication_bars_show_rate_eta_and_elapsed(definition: Path, image: Path) -> None:
    code, out, bars = on_terminal(definition, *create("1.0.0", image))
    assert code == 0 and "Completed" in out
    check_bars(bars, followed=True)


def test_no_bars_for_json_or_only_errors(definition: Path, image: Path) -> None:
    code, out, bars = on_terminal(definition, *create("1.0.0", image, "-o", "json"))
    assert code == 0 and bars == [] and out.startswith("{")
    code, _, bars = on_terminal(definition, *create("1.0.1", image, "--only-show-errors"))
    assert code == 0 and bars == []


def test_wait_and_show_watch_follow_another_process(definition: Path, image: Path) -> None:
    for version, follow in (("1.0.0", ["wait"]), ("1.1.0", ["show", "--watch"])):
        cli(definition, *create(version, image, "--no-wait"))
        ids = ["-r", "G", "-i", "D", "-e", version, "--interval", "0.1"]
        code, out, bars = on_terminal(definition, "sig", "image-version", *follow, *ids)
        assert code == 0
        assert re.search(rf"^{re.escape(version)}\s+westeurope\s+Succeeded", out, re.M), out
        assert sorted(re.findall(r"^(\w+)\s+Completed\s+100\s*$", out, re.M)) == sorted(REGIONS)
        check_bars(bars, followed=True, joined=True)


def test_wait_times_out_with_one_line(definition: Path, image: Path) -> None:
    cli(definition, *create("1.0.0", image, "--no-wait"))
    ids = ["-r", "G", "-i", "D", "-e", "1.0.0"]
    late = cli_run(definition, "sig", "image-version", "wait", *ids, "--timeout", "0.3")
    assert late.returncode == 1
    assert late.stderr == (
        "imgrepl sig image-version wait: error: G/D/1.0.0 still replicating after 0.3 s\n"
    )
    done = cli(definition, "sig", "image-version", "wait", *ids)
    assert done["replicationStatus"]["aggregatedState"] == "Completed"


def test_background_log_has_a_line_per_state_and_tenth(definition: Path, image: Path) -> None:
    cli(definition, *create("1.0.0", image, "--no-wait"))
    cli(definition, "sig", "image-version", "wait", "-r", "G", "-i", "D", "-e", "1.0.0")
    lines = worker_log(definition / "logs" / "G-D-1.0.0.log").splitlines()
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
    assert all(re.match(stamp + " ", line) for line in lines), lines
    for region in REGIONS:
        mine = [line.split(" ", 1)[1] for line in lines if f" {region}: " in line]
        assert mine[0].startswith(f"{region}: Replicating, 0 of ")
        assert mine[-1] == f"{region}: Completed"
        tenths = [int(m) for m in re.findall(rf"^{region}: (\d+)% ", "\n".join(mine), re.M)]
        assert tenths == sorted(tenths) and tenths[-1] == 100 and len(tenths) >= 2


def test_verbose_logs_the_throughput_per_region(definition: Path, image: Path) -> None:
    done = cli_run(definition, *create("1.0.0", image, "--verbose"))
    assert done.returncode == 0
    size = image.stat().st_size
    for region, copies in (("westeurope", 2), ("eastus", 1), ("northeurope", 1)):
        n = copies * size
        assert re.search(
            rf"INFO: imgrepl: region {region}: {n} of {n} bytes in [\d.]+ s \([\d.]+ MB/s\)",
            done.stderr,
        ), done.stderr
