"""Roles: Reader < Contributor < Owner at gallery or definition level; the
home's owner does everything; everyone else is refused with a clear error."""

from __future__ import annotations

import argparse
import inspect
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from helpers.gallery import OWNER, catalog_state, cli, cli_proc, cli_run, publish, run
from imgrepl import Client
from imgrepl.exceptions import AuthorizationError, ConflictError, NotFoundError, ValidationError
from imgrepl.gallery.rules import Limits
from imgrepl.gallery.scope import ArmId

DEF = {"publisher": "acme", "offer": "os", "sku": "2", "os_type": "Linux"}
SUB = "00000000-0000-0000-0000-000000000000"


def d_id(c: Client) -> str:
    """The ARM id of G/D in the client's subscription."""
    return str(ArmId(c.subscription, "default", "G", "D"))


def as_(home: Path, principal: str) -> Client:
    return Client(home, principal=principal)


def test_nobody_but_the_owner_without_a_grant(definition: Path) -> None:
    async def go() -> None:
        async with as_(definition, "mallory") as c:
            with pytest.raises(AuthorizationError, match=r"'mallory' may not read the gallery"):
                await c.get_gallery("G")
            with pytest.raises(AuthorizationError, match=r"needs role Reader"):
                await c.list_image_versions("G", "D")
            with pytest.raises(AuthorizationError, match=r"needs role Contributor at scope /sub"):
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
            with pytest.raises(ConflictError, match=r"still has 2 image definitions"):
                await c.delete_gallery("G")  # a Contributor may, as in Azure, once it is empty

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
            with pytest.raises(
                AuthorizationError, match=r"galleries/G/images/other and holds no role"
            ):
                await c.get_image_definition("G", "other")
            with pytest.raises(AuthorizationError, match=r"may not read the gallery"):
                await c.get_gallery("G")
            grants = [g.to_azure() for g in await c.list_grants("G", "D")]
            assert ("ed", "Reader") in [(g["principalId"], g["roleDefinitionName"]) for g in grants]
            assert all(g["scope"].endswith("/galleries/G/images/D") for g in grants)
        async with as_(definition, OWNER) as c:
            await c.revoke("dora", "G", "D")
            with pytest.raises(NotFoundError, match=r"no role assignment matches"):
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


def test_cli_role_commands_and_the_caller_from_as_or_env(definition: Path) -> None:
    refused = cli_proc(definition, "sig", "show", "-r", "G", principal="eve")
    assert refused.returncode == 1
    assert "error: principal 'eve' may not read the gallery" in refused.stderr
    roles = ["role", "assignment"]
    G_ID = cli(definition, "sig", "show", "-r", "G")["id"]
    added = cli_proc(
        definition, *roles, "create", "--assignee", "eve", "--role", "Reader", "--scope", G_ID
    )
    assert added.returncode == 0, added.stderr
    shown = cli_proc(definition, "sig", "show", "-r", "G", principal="eve")  # $IMGREPL_PRINCIPAL
    assert shown.returncode == 0 and shown.json()["name"] == "G"
    explicit = cli_run(
        definition, "sig", "update", "-r", "G", "--description", "x", principal="eve"
    )
    assert "needs role Contributor" in explicit.stderr  # --as eve
    listed = cli(definition, *roles, "list", "--scope", G_ID)
    assert [(a["principalId"], a["roleDefinitionName"], a["scope"]) for a in listed] == [
        ("eve", "Reader", G_ID)
    ]
    gone = cli(definition, *roles, "delete", "--assignee", "eve", "--scope", G_ID)
    assert [a["principalId"] for a in gone] == ["eve"]
    assert cli(definition, *roles, "list", "--scope", G_ID) == []
    again = cli_run(definition, "sig", "show", "-r", "G", principal="eve")
    assert again.returncode == 1 and "may not read the gallery" in again.stderr


