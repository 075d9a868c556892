"""The `imgrepl` command.  Starts fast: each subcommand's module is imported
only to register its arguments; heavy imports happen inside its run().

main() is the one place errors become output: every error a command raises
is one `imgrepl COMMAND: error: ...` line on stderr and exit status 1 (argparse
refusals: status 2, against the command's own usage)."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from imgrepl.cli.parser import Parser, add_global_args, commands

# command -> (module under imgrepl.cli with register(subparsers, summary), its summary)
_COMMANDS = {
    "demo": ("demo", "make a sample image and replicate it to local stores"),
    "copy": ("copy", "copy an image to one or more destinations, reading it once"),
    "verify": ("verify", "check a replica against its manifest (and repair it from a good copy)"),
    "inspect": ("inspect", "show the format, sizes and VHD metadata of a disk image"),
    "region": ("region", "manage the home's regions and their stores"),
    "sig": ("sig", "galleries, image definitions and versions (like `az sig`)"),
    "disk": ("disk", "make disks from image versions"),
    "token": ("token", "access tokens that prove a principal to the service"),
    "role": ("role", "role assignments: who may do what, and where (like `az role`)"),
    "agent": ("agent", "run a region agent that replicates where the data lives; list them"),
    "configure": ("config", "set or list defaults, such as the location"),
    "serve": ("serve", "serve the gallery over HTTPS with Azure's ARM API"),
}

# commands whose register() takes the group a command line names, to build it alone
_GROUPED = {"sig"}


GETTING_STARTED = """examples:
  Publish a disk image to three regions (the home is $IMGREPL_HOME or --home):
    imgrepl region add westeurope --store /srv/imgrepl/westeurope
    imgrepl region add eastus --store /srv/imgrepl/eastus
    imgrepl region add northeurope --store s3://bucket/northeurope --zones 3
    imgrepl sig create -r MyGallery -l westeurope
    imgrepl sig image-definition create -r MyGallery -i MyImage \\
        --publisher Contoso --offer Ubuntu --sku 22_04 --os-type Linux
    imgrepl sig image-version create -r MyGallery -i MyImage -e 1.0.0 \\
        -l westeurope --os-vhd disk.vhd --target-regions westeurope=2 eastus \\
        northeurope=1=Standard_ZRS
    imgrepl sig image-version show -r MyGallery -i MyImage -e 1.0.0 \\
        --expand ReplicationStatus

  Set a default region once; commands given no --location use it:
    imgrepl configure --defaults location=westeurope
"""


def build_parser(only: str | None = None, group: str | None = None) -> argparse.ArgumentParser:
    """Every command's parser; given `only`, that command's in full and the
    others as their summaries, enough for `imgrepl --help`: a command starts
    without importing or building the rest.  `group`: the word after `only`,
    for a command of groups (`sig image-version ...`) to build that one alone."""
    parser = Parser(
        prog="imgrepl",
        description="Self-hosted image gallery with a native replication engine, shaped "
        "like `az sig`.  Each command has --help with examples.",
        epilog=GETTING_STARTED,
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, summary) in _COMMANDS.items():
        if only is None or name == only:
            register = importlib.import_module(f"imgrepl.cli.{module}").register
            if name in _GROUPED:
                register(sub, summary, group)
            else:
                register(sub, summary)
        else:
            sub.add_parser(name, help=summary)
    for command in commands(parser):  # every command takes them, in one place
        add_global_args(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    completing = "_ARGCOMPLETE" in os.environ  # a shell asks; see README
    words = [w for w in (sys.argv[1:] if argv is None else argv) if not w.startswith("-")]
    only, group = [*words, "", ""][:2]
    parser = build_parser(None if completing else only, None if completing else group)
    if completing:
        _complete(parser)
    args = parser.parse_args(argv)
    if args.version:
        from imgrepl import __version__

        print(__version__)
        return 0
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    from imgrepl.cli import logs

    logs.configure(args)
    try:
        from imgrepl.cli.config import apply_defaults

        apply_defaults(args)
        with logs.step(f"imgrepl {args.prog}"):
            code = int(args.run(args) or 0)
            sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _reader_left()
    except Exception as exc:
        return failed(args.prog, exc)


def _complete(parser: argparse.ArgumentParser) -> None:
    """Shell completion by argcomplete, when installed (`pip install imgrepl[completion]`);
    imported only here, so it never slows `imgrepl --help`."""
    try:
        import argcomplete
    except ImportError:
        return
    argcomplete.autocomplete(parser)


def failed(prog: str, exc: BaseException) -> int:
    """One line for any error; a traceback only under --debug."""
    from imgrepl.cli.logs import log
    from imgrepl.exceptions import ImgreplError

    known = (ImgreplError, OSError, ValueError, LookupError, TimeoutError)
    message = str(exc) if isinstance(exc, known) else f"unexpected {type(exc).__name__}: {exc}"
    if isinstance(exc, OSError) and exc.strerror and message.startswith("[Errno"):
        # Python's "[Errno 40] Too many levels of symbolic links: 'x'", said plainly
        message = f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    log.debug("traceback", exc_info=exc)
    message = "; ".join(line.strip() for line in message.splitlines() if line.strip())
    print(f"imgrepl {prog}: error: {message or type(exc).__name__}", file=sys.stderr)
    return 1


def _reader_left() -> int:
    """`imgrepl ... | head -1`: the reader has gone, which is no error (az
    exits 0 too).  stdout points at /dev/null from here so Python's final
    flush stays quiet."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout without a descriptor (tests capture it)
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
