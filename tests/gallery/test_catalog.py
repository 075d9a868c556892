"""The catalog through the async client: regions, galleries, definitions,
limits, refusals that change nothing, and the database itself."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from helpers.gallery import OWNER, catalog_sql, cli_run, publish, run, table_count
from imgrepl import Client
from imgrepl.catalog.schema import MIGRATIONS, migrations
from imgrepl.exceptions import (
    ConflictError,
    LimitExceededError,
    NotFoundError,
    ValidationError,
)
from imgrepl.gallery.rules import Limits

DEF = {"publisher": "acme", "offer": "os", "sku": "1", "os_type": "linux"}


def test_regions_normalised_and_unique(home: Path, tmp_path: Path) -> None:
    async def go() -> None:
        async with Client(home, principal=OWNER) as c:
            r = await c.add_region("West Europe", str(tmp_path / "we"), zones=3)
            assert (r.name, r.display_name, r.zone_names) == (
                "westeurope",
                "West Europe",
                ["1", "2", "3"],
            )
            assert r.store == (tmp_path / "we").as_uri()
            with pytest.raises(ConflictError, match=r"region 'westeurope' exists already"):
                await c.add_region("westeurope", str(tmp_path / "other"))
            with pytest.raises(ValidationError, match=r"--zones 4"):
                await c.add_region("eastus", str(tmp_path / "e"), zones=4)
            assert [x.name for x in await c.list_regions()] == ["westeurope"]
            assert (await c.get_region("WEST europe")).store == r.store
            await c.create_gallery("G", "west europe")
            with pytest.raises(ConflictError, match=r"in use"):
                await c.remove_region("westeurope")
            await c.delete_gallery("G")
            await c.remove_region("westeurope")
            with pytest.raises(NotFoundError, match=r"region 'westeurope' not found"):
                await c.get_region("westeurope")

    run(go())


def test_gallery_lifecycle_and_update_rules(home: Path, tmp_path: Path) -> None:
    async def go() -> None:
        async with Client(home, principal=OWNER) as c:
            with pytest.raises(NotFoundError, match=r"region 'westeurope' not found"):
                await c.create_gallery("G", "westeurope")
            await c.add_region("westeurope", str(tmp_path / "we"))
            g = await c.create_gallery("G", "westeurope", description="first")
            assert g.to_azure()["location"] == "westeurope"
            # create-or-update, as ARM's PUT: the same body changes nothing
            assert await c.create_gallery("g", "westeurope", description="first") == g
            with pytest.raises(ValidationError, match=r"location cannot be changed"):
                await c.create_gallery("g", "eastus", description="first")
            with pytest.raises(ValidationError, match=r"location of an existing gallery"):
                await c.update_gallery("G", {"description": "second", "location": "eastus"})
            assert (await c.get_gallery("G")).description == "first"  # nothing changed
            assert (await c.update_gallery("G", {"description": "second"})).description == "second"
            await c.create_image_definition("G", "D", **DEF)
            with pytest.raises(ConflictError, match=r"still has 1 image definitions"):
                await c.delete_gallery("G")
            await c.delete_image_definition("G", "D")
            await c.delete_gallery("G")
            assert await c.list_galleries() == []

    run(go())


def test_definition_identifier_unique_two_of_three_may_repeat(definition: Path) -> None:
    async def go() -> None:
        async with Client(definition, principal=OWNER) as c:
            with pytest.raises(
                ConflictError, match=r"ACME/os/1 is already used by image definition 'D'"
            ):
                await c.create_image_definition("G", "D2", **(DEF | {"publisher": "ACME"}))
            await c.create_image_definition("G", "D2", **(DEF | {"sku": "2"}))
            await c.create_image_definition("G", "D3", **(DEF | {"offer": "other"}))
            with pytest.raises(ValidationError, match=r"identifier.sku cannot be changed"):
                await c.create_image_definition("G", "D", **(DEF | {"sku": "9"}))
            names = [d.name for d in await c.list_image_definitions("G")]
            assert names == ["D", "D2", "D3"]

    run(go())


def test_definition_properties_round_trip_in_azure_shape(definition: Path) -> None:
    async def go() -> None:
        async with Client(definition, principal=OWNER) as c:
            d = await c.create_image_definition(
                "G",
                "full",
                publisher="p",
                offer="o",
                sku="s",
                os_type="windows",
                os_state="specialized",
                description="desc",
                eula="eula",
                privacy_statement_uri="https://p",
                release_note_uri="https://r",
                end_of_life_date="2031-01-02",
                tags={"team": "core"},
                vcpus_min=2,
                vcpus_max=8,
                memory_min=4,
                memory_max=32,
                disallowed_disk_types=["standard_lrs"],
                hyper_v_generation="v2",
                architecture="arm64",
            )
            got = (await c.get_image_definition("G", "full")).to_azure()
            assert got == d.to_azure()
            assert got["identifier"] == {"publisher": "p", "offer": "o", "sku": "s"}
            assert (got["osType"], got["osState"]) == ("Windows", "Specialized")
            assert got["recommended"] == {
                "vCPUs": {"min": 2, "max": 8},
                "memory": {"min": 4, "max": 32},
            }
            assert got["disallowed"] == {"diskTypes": ["Standard_LRS"]}
            assert (got["hyperVGeneration"], got["architecture"]) == ("V2", "Arm64")
            assert got["endOfLifeDate"] == "2031-01-02T00:00:00Z"
            assert got["tags"] == {"team": "core"}

    run(go())


def test_definition_updates_only_documented_fields(definition: Path) -> None:
    async def go() -> None:
        async with Client(definition, principal=OWNER) as c:
            before = (await c.get_image_definition("G", "D")).to_azure()
            for field in ("osType", "identifier.publisher", "eula", "hyperVGeneration"):
                with pytest.raises(ValidationError, match=f"^{field} of an existing definition"):
                    await c.update_image_definition("G", "D", {"description": "x", field: "y"})
            with pytest.raises(ValidationError, match=r"min 16 is above max 8"):
                await c.update_image_definition(
                    "G", "D", {"recommended.vCPUs.max": 8, "recommended.vCPUs.min": 16}
                )
            assert (await c.get_image_definition("G", "D")).to_azure() == before
            after = await c.update_image_definition(
                "G",
                "D",
                {
                    "description": "new",
                    "endOfLifeDate": "2040-01-01",
                    "releaseNoteUri": "https://n",
                    "recommended.memory.max": 64,
                },
            )
            assert (after.description, after.memory_max) == ("new", 64)
            assert after.end_of_life_date == "2040-01-01T00:00:00Z"

    run(go())


def test_limits_per_region_are_configurable_and_checked(home: Path, tmp_path: Path) -> None:
    async def go() -> None:
        async with Client(home, principal=OWNER) as c:
            assert await c.get_limits() == Limits(100, 1000, 10000)
            await c.add_region("westeurope", str(tmp_path / "we"))
            await c.add_region("eastus", str(tmp_path / "e"))
            await c.set_limits(Limits(galleries=2, definitions=1, versions=10))
            await c.create_gallery("A", "westeurope")
            await c.create_gallery("B", "westeurope")
            with pytest.raises(LimitExceededError, match=r"has 2 galleries: the limit is 2"):
                await c.create_gallery("C", "westeurope")
            await c.create_gallery("C", "eastus")  # another region has its own quota
            await c.create_image_definition("A", "D", **DEF)
            with pytest.raises(LimitExceededError, match=r"1 image definitions: the limit is 1"):
                await c.create_image_definition("B", "D", **DEF)
            assert [g.name for g in await c.list_galleries()] == ["A", "B", "C"]
            assert await c.list_image_definitions("B") == []
            with pytest.raises(ValidationError, match=r"limit versions"):
                await c.set_limits(Limits(versions=0))

    run(go())


@pytest.mark.sqlite_only  # SQLite's own file, PRAGMAs and errors
def test_catalog_is_sqlite_in_wal_mode_and_refuses_a_newer_schema(
    home: Path, tmp_path: Path
) -> None:
    async def go() -> None:
        async with Client(home, principal=OWNER) as c:
            await c.add_region("westeurope", str(tmp_path / "we"))

    run(go())
    db = sqlite3.connect(home / "catalog.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("SELECT version FROM schema_version").fetchone()[0] == len(MIGRATIONS)
    db.execute("UPDATE schema_version SET version = 999")
    db.commit()
    db.close()
    with pytest.raises(ConflictError, match=r"schema version 999, newer than this"):
        run(Client(home, principal=OWNER).__aenter__())


PROVIDER = "providers/Microsoft.Compute/galleries"


@pytest.mark.sqlite_only  # SQLite's own file, PRAGMAs and errors
def test_a_schema_1_catalog_is_migrated_keeping_its_data(home: Path, tmp_path: Path) -> None:
    """A catalog written by the first schema (no source manifests, no
    scopes) opens, is migrated, and keeps its rows: its gallery moves into
    the catalog's default subscription and the resource group `default`,
    keeping its definition (copying the galleries table cascades nothing)."""
    home.mkdir()
    db = sqlite3.connect(home / "catalog.db")
    for statement in migrations("sqlite")[0]:
        db.execute(statement)
    db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    db.execute("INSERT INTO schema_version VALUES (1)")
    db.execute("INSERT INTO meta VALUES ('owner', ?)", (OWNER,))
    db.execute("INSERT INTO regions VALUES ('westeurope', 'West Europe', 'file:///s', 0, NULL)")
    db.execute(
        "INSERT INTO galleries (name, location, unique_name) VALUES ('G', 'westeurope', 'u')"
    )
    db.execute(
        "INSERT INTO definitions (gallery_id, name, publisher, offer, sku, os_type, os_state, "
        "hyper_v_generation, architecture) VALUES (1, 'D', 'P', 'O', 'S', 'Linux', "
        "'Generalized', 'V1', 'x64')"
    )
    for region in ("westeurope", "eastus"):  # a version's targets, in the order given
        db.execute("INSERT INTO target_regions (version_id, region) VALUES (1, ?)", (region,))
    db.commit()
    db.close()

    async def go() -> None:
        async with Client(home, principal=OWNER) as c:
            (g,) = await c.list_galleries()
            sub = await c._run(c._catalog.settings.default_subscription)  # type: ignore[union-attr]
            assert g.id == f"/subscriptions/{sub}/resourceGroups/default/{PROVIDER}/G"
            assert (await c.get_region("westeurope")).display_name == "West Europe"
            assert [d.name for d in await c.list_image_definitions("G")] == ["D"]

    run(go())
    db = sqlite3.connect(home / "catalog.db")
    assert db.execute("SELECT version FROM schema_version").fetchone()[0] == len(MIGRATIONS)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "tokens" in tables
    assert "manifest" in [r[1] for r in db.execute("PRAGMA table_info(disks)")]
    assert "agent_served" in [r[1] for r in db.execute("PRAGMA table_info(regions)")]
    order = db.execute("SELECT region FROM target_regions ORDER BY seq").fetchall()
    assert [r[0] for r in order] == ["westeurope", "eastus"]
    assert "store_options" in [r[1] for r in db.execute("PRAGMA table_info(regions)")]
    db.close()


def test_a_version_recorded_without_a_source_manifest_is_verified(
    definition: Path, image: Path
) -> None:
    """Schema 1 kept only the source digest: the manifest of a replica whose
    digest is the source's stands in, and is recorded."""

    async def go() -> None:
        async with Client(definition, principal=OWNER) as c:
            await publish(c, image, "westeurope", "eastus")
            catalog_sql(definition, "UPDATE disks SET manifest = NULL")
            checks = await c.verify_image_version("G", "D", "1.0.0")
            assert [x.ok for x in checks] == [True, True]
            v = await c.update_image_version("G", "D", "1.0.0", add_target_regions=["northeurope"])
            assert v.provisioning_state == "Succeeded"

    run(go())
    assert (
        catalog_sql(definition, "SELECT COUNT(*) FROM disks WHERE manifest IS NOT NULL")[0][0] == 1
    )


