"""The home's settings in the `meta` table: its owner, its default
subscription and its limits."""

from __future__ import annotations

from imgrepl.catalog.sql.session import Db, Session
from imgrepl.gallery.rules import Limits

_LIMITS = ("galleries", "definitions", "versions")


def _meta(db: Db, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


class SqlSettings:
    def __init__(self, session: Session) -> None:
        self._s = session

    def ensure_owner(self, principal: str) -> str:
        with self._s.write() as db:
            owner = _meta(db, "owner")
            if owner is None:
                db.execute("INSERT INTO meta VALUES ('owner', ?)", (principal,))
                owner = principal
            return owner

    def owner(self) -> str | None:
        with self._s.read() as db:
            return _meta(db, "owner")

    def default_subscription(self) -> str:
        """The catalog's own subscription, made once by its migration."""
        with self._s.read() as db:
            return str(_meta(db, "subscription"))

    def limits(self) -> Limits:
        with self._s.read() as db:
            values = {k: int(_meta(db, f"limit.{k}") or getattr(Limits(), k)) for k in _LIMITS}
        return Limits(**values)

    def set_limits(self, limits: Limits) -> None:
        with self._s.write() as db:
            for key in _LIMITS:
                db.execute(
                    "INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = "
                    "excluded.value",
                    (f"limit.{key}", str(getattr(limits, key))),
                )
