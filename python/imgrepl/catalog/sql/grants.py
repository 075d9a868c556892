"""Role grants of principals at gallery or image definition level."""

from __future__ import annotations

from imgrepl.catalog.sql.galleries import definition_row, gallery_row, in_scope
from imgrepl.catalog.sql.session import Db, Session
from imgrepl.exceptions import NotFoundError
from imgrepl.gallery.models import Grant
from imgrepl.gallery.scope import ArmId

# the grant rows of one principal on one scope (a NULL definition is the gallery)
_SCOPE = "principal = ? AND gallery_id = ? AND COALESCE(definition_id, 0) = COALESCE(?, 0)"


def _scope_ids(
    db: Db, scope: ArmId | None, gallery: str, definition: str | None
) -> tuple[int, int | None]:
    gid = int(gallery_row(db, scope, gallery)["id"])
    if definition is None:
        return gid, None
    return gid, int(definition_row(db, scope, gallery, definition)["id"])


class SqlGrants:
    def __init__(self, session: Session, scope: ArmId | None = None) -> None:
        self._s = session
        self._scope = scope

    def put(self, grant: Grant) -> Grant:
        with self._s.write() as db:
            gid, did = _scope_ids(db, self._scope, grant.gallery, grant.definition)
            db.execute(f"DELETE FROM grants WHERE {_SCOPE}", (grant.principal, gid, did))
            db.execute(
                "INSERT INTO grants (principal, role, gallery_id, definition_id) "
                "VALUES (?, ?, ?, ?)",
                (grant.principal, grant.role, gid, did),
            )
        return grant

    def remove(self, principal: str, gallery: str, definition: str | None) -> None:
        with self._s.write() as db:
            gid, did = _scope_ids(db, self._scope, gallery, definition)
            cur = db.execute(f"DELETE FROM grants WHERE {_SCOPE}", (principal, gid, did))
            if cur.rowcount == 0:
                scope = gallery + (f"/{definition}" if definition else "")
                raise NotFoundError(f"principal {principal!r} has no role on {scope}")

    def all(self, gallery: str, definition: str | None = None) -> list[Grant]:
        with self._s.read() as db:
            gid, did = _scope_ids(db, self._scope, gallery, definition)
            rows = db.execute(
                "SELECT gr.principal, gr.role, d.name AS definition, g.subscription, "
                "g.resource_group FROM grants gr JOIN galleries g ON g.id = gr.gallery_id "
                "LEFT JOIN definitions d ON d.id = gr.definition_id WHERE gr.gallery_id = ? "
                "AND (gr.definition_id IS NULL OR gr.definition_id = COALESCE(?, gr.definition_id))"
                " ORDER BY d.name IS NOT NULL, d.name, gr.principal",
                (gid, did),
            )
            return [
                Grant(
                    r["principal"],
                    r["role"],
                    gallery,
                    r["definition"],
                    r["subscription"],
                    r["resource_group"],
                )
                for r in rows
            ]

    def roles_of(self, principal: str, gallery: str, definition: str | None) -> list[str]:
        sql, params = in_scope(self._scope)
        with self._s.read() as db:
            # NOCASE: SQLite's, and on PostgreSQL a case-insensitive ICU collation
            rows = db.execute(
                "SELECT gr.role FROM grants gr JOIN galleries g ON g.id = gr.gallery_id "
                "LEFT JOIN definitions d ON d.id = gr.definition_id "
                "WHERE gr.principal = ? AND g.name = ? AND (gr.definition_id IS NULL "
                f"OR (d.name = ? COLLATE NOCASE)){sql}",
                (principal, gallery, definition, *params),
            )
            return [str(r[0]) for r in rows]

    def definitions_granted(self, principal: str, gallery: str) -> list[str]:
        sql, params = in_scope(self._scope)
        with self._s.read() as db:
            rows = db.execute(
                "SELECT d.name FROM grants gr JOIN definitions d ON d.id = gr.definition_id "
                "JOIN galleries g ON g.id = gr.gallery_id WHERE gr.principal = ? "
                f"AND g.name = ?{sql}",
                (principal, gallery, *params),
            )
            return [str(r[0]) for r in rows]

    def has_any(self, principal: str) -> bool:
        with self._s.read() as db:
            row = db.execute(
                "SELECT 1 FROM grants WHERE principal = ? LIMIT 1", (principal,)
            ).fetchone()
        return row is not None
