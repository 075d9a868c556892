"""Where a home lives (`--home`, else `$IMGREPL_HOME`, else a per-user default),
what is in it, and the environment variables a process runs it under."""

from __future__ import annotations

import os
from pathlib import Path

ENV_HOME = "IMGREPL_HOME"
# the principal a process acts as (`--as`); background workers inherit it
ENV_PRINCIPAL = "IMGREPL_PRINCIPAL"
CATALOG_FILE = "catalog.db"


def default_home() -> Path:
    """The per-user default, following the XDG base directory convention."""
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "imgrepl"


def resolve_home(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The home directory to use; it is created on first use, not here."""
    if explicit is not None and str(explicit) != "":
        return Path(explicit).expanduser().absolute()
    env = os.environ.get(ENV_HOME)
    if env:
        return Path(env).expanduser().absolute()
    return default_home()


def catalog_path(home: Path) -> Path:
    return home / CATALOG_FILE


def logs_dir(home: Path) -> Path:
    """Background replication workers write their output here."""
    return home / "logs"