# Every Client method and the role it needs on G/D (HOME: only the home's owner).
HOME = "HomeOwner"
NEEDS: dict[str, tuple[str, Callable[[Client], Coroutine[Any, Any, Any]]]] = {
    "add_region": (HOME, lambda c: c.add_region("southindia", "/tmp/x")),
    "update_region": (HOME, lambda c: c.update_region("westeurope", agent_served=True)),
    "remove_region": (HOME, lambda c: c.remove_region("eastus")),
    "set_limits": (HOME, lambda c: c.set_limits(Limits())),
    # Contributor at the resource group; the roles below are at G/D: refused
    "create_gallery": ("Contributor", lambda c: c.create_gallery("H", "westeurope")),
    "create_token": (HOME, lambda c: c.create_token("x")),
    "unfinished_versions": (HOME, lambda c: c.unfinished_versions()),
    "list_tokens": (HOME, lambda c: c.list_tokens()),
    "revoke_token": (HOME, lambda c: c.revoke_token("tok-x")),
    "put_gallery": ("Contributor", lambda c: c.put_gallery("H", "westeurope")),
    "list_regions": ("Member", lambda c: c.list_regions()),
    "get_region": ("Member", lambda c: c.get_region("eastus")),
    "get_limits": ("Member", lambda c: c.get_limits()),
    "get_gallery": ("Reader", lambda c: c.get_gallery("G")),
    "list_galleries": ("Reader", lambda c: c.list_galleries()),
    "update_gallery": ("Contributor", lambda c: c.update_gallery("G", {"description": "x"})),
    "delete_gallery": ("Contributor", lambda c: c.delete_gallery("G")),
    "create_image_definition": (
        "Contributor",
        lambda c: c.create_image_definition("G", "E", **DEF),
    ),
    "put_image_definition": (
        "Contributor",
        lambda c: c.put_image_definition("G", "E", **DEF),
    ),
    "get_image_definition": ("Reader", lambda c: c.get_image_definition("G", "D")),
    "list_image_definitions": ("Reader", lambda c: c.list_image_definitions("G")),
    "update_image_definition": (
        "Contributor",
        lambda c: c.update_image_definition("G", "D", {"description": "x"}),
    ),
    "delete_image_definition": ("Contributor", lambda c: c.delete_image_definition("G", "D")),
    "grant": ("Owner", lambda c: c.grant("x", "Reader", "G", "D")),
    "revoke": ("Owner", lambda c: c.revoke("x", "G", "D")),
    "list_grants": ("Reader", lambda c: c.list_grants("G", "D")),
    "create_role_assignment": ("Owner", lambda c: c.create_role_assignment("x", "Reader", d_id(c))),
    "delete_role_assignments": ("Owner", lambda c: c.delete_role_assignments(assignee="rita")),
    "list_role_assignments": ("Reader", lambda c: c.list_role_assignments(scope=d_id(c))),
    "share_gallery": ("Contributor", lambda c: c.share_gallery("G", [SUB])),
    "unshare_gallery": ("Contributor", lambda c: c.unshare_gallery("G", [SUB])),
    "reset_gallery_sharing": ("Contributor", lambda c: c.reset_gallery_sharing("G")),
    "create_image_version": (
        "Contributor",
        lambda c: c.create_image_version("G", "D", "2.0.0", location="westeurope", os_vhd="/x"),
    ),
    "get_image_version": ("Reader", lambda c: c.get_image_version("G", "D", "1.0.0")),
    "list_image_versions": ("Reader", lambda c: c.list_image_versions("G", "D")),
    "update_image_version": (
        "Contributor",
        lambda c: c.update_image_version("G", "D", "1.0.0", end_of_life_date="2040-01-01"),
    ),
    "replicate": ("Contributor", lambda c: c.replicate("G", "D", "1.0.0")),
    "wait_image_version": ("Reader", lambda c: c.wait_image_version("G", "D", "1.0.0")),
    "delete_image_version": ("Contributor", lambda c: c.delete_image_version("G", "D", "1.0.0")),
    "list_replicas": ("Reader", lambda c: c.list_replicas("G", "D", "1.0.0")),
    "verify_image_version": ("Reader", lambda c: c.verify_image_version("G", "D", "1.0.0")),
    "cost": ("Reader", lambda c: c.cost("G", "D", "1.0.0")),
    "create_disk": ("Reader", lambda c: c.create_disk("G/D/1.0.0", "westeurope", "/tmp/nope")),
    "export_version": ("Reader", lambda c: c.export_version("G", "D", "1.0.0", "/tmp/nope")),
    "import_version": (
        "Contributor",
        lambda c: c.import_version("G", "D", "/tmp/nope", location="westeurope"),
    ),
}
RANK = {"Member": 1, "Reader": 1, "Contributor": 2, "Owner": 3, HOME: 4}
# methods that read or change nothing of the home
# in_scope: a client, checked when used; list_shared_galleries: only what a
# share admits the caller to (tests/gallery/test_sharing.py)
EXEMPT = {"close", "recommend_replicas", "in_scope", "list_shared_galleries"}


