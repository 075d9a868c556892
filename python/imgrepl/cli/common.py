"""What the commands share: `--home`, `--catalog`, `--as` and the global arguments, the
runner that opens the home and prints a command's result in the chosen
output format, and KEY=VALUE parsing.

Imported while the parser is built, so only light modules at the top; each
command's run() imports the engine or the client.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from imgrepl.cli.formats import Table, column_rows, render
from imgrepl.cli.output import positive_int
from imgrepl.cli.parser import add_command

if TYPE_CHECKING:
    from imgrepl.api.client import Client


Action = Callable[["Client", argparse.Namespace], Coroutine[Any, Any, Any]]


def add_common(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """`--home`, `--catalog` and `--as`, which every command on a home takes."""
    p.add_argument(
        "--home", help="home directory (default: $IMGREPL_HOME or ~/.local/share/imgrepl)"
    )
    p.add_argument(
        "--catalog",
        metavar="URL",
        help="the catalog: sqlite:///PATH or postgresql://USER@HOST/DB "
        "(default: $IMGREPL_CATALOG, else the home's catalog.db)",
    )
    p.add_argument(
        "--as",
        dest="principal",
        metavar="PRINCIPAL",
        help="act as this principal (default: $IMGREPL_PRINCIPAL or the OS user)",
    )
    return p


def home_command(
    sub: Any,
    name: str,
    action: Action,
    *,
    help: str,
    description: str,
    example: Sequence[tuple[str, str]],
    columns: Sequence[str] | None = None,
) -> argparse.ArgumentParser:
    """A command on the home: `action(client, args)`, its result printed with
    `columns` in a table (or the shape's scalar values)."""
    p = add_command(sub, name, runner(action), help=help, description=description, example=example)
    p.set_defaults(columns=columns)
    return add_common(p)


def add_version_args(p: argparse.ArgumentParser, *, definition: bool = True) -> None:
    p.add_argument("--gallery-name", "-r", required=True, help="gallery name")
    if definition:
        p.add_argument(
            "--gallery-image-definition", "-i", required=True, help="image definition name"
        )


def runner(action: Action) -> Callable[[argparse.Namespace], int]:
    """Runs `action(client, args)` and prints its result; errors go up to main()."""

    def run(args: argparse.Namespace) -> int:
        import asyncio
        import contextlib

        from imgrepl.cli.logs import step

        async def main() -> Any:
            from imgrepl.api.client import Client

            async with contextlib.AsyncExitStack() as stack:
                with step("opening the home"):
                    client = Client(
                        args.home,
                        principal=args.principal,
                        catalog=args.catalog,
                        subscription=getattr(args, "subscription", None),
                        resource_group=getattr(args, "resource_group", None),
                    )
                    await stack.enter_async_context(client)
                with step("running the request"):
                    return await action(client, args)

        result = asyncio.run(main())
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


def emit(
    args: argparse.Namespace,
    result: Any,
    columns: Sequence[str] | None = None,
    table: Table | None = None,
) -> None:
    """`result` in Azure's JSON shape, through --query, in the -o format; a
    table shows `columns` (dotted paths) or the command's own `table`."""
    from imgrepl.cli.logs import step

    cols = columns or (None if table else getattr(args, "columns", None))
    if cols:
        table = lambda data: column_rows(data, cols)  # noqa: E731
    table = table or getattr(args, "table", None)
    with step("formatting the output"):
        text = render(to_json(result), args.output, getattr(args, "query", None), table)
    sys.stdout.write(text)


def key_values(items: Sequence[str] | None, what: str) -> dict[str, str]:
    """`KEY=VALUE ...` as a dict; a malformed item is an error naming it."""
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            from imgrepl.exceptions import ValidationError

            raise ValidationError(f"invalid {what} {item!r}: use KEY=VALUE")
        if key in out:
            from imgrepl.exceptions import ValidationError

            raise ValidationError(f"{what} {key!r} given twice ({out[key]!r} and {value!r})")
        out[key] = value
    return out


def add_threads_arg(p: argparse.ArgumentParser, help: str) -> None:
    p.add_argument("--threads", type=positive_int, default=None, metavar="N", help=help)
