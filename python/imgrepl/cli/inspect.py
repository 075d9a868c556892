"""`imgrepl inspect FILE`: what a disk image is (raw or VHD), its sizes and
VHD metadata.  Like `qemu-img info`, but it refuses a corrupt VHD by name
of the broken field instead of guessing."""

from __future__ import annotations

import argparse
import sys
from typing import Any

_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "inspect",
        help="show the format, sizes and VHD metadata of a disk image",
        description="Show what a disk image is.  Reads only its metadata.",
    )
    p.add_argument("file", metavar="FILE", help="raw or VHD image")
    p.add_argument(
        "-o",
        "--output",
        choices=("table", "json"),
        default="table",
        help="output format (default: table)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import json

    from imgrepl._core import ImageFormatError, inspect

    try:
        info = inspect(args.file)
    except (ImageFormatError, OSError) as exc:
        print(f"imgrepl inspect: error: {exc}", file=sys.stderr)
        return 1
    data = info.to_dict()
    if args.output == "json":
        print(json.dumps(data, indent=2))
    else:
        print(format_table(data))
    return 0


def human_size(n: int) -> str:
    """1536 -> '1.5 KiB'; bytes below 1 KiB stay exact."""
    if n < 1024:
        return f"{n} B"
    value = float(n)
    for unit in _UNITS:
        value /= 1024
        if value < 1024 or unit == _UNITS[-1]:
            break
    return f"{value:.1f} {unit}"


def _size(n: int) -> str:
    return f"{human_size(n)} ({n} bytes)"


def _rows(d: dict[str, Any]) -> list[tuple[str, str]]:
    import datetime

    kind = d["format"] if d["vhd_type"] is None else f"{d['format']} ({d['vhd_type']})"
    rows = [
        ("format", kind),
        ("virtual size", _size(d["virtual_size"])),
        ("file size", _size(d["file_size"])),
        ("allocated", _size(d["allocated_bytes"])),
    ]
    if d["format"] == "vhd":
        cyl, heads, spt = d["geometry"]
        major, minor = d["creator_version"]
        when = datetime.datetime.fromtimestamp(d["timestamp"], datetime.UTC)
        rows += [
            ("size from", d["size_source"]),
            ("geometry", f"{cyl}/{heads}/{spt} (C/H/S)"),
            ("creator", f"{d['creator_app']} {major}.{minor} on {d['creator_host_os']}"),
            ("unique id", d["unique_id"]),
            ("created", when.strftime("%Y-%m-%dT%H:%M:%SZ")),
        ]
    if d["block_size"] is not None:
        rows += [
            ("block size", _size(d["block_size"])),
            ("blocks", f"{d['allocated_blocks']} of {d['max_table_entries']} stored"),
        ]
    if d["parent_uuid"] is not None:
        rows.append(("parent", f"{d['parent_name']} ({d['parent_uuid']})"))
    rows += [("warning", w) for w in d["warnings"]]
    return rows


def format_table(d: dict[str, Any]) -> str:
    rows = _rows(d)
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)
