"""Where a home lives (`--home`, else `$IMGREPL_HOME`, else a per-user default),
what is in it, the environment variables a process runs it under, and
keeping it private: the home and every directory in it 0700, every file
0600 (the home's owner is the principal it trusts: DESIGN.md, Access)."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    import configparser

ENV_HOME = "IMGREPL_HOME"
# the principal a process acts as (`--as`); background workers inherit it
ENV_PRINCIPAL = "IMGREPL_PRINCIPAL"
CATALOG_FILE = "catalog.db"
# defaults (`imgrepl configure --defaults`): the config file's [defaults]
# section, each overridden by $IMGREPL_DEFAULTS_<KEY> (az: AZURE_DEFAULTS_GROUP)
CONFIG_FILE = "config"
DEFAULTS_SECTION = "defaults"
ENV_DEFAULTS_PREFIX = "IMGREPL_DEFAULTS_"


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


def config_path(home: Path) -> Path:
    return home / CONFIG_FILE


def read_config(path: Path) -> configparser.ConfigParser:
    """The config file's settings; none when it does not exist."""
    import configparser

    from imgrepl.files import NotRegularFileError, read_regular

    config = configparser.ConfigParser()
    try:  # a FIFO planted in the home is refused, never waited on by every command
        text = read_regular(path).decode("utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return config
    except NotRegularFileError as exc:
        raise ValueError(f"config file {exc}") from None
    except OSError as exc:
        raise ValueError(f"config file {path}: cannot be read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ValueError(f"config file {path}: not UTF-8 text") from None
    try:
        config.read_string(text, source=str(path))
    except configparser.Error as exc:
        raise ValueError(f"{path}: not a valid config file: {exc.message}") from None
    return config


def configured_default(home: Path, key: str) -> str | None:
    """A default: `$IMGREPL_DEFAULTS_<KEY>`, else the config file's; None
    when neither gives one (an empty value clears it)."""
    env = os.environ.get(ENV_DEFAULTS_PREFIX + key.upper())
    if env is not None:
        return env.strip() or None
    value = read_config(config_path(home)).get(DEFAULTS_SECTION, key, fallback="")
    return value.strip() or None


def logs_dir(home: Path) -> Path:
    """Background replication workers write their output here."""
    return home / "logs"


def secrets_path(home: Path) -> Path:
    """Store secrets given at `region add`, kept out of the catalog (0600)."""
    return home / "secrets.json"


def private_home(home: Path, *, catalog: bool = True) -> None:
    """Creates the home 0700 and, when the catalog lives there, an empty
    catalog file 0600 (SQLite then makes its -wal and -shm files with the
    same mode); an existing home
    whose directories or files other users could read is made private,
    with a warning on stderr naming how many paths were fixed."""
    try:
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        from imgrepl.exceptions import ValidationError  # loads the engine: only here

        raise ValidationError(
            f"home {home} is not a directory, nor a path where one can be made"
        ) from None
    path = catalog_path(home)
    if catalog and not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    fixed = [p for p in [home, *home.rglob("*")] if _make_private(p)]
    if fixed:
        print(
            f"imgrepl: warning: home {home} was open to other users ({len(fixed)} paths, "
            "e.g. " + str(fixed[0]) + "); made private: directories 0700, files 0600",
            file=sys.stderr,
        )


def _make_private(path: Path) -> bool:
    """Takes group and other permissions away; True if there were any.
    Symbolic links are left alone (their mode means nothing)."""
    try:
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode) or not st.st_mode & 0o077:
            return False
        os.chmod(path, stat.S_IMODE(st.st_mode) & 0o700)
    except FileNotFoundError:  # gone meanwhile (a temporary file)
        return False
    return True


def open_private(path: Path) -> BinaryIO:
    """A file in the home, created 0600, to append to (logs)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")
