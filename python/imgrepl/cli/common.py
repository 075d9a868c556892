"""What the commands share while the parser is built: subcommand set-up,
`--home`, `--as`, `-o json|table`, the runner that turns errors into one
clear line, output and progress bars.

Imported while the parser is built, so only light modules at the top; each
command's run() imports the engine or the client.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from imgrepl.cli.output import add_output_arg, error, format_table, positive_int, print_json

if TYPE_CHECKING:
    from imgrepl.api.client import Client
    from imgrepl.replication.replicator import ProgressCallback


def add_common(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument(
        "--home", help="home directory (default: $IMGREPL_HOME or ~/.local/share/imgrepl)"
    )
    p.add_argument(
        "--as",
        dest="principal",
        metavar="PRINCIPAL",
        help="act as this principal (default: $IMGREPL_PRINCIPAL or the OS user)",
    )
    add_output_arg(p)  # -o json: Azure REST property names
    p.set_defaults(prog=p.prog.removeprefix("imgrepl "))
    return p


def add_version_args(p: argparse.ArgumentParser, *, definition: bool = True) -> None:
    p.add_argument("--gallery-name", "-r", required=True, help="gallery name")
    if definition:
        p.add_argument(
            "--gallery-image-definition", "-i", required=True, help="image definition name"
        )


Action = Callable[["Client", argparse.Namespace], Coroutine[Any, Any, Any]]


def runner(action: Action) -> Callable[[argparse.Namespace], int]:
    """Runs `action(client, args)`; prints its result; errors become `error: ...`."""

    def run(args: argparse.Namespace) -> int:
        import asyncio

        from imgrepl.exceptions import ImgreplError

        async def main() -> Any:
            from imgrepl.api.client import Client

            async with Client(args.home, principal=args.principal) as client:
                return await action(client, args)

        try:
            result = asyncio.run(main())
        except (ImgreplError, OSError, TimeoutError) as exc:
            return error(args.prog, exc)
        if result is None:
            return 0
        if isinstance(result, int) and not isinstance(result, bool):
            return result
        emit(args, result)
        return int(getattr(result, "exit_status", 0))

    return run


def to_json(result: Any) -> Any:
    if isinstance(result, list):
        return [to_json(r) for r in result]
    if hasattr(result, "to_azure"):
        return result.to_azure()
    return result


def emit(args: argparse.Namespace, result: Any, columns: Sequence[str] | None = None) -> None:
    """JSON (Azure's shape) with `-o json`; else a table of `columns`."""
    data = to_json(result)
    if args.output == "json":
        print_json(data)
        return
    rows = data if isinstance(data, list) else [data]
    if not rows:
        return
    if not isinstance(rows[0], dict):
        print("\n".join(str(r) for r in rows))
        return
    cols = list(columns or getattr(args, "columns", None) or _scalar_keys(rows[0]))
    print(format_table(cols, [[_cell(r, c) for c in cols] for r in rows]))


def _scalar_keys(row: dict[str, Any]) -> list[str]:
    return [k for k, v in row.items() if not isinstance(v, dict | list) and k not in ("id", "type")]


def _cell(row: dict[str, Any], path: str) -> str:
    value: Any = row
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(str(v.get("name", v)) if isinstance(v, dict) else str(v) for v in value)
    return str(value)


def progress_bars(args: argparse.Namespace) -> tuple[ProgressCallback | None, Callable[[], None]]:
    """Per-region bars on a terminal; nothing in `-o json` or when piped."""
    if args.output == "json" or not sys.stderr.isatty():
        return None, lambda: None
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    bars = Progress(
        TextColumn("{task.description:>14}"),
        BarColumn(),
        DownloadColumn(),
        console=Console(stderr=True),
        transient=False,
    )
    tasks: dict[str, Any] = {}
    bars.start()

    def update(per: dict[str, tuple[int, int]]) -> None:
        for region, (done, total) in per.items():
            if region not in tasks:
                tasks[region] = bars.add_task(region, total=total)
            bars.update(tasks[region], completed=done, total=total)

    return update, bars.stop


def key_values(items: Sequence[str] | None, what: str) -> dict[str, str]:
    """`KEY=VALUE ...` as a dict; a malformed item is an error naming it."""
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            from imgrepl.exceptions import ValidationError

            raise ValidationError(f"invalid {what} {item!r}: use KEY=VALUE")
        out[key] = value
    return out


Run = Callable[[argparse.Namespace], int]


def add_command(
    sub: Any, name: str, run: Run, *, help: str, description: str
) -> argparse.ArgumentParser:
    """The subcommand's parser, with `run` as what it does."""
    p: argparse.ArgumentParser = sub.add_parser(name, help=help, description=description)
    p.set_defaults(run=run)
    return p


def add_threads_arg(p: argparse.ArgumentParser, help: str) -> None:
    p.add_argument("--threads", type=positive_int, default=None, metavar="N", help=help)
