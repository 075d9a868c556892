"""The `imgrepl` command.  Starts fast: each subcommand's module is imported
only to register its arguments; heavy imports happen inside its run()."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# subcommand name -> module under imgrepl.cli that has register(subparsers)
_COMMANDS = {
    "demo": "demo",
    "copy": "copy",
    "verify": "verify",
    "inspect": "inspect",
    "region": "region",
    "sig": "sig",
    "disk": "disk",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imgrepl",
        description="Self-hosted image gallery with a native replication engine.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _COMMANDS.values():
        importlib.import_module(f"imgrepl.cli.{module}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from imgrepl import __version__

        print(__version__)
        return 0
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
