"""Role assignments as Azure's: a role at a subscription, resource group,
gallery or image definition holds there and below; every call checks them
through scope containment; no role is 403 AuthorizationFailed naming the
principal, the action and the scope, and changes nothing.  Principals
proven by a token get their assignments and nothing more."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers.gallery import OWNER, catalog_of, catalog_state, cli, cli_run, run
from imgrepl import Client
from imgrepl.api.identity import Authenticator
from imgrepl.exceptions import AuthorizationError, NotFoundError, ValidationError
from imgrepl.gallery.identity import Identity

DEF = {"publisher": "acme", "offer": "os", "sku": "2", "os_type": "Linux"}
OTHER_SUB = "11111111-2222-3333-4444-555555555555"


def scopes(home: Path) -> dict[str, str]:
    """The ARM ids of G, of D, of their resource group and subscription."""
    gallery: str = cli(home, "sig", "show", "-r", "G")["id"]
    group = gallery.split("/providers/")[0]
    return {
        "subscription": "/".join(group.split("/")[:3]),
        "group": group,
        "gallery": gallery,
        "definition": f"{gallery}/images/D",
    }


def assign(home: Path, who: str, role: str, scope: str) -> Any:
    return cli(home, "role", "assignment", "create", "--assignee", who, "--role", role,
               "--scope", scope)  # fmt: skip


def proven(home: Path, principal: str) -> Client:
    """A client acting as `principal`, proven by a token made for it."""
    secret = cli(home, "token", "create", "--principal", principal)["token"]
    catalog = catalog_of(home)
    try:
        identity = Authenticator(catalog).check(f"Bearer {secret}")
    finally:
        catalog.close()
    return Client(home, identity=identity)


def test_roles_hold_at_their_scope_and_below(definition: Path) -> None:
    s = scopes(definition)
    who = {p: proven(definition, p) for p in ("rita", "carl", "dora", "ed")}
    assign(definition, "rita", "reader", s["subscription"])
    assign(definition, "carl", "Contributor", s["group"])
    assign(definition, "dora", "Owner", s["gallery"])
    made = assign(definition, "ed", "Reader", s["definition"])
    assert made["scope"] == s["definition"] and made["roleDefinitionName"] == "Reader"
    assert made["id"] == f"{s['definition']}/providers/Microsoft.Authorization/roleAssignments/" + (
        made["name"])  # fmt: skip
    assert assign(definition, "ed", "Reader", s["definition"].upper())["name"] == made["name"]

    async def go() -> None:
        async with who["rita"] as c:
            assert (await c.get_image_definition("G", "D")).name == "D"
            with pytest.raises(AuthorizationError, match=r"needs role Contributor at scope"):
                await c.update_gallery("G", {"description": "x"})
        async with who["carl"] as c:
            await c.create_image_definition("G", "E", **DEF)
            await c.update_gallery("G", {"description": "by carl"})
            with pytest.raises(AuthorizationError, match=r"may not assign roles"):
                await c.create_role_assignment("x", "Reader", s["gallery"])
        async with who["dora"] as c:
            await c.create_role_assignment("fay", "Reader", s["definition"])
            with pytest.raises(AuthorizationError, match=r"needs role Owner at scope /sub"):
                await c.create_role_assignment("x", "Reader", s["group"])  # above its scope
        async with who["ed"] as c:
            assert [d.name for d in await c.list_image_definitions("G")] == ["D"]
            assert [g.name for g in await c.list_galleries()] == ["G"]
            with pytest.raises(AuthorizationError, match=r"may not read the image definition"):
                await c.get_image_definition("G", "E")
            with pytest.raises(AuthorizationError, match=r"may not read the gallery"):
                await c.get_gallery("G")

    run(go())
    listed = cli(definition, "role", "assignment", "list")
    assert {(a["principalName"], a["roleDefinitionName"]) for a in listed} == {
        ("rita", "Reader"), ("carl", "Contributor"), ("dora", "Owner"), ("ed", "Reader"),
        ("fay", "Reader"),
    }  # fmt: skip
    at_gallery = cli(definition, "role", "assignment", "list", "--scope", s["gallery"])
    assert {a["principalName"] for a in at_gallery} == {"dora", "ed", "fay"}
    inherited = cli(definition, "role", "assignment", "list", "--scope", s["gallery"],
                    "--include-inherited", "--assignee", "carl")  # fmt: skip
    assert [a["principalName"] for a in inherited] == ["carl"]


def test_a_token_whose_roles_are_in_another_subscription_gets_403(definition: Path) -> None:
    s = scopes(definition)
    assign(definition, "eve", "Owner", f"/subscriptions/{OTHER_SUB}")
    who = {"eve": proven(definition, "eve")}
    before = catalog_state(definition)

    async def go() -> None:
        async with who["eve"] as c:
            with pytest.raises(AuthorizationError) as caught:
                await c.get_gallery("G")
            message = str(caught.value)
            assert caught.value.code == "AuthorizationFailed" and caught.value.status == 403
            assert "'eve' may not read the gallery" in message and s["gallery"] in message
            for write in (
                c.update_gallery("G", {"description": "x"}),
                c.create_image_definition("G", "E", **DEF),
                c.delete_image_definition("G", "D"),
                c.create_role_assignment("eve", "Owner", s["gallery"]),
                c.share_gallery("G", [OTHER_SUB]),
                c.grant("eve", "Owner", "G"),
            ):
                with pytest.raises(AuthorizationError, match="principal 'eve' may not"):
                    await write
            assert await c.list_galleries() == []
            assert [a.principal for a in await c.list_role_assignments()] == ["eve"]

    run(go())
    assert catalog_state(definition) == before


def test_a_reader_cannot_write(definition: Path, image: Path) -> None:
    s = scopes(definition)
    assign(definition, "rita", "Reader", s["gallery"])
    who = {"rita": proven(definition, "rita")}
    before = catalog_state(definition)

    async def go() -> None:
        async with who["rita"] as c:
            assert (await c.get_gallery("G")).name == "G"
            for write in (
                c.update_gallery("G", {"description": "x"}),
                c.delete_gallery("G"),
                c.create_image_definition("G", "E", **DEF),
                c.update_image_definition("G", "D", {"description": "x"}),
                c.create_image_version("G", "D", "1.0.0", location="westeurope", os_vhd=image),
                c.create_role_assignment("rita", "Owner", s["gallery"]),
                c.delete_role_assignments(assignee="rita"),
                c.share_gallery("G", [OTHER_SUB]),
                c.reset_gallery_sharing("G"),
            ):
                with pytest.raises(AuthorizationError, match=r"'rita' may not .* holds Reader"):
                    await write

    run(go())
    assert catalog_state(definition) == before


def test_assignments_are_validated_and_deleted(definition: Path) -> None:
    s = scopes(definition)
    before = catalog_state(definition)
    for args, error in (
        (["--scope", "/subscriptions/nope"], "invalid subscription id 'nope'"),
        (["--scope", "/galleries/G"], "invalid resource id '/galleries/G'"),
        (["--scope", f"{s['definition']}/versions/1.0.0"], "assign roles at a subscription"),
        (["--scope", f"{s['group']}/providers/Microsoft.Compute/galleries/nope"], "'nope' not"),
        (["--scope", f"{s['gallery']}/images/nope"], "G/nope not found"),
        (["--scope", s["gallery"], "--assignee", "a/../b"], "invalid principal"),
    ):
        argv = ["role", "assignment", "create", "--assignee", "bob", "--role", "Reader", *args]
        result = cli_run(definition, *argv)
        assert result.returncode == 1 and error in result.stderr, result.stderr
    bad_role = cli_run(definition, "role", "assignment", "create", "--assignee", "bob",
                       "--role", "Admin", "--scope", s["gallery"])  # fmt: skip
    assert bad_role.returncode == 2 and "invalid choice: 'Admin'" in bad_role.stderr
    assert catalog_state(definition) == before

    one = assign(definition, "bob", "Reader", s["gallery"])
    assign(definition, "bob", "Contributor", s["definition"])
    assign(definition, "amy", "Reader", s["gallery"])
    gone = cli(definition, "role", "assignment", "delete", "--ids", one["id"])
    assert [a["name"] for a in gone] == [one["name"]]
    gone = cli(definition, "role", "assignment", "delete", "--assignee", "bob")
    assert [a["roleDefinitionName"] for a in gone] == ["Contributor"]
    again = cli_run(definition, "role", "assignment", "delete", "--assignee", "bob")
    assert again.returncode == 1 and "no role assignment matches" in again.stderr
    assert [a["principalName"] for a in cli(definition, "role", "assignment", "list")] == ["amy"]


def test_deleting_a_resource_deletes_the_assignments_at_it(definition: Path) -> None:
    s = scopes(definition)
    assign(definition, "ed", "Owner", s["definition"])
    assign(definition, "rita", "Reader", s["subscription"])
    who = {"ed": proven(definition, "ed")}

    async def go() -> None:
        async with Client(definition, principal=OWNER) as c:
            await c.delete_image_definition("G", "D")
            await c.create_image_definition("G", "D", **DEF)  # the same name again
        async with who["ed"] as c:
            with pytest.raises(AuthorizationError):
                await c.get_image_definition("G", "D")

    run(go())
    left = cli(definition, "role", "assignment", "list")
    assert [a["principalName"] for a in left] == ["rita"]


def test_grant_shorthands_and_missing_scopes(definition: Path) -> None:
    async def go() -> None:
        async with Client(definition, principal=OWNER) as c:
            made = await c.grant("rita", "Reader", "G", "D")
            assert str(made.scope).endswith("/galleries/G/images/D")
            assert [a.principal for a in await c.list_grants("G")] == ["rita"]
            await c.revoke("rita", "G", "D")
            with pytest.raises(NotFoundError, match="no role assignment matches"):
                await c.revoke("rita", "G", "D")
            with pytest.raises(NotFoundError, match="'nope' not found"):
                await c.grant("rita", "Reader", "nope")
            with pytest.raises(ValidationError, match="invalid role"):
                await c.grant("rita", "Admin", "G")
        async with Client(definition, identity=Identity("mallory", "token")) as c:
            # to a caller without a role, a gallery that does not exist looks like one it
            # may not see: the refusal tells nothing
            for name in ("G", "nope"):
                with pytest.raises(AuthorizationError, match="may not list role assignments"):
                    await c.list_grants(name)

    run(go())


def test_what_is_not_there_is_404_to_those_who_may_look_and_403_to_others(
    definition: Path,
) -> None:
    s = scopes(definition)
    assign(definition, "carl", "Contributor", s["group"])
    assign(definition, "ed", "Reader", s["gallery"])

    async def go() -> None:
        async with Client(definition, identity=Identity("carl", "token")) as c:
            with pytest.raises(NotFoundError, match="'nope' not found"):
                await c.get_gallery("nope")
            with pytest.raises(NotFoundError, match="G/nope not found"):
                await c.get_image_definition("G", "nope")
            assert await c.delete_gallery("nope") is False  # ARM's DELETE of what is gone
        async with Client(definition, identity=Identity("ed", "token")) as c:
            with pytest.raises(NotFoundError, match="G/nope not found"):
                await c.get_image_definition("G", "nope")
            for missing in (c.get_gallery("nope"), c.get_image_definition("nope", "D")):
                with pytest.raises(AuthorizationError, match="may not read"):
                    await missing

    run(go())


def test_a_contributor_of_a_resource_group_creates_galleries_there_only(
    definition: Path,
) -> None:
    s = scopes(definition)
    sub = s["subscription"].split("/")[2]
    assign(definition, "carl", "Contributor", f"{s['subscription']}/resourceGroups/team")
    before = catalog_state(definition)

    async def go() -> None:
        carl = Identity("carl", "token")
        async with Client(definition, identity=carl, subscription=sub, resource_group="TEAM") as c:
            made = await c.create_gallery("Mine", "westeurope")
            assert made.resource_group == "TEAM" and (await c.get_gallery("mine")).name == "Mine"
        for group in ("default", "other"):
            async with Client(definition, identity=carl, resource_group=group) as c:
                with pytest.raises(AuthorizationError, match="may not create galleries"):
                    await c.create_gallery("Mine", "westeurope")

    run(go())
    assert len(catalog_state(definition)) == len(before) + 1  # one gallery row, nothing else
