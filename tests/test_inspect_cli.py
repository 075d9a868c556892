"""`imgrepl inspect FILE [-o json|table]`: JSON in Azure's camelCase."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import imgrepl
import pytest
from helpers.images import FOOTER, SampleImage, edit_footer, set_field
from imgrepl.cli import main
from imgrepl.cli.inspect import human_size


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["inspect", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("name", ["raw", "fixed", "dynamic_chs"])
def test_json_is_to_dict(
    sample_images: dict[str, SampleImage], capsys: pytest.CaptureFixture[str], name: str
) -> None:
    path = sample_images[name].path
    code, out, err = _run(capsys, str(path), "-o", "json")
    assert (code, err) == (0, "")
    info = json.loads(json.dumps(imgrepl.inspect(path).to_dict()))  # tuples -> lists
    got = json.loads(out)
    # Azure's camelCase, as every other command prints
    assert got["virtualSize"] == info["virtual_size"] and got["vhdType"] == info["vhd_type"]
    assert got["allocatedBytes"] == info["allocated_bytes"]
    assert len(got) == len(info) and not any("_" in k for k in got)
    renamed = {k.replace("_", "").lower(): v for k, v in info.items()}
    assert {k.lower(): v for k, v in got.items()} == renamed


def test_table_for_a_dynamic_vhd(
    sample_images: dict[str, SampleImage], capsys: pytest.CaptureFixture[str]
) -> None:
    path = sample_images["dynamic"].path
    info = imgrepl.inspect(path)
    code, out, _ = _run(capsys, str(path))
    assert code == 0
    rows = dict(_split(line) for line in out.splitlines())
    assert rows["format"] == "vhd (dynamic)"
    assert rows["virtual size"] == "9.0 MiB (9438720 bytes)"
    assert rows["allocated"] == f"{human_size(info.allocated_bytes)} ({info.allocated_bytes} bytes)"
    assert rows["geometry"] == "65535/16/255 (C/H/S)"
    assert rows["creator"] == "qem2 5.3 on Wi2k"
    assert rows["unique id"] == info.unique_id
    assert rows["block size"] == "2.0 MiB (2097152 bytes)"
    assert rows["blocks"] == "4 of 5 stored"
    assert "parent" not in rows and "warning" not in rows


def _split(line: str) -> tuple[str, str]:
    key, value = line.split("  ", 1)
    return key.strip(), value.strip()


def test_table_for_raw_flags_odd_size(
    sample_images: dict[str, SampleImage], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, str(sample_images["raw_odd"].path), "--output", "table")
    assert code == 0
    rows = dict(_split(line) for line in out.splitlines())
    assert rows["format"] == "raw"
    assert rows["virtual size"] == "1000 B (1000 bytes)"
    assert rows["warning"] == "raw size 1000 is not a multiple of 512-byte sectors"
    assert "geometry" not in rows


def test_corrupt_vhd_one_line_naming_the_field(
    image_copy: Callable[[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = image_copy("dynamic")
    edit_footer(path, lambda f: set_field(f, FOOTER, "disk_type", 9))
    code, out, err = _run(capsys, str(path), "-o", "json")
    assert code == 1 and out == ""
    assert err.count("\n") == 1
    assert err.startswith("imgrepl inspect: error: invalid image ")
    assert str(path) in err and "footer.disk_type" in err


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, str(tmp_path / "gone.vhd"))
    assert code == 1 and out == ""
    assert "gone.vhd" in err and "No such file" in err


def test_human_size() -> None:
    assert human_size(0) == "0 B"
    assert human_size(1023) == "1023 B"
    assert human_size(1536) == "1.5 KiB"
    assert human_size(200 << 30) == "200.0 GiB"
    assert human_size(1 << 60) == "1024.0 PiB"


def test_end_to_end(sample_images: dict[str, SampleImage]) -> None:
    path = sample_images["fixed"].path
    out = subprocess.run(
        [sys.executable, "-m", "imgrepl", "inspect", str(path), "-o", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout)["vhdType"] == "fixed"
    helptext = subprocess.run(
        [sys.executable, "-m", "imgrepl", "--help"], capture_output=True, text=True, check=True
    )
    assert "inspect" in helptext.stdout
