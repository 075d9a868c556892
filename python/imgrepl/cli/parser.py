"""How every command's parser is built: the parser class (an unknown option
is refused by the command that got it, against its own usage), az's global
arguments (`-o`, `--query`, `--only-show-errors`, `--verbose`, `--debug`) and
the helper that gives each command its summary, description and examples.

Imported while `imgrepl --help` runs: light modules only.  Plain argparse
rather than knack (az's framework, itself on argparse): knack would mean
rewriting every command as command loaders with YAML help, and adds some
40 ms of imports (argcomplete among them) to every start; the parts of it
imgrepl needs (output formats, --query, log levels) are small (formats, logs).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

from imgrepl.cli.formats import FORMATS, compile_query

Run = Callable[[argparse.Namespace], int]


EXAMPLES = "examples:"


class _Formatter(argparse.HelpFormatter):
    """Descriptions wrapped to the terminal; examples kept as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith(EXAMPLES):
            return text
        return super()._fill_text(text, width, indent)


class Parser(argparse.ArgumentParser):
    """argparse with examples kept as written, and unknown options reported by
    the command itself rather than by `imgrepl` at the top."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        ns, extras = super().parse_known_args(args, namespace)
        if extras and self._subparsers is None:  # a command, not a group of commands
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return ns, extras


def commands(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every command under `parser`: the parsers without subcommands."""
    if parser._subparsers is None:
        return [parser]
    found = []
    for action in parser._subparsers._group_actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                found += commands(child)
    return found


def add_global_args(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The arguments every az command takes, as az names them, last in its help."""
    g = p.add_argument_group("global arguments")
    g.add_argument(
        "-o",
        "--output",
        type=str.lower,
        choices=FORMATS,
        default="table",
        help="output format (default: table); json, yaml and tsv use Azure's property names",
    )
    g.add_argument(
        "--query",
        type=compile_query,
        metavar="JMESPATH",
        help="JMESPath query applied to the JSON result before formatting, as in az; "
        "e.g. \"[?provisioningState=='Succeeded'].name\"",
    )
    g.add_argument(
        "--only-show-errors", action="store_true", help="print errors only, no warnings or bars"
    )
    g.add_argument("--verbose", action="store_true", help="log each step to stderr")
    g.add_argument(
        "--debug", action="store_true", help="log each step with its timing, and tracebacks"
    )
    p.set_defaults(prog=p.prog.removeprefix("imgrepl "))
    return p


def examples(*pairs: tuple[str, str]) -> str:
    """az-style "Examples" for a command's epilog: what it does, then the
    command, continued with backslashes past 78 columns so it pastes as is."""
    import textwrap

    lines = [EXAMPLES]
    for what, line in pairs:
        lines += textwrap.wrap(what, 78, initial_indent="  ", subsequent_indent="  ")
        lines += _continued(_options(_words(line)), first="    ", then="        ")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _words(line: str) -> list[str]:
    """The line split at spaces outside quotes (a quoted query stays whole)."""
    words: list[str] = []
    word, quote = "", ""
    for ch in line:
        if ch in "'\"" and quote in ("", ch):
            quote = "" if quote else ch
        if ch == " " and not quote:
            words, word = ([*words, word] if word else words), ""
        else:
            word += ch
    return [*words, word] if word else words


def _options(words: list[str]) -> list[str]:
    """An option kept on one line with its first value."""
    out: list[str] = []
    for word in words:
        if out and out[-1].startswith("-") and " " not in out[-1] and not word.startswith("-"):
            out[-1] += " " + word
        else:
            out.append(word)
    return out


def _continued(words: list[str], first: str, then: str, width: int = 78) -> list[str]:
    lines: list[str] = []
    line = first
    for word in words:
        if line.strip() and len(line) + 1 + len(word) + 2 > width:
            lines.append(line + " \\")
            line = then
        line += ("" if not line.strip() else " ") + word
    return [*lines, line]


def add_group(sub: Any, name: str, help: str, description: str) -> Any:
    """A group of commands (`sig`, `image-version`...): its subcommand set."""
    p: argparse.ArgumentParser = sub.add_parser(name, help=help, description=description)
    return p.add_subparsers(dest=f"{name}_command", metavar="COMMAND", required=True)


def choice(*values: str) -> dict[str, Any]:
    """add_argument keywords for an enumerated value: listed in the help and
    matched case-insensitively, as az does, then passed on as written here."""
    canonical = {v.lower(): v for v in values}

    def parse(text: str) -> str:
        return canonical.get(text.lower(), text)  # argparse names a value not listed

    return {"type": parse, "choices": values}


def add_command(
    sub: Any,
    name: str,
    run: Run,
    *,
    help: str,
    description: str,
    example: Sequence[tuple[str, str]],
) -> argparse.ArgumentParser:
    """A command's parser with its one-line summary, description, examples,
    and `run` as what it does (build_parser adds the global arguments)."""
    p: argparse.ArgumentParser = sub.add_parser(
        name, help=help, description=description, epilog=examples(*example)
    )
    p.set_defaults(run=run)
    return p
