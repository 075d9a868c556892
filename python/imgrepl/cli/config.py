"""`imgrepl configure`: defaults kept in the home's config file
(`$IMGREPL_HOME/config`, INI like az's `~/.azure/config`, section
`[defaults]`), and how commands take them: an option a command was not given
takes the default of its name (`--location` from `location`, `-g` from
`group`, `--subscription` from `subscription`), as az does.  An environment
variable `IMGREPL_DEFAULTS_<KEY>` (az: `AZURE_DEFAULTS_<KEY>`) beats the file.

    [defaults]
    location = westeurope
    group = prod
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

ENV_CATALOG = "IMGREPL_CATALOG"  # imgrepl.catalog's; not imported: the CLI starts light
SECTION = "defaults"
# defaults imgrepl knows, and the option each fills
KNOWN = {
    "location": "--location",
    "group": "--resource-group",
    "subscription": "--subscription",
    "catalog": "--catalog",
}
# the argparse dest of each default's option
DEST = {
    "location": "location",
    "group": "resource_group",
    "subscription": "subscription",
    "catalog": "catalog",
}


def config_path(home: str | None) -> Path:
    from imgrepl.home import config_path, resolve_home

    return config_path(resolve_home(home))


def apply_defaults(args: argparse.Namespace) -> None:
    """Fills the options in `args.defaultable` (default keys) that were not
    given from the environment or the config file; one still missing and
    required is an error naming it.  The catalog default comes after
    `--catalog` and $IMGREPL_CATALOG."""
    wanted = [k for k in getattr(args, "defaultable", ()) if getattr(args, DEST[k], None) is None]
    if hasattr(args, "catalog") and args.catalog is None and not os.environ.get(ENV_CATALOG):
        wanted.append("catalog")
    if not wanted:
        return
    from imgrepl.home import configured_default, resolve_home

    home = resolve_home(getattr(args, "home", None))
    for key in wanted:
        value = configured_default(home, key)
        if value:
            setattr(args, DEST[key], value)
        elif key in getattr(args, "required_defaults", ()):
            raise ValueError(
                f"{KNOWN[key]} is required: give it, or set a default with "
                f"`imgrepl configure --defaults {key}=VALUE`"
            )


def _defaultable(p: argparse.ArgumentParser, key: str, *, required: bool = False) -> None:
    keys = (*(p.get_default("defaultable") or ()), key)
    needed = (*(p.get_default("required_defaults") or ()), *((key,) if required else ()))
    p.set_defaults(defaultable=keys, required_defaults=needed)


def add_location(p: argparse.ArgumentParser, help: str, *, required: bool) -> None:
    """`--location`/`-l`, which may come from the `location` default."""
    p.add_argument("--location", "-l", help=f"{help} (default: the configured location)")
    _defaultable(p, "location", required=required)


def add_scope(p: argparse.ArgumentParser) -> None:
    """`--subscription` and `-g/--resource-group`, from the `subscription`
    and `group` defaults; with neither, the home's own subscription and the
    resource group `default` (a list without one lists the subscription)."""
    p.add_argument(
        "--subscription",
        metavar="ID",
        help="subscription (a GUID) (default: the configured subscription, else the home's own)",
    )
    p.add_argument(
        "--resource-group",
        "-g",
        metavar="NAME",
        help="resource group (default: the configured group, else `default`; "
        "a list given none lists the whole subscription)",
    )
    _defaultable(p, "subscription")
    _defaultable(p, "group")


def _configure(args: argparse.Namespace) -> int:
    from imgrepl.cli.common import emit, key_values
    from imgrepl.gallery.scope import resource_group_name, subscription_id
    from imgrepl.home import read_config

    path = config_path(args.home)
    config = read_config(path)
    changes = key_values(args.defaults, "--defaults item")
    unknown = sorted(set(changes) - set(KNOWN))
    if unknown:
        raise ValueError(f"unknown default {unknown[0]!r}: imgrepl knows {', '.join(KNOWN)}")
    # checked before anything is written: a bad default would fail every command
    if changes.get("subscription"):
        changes["subscription"] = subscription_id(changes["subscription"])
    if changes.get("group"):
        resource_group_name(changes["group"])
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
        "az's ~/.azure/config).  A command that takes --location, --resource-group or "
        "--subscription and is not given it uses the configured location, group or "
        "subscription.  IMGREPL_DEFAULTS_LOCATION, IMGREPL_DEFAULTS_GROUP and "
        "IMGREPL_DEFAULTS_SUBSCRIPTION override the file.  `KEY=` clears a default.",
        example=[
            ("Use West Europe unless a command says otherwise.",
             "imgrepl configure --defaults location=westeurope"),
            ("Work in resource group prod of a subscription.",
             "imgrepl configure --defaults group=prod "
             "subscription=00000000-0000-0000-0000-000000000001"),
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
