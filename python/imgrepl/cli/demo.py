"""`imgrepl demo`: the main job on the embedded default, for a newcomer."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="make a sample image and replicate it to local stores")
    p.add_argument("--dir", default=None, help="work directory (default: a temporary one)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from imgrepl import __version__

    print(f"imgrepl {__version__}: demo not implemented yet")
    return 0
