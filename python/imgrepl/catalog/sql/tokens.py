"""Access tokens: their public id, principal, lifetime and the hash of their
secret (the secret itself is never stored)."""

from __future__ import annotations

from imgrepl.catalog.sql.session import Row, Session
from imgrepl.exceptions import NotFoundError
from imgrepl.gallery.identity import Token

_COLUMNS = "id, principal, created, expires, revoked"


def _token(row: Row) -> Token:
    revoked = row["revoked"]
    return Token(
        str(row["id"]),
        str(row["principal"]),
        float(row["created"]),
        float(row["expires"]),
        None if revoked is None else float(revoked),
    )


class SqlTokens:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, token: Token, secret_hash: str) -> Token:
        with self._s.write() as db:
            db.execute(
                f"INSERT INTO tokens ({_COLUMNS}, secret_hash) VALUES (?, ?, ?, ?, ?, ?)",
                (token.id, token.principal, token.created, token.expires, token.revoked,
                 secret_hash),
            )  # fmt: skip
        return token

    def find(self, secret_hash: str) -> Token | None:
        with self._s.read() as db:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM tokens WHERE secret_hash = ?", (secret_hash,)
            ).fetchone()
        return None if row is None else _token(row)

    def all(self, principal: str | None = None) -> list[Token]:
        with self._s.read() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM tokens WHERE principal = COALESCE(?, principal) "
                "ORDER BY created, id",
                (principal,),
            ).fetchall()
        return [_token(r) for r in rows]

    def revoke(self, token_id: str, when: float) -> Token:
        with self._s.write() as db:
            db.execute(
                "UPDATE tokens SET revoked = ? WHERE id = ? AND revoked IS NULL", (when, token_id)
            )
            row = db.execute(f"SELECT {_COLUMNS} FROM tokens WHERE id = ?", (token_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"token {token_id!r} not found (see `imgrepl token list`)")
        return _token(row)