@pytest.mark.sqlite_only  # SQLite's own file, PRAGMAs and errors
def test_foreign_keys_cascade_and_refuse(home: Path, tmp_path: Path) -> None:
    """Deleting a gallery takes the role assignments at it with it, and a row
    naming a missing region is refused (foreign keys are on)."""

    async def go() -> None:
        async with Client(home, principal=OWNER) as c:
            await c.add_region("westeurope", str(tmp_path / "we"))
            await c.create_gallery("G", "westeurope")
            await c.grant("rita", "Reader", "G")
            await c.delete_gallery("G")

    run(go())
    assert table_count(home, "role_assignments") == 0
    from imgrepl.catalog import open_catalog

    catalog = open_catalog(home)
    try:
        with (
            pytest.raises(sqlite3.IntegrityError, match=r"FOREIGN KEY"),
            catalog.session.write() as db,
        ):
            db.execute(
                "INSERT INTO galleries (subscription, resource_group, name, location, "
                "unique_name) VALUES ('s', 'g', 'x', 'mars', 'u')"
            )
    finally:
        catalog.close()
    assert table_count(home, "galleries") == 0


def test_home_from_option_environment_or_per_user_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("IMGREPL_HOME", raising=False)
    assert Client().home == tmp_path / "xdg" / "imgrepl"
    monkeypatch.setenv("IMGREPL_HOME", str(tmp_path / "env"))
    assert Client().home == tmp_path / "env"
    assert Client(tmp_path / "opt").home == tmp_path / "opt"
    store = str(tmp_path / "we")
    assert cli_run(None, "region", "add", "westeurope", "--store", store).returncode == 0
    assert (tmp_path / "env" / "catalog.db").is_file()  # the CLI used $IMGREPL_HOME
    assert not (tmp_path / "xdg").exists()
