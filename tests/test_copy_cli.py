"""`imgrepl copy` and `imgrepl verify` as a user runs them (subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import imgrepl
import pytest
from helpers.files import MIB, noise, write
from imgrepl.cli.output import parse_size


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "imgrepl", *args], capture_output=True, text=True, check=False
    )


def test_copy_json_matches_the_files(tmp_path: Path) -> None:
    data = noise(1, 3 * MIB) + bytes(2 * MIB + 11)
    src = write(tmp_path / "src.raw", data)
    dsts = [tmp_path / "a.raw", tmp_path / "b.raw"]
    out = run("copy", str(src), *map(str, dsts), "--chunk-size", "1MiB", "--verify", "-o", "json")
    assert out.returncode == 0, out.stderr
    assert "\x1b" not in out.stdout  # no progress bars in json / off a terminal
    doc = json.loads(out.stdout)
    # Azure's camelCase, as every command prints
    assert doc["ok"] and doc["sourceSize"] == len(data) and doc["chunkSize"] == MIB
    assert doc["bytesRead"] == len(data) and doc["zeroBytes"] == 2 * MIB + 11
    for d, entry in zip(dsts, doc["destinations"], strict=True):
        assert entry["path"] == str(d) and d.read_bytes() == data
        assert entry["verified"] is True and entry["badRanges"] == []
        assert entry["bytesWritten"] == 3 * MIB
        manifest = imgrepl.load_manifest(entry["manifestPath"])
        assert manifest.digest == doc["digest"]


def test_copy_exit_status_and_table(tmp_path: Path) -> None:
    src = write(tmp_path / "src.raw", noise(2, MIB))
    blocker = write(tmp_path / "file", b"")
    out = run("copy", str(src), str(tmp_path / "ok.raw"), str(blocker / "x.raw"))
    assert out.returncode == 1
    assert "ok.raw" in out.stdout and "FAILED" in out.stdout and "file/x.raw" in out.stdout
    again = run("copy", str(src), str(tmp_path / "ok.raw"))
    assert again.returncode == 1 and "--overwrite" in again.stderr
    bad = run("copy", str(src), str(tmp_path / "z"), "--chunk-size", "1000")
    assert bad.returncode == 1 and "chunk_size 1000" in bad.stderr
    usage = run("copy", str(src), str(tmp_path / "z"), "--chunk-size", "4 parsecs")
    assert usage.returncode == 2 and "invalid size" in usage.stderr


def test_verify_reports_ranges_and_repairs(tmp_path: Path) -> None:
    data = noise(3, 4 * MIB)
    src = write(tmp_path / "src.raw", data)
    a, b = tmp_path / "a.raw", tmp_path / "b.raw"
    imgrepl.copy(src, [a, b], chunk_size=MIB)
    assert run("verify", str(a)).returncode == 0
    with a.open("r+b") as f:
        f.seek(MIB + 5)
        f.write(b"\xff\xfe")
    out = run("verify", str(a))
    assert out.returncode == 1 and f"[{MIB}, {2 * MIB})" in out.stdout
    doc = json.loads(run("verify", str(a), "-o", "json").stdout)
    assert doc["badRanges"] == [[MIB, 2 * MIB]] and not doc["ok"]
    fixed = run("verify", str(a), "--repair-from", str(b), "-o", "json")
    assert fixed.returncode == 0, fixed.stderr
    assert json.loads(fixed.stdout)["repair"]["chunksRepaired"] == 1
    assert a.read_bytes() == data
    missing = run("verify", str(tmp_path / "nope"))
    assert missing.returncode == 1 and "nope" in missing.stderr


@pytest.mark.parametrize(
    ("text", "value"),
    [("4MiB", 4 << 20), ("512KiB", 512 << 10), ("4096", 4096), ("1G", 1 << 30), ("4MB", 4_000_000)],
)
def test_sizes(text: str, value: int) -> None:
    assert parse_size(text) == value


def test_bad_sizes() -> None:
    for text in ("", "MiB", "4 parsecs", "-1", "4i"):
        with pytest.raises(ValueError, match="invalid size"):
            parse_size(text)
