"""Text helpers shared by CLI commands: size arguments, human sizes and the
aligned tables and key/value pairs of the text reports.  Imports nothing
heavy, so command modules may import it at registration time."""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence

_BINARY = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}
_DECIMAL = {"k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12, "p": 10**15}
_SIZE = re.compile(r"^\s*(\d+)\s*([kmgtp]?)(i?)(b?)\s*$", re.IGNORECASE)
_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB")


def parse_size(text: str) -> int:
    """'4MiB' / '4M' -> 4194304, '512KiB' -> 524288, '4MB' -> 4000000,
    '4096' -> 4096.  K/M/G alone are binary (as in rclone and dd)."""
    m = _SIZE.match(text)
    if m is None:
        raise ValueError(
            f"invalid size {text!r}: expected a byte count or a number with a unit "
            "(e.g. 4MiB, 512KiB, 1G)"
        )
    number, prefix, binary, byte = m.groups()
    prefix = prefix.lower()
    if prefix and byte and not binary:  # "4MB": SI units, as disks are sold
        return int(number) * _DECIMAL[prefix]
    if binary and not prefix:
        raise ValueError(f"invalid size {text!r}: 'i' needs a unit prefix (KiB, MiB, ...)")
    return int(number) * _BINARY[prefix]


def size_arg(text: str) -> int:
    """argparse `type=` for sizes."""
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def positive_int(text: str) -> int:
    """argparse `type=` for counts that must be at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid count {text!r}: not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"invalid count {value}: must be at least 1")
    return value


def human_size(n: int) -> str:
    """1536 -> '1.5 KiB'; below 1 KiB the exact byte count."""
    if n < 1024:
        return f"{n} B"
    value = n / 1024
    for unit in _UNITS[:-1]:
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} {_UNITS[-1]}"


def size_and_bytes(n: int) -> str:
    """1536 -> '1.5 KiB (1536 bytes)'."""
    return f"{human_size(n)} ({n} bytes)"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell; the last column is not padded."""
    cells = [list(headers), *[list(r) for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for r in cells:
        padded = [c.ljust(w) for c, w in zip(r[:-1], widths, strict=False)] + [r[-1]]
        lines.append("  ".join(padded).rstrip())
    return "\n".join(lines)


def format_pairs(pairs: Sequence[tuple[str, str]]) -> str:
    """'key  value' lines with the keys aligned."""
    width = max((len(k) for k, _ in pairs), default=0)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in pairs)
