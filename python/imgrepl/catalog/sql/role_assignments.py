"""Role assignments: a principal's role at an ARM scope.  `scope_key` is
the scope's parts folded for comparison, each followed by '/', so the
assignments at or below a scope are those whose key starts with its key."""

from __future__ import annotations

from imgrepl.catalog.sql.session import Row, Session
from imgrepl.exceptions import NotFoundError
from imgrepl.gallery.access import RoleAssignment
from imgrepl.gallery.scope import ArmId

_COLUMNS = "id, principal, role, scope"


def scope_key(scope: ArmId) -> str:
    return "".join(f"{part}/" for part in scope.key())


def _assignment(row: Row) -> RoleAssignment:
    return RoleAssignment(
        str(row["id"]), str(row["principal"]), str(row["role"]), ArmId.parse(row["scope"])
    )


class SqlRoleAssignments:
    def __init__(self, session: Session) -> None:
        self._s = session

    def create(self, assignment: RoleAssignment) -> RoleAssignment:
        a = assignment
        with self._s.write() as db:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM role_assignments WHERE principal = ? AND role = ? "
                "AND scope_key = ?",
                (a.principal, a.role, scope_key(a.scope)),
            ).fetchone()
            if row is not None:  # as az: assigning it again gives the existing one
                return _assignment(row)
            db.execute(
                f"INSERT INTO role_assignments ({_COLUMNS}, scope_key) VALUES (?, ?, ?, ?, ?)",
                (a.id, a.principal, a.role, str(a.scope), scope_key(a.scope)),
            )
        return a

    def all(self, principal: str | None = None) -> list[RoleAssignment]:
        with self._s.read() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM role_assignments WHERE principal = COALESCE(?, principal)"
                " ORDER BY scope_key, principal, role",
                (principal,),
            ).fetchall()
        return [_assignment(r) for r in rows]

    def delete(self, assignment_id: str) -> None:
        with self._s.write() as db:
            cur = db.execute("DELETE FROM role_assignments WHERE id = ?", (assignment_id,))
        if cur.rowcount == 0:
            raise NotFoundError(f"role assignment {assignment_id!r} not found")

    def delete_under(self, scope: ArmId) -> int:
        key = scope_key(scope)
        with self._s.write() as db:
            cur = db.execute(
                "DELETE FROM role_assignments WHERE substr(scope_key, 1, ?) = ?", (len(key), key)
            )
        return int(cur.rowcount)
