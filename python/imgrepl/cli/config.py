"""`imgrepl configure`: defaults kept in the home's config file
(`$IMGREPL_HOME/config`, INI like az's `~/.azure/config`, section
`[defaults]`), and how commands take them: an option a command was not given
takes the default of its name (`--location` from `location`), as az does.

    [defaults]
    location = westeurope
    catalog = postgresql://imgrepl@db.example.com/imgrepl

The catalog default comes after `--catalog` and $IMGREPL_CATALOG; a
password in it is never listed (prefer ~/.pgpass or $PGPASSWORD anyway).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imgrepl.cli.common import add_common
from imgrepl.cli.parser import add_command

if TYPE_CHECKING:
    import configparser

CONFIG_FILE = "config"
ENV_CATALOG = "IMGREPL_CATALOG"  # imgrepl.catalog's; not imported: the CLI starts light
SECTION = "defaults"
# defaults imgrepl knows, and the option each fills
KNOWN = {"location": "--location", "catalog": "--catalog"}


def config_path(home: str | None) -> Path:
    from imgrepl.home import resolve_home

    return resolve_home(home) / CONFIG_FILE


def _read(path: Path) -> configparser.ConfigParser:
    """The config file's settings; none when it does not exist."""
    import configparser

    config = configparser.ConfigParser()
    try:
        config.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise ValueError(f"{path}: not a valid config file: {exc.message}") from None
    return config


def apply_defaults(args: argparse.Namespace) -> None:
    """Fills the options in `args.defaultable` that were not given from the
    config file; one still missing and required is an error naming it."""
    wanted = [d for d in getattr(args, "defaultable", ()) if getattr(args, d, None) is None]
    if hasattr(args, "catalog") and args.catalog is None and not os.environ.get(ENV_CATALOG):
        wanted.append("catalog")
    if not wanted:
        return
    config = _read(config_path(getattr(args, "home", None)))
    for dest in wanted:
        value = config.get(SECTION, dest, fallback="")
        if value:
            setattr(args, dest, value)
        elif dest in getattr(args, "required_defaults", ()):
            raise ValueError(
                f"{KNOWN[dest]} is required: give it, or set a default with "
                f"`imgrepl configure --defaults {dest}=VALUE`"
            )


def add_location(p: argparse.ArgumentParser, help: str, *, required: bool) -> None:
    """`--location`/`-l`, which may come from the `location` default."""
    p.add_argument("--location", "-l", help=f"{help} (default: the configured location)")
    p.set_defaults(defaultable=("location",), required_defaults=("location",) if required else ())


def _configure(args: argparse.Namespace) -> int:
    from imgrepl.cli.common import emit, key_values

    path = config_path(args.home)
    config = _read(path)
    changes = key_values(args.defaults, "--defaults item")
    unknown = sorted(set(changes) - set(KNOWN))
    if unknown:
        raise ValueError(f"unknown default {unknown[0]!r}: imgrepl knows {', '.join(KNOWN)}")
    if changes:
        if not config.has_section(SECTION):
            config.add_section(SECTION)
        for key, value in changes.items():
            if value:
                config.set(SECTION, key, value)
            else:  # `key=` clears it, as in az
                config.remove_option(SECTION, key)
        _write(path, config)
    if args.list_defaults or not changes:
        items = config.items(SECTION) if config.has_section(SECTION) else []
        emit(args, [{"name": k, "source": str(path), "value": _shown(k, v)} for k, v in items])
    return 0


def _shown(key: str, value: str) -> str:
    if key != "catalog":
        return value
    from imgrepl.catalog.urls import redact

    return redact(value)


def _write(path: Path, config: configparser.ConfigParser) -> None:
    """Atomically, private to the home's owner like everything in the home."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        config.write(f)
    os.replace(tmp, path)


def register(sub: Any, summary: str) -> None:
    p = add_command(
        sub,
        "configure",
        _configure,
        help=summary,
        description="Keep defaults in the home's config file ($IMGREPL_HOME/config, INI like "
        "az's ~/.azure/config).  A command that takes --location and is not given it uses "
        "the configured location.  `KEY=` clears a default.",
        example=[
            ("Use West Europe unless a command says otherwise.",
             "imgrepl configure --defaults location=westeurope"),
            ("List the defaults.", "imgrepl configure --list-defaults"),
            ("Clear the location default.", "imgrepl configure --defaults location="),
        ],
    )  # fmt: skip
    p.add_argument(
        "--defaults",
        nargs="+",
        action="extend",
        metavar="KEY=VALUE",
        help=f"defaults to set ({', '.join(KNOWN)}); KEY= clears one",
    )
    p.add_argument("--list-defaults", action="store_true", help="list the defaults")
    add_common(p)  # --as too, accepted as by every command on a home
    p.set_defaults(columns=["name", "value", "source"])
