"""A catalog made before role assignments keeps its roles: each grant row
(a role on a gallery or definition) becomes an assignment at the ARM id of
its scope, and the grants table goes."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.gallery import OWNER, catalog_of, run
from imgrepl import Client
from imgrepl.catalog import ENV_CATALOG, schema
from imgrepl.exceptions import AuthorizationError
from imgrepl.gallery.identity import Identity


def test_grants_become_role_assignments(
    home: Path,
    tmp_path: Path,
    catalog_url: str | None,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if catalog_url is not None:  # an empty database, not the migrated template
        server = request.getfixturevalue("postgres")
        server.sql("CREATE DATABASE before_roles")
        monkeypatch.setenv(ENV_CATALOG, server.url("before_roles"))
    roles_at = next(i for i, m in enumerate(schema.MIGRATIONS) if schema.ROLE_ASSIGNMENTS in m)
    with monkeypatch.context() as m:  # a catalog of the schema before role assignments
        m.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:roles_at])
        home.mkdir(mode=0o700)
        old = catalog_of(home)
        with old.session.write() as db:  # type: ignore[attr-defined]
            db.execute("INSERT INTO meta VALUES ('owner', ?)", (OWNER,))
            db.execute("INSERT INTO regions (name, display_name, store) VALUES "
                       "('westeurope', 'West Europe', ?)", (f"file://{tmp_path}/s",))  # fmt: skip
            db.execute(
                "INSERT INTO galleries (id, subscription, resource_group, name, location, "
                "unique_name) SELECT 7, value, 'Team-A', 'G', 'westeurope', 'u' FROM meta "
                "WHERE key = 'subscription'"
            )
            db.execute(
                "INSERT INTO definitions (id, gallery_id, name, publisher, offer, sku, os_type, "
                "os_state, hyper_v_generation, architecture) VALUES "
                "(3, 7, 'D', 'p', 'o', 's', 'Linux', 'Generalized', 'V2', 'x64')"
            )
            db.execute("INSERT INTO grants (principal, role, gallery_id, definition_id) VALUES "
                       "('rita', 'Reader', 7, NULL), ('dora', 'Owner', 7, 3)")  # fmt: skip
        old.close()

    async def go() -> None:
        async with Client(home, principal=OWNER, resource_group="team-a") as c:
            found = {(a.principal, a.role, str(a.scope)) for a in await c.list_role_assignments()}
            gallery = (await c.get_gallery("G")).to_azure()["id"]
            assert "/resourceGroups/Team-A/" in gallery
            assert found == {("rita", "Reader", gallery), ("dora", "Owner", f"{gallery}/images/D")}
            names = [a.id for a in await c.list_role_assignments()]
            assert len(set(names)) == 2 and all(len(n) == 36 and n[14] == "4" for n in names)
        async with Client(home, identity=Identity("rita", "token"), resource_group="Team-A") as c:
            assert (await c.get_image_definition("G", "D")).name == "D"
            with pytest.raises(AuthorizationError, match="needs role Contributor"):
                await c.update_gallery("G", {"description": "x"})
        async with Client(home, identity=Identity("dora", "token"), resource_group="Team-A") as c:
            await c.update_image_definition("G", "D", {"description": "mine"})
            with pytest.raises(AuthorizationError, match="may not read the gallery"):
                await c.get_gallery("G")

    run(go())
    catalog = catalog_of(home)
    try:
        with catalog.session.read() as db, pytest.raises(Exception, match="grants"):  # type: ignore[attr-defined]
            db.execute("SELECT * FROM grants")
    finally:
        catalog.close()
