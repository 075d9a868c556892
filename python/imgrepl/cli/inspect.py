"""`imgrepl inspect FILE`: what a disk image is (raw or VHD), its sizes and
VHD metadata.  Like `qemu-img info`, but it refuses a corrupt VHD by name
of the broken field instead of guessing."""

from __future__ import annotations

import argparse
from typing import Any

from imgrepl.cli.output import format_pairs
from imgrepl.cli.output import human_size as human_size  # tests import it from here
from imgrepl.cli.output import size_and_bytes as _size
from imgrepl.cli.parser import add_command


def register(sub: Any, summary: str) -> None:
    p = add_command(
        sub,
        "inspect",
        run,
        help=summary,
        description="Show what a disk image is.  Reads only its metadata.",
        example=[
            (
                "The virtual size of a VHD, in bytes.",
                "imgrepl inspect disk.vhd --query virtualSize -o tsv",
            )
        ],
    )
    p.add_argument("file", metavar="FILE", help="raw or VHD image")


def run(args: argparse.Namespace) -> int:
    from imgrepl._core import inspect
    from imgrepl.cli.common import emit
    from imgrepl.cli.formats import camel_case

    data = camel_case(inspect(args.file).to_dict())  # Azure's style, as every command
    emit(args, data, table=lambda _: format_table(data) + "\n")
    return 0


def _rows(d: dict[str, Any]) -> list[tuple[str, str]]:
    import datetime

    kind = d["format"] if d["vhdType"] is None else f"{d['format']} ({d['vhdType']})"
    rows = [
        ("format", kind),
        ("virtual size", _size(d["virtualSize"])),
        ("file size", _size(d["fileSize"])),
        ("allocated", _size(d["allocatedBytes"])),
    ]
    if d["format"] == "vhd":
        cyl, heads, spt = d["geometry"]
        major, minor = d["creatorVersion"]
        when = datetime.datetime.fromtimestamp(d["timestamp"], datetime.UTC)
        rows += [
            ("size from", d["sizeSource"]),
            ("geometry", f"{cyl}/{heads}/{spt} (C/H/S)"),
            ("creator", f"{d['creatorApp']} {major}.{minor} on {d['creatorHostOs']}"),
            ("unique id", d["uniqueId"]),
            ("created", when.strftime("%Y-%m-%dT%H:%M:%SZ")),
        ]
    if d["blockSize"] is not None:
        rows += [
            ("block size", _size(d["blockSize"])),
            ("blocks", f"{d['allocatedBlocks']} of {d['maxTableEntries']} stored"),
        ]
    if d["parentUuid"] is not None:
        rows.append(("parent", f"{d['parentName']} ({d['parentUuid']})"))
    rows += [("warning", w) for w in d["warnings"]]
    return rows


def format_table(d: dict[str, Any]) -> str:
    return format_pairs(_rows(d))
