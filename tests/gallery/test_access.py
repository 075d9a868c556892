"""Roles: Reader < Contributor < Owner at gallery or definition level; the
home's owner does everything; everyone else is refused with a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
from gallerykit import OWNER, cli_proc, run
from imgrepl import Client
from imgrepl.exceptions import AuthorizationError, NotFoundError, ValidationError

DEF = {"publisher": "acme", "offer": "os", "sku": "2", "os_type": "Linux"}


def as_(home: Path, principal: str) -> Client:
    return Client(home, principal=principal)


def test_nobody_but_the_owner_without_a_grant(definition: Path) -> None:
    async def go() -> None:
        async with as_(definition, "mallory") as c:
            with pytest.raises(AuthorizationError, match=r"'mallory' may not read the gallery"):
                await c.get_gallery("G")
            with pytest.raises(AuthorizationError, match=r"needs role Reader"):
                await c.list_image_versions("G", "D")
            with pytest.raises(AuthorizationError, match=r"only the home's owner"):
                await c.create_gallery("M", "westeurope")
            with pytest.raises(AuthorizationError, match=r"only the home's owner"):
                await c.add_region("x", "/tmp/x")
            assert await c.list_galleries() == []  # invisible, not an error
            with pytest.raises(AuthorizationError, match=r"needs role Owner"):
                await c.grant("mallory", "Owner", "G")

    run(go())


def test_gallery_level_roles_cover_definitions(definition: Path) -> None:
    async def go() -> None:
        async with as_(definition, OWNER) as c:
            await c.grant("rita", "reader", "G")
            await c.grant("carl", "Contributor", "G")
        async with as_(definition, "rita") as c:
            assert (await c.get_image_definition("G", "D")).name == "D"
            assert [g.name for g in await c.list_galleries()] == ["G"]
            with pytest.raises(AuthorizationError, match=r"needs role Contributor .* holds Reader"):
                await c.update_gallery("G", {"description": "x"})
            with pytest.raises(AuthorizationError, match=r"needs role Contributor"):
                await c.create_image_definition("G", "D2", **DEF)
        async with as_(definition, "carl") as c:
            await c.create_image_definition("G", "D2", **DEF)
            await c.update_gallery("G", {"description": "by carl"})
            with pytest.raises(AuthorizationError, match=r"needs role Owner"):
                await c.grant("rita", "Owner", "G")
            with pytest.raises(AuthorizationError, match=r"needs role Owner"):
                await c.delete_gallery("G")

    run(go())


def test_definition_level_roles_stay_in_their_definition(definition: Path) -> None:
    async def go() -> None:
        async with as_(definition, OWNER) as c:
            await c.create_image_definition("G", "other", **DEF)
            await c.grant("dora", "Owner", "G", "D")
        async with as_(definition, "dora") as c:
            assert (await c.get_image_definition("G", "D")).name == "D"
            assert [d.name for d in await c.list_image_definitions("G")] == ["D"]
            assert [g.name for g in await c.list_galleries()] == ["G"]
            await c.update_image_definition("G", "D", {"description": "mine"})
            await c.grant("ed", "Reader", "G", "D")  # an Owner may share its scope
            with pytest.raises(AuthorizationError, match=r"image definition 'other'"):
                await c.get_image_definition("G", "other")
            with pytest.raises(AuthorizationError, match=r"may not read the gallery"):
                await c.get_gallery("G")
            grants = [g.to_azure() for g in await c.list_grants("G", "D")]
            assert {
                "principalId": "ed",
                "roleDefinitionName": "Reader",
                "scope": "/galleries/G/images/D",
            } in grants
        async with as_(definition, OWNER) as c:
            await c.revoke("dora", "G", "D")
            with pytest.raises(NotFoundError, match=r"'dora' has no role"):
                await c.revoke("dora", "G", "D")
        async with as_(definition, "dora") as c:
            with pytest.raises(AuthorizationError):
                await c.get_image_definition("G", "D")

    run(go())


def test_roles_and_principals_are_validated(definition: Path) -> None:
    async def go() -> None:
        async with as_(definition, OWNER) as c:
            with pytest.raises(ValidationError, match=r"invalid role 'admin'"):
                await c.grant("x", "admin", "G")
            with pytest.raises(ValidationError, match=r"principal"):
                await c.grant("a/b", "Reader", "G")
            assert await c.list_grants("G") == []

    run(go())


def test_cli_checks_the_caller_from_as_or_env(definition: Path) -> None:
    refused = cli_proc(definition, "sig", "show", "-r", "G", principal="eve")
    assert refused.returncode == 1
    assert "error: principal 'eve' may not read the gallery" in refused.stderr
    granted = cli_proc(
        definition, "sig", "share", "add", "-r", "G", "--principal", "eve", "--role", "Reader"
    )
    assert granted.returncode == 0, granted.stderr
    shown = cli_proc(definition, "sig", "show", "-r", "G", principal="eve")
    assert shown.returncode == 0 and '"name": "G"' in shown.stdout
    explicit = cli_proc(definition, "sig", "update", "-r", "G", "--description", "x", "--as", "eve")
    assert "needs role Contributor" in explicit.stderr
