"""`imgrepl copy SRC DST [DST ...]`: a one-off fan-out copy.  The source
is read once; each replica gets a manifest beside it.  Exit status 1 if
any destination failed (or failed --verify)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from imgrepl.cli.common import add_threads_arg
from imgrepl.cli.output import size_arg
from imgrepl.cli.parser import add_command

if TYPE_CHECKING:
    from imgrepl._core import CopyReport, VerifyReport


def register(sub: Any, summary: str) -> None:
    p = add_command(
        sub,
        "copy",
        run,
        help=summary,
        description="Copy SRC to every DST.  Each replica is written under a temporary "
        "name and appears only when complete, with NAME.imgrepl-manifest beside it.  "
        "Re-running an interrupted copy resumes it.",
        example=[
            (
                "Copy a disk to two stores, reading it once.",
                "imgrepl copy disk.vhd /mnt/a/disk.vhd /mnt/b/disk.vhd",
            ),
            (
                "Ship only what changed since 1.0 (its replica there is the base).",
                "imgrepl copy v2.vhd /mnt/a/v2.vhd --base /mnt/a/v1.vhd",
            ),
            (
                "At most 100 MiB/s, checked afterwards.",
                "imgrepl copy disk.vhd /mnt/a/disk.vhd --bwlimit 100MiB --verify",
            ),
        ],
    )
    p.add_argument("src", metavar="SRC", help="source image (path or file:// URL)")
    p.add_argument("dsts", metavar="DST", nargs="+", help="destination (path or file:// URL)")
    p.add_argument(
        "--chunk-size",
        type=size_arg,
        default=4 << 20,
        metavar="SIZE",
        help="chunk size, a multiple of 512 (default 4MiB; e.g. 1MiB, 65536)",
    )
    add_threads_arg(p, "writer threads (default: one per destination, at most 8)")
    p.add_argument(
        "--bwlimit",
        type=size_arg,
        default=None,
        metavar="SIZE",
        help="cap source reads at SIZE per second (e.g. 100MiB)",
    )
    p.add_argument(
        "--verify",
        action="store_true",
        help="re-read every replica against its manifest afterwards",
    )
    p.add_argument("--overwrite", action="store_true", help="replace existing destinations")
    p.add_argument(
        "--base",
        metavar="OLD",
        default=None,
        help="an earlier replica (with its manifest beside it) near the destinations: chunks "
        "it holds unchanged are taken from it, checked against their digests, and only "
        "changed chunks are read from SRC",
    )


def run(args: argparse.Namespace) -> int:
    import sys

    from imgrepl._core import verify
    from imgrepl.cli.common import emit
    from imgrepl.cli.formats import camel_case
    from imgrepl.cli.progress import drive, want_bars
    from imgrepl.copies import start_copy, wait_for

    try:
        job = start_copy(
            args.src,
            args.dsts,
            chunk_size=args.chunk_size,
            threads=args.threads,
            overwrite=args.overwrite,
            bwlimit=args.bwlimit,
            base=args.base,
        )
    except FileExistsError as exc:
        raise FileExistsError(f"{exc}; use --overwrite to replace it") from None
    checks: dict[str, VerifyReport] = {}
    report = wait_for(job, lambda j: drive(j, args.dsts, want_bars(args)))
    if args.verify:
        checks = {d.path: verify(d.path) for d in report.destinations if d.ok}
    data = camel_case(report_dict(report, checks))  # Azure's style, as every command
    emit(args, data, table=lambda _: format_report(report, checks) + "\n")
    for d in data["destinations"]:  # the report is on stdout; each failure also on stderr
        if not d["ok"]:
            why = d["error"] or f"{d['path']}: its bytes differ from the manifest"
            print(f"imgrepl copy: error: {why}", file=sys.stderr)
    ok = report.ok and all(c.ok for c in checks.values())
    return 0 if ok else 1


def report_dict(report: CopyReport, checks: dict[str, VerifyReport]) -> dict[str, Any]:
    """The report as JSON-able data; `verified` is null when not checked."""
    dests = []
    for d in report.destinations:
        check = checks.get(d.path)
        dests.append(
            {
                "path": d.path,
                "ok": d.ok and (check is None or check.ok),
                "error": d.error,
                "bytes_written": d.bytes_written,
                "zero_bytes_skipped": d.zero_bytes_skipped,
                "resumed_bytes": d.resumed_bytes,
                "bytes_from_source": d.bytes_from_source,
                "bytes_from_base": d.bytes_from_base,
                "base": d.base,
                "base_note": d.base_note,
                "manifest_path": d.manifest_path if d.ok else None,
                "verified": None if check is None else check.ok,
                "bad_ranges": None if check is None else [list(r) for r in check.bad_ranges],
            }
        )
    return {
        "source": report.source,
        "source_size": report.source_size,
        "bytes_read": report.bytes_read,
        "holes_skipped": report.holes_skipped,
        "zero_bytes": report.zero_bytes,
        "chunk_size": report.chunk_size,
        "digest": report.digest,
        "seconds": round(report.seconds, 6),
        "mb_per_second": round(_rate(report), 1),
        "ok": all(d["ok"] for d in dests),
        "destinations": dests,
    }


def _rate(report: CopyReport) -> float:
    return report.source_size / 1e6 / max(report.seconds, 1e-9)


def format_report(report: CopyReport, checks: dict[str, VerifyReport]) -> str:
    from imgrepl.cli.output import format_pairs, format_table, human_size
    from imgrepl.cli.output import size_and_bytes as size

    summary = format_pairs(
        [
            ("source", f"{report.source}  {size(report.source_size)}"),
            (
                "read",
                f"{size(report.bytes_read)}, holes skipped {human_size(report.holes_skipped)}",
            ),
            ("zero chunks", human_size(report.zero_bytes)),
            ("digest", report.digest or "-"),
            ("time", f"{report.seconds:.2f} s  ({_rate(report):.1f} MB/s)"),
        ]
    )
    rows = []
    for d in report.destinations:
        check = checks.get(d.path)
        if not d.ok:
            status = f"FAILED: {d.error}"
        elif check is not None and not check.ok:
            status = f"VERIFY FAILED: bad ranges {check.bad_ranges}"
        else:
            status = "ok, verified" if check is not None else "ok"
        if d.base_note:
            status += f" ({d.base_note})"
        written = human_size(d.bytes_written)
        zeros, resumed = human_size(d.zero_bytes_skipped), human_size(d.resumed_bytes)
        row = [d.path, written, zeros, resumed, status]
        if any(x.base for x in report.destinations):
            row[2:2] = [human_size(d.bytes_from_source), human_size(d.bytes_from_base)]
        rows.append(row)
    head = ["DESTINATION", "WRITTEN", "ZEROS SKIPPED", "RESUMED", "STATUS"]
    if any(x.base for x in report.destinations):
        head[2:2] = ["FROM SOURCE", "FROM BASE"]
    table = format_table(head, rows)
    return f"{summary}\n\n{table}"
