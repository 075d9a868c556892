"""The az output contract: `-o json|jsonc|table|tsv|yaml|yamlc|none` and
`--query` (JMESPath, applied to the JSON shape before formatting, as az does).

Each format follows knack's (the framework az is built on), so scripts written
for az read imgrepl's output unchanged: TSV is values only, one row per list
item, dict keys sorted unless a query chose their order, a nested list
written as its length and a nested object as an empty field; the automatic
table keeps a row's scalar values under capitalised keys.  jmespath, yaml and
pygments are imported only by the format or query that needs them.
"""

from __future__ import annotations

import argparse
import sys
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

FORMATS = ("json", "jsonc", "table", "tsv", "yaml", "yamlc", "none")
SKIP_KEYS = ("id", "type", "etag")  # az's table leaves these out

# A command's own table for its unqueried result: rows (dicts) or finished text
Table = Callable[[Any], "list[dict[str, Any]] | str"]


def compile_query(text: str) -> Any:
    """argparse `type=` for --query: a bad expression is refused before the
    command runs, so it changes nothing."""
    import jmespath
    from jmespath.exceptions import JMESPathError

    try:
        return jmespath.compile(text)
    except JMESPathError as exc:
        message = str(exc).splitlines()[0].removeprefix("Invalid jmespath expression: ")
        message = message.rstrip(": ")
        raise argparse.ArgumentTypeError(f"invalid JMESPath query {text!r}: {message}") from None


def render(data: Any, output: str, query: Any = None, table: Table | None = None) -> str:
    """`data` (the JSON shape) as `output` would print it, after `query`."""
    if query is not None:
        import jmespath

        data = query.search(data, jmespath.Options(dict_cls=OrderedDict))
        table = None  # as in az: a query replaces the command's own table
    if output == "none":
        return ""
    import json

    if output in ("json", "jsonc"):
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        return _colour(text, "json") if output == "jsonc" else text
    if output in ("yaml", "yamlc"):
        import yaml

        plain = json.loads(json.dumps(data))  # safe_dump refuses OrderedDict
        text = yaml.safe_dump(plain, default_flow_style=False, allow_unicode=True, sort_keys=False)
        return _colour(text, "yaml") if output == "yamlc" else text
    if output == "tsv":
        return "".join(_tsv_row(item) + "\n" for item in _as_list(data))
    if table is not None:
        rows = table(data)
        return rows if isinstance(rows, str) else format_rows(rows)
    return format_rows([_auto_row(item, sort=query is None) for item in _as_list(data)])


def _as_list(data: Any) -> list[Any]:
    return data if isinstance(data, list) else [data]


def _colour(text: str, language: str) -> str:
    """Colour on a terminal only; piped, the plain text (as az does).  Pygments'
    terminal colours, as knack uses."""
    if not sys.stdout.isatty():
        return text
    from pygments import highlight
    from pygments.formatters import TerminalFormatter
    from pygments.lexers import get_lexer_by_name

    return str(highlight(text, get_lexer_by_name(language), TerminalFormatter()))


def _tsv_cell(value: Any) -> str:
    if isinstance(value, list):
        return str(len(value))
    if isinstance(value, dict):
        return ""  # keeps the columns aligned when another row has a value here
    return value if isinstance(value, str) else str(value)


def _tsv_row(item: Any) -> str:
    if isinstance(item, OrderedDict):
        values: Sequence[Any] = list(item.values())
    elif isinstance(item, dict):
        values = [v for _, v in sorted(item.items())]
    elif isinstance(item, list):
        values = item
    elif isinstance(item, bool):
        return str(item).lower()
    else:
        return _tsv_cell(item)
    return "\t".join(_tsv_cell(v) for v in values)


def camel_case(data: Any) -> Any:
    """Keys in Azure's style, at every depth: 'virtual_size' -> 'virtualSize'."""
    if isinstance(data, dict):
        return {_camel(k): camel_case(v) for k, v in data.items()}
    if isinstance(data, list):
        return [camel_case(v) for v in data]
    return data


def _camel(key: str) -> str:
    first, *rest = key.split("_")
    return first + "".join(part.capitalize() for part in rest)


def header(path: str) -> str:
    """A column's short name: 'replicationStatus.aggregatedState' -> 'AggregatedState'."""
    last = path.rsplit(".", 1)[-1]
    return last[:1].upper() + last[1:]


def _auto_row(item: Any, *, sort: bool) -> dict[str, Any]:
    if isinstance(item, dict):
        keys = sorted(item) if sort and not isinstance(item, OrderedDict) else list(item)
        return {
            header(k): item[k]
            for k in keys
            if k not in SKIP_KEYS and item[k] is not None and not isinstance(item[k], dict | list)
        }
    if isinstance(item, list):
        return {f"Column{i + 1}": v for i, v in enumerate(item)}
    return {"Result": item}


def pick(row: Any, path: str) -> Any:
    """The value at a dotted path, None where any part is missing."""
    value = row
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def column_rows(data: Any, columns: Sequence[str]) -> list[dict[str, Any]]:
    """One row per item with the values at `columns` (dotted paths) under
    short names; a list of named things shows their names."""
    rows = []
    for item in _as_list(data):
        row = {}
        for path in columns:
            value = pick(item, path)
            if isinstance(value, list):
                value = ", ".join(str(v.get("name", v)) if isinstance(v, dict) else str(v)
                                  for v in value)  # fmt: skip
            row[header(path)] = value
        rows.append(row)
    return rows


def format_rows(rows: Sequence[dict[str, Any]]) -> str:
    """az's table: headers, a rule of dashes, then the rows, columns padded."""
    headers: list[str] = []
    for row in rows:
        headers += [k for k in row if k not in headers]
    if not headers:
        return ""
    cells = [["" if r.get(h) is None else str(r[h]) for h in headers] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    lines = [headers, ["-" * w for w in widths], *cells]
    return "".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() + "\n"
        for line in lines
    )
