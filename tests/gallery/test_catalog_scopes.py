"""Subscriptions and resource groups, as in Azure: a gallery's name is unique
in its resource group (case-insensitively), lists span a resource group or
a whole subscription, limits count per subscription and region, replicas of
same-named galleries never share a path, and every resource carries its full
ARM id.  Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from helpers.gallery import OWNER, local, publish, run
from helpers.postgres import PostgresServer
from imgrepl import Client
from imgrepl.exceptions import (
    AuthorizationError,
    ConflictError,
    LimitExceededError,
    NotFoundError,
    ValidationError,
)
from imgrepl.gallery.rules import Limits
from imgrepl.gallery.scope import ArmId

SUB_A = "0000000a-0000-4000-8000-000000000001"
SUB_B = "0000000b-0000-4000-8000-000000000002"
PROVIDER_PATH = "/providers/Microsoft.Compute/galleries"


def client(home: Path, sub: str | None = None, group: str | None = None) -> Client:
    return Client(home, principal=OWNER, subscription=sub, resource_group=group)


def test_the_same_gallery_name_lives_in_two_resource_groups(definition: Path) -> None:
    """G in `default` (the fixture) and G in `prod` are two galleries with
    their own definitions; names compare case-insensitively per group."""

    async def go() -> None:
        async with client(definition, group="prod") as prod:
            g = await prod.create_gallery("G", "eastus", description="prod's")
            assert ArmId.parse(g.id) == ArmId(prod.subscription, "prod", "G")
            assert (
                g.id == f"/subscriptions/{prod.subscription}/resourceGroups/prod{PROVIDER_PATH}/G"
            )
            # the same identifier as default/G/D: another gallery, so allowed
            d = await prod.create_image_definition(
                "G", "D", publisher="acme", offer="os", sku="1", os_type="Windows"
            )
            assert d.to_azure()["id"] == f"{g.id}/images/D"
            async with client(definition, group="PROD") as upper:  # the same one
                again = await upper.create_gallery("g", "eastus", description="prod's")
                assert (again.id, again.unique_name) == (g.id, g.unique_name)
                with pytest.raises(ValidationError, match=r"location cannot be changed"):
                    await upper.create_gallery("g", "westeurope")
        async with client(definition) as default:
            assert (await default.get_gallery("G")).location == "westeurope"
            assert (await default.get_image_definition("G", "D")).os_type == "Linux"
            everywhere = await default.list_galleries()  # no group: the subscription
            assert sorted((g.resource_group, g.location) for g in everywhere) == [
                ("default", "westeurope"),
                ("prod", "eastus"),
            ]
        async with client(definition, group="Prod") as prod:
            assert [g.description for g in await prod.list_galleries()] == ["prod's"]
            assert (await prod.get_image_definition("g", "d")).os_type == "Windows"
            await prod.delete_image_definition("G", "D")
            await prod.delete_gallery("G")
        async with client(definition) as default:  # untouched by the other group's delete
            assert (await default.get_image_definition("G", "D")).name == "D"
        async with client(definition, group="nowhere") as nowhere:
            with pytest.raises(NotFoundError, match=r"'G' not found in resource group 'nowhere'"):
                await nowhere.get_gallery("G")
            assert await nowhere.list_galleries() == []

    run(go())


def test_limits_count_per_subscription_and_region(definition: Path) -> None:
    async def go() -> None:
        async with client(definition, SUB_A, "a") as a:
            await a.set_limits(Limits(galleries=1))
            await a.create_gallery("G", "westeurope")
            async with client(definition, SUB_A, "other") as same_sub:
                with pytest.raises(
                    LimitExceededError, match=rf"per region in subscription {SUB_A}"
                ):
                    await same_sub.create_gallery("H", "westeurope")
                await same_sub.create_gallery("H", "eastus")  # another region
            async with client(definition, SUB_B, "a") as b:
                await b.create_gallery("G", "westeurope")  # another subscription
                assert [g.subscription for g in await b.list_galleries()] == [SUB_B]
        async with client(definition, SUB_A) as whole:
            assert sorted(g.name for g in await whole.list_galleries()) == ["G", "H"]

    run(go())


def test_replicas_of_same_named_versions_never_share_a_path(
    definition: Path, image: Path, stores: Path
) -> None:
    """default/G/D/1.0.0 keeps the layout it had before scopes; prod/G/D/1.0.0
    is under its subscription and group, and both are complete."""

    async def go() -> None:
        async with client(definition, group="prod") as prod:
            await prod.create_gallery("G", "westeurope")
            await prod.create_image_definition(
                "G", "D", publisher="acme", offer="os", sku="1", os_type="Linux"
            )
            theirs = await publish(prod, image)
            mine_rows = await prod.list_replicas("G", "D", "1.0.0")
        async with client(definition) as default:
            mine = await publish(default, image)
            default_rows = await default.list_replicas("G", "D", "1.0.0")
        assert {
            theirs.replication_status.aggregated_state,
            mine.replication_status.aggregated_state,
        } == {"Completed"}  # type: ignore[union-attr]
        assert [r.location for r in default_rows] == [
            (stores / "westeurope" / "G" / "D" / "1.0.0" / "os-0.vhd").as_uri()
        ]
        (row,) = mine_rows
        assert f"/westeurope/{theirs.subscription}/prod/G/D/1.0.0/os-0.vhd" in row.location
        assert local(row.location).is_file() and local(default_rows[0].location).is_file()
        assert theirs.id.split("/")[4] == "prod" and mine.id.split("/")[4] == "default"

    run(go())


def test_a_bad_subscription_or_group_is_refused_by_name(home: Path) -> None:
    with pytest.raises(ValidationError, match=r"invalid subscription id 'nope'"):
        client(home, "nope")
    with pytest.raises(ValidationError, match=r"invalid resource group name 'a/b'"):
        client(home, group="a/b")


def test_the_default_subscription_is_made_once_per_catalog(definition: Path) -> None:
    async def go() -> str:
        async with client(definition) as c:
            return c.subscription

    first, second = run(go()), run(go())
    assert first == second == str(uuid.UUID(first))


def test_a_postgresql_catalog_from_before_scopes_is_migrated(postgres: PostgresServer) -> None:
    """PostgreSQL alters the galleries table in place (SQLite copies it:
    test_catalog): the old unique name gives way to one per resource group,
    and the gallery keeps its definition."""
    import psycopg
    from imgrepl.catalog import open_catalog
    from imgrepl.catalog.schema import migrations

    name = f"before_scopes_{uuid.uuid4().hex[:8]}"
    postgres.sql(f"CREATE DATABASE {name}")
    url = postgres.url(name)
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in [s for m in migrations("postgresql")[:4] for s in m]:
            conn.execute(statement)
        conn.execute("CREATE TABLE schema_version (version BIGINT NOT NULL)")
        conn.execute("INSERT INTO schema_version VALUES (4)")
        conn.execute("INSERT INTO regions VALUES ('westeurope', 'West Europe', 'file:///s')")
        conn.execute(
            "INSERT INTO galleries (name, location, unique_name) VALUES ('G', 'westeurope', 'u')"
        )
        conn.execute(
            "INSERT INTO definitions (gallery_id, name, publisher, offer, sku, os_type, os_state, "
            "hyper_v_generation, architecture) VALUES (1, 'D', 'P', 'O', 'S', 'Linux', "
            "'Generalized', 'V1', 'x64')"
        )
    catalog = open_catalog(url)
    try:
        sub = catalog.settings.default_subscription()
        (g,) = catalog.galleries.all()
        assert (g.subscription, g.resource_group, g.tags) == (sub, "default", {})
        assert [d.name for d in catalog.definitions.all("G")] == ["D"]
        other = catalog.scoped(ArmId(sub, "other"))
        other.galleries.create(replace(g, resource_group="other"), Limits())
        with pytest.raises(ConflictError, match=r"exists already"):
            other.galleries.create(replace(g, name="g", resource_group="OTHER"), Limits())
        assert len(catalog.scoped(ArmId(sub)).galleries.all()) == 2
    finally:
        catalog.close()


def test_a_name_in_two_groups_is_ambiguous_only_without_a_group(definition: Path) -> None:
    """A catalog scoped to a subscription (or not at all) refuses to guess
    which of two same-named galleries is meant; a resource group settles it."""
    from imgrepl.catalog import open_catalog, resolve_catalog

    async def go() -> str:
        async with client(definition, group="prod") as prod:
            await prod.create_gallery("G", "eastus")
            return prod.subscription

    sub = run(go())
    catalog = open_catalog(resolve_catalog(definition))
    try:
        for wide in (catalog, catalog.scoped(ArmId(sub))):
            with pytest.raises(
                ConflictError, match=r"in several resource groups \('default', 'prod'\)"
            ):
                wide.galleries.get("G")
        assert catalog.scoped(ArmId(sub, "PROD")).galleries.get("g").location == "eastus"
        assert catalog.scoped(ArmId(SUB_B, "prod")).galleries.all() == []
    finally:
        catalog.close()


def test_concurrent_creates_of_one_gallery_make_it_once(definition: Path) -> None:
    """Eight clients create the same gallery at once: one makes it, the
    others find the same body and change nothing."""

    async def one() -> tuple[str, bool]:
        async with client(definition, group="race") as c:
            g, made = await c.put_gallery("R", "westeurope", description="d", tags={"k": "v"})
            return g.unique_name, made

    async def go() -> list[tuple[str, bool]]:
        return list(await asyncio.gather(*(one() for _ in range(8))))

    results = run(go())
    assert sorted(made for _, made in results) == [False] * 7 + [True]
    assert len({name for name, _ in results}) == 1


def test_a_source_version_by_arm_id_is_copied_where_the_caller_may_read_it(
    definition: Path, image: Path
) -> None:
    """`--image-version` takes the id `storageProfile.source.id` shows: in
    the new version's resource group, or in another one (as Azure copies a
    version from a gallery of another group) when the caller may read it
    there; a caller who may not is refused and nothing is recorded."""

    async def go() -> None:
        async with client(definition) as c:
            first = await publish(c, image)
            copy = await c.create_image_version(
                "G", "D", "2.0.0", location="westeurope", source_version=first.id.upper()
            )
            assert copy.to_azure()["storageProfile"]["source"] == {"id": first.id}
            # created again with the same body: unchanged, whichever spelling
            again = await c.create_image_version(
                "G", "D", "2.0.0", location="westeurope", source_version="G/D/1.0.0"
            )
            assert again.published_date == copy.published_date
        async with client(definition, group="prod") as prod:
            await prod.create_gallery("G", "westeurope")
            await prod.create_image_definition(
                "G", "D", publisher="acme", offer="os", sku="1", os_type="Linux"
            )
            promoted = await prod.create_image_version(
                "G", "D", "1.0.0", location="westeurope", source_version=first.id
            )
            assert promoted.to_azure()["storageProfile"]["source"] == {"id": first.id}
            assert promoted.replication_status is not None
            assert promoted.replication_status.aggregated_state == "Completed"
            again = await prod.create_image_version(
                "G", "D", "1.0.0", location="westeurope", source_version=first.id
            )
            assert again.published_date == promoted.published_date
            # a contributor of prod alone may not read the source's group
            prod_id = str(ArmId(prod.subscription, "prod"))
            await prod.create_role_assignment("eve", "Contributor", prod_id)
            eve = await prod.in_scope(prod.subscription, "prod", principal="eve")
            with pytest.raises(AuthorizationError, match="read the source image version"):
                await eve.create_image_version(
                    "G", "D", "2.0.0", location="westeurope", source_version=first.id
                )
            assert [v.name for v in await prod.list_image_versions("G", "D")] == ["1.0.0"]
            await c_reader(prod, first.id)
            made = await eve.create_image_version(
                "G", "D", "2.0.0", location="westeurope", source_version=first.id
            )
            assert made.replication_status is not None
            assert made.replication_status.aggregated_state == "Completed"

    async def c_reader(owner: Client, source: str) -> None:
        """eve becomes a Reader of the source's resource group."""
        arm = ArmId.parse(source)
        await owner.create_role_assignment(
            "eve", "Reader", str(ArmId(arm.subscription, arm.resource_group))
        )

    run(go())


