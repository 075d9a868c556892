"""Which catalog a process opens: `--catalog URL` (or `Client(catalog=URL)`),
else $IMGREPL_CATALOG, else the home's `catalog.db`; and a URL as it may be
shown (its password never is)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ENV_CATALOG = "IMGREPL_CATALOG"
SCHEMES = ("sqlite", "postgresql", "postgres")


def resolve_catalog(home: Path, explicit: str | None = None) -> str | Path:
    """The catalog URL to open, or the home whose catalog.db it is."""
    return explicit or os.environ.get(ENV_CATALOG) or home


def redact(url: str) -> str:
    """The URL with its password (if any) replaced by ***."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:  # a port that is not a number: show no part after the scheme
        return url.split("://", 1)[0] + "://***"
    if not password:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


def scrub(text: str, url: str) -> str:
    """An error message with the URL's password taken out, wherever it appears."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return text.replace(url, redact(url))
    return text.replace(password, "***") if password else text