def test_every_client_method_checks_the_callers_role(definition: Path, image: Path) -> None:
    """Each public method, called by principals holding each role at
    definition level (and by one holding none): refused, naming the
    principal, whenever the role is below what it needs, and nothing changes."""
    public = {
        name
        for name, fn in inspect.getmembers(Client, inspect.isfunction)
        if not name.startswith("_")
    }
    assert public - EXEMPT == set(NEEDS)  # a new method needs a row here

    async def go() -> None:
        async with as_(definition, OWNER) as c:
            await publish(c, image, "westeurope")
            for principal, role in (("rita", "Reader"), ("carl", "Contributor"), ("dora", "Owner")):
                await c.grant(principal, role, "G", "D")
        before = catalog_state(definition)
        for principal, held in (("nobody", 0), ("rita", 1), ("carl", 2), ("dora", 3)):
            async with as_(definition, principal) as c:
                for name, (needed, call) in NEEDS.items():
                    if held >= RANK[needed] or (name == "list_galleries" and held):
                        continue
                    if name == "list_galleries":  # galleries one may not see are left out
                        assert await call(c) == []
                        continue
                    with pytest.raises(AuthorizationError, match=f"principal {principal!r}"):
                        await call(c)
                    assert catalog_state(definition) == before, (principal, name)

    run(go())


def _leaf_commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[Any]:
    """(argv words, parser) of every runnable command below `parser`."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _leaf_commands(sub, (*path, name))
    return found or [(path, parser)]


# a value for each required option, by its dest
VALUES = {
    "gallery_name": "G",
    "gallery_image_definition": "D",
    "gallery_image_version": "1.0.0",
    "location": "westeurope",
    "name": "westeurope",
    "store": "/tmp/x",
    "principal_id": "rita",
    "assignee": "rita",
    "id": "tok-x",
    "scope": "/subscriptions/00000000-0000-0000-0000-000000000000",
    "role": "Reader",
    "publisher": "p",
    "offer": "o",
    "sku": "s",
    "os_type": "Linux",
    "image": "G/D/1.0.0",
    "out": "/tmp/nope.vhd",
    "bundle": "/tmp/nope.bundle",
    "concurrent_vms": "10",
}


def test_every_cli_command_refuses_a_principal_without_a_role(definition: Path) -> None:
    from imgrepl.cli import build_parser

    homes = ("region", "sig", "disk", "token", "role")
    commands = [(p, c) for p, c in _leaf_commands(build_parser()) if p[0] in homes]
    # region 5, sig 5 + definitions 5 + versions 12 + share 3, disk 1, token 3, role 3
    assert len(commands) >= 36
    before = catalog_state(definition)
    for words, parser in commands:
        argv = list(words)
        for action in parser._actions:
            if action.required and action.dest != "command":
                flag = action.option_strings[0] if action.option_strings else None
                argv += [flag, VALUES[action.dest]] if flag else [VALUES[action.dest]]
        for dest in parser.get_default("required_defaults") or ():  # given, or configured
            argv += [f"--{dest}", VALUES[dest]]
        result = cli_run(definition, *argv, principal="eve")
        if words in (
            ("sig", "list"),
            ("sig", "recommend-replicas"),
            ("role", "assignment", "list"),
        ):
            assert result.returncode == 0, words  # nothing visible / no data of the home
            continue
        if words == ("role", "assignment", "delete"):  # given nothing to delete
            assert "name the role assignments" in result.stderr
            continue
        assert result.returncode == 1, (words, result)
        assert "principal 'eve' may not" in result.stderr, (words, result.stderr)
    assert catalog_state(definition) == before