def test_clients_per_scope_share_one_open_catalog(definition: Path) -> None:
    """What the ARM service does per request: in_scope() gives a client of
    another scope and principal on the same connection; its roles are its
    own, and closing it leaves the first client working."""

    async def go() -> None:
        async with client(definition) as home:
            team = await home.in_scope(SUB_A, "team")
            made = await team.create_gallery("T", "westeurope", tags={"who": "team"})
            assert made.id.startswith(f"/subscriptions/{SUB_A}/resourceGroups/team/")
            assert team._root is home._root  # one connection
            whole = await home.in_scope(SUB_A)
            assert [g.name for g in await whole.list_galleries()] == ["T"]
            eve = await home.in_scope(SUB_A, "team", principal="eve")
            assert await eve.list_galleries() == []  # eve holds no role there
            with pytest.raises(AuthorizationError, match=r"principal 'eve' may not"):
                await eve.create_gallery("E", "westeurope")
            await team.grant("eve", "Reader", "T")
            assert [g.name for g in await eve.list_galleries()] == ["T"]
            await team.close()
            await eve.close()
            assert [g.name for g in await home.list_galleries()] == ["G"]  # still open
            with pytest.raises(ValidationError, match=r"invalid subscription id"):
                await home.in_scope("not-a-guid")

    run(go())
