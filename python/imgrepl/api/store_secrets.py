"""Store secrets kept out of the catalog, so that a catalog backup, dump or
PostgreSQL catalog never holds one.

A store option is a secret by its key (SECRET_KEYS, or a key naming a
secret, password, token or credential).  Its value is either a reference
resolved each time the region's options go to the engine, `env:NAME` (an
environment variable) or `file:PATH` (a file's text, without its final
newline), or the secret itself: that goes to `<home>/secrets.json` (0600,
region -> key -> value) and the catalog row holds only STORED in its place.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from imgrepl.catalog import Catalog
from imgrepl.exceptions import ValidationError
from imgrepl.files import NotRegularFileError, read_regular
from imgrepl.gallery.models import Region
from imgrepl.home import secrets_path

SECRET_KEYS = frozenset(
    {"secret_access_key", "access_key", "sas_token", "session_token", "client_secret",
     "password", "account_key", "sas_key", "token", "bearer_token"}
)  # fmt: skip
_SECRET_WORDS = ("secret", "password", "token", "credential")
STORED = "stored:secrets.json"  # what the catalog keeps in place of a secret


def is_secret(key: str) -> bool:
    k = key.lower()
    return k in SECRET_KEYS or any(word in k for word in _SECRET_WORDS)


def split(options: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(what the catalog keeps, the secrets for the secrets file): literal
    secret values are replaced by STORED; references stay as they are."""
    kept, secrets = {}, {}
    for key, value in options.items():
        if is_secret(key) and value != STORED and not value.startswith(("env:", "file:")):
            kept[key], secrets[key] = STORED, value
        else:
            kept[key] = value
    return kept, secrets


def resolve_references(options: Mapping[str, str]) -> dict[str, str]:
    """The options with every `env:`/`file:` secret reference replaced by
    its value; an unset variable or unreadable file is a ValidationError
    naming the key and the reference (never a value)."""
    return {k: _dereference(k, v) if is_secret(k) else v for k, v in options.items()}


def _dereference(key: str, value: str) -> str:
    if value.startswith("env:"):
        found = os.environ.get(value[4:])
        if found is None:
            raise ValidationError(f"store option {key}: environment variable {value[4:]} is unset")
        return found
    if value.startswith("file:"):
        try:
            data = read_regular(Path(value[5:]).expanduser())
            return data.decode("utf-8").removesuffix("\n")
        except NotRegularFileError as exc:
            raise ValidationError(f"store option {key}: {exc}") from None
        except OSError as exc:
            raise ValidationError(
                f"store option {key}: {value[5:]} cannot be read: {exc.strerror}"
            ) from None
        except UnicodeDecodeError:
            raise ValidationError(f"store option {key}: {value[5:]} is not UTF-8 text") from None
    return value


def engine_options(home: Path, region: Region) -> dict[str, str]:
    """A recorded region's options as the engine needs them.  A secret that
    cannot be found keeps its reference as its value, with a warning on
    stderr: that region's store then fails alone (its error names the
    store), never the others, and opening the home still works."""
    stored = _load(home).get(region.name, {})
    out = dict(region.store_options)
    for key, value in region.store_options.items():
        if not is_secret(key):
            continue
        try:
            if value == STORED and key not in stored:
                raise ValidationError(f"store option {key}: not in {secrets_path(home)}")
            out[key] = _dereference(key, stored[key] if value == STORED else value)
        except ValidationError as exc:
            print(f"imgrepl: warning: region {region.name!r}: {exc}", file=sys.stderr)
    return out


def region_options(home: Path, region: Region) -> dict[str, str]:
    """A region's options for the engine, every secret resolved from this
    process's environment or `<home>/secrets.json`; a missing one is a
    ValidationError naming the key (a region agent is given only its own
    region's secrets, and learns here which stores it can use)."""
    stored = _load(home).get(region.name, {})
    out = dict(region.store_options)
    for key, value in region.store_options.items():
        if is_secret(key):
            if value == STORED and key not in stored:
                raise ValidationError(f"store option {key}: not in {secrets_path(home)}")
            out[key] = _dereference(key, stored[key] if value == STORED else value)
    return out


def engine_stores(home: Path, catalog: Catalog) -> dict[str, dict[str, str]]:
    """Every region's store URL -> its options for the engine, after moving
    the secrets an older catalog holds in plain text to the secrets file."""
    regions = catalog.regions.all()
    for i, region in enumerate(regions):
        kept, secrets = split(region.store_options)
        if secrets:
            save(home, region.name, _load(home).get(region.name, {}) | secrets)
            catalog.regions.set_store_options(region.name, kept)
            regions[i] = dataclasses.replace(region, store_options=kept)
            print(
                f"imgrepl: warning: region {region.name!r}: secret store options moved "
                f"from the catalog to {secrets_path(home)}",
                file=sys.stderr,
            )
    return {r.store: engine_options(home, r) for r in regions}


def save(home: Path, region: str, secrets: Mapping[str, str]) -> None:
    """Records (or with no secrets, forgets) a region's secrets: written to
    a 0600 temporary file, then renamed over the old one, under a lock so
    two processes adding regions at once both keep theirs.  With nothing to
    record and no secrets file, the home is not touched (a catalog elsewhere
    never creates it)."""
    if not secrets and not secrets_path(home).exists():
        return
    from imgrepl.home import private_home

    private_home(home, catalog=False)  # the secrets file is private from its first byte
    with _locked(home):
        every = _load(home)
        if every.pop(region, None) is None and not secrets:
            return  # nothing to record or forget
        if secrets:
            every[region] = dict(secrets)
        path = secrets_path(home)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(every, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)


@contextlib.contextmanager
def _locked(home: Path) -> Iterator[None]:
    fd = os.open(home / ".secrets.lock", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _load(home: Path) -> dict[str, dict[str, str]]:
    try:  # a FIFO in its place is refused, never waited on
        data = json.loads(read_regular(secrets_path(home)))
    except FileNotFoundError:
        return {}
    return data if isinstance(data, dict) else {}
