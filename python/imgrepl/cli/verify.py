"""`imgrepl verify FILE`: re-read a replica against its manifest and print
the byte ranges that differ; `--repair-from GOOD` rewrites just those
chunks from a good copy.  Exit status 1 on a mismatch left unrepaired."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from imgrepl.cli.common import add_threads_arg
from imgrepl.cli.parser import add_command

if TYPE_CHECKING:
    from imgrepl._core import RepairReport, VerifyReport


def register(sub: Any, summary: str) -> None:
    p = add_command(
        sub,
        "verify",
        run,
        help=summary,
        description="Check FILE chunk by chunk against its manifest "
        "(FILE.imgrepl-manifest unless --manifest is given).",
        example=[
            (
                "Check a replica and repair it from a good one.",
                "imgrepl verify /mnt/b/disk.vhd --repair-from /mnt/a/disk.vhd",
            )
        ],
    )
    p.add_argument("file", metavar="FILE", help="replica to check")
    p.add_argument(
        "--manifest",
        metavar="M",
        default=None,
        help="manifest to check against (e.g. the source's)",
    )
    p.add_argument(
        "--repair-from",
        metavar="GOOD",
        default=None,
        help="rewrite bad chunks from GOOD, which must pass the manifest itself",
    )
    add_threads_arg(p, "reader threads (default 4)")


def run(args: argparse.Namespace) -> int:
    from imgrepl._core import repair, verify
    from imgrepl.cli.common import emit
    from imgrepl.cli.formats import camel_case

    fixed: RepairReport | None = None
    before = verify(args.file, args.manifest, args.threads)
    if args.repair_from is not None and not before.ok:
        fixed = repair(args.file, args.repair_from, args.manifest)
    data = camel_case(_to_dict(before, fixed))  # Azure's style, as every command
    emit(args, data, table=lambda _: _format(before, fixed) + "\n")
    final = fixed.verify if fixed is not None else before
    return 0 if final.ok else 1


def _to_dict(before: VerifyReport, fixed: RepairReport | None) -> dict[str, Any]:
    data = _verify_dict(before)
    if fixed is not None:
        data["repair"] = {
            "chunks_repaired": fixed.chunks_repaired,
            "bytes_repaired": fixed.bytes_repaired,
            "verify": _verify_dict(fixed.verify),
        }
    return data


def _verify_dict(r: VerifyReport) -> dict[str, Any]:
    return {
        "path": r.path,
        "manifest_path": r.manifest_path,
        "ok": r.ok,
        "chunks_checked": r.chunks_checked,
        "bad_ranges": [list(b) for b in r.bad_ranges],
        "size_ok": r.size_ok,
        "size": r.size,
        "expected_size": r.expected_size,
        "seconds": round(r.seconds, 6),
    }


def _describe(r: VerifyReport) -> list[str]:
    if r.ok:
        return [f"{r.path}: ok ({r.chunks_checked} chunks match {r.manifest_path})"]
    lines = [f"{r.path}: MISMATCH against {r.manifest_path}"]
    if not r.size_ok:
        lines.append(f"  size {r.size} bytes, expected {r.expected_size}")
    lines += [f"  bad bytes [{start}, {end})" for start, end in r.bad_ranges]
    return lines


def _format(before: VerifyReport, fixed: RepairReport | None) -> str:
    lines = _describe(before)
    if fixed is not None:
        lines.append(
            f"repaired {fixed.chunks_repaired} chunks ({fixed.bytes_repaired} bytes); after repair:"
        )
        lines += _describe(fixed.verify)
    return "\n".join(lines)
