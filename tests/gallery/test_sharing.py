"""`sig share` with Azure's meaning: the gallery's sharingProfile (groups
of subscription and tenant ids); principals in a shared subscription (a
role somewhere in it) or tenant (a JWT's `tid`) may read the gallery and
its images, and nothing more."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from helpers.gallery import OWNER, catalog_state, cli, cli_run, run
from imgrepl import Client
from imgrepl.exceptions import AuthorizationError
from imgrepl.gallery.identity import Identity

SHARED = "11111111-2222-3333-4444-555555555555"
ELSEWHERE = "99999999-2222-3333-4444-555555555555"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
SHARE = ["sig", "share"]


def test_share_add_remove_reset_edit_the_sharing_profile(definition: Path) -> None:
    assert cli(definition, "sig", "show", "-r", "G")["sharingProfile"] == {
        "permissions": "Private",
        "groups": [],
    }
    shared = cli(definition, *SHARE, "add", "-r", "G", "--subscription-ids", SHARED.upper(),
                 ELSEWHERE, "--tenant-ids", TENANT)  # fmt: skip
    assert shared["sharingProfile"] == {
        "permissions": "Groups",
        "groups": [
            {"type": "Subscriptions", "ids": [SHARED, ELSEWHERE]},
            {"type": "AADTenants", "ids": [TENANT]},
        ],
    }
    again = cli(definition, *SHARE, "add", "-r", "G", "--subscription-ids", SHARED)
    assert again["sharingProfile"] == shared["sharingProfile"]  # no duplicates
    fewer = cli(definition, *SHARE, "remove", "-r", "G", "--subscription-ids", ELSEWHERE,
                "--tenant-ids", TENANT)  # fmt: skip
    assert fewer["sharingProfile"]["groups"] == [{"type": "Subscriptions", "ids": [SHARED]}]
    assert cli(definition, "sig", "show", "-r", "G")["sharingProfile"] == fewer["sharingProfile"]
    reset = cli(definition, *SHARE, "reset", "-r", "G")
    assert reset["sharingProfile"] == {"permissions": "Private", "groups": []}


def test_bad_share_requests_change_nothing(definition: Path) -> None:
    before = catalog_state(definition)
    for argv, error in (
        (
            ["add", "-r", "G", "--subscription-ids", SHARED, "nope"],
            "invalid subscription id 'nope'",
        ),
        (["add", "-r", "G", "--tenant-ids", "../x"], "invalid tenant id '../x'"),
        (["add", "-r", "G"], "name what to share with"),
        (["remove", "-r", "G"], "name what to stop sharing with"),
        (["add", "-r", "nope", "--subscription-ids", SHARED], "gallery 'nope' not found"),
    ):
        result = cli_run(definition, *SHARE, *argv)
        assert result.returncode == 1 and error in result.stderr, result.stderr
    reader = cli_run(definition, *SHARE, "add", "-r", "G", "--subscription-ids", SHARED,
                     principal="mallory")  # fmt: skip
    assert reader.returncode == 1 and "'mallory' may not share the gallery" in reader.stderr
    assert catalog_state(definition) == before


def test_principals_in_a_shared_subscription_or_tenant_may_read(
    definition: Path, image: Path
) -> None:
    cli(definition, "role", "assignment", "create", "--assignee", "sam", "--role", "Contributor",
        "--scope", f"/subscriptions/{SHARED}")  # fmt: skip
    sam = Identity("sam", "token")
    tina, tina_elsewhere = Identity("tina", "oidc", TENANT), Identity("tina", "oidc", ELSEWHERE)

    async def reads(identity: Identity) -> bool:
        async with Client(definition, identity=identity) as c:
            try:
                await c.get_gallery("G")
            except AuthorizationError:
                assert await c.list_galleries() == []
                assert await c.list_shared_galleries() == []
                return False
            assert [g.name for g in await c.list_galleries()] == ["G"]
            assert [g.name for g in await c.list_shared_galleries()] == ["G"]
            assert (await c.get_image_definition("G", "D")).name == "D"
            assert await c.list_image_versions("G", "D") == []
            for write in (  # reading is all a share gives
                c.update_gallery("G", {"description": "x"}),
                c.create_image_definition("G", "E", publisher="a", offer="b", sku="c",
                                          os_type="Linux"),
                c.create_image_version("G", "D", "1.0.0", location="westeurope", os_vhd=image),
                c.share_gallery("G", [ELSEWHERE]),
            ):  # fmt: skip
                with pytest.raises(AuthorizationError, match="holds Reader"):
                    await write
            return True

    async def go() -> None:
        assert not await reads(sam) and not await reads(tina)
        async with Client(definition, principal=OWNER) as c:
            await c.share_gallery("G", [SHARED], [TENANT])
        before = catalog_state(definition)
        assert await reads(sam) and await reads(tina)
        assert not await reads(tina_elsewhere) and not await reads(Identity("tina", "token"))
        assert catalog_state(definition) == before
        async with Client(definition, principal=OWNER) as c:
            await c.unshare_gallery("G", [SHARED])
        assert not await reads(sam) and await reads(tina)
        async with Client(definition, principal=OWNER) as c:
            await c.reset_gallery_sharing("G")
        assert not await reads(tina)

    run(go())


def test_concurrent_share_edits_lose_nothing(definition: Path) -> None:
    """Eight clients each add a subscription at once: every one is kept
    (each edit reads and writes the profile in one transaction)."""
    subs = [f"{n:08d}-0000-4000-8000-000000000000" for n in range(8)]

    async def add(sub: str) -> None:
        async with Client(definition, principal=OWNER) as c:
            await c.share_gallery("G", [sub])

    async def go() -> None:
        await asyncio.gather(*(add(s) for s in subs))

    run(go())
    groups = cli(definition, "sig", "show", "-r", "G")["sharingProfile"]["groups"]
    assert groups == [{"type": "Subscriptions", "ids": groups[0]["ids"]}]
    assert sorted(groups[0]["ids"]) == subs
