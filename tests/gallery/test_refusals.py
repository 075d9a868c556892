"""Every rule's refusal is a clear error that changes nothing: the whole
catalog (every row, dumped as SQL) and the stores are compared before and
after each refused request, on a home that already holds a replicated
version."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from helpers.gallery import OWNER, catalog_state, files_under, publish, run, stamps
from imgrepl import Client
from imgrepl.exceptions import (
    ConflictError,
    ImageFormatError,
    LimitExceededError,
    NotFoundError,
    ValidationError,
)
from imgrepl.gallery.rules import Limits

DEF = {"publisher": "acme", "offer": "os", "sku": "2", "os_type": "Linux"}


@dataclass(frozen=True)
class Files:
    image: Path  # the good VHD
    corrupt: Path  # the same with a bad footer checksum


Request = Callable[[Client, Files], Coroutine[Any, Any, Any]]


def _version(**kw: Any) -> Request:
    """`create_image_version` of G/D/2.0.0 from the good image, with `kw`
    changed; a callable value is given the test's files."""

    def request(c: Client, f: Files) -> Coroutine[Any, Any, Any]:
        args = {"location": "westeurope", "os_vhd": f.image} | kw
        args = {k: v(f) if callable(v) else v for k, v in args.items()}
        return c.create_image_version("G", "D", args.pop("version", "2.0.0"), **args)

    return request


def _update(**kw: Any) -> Request:
    return lambda c, f: c.update_image_version("G", "D", "1.0.0", **kw)


CASES: list[tuple[str, Request, type[Exception], str]] = [
    # regions
    (
        "duplicate region",
        lambda c, f: c.add_region("West Europe", "/x"),
        ConflictError,
        r"region 'westeurope' exists already",
    ),
    (
        "region name",
        lambda c, f: c.add_region("west/europe", "/x"),
        ValidationError,
        r"invalid region name 'west/europe'",
    ),
    (
        "zones",
        lambda c, f: c.add_region("southindia", "/x", zones=4),
        ValidationError,
        r"--zones 4",
    ),
    (
        "store URL",
        lambda c, f: c.add_region("southindia", "file://host/x"),
        ValidationError,
        r"must be local",
    ),
    ("region in use", lambda c, f: c.remove_region("westeurope"), ConflictError, r"in use"),
    # galleries
    (
        "gallery name /",
        lambda c, f: c.create_gallery("a/b", "westeurope"),
        ValidationError,
        r"invalid gallery name 'a/b'",
    ),
    (
        "gallery name ..",
        lambda c, f: c.create_gallery("a..b", "westeurope"),
        ValidationError,
        r"invalid gallery name 'a..b'",
    ),
    (
        "gallery name control",
        lambda c, f: c.create_gallery("a\x07b", "westeurope"),
        ValidationError,
        r"control characters",
    ),
    (
        "gallery name length",
        lambda c, f: c.create_gallery("g" * 81, "westeurope"),
        ValidationError,
        r"1-80",
    ),
    (
        "gallery created again elsewhere",
        lambda c, f: c.create_gallery("g", "eastus"),
        ValidationError,
        r"gallery G exists in location 'westeurope'; location cannot be changed",
    ),
    (
        "gallery region",
        lambda c, f: c.create_gallery("H", "mars"),
        NotFoundError,
        r"region 'mars' not found",
    ),
    (
        "gallery location",
        lambda c, f: c.update_gallery("G", {"description": "x", "location": "eu"}),
        ValidationError,
        r"^location of an existing gallery cannot be changed",
    ),
    (
        "gallery not empty",
        lambda c, f: c.delete_gallery("G"),
        ConflictError,
        r"still has 1 image definitions",
    ),
    # image definitions
    (
        "definition name",
        lambda c, f: c.create_image_definition("G", "../etc", **DEF),
        ValidationError,
        r"invalid image definition name '../etc'",
    ),
    (
        "duplicate identifier",
        lambda c, f: c.create_image_definition(
            "G", "D2", **(DEF | {"sku": "1", "publisher": "ACME"})
        ),
        ConflictError,
        r"ACME/os/1 is already used by image definition 'D'",
    ),
    (
        "definition created again with another OS",
        lambda c, f: c.create_image_definition(
            "G", "d", **(DEF | {"sku": "1", "os_type": "Windows"})
        ),
        ValidationError,
        r"G/D exists with osType 'Linux'; osType cannot be changed",
    ),
    (
        "os type",
        lambda c, f: c.create_image_definition("G", "D2", **(DEF | {"os_type": "BeOS"})),
        ValidationError,
        r"invalid osType 'BeOS'",
    ),
    (
        "definition field",
        lambda c, f: c.update_image_definition("G", "D", {"osType": "Windows"}),
        ValidationError,
        r"^osType of an existing definition cannot be changed",
    ),
    (
        "recommended min > max",
        lambda c, f: c.update_image_definition(
            "G", "D", {"recommended.vCPUs.min": 99, "recommended.vCPUs.max": 2}
        ),
        ValidationError,
        r"recommended.vCPUs.min 99 is above max 2",
    ),
    (
        "definition not empty",
        lambda c, f: c.delete_image_definition("G", "D"),
        ConflictError,
        r"still has 1 image versions",
    ),
    # image versions
    ("version name", _version(version="1.0"), ValidationError, r"MAJOR.MINOR.PATCH"),
    ("version 32 bits", _version(version=f"1.0.{2**31}"), ValidationError, r"32-bit"),
    (
        "version created again from another file",
        _version(version="1.0.0", os_vhd=lambda f: f.corrupt),
        ValidationError,
        r"G/D/1.0.0 exists with another storageProfile; storageProfile cannot be changed",
    ),
    (
        "version created again with another storage type",
        _version(version="1.0.0", storage_account_type="Standard_ZRS"),
        ValidationError,
        r"another publishingProfile.storageAccountType; .* cannot be changed",
    ),
    (
        "home region",
        _version(target_regions=["eastus"]),
        ValidationError,
        r"must be one of the target regions",
    ),
    (
        "ZRS without zones",
        _version(target_regions=["westeurope=1=Standard_ZRS"]),
        ValidationError,
        r"Standard_ZRS needs a region with availability zones",
    ),
    (
        "replica count 101",
        _version(target_regions=["westeurope", "eastus=101"]),
        ValidationError,
        r"regionalReplicaCount of eastus 101 is out of range: 1..100",
    ),
    ("replica count 0", _version(replica_count=0), ValidationError, r"replicaCount 0"),
    (
        "storage type",
        _version(storage_account_type="Hot"),
        ValidationError,
        r"invalid storageAccountType 'Hot'",
    ),
    (
        "region twice",
        _version(target_regions=["westeurope", "West Europe=2"]),
        ValidationError,
        r"given more than once",
    ),
    (
        "unknown region",
        _version(target_regions=["westeurope", "mars"]),
        NotFoundError,
        r"region 'mars' not found",
    ),
    ("missing image", _version(os_vhd="/nonexistent.vhd"), ValidationError, r"no such image file"),
    ("corrupt VHD", _version(os_vhd=lambda f: f.corrupt), ImageFormatError, r"footer.checksum"),
    (
        "data disk LUN",
        _version(data_vhds=lambda f: {64: f.image}),
        ValidationError,
        r"invalid data disk LUN 64",
    ),
    ("no source", _version(os_vhd=None), ValidationError, r"exactly one source"),
    (
        "source version",
        _version(os_vhd=None, source_version="G/D/9.9.9"),
        NotFoundError,
        r"G/D/9.9.9 not found",
    ),
    (
        "version field",
        _update(changes={"publishingProfile.storageAccountType": "Premium_LRS"}),
        ValidationError,
        r"^publishingProfile.storageAccountType of an existing version cannot",
    ),
    (
        "remove replicated region",
        _update(remove_target_regions=["eastus"]),
        ValidationError,
        r"pass --allow-replicated-location-deletion",
    ),
    (
        "remove home region",
        _update(remove_target_regions=["westeurope"], allow_replicated_location_deletion=True),
        ValidationError,
        r"source region 'westeurope' must stay",
    ),
    (
        "remove absent region",
        _update(remove_target_regions=["northeurope"]),
        NotFoundError,
        r"'northeurope' is not a target region",
    ),
    (
        "update count",
        _update(add_target_regions=["northeurope=0"]),
        ValidationError,
        r"regionalReplicaCount of northeurope 0",
    ),
    (
        "end of life",
        _update(end_of_life_date="soon"),
        ValidationError,
        r"invalid endOfLifeDate 'soon'",
    ),
    # sharing
    ("role", lambda c, f: c.grant("rita", "Admin", "G"), ValidationError, r"invalid role 'Admin'"),
    ("principal", lambda c, f: c.grant("a/b", "Reader", "G"), ValidationError, r"principal"),
    ("revoke nobody", lambda c, f: c.revoke("rita", "G"), NotFoundError, r"no role assignment"),
    # limits, at the current counts
    (
        "gallery limit",
        lambda c, f: c.create_gallery("H", "westeurope"),
        LimitExceededError,
        r"region 'westeurope' has 1 galleries: the limit is 1 per region",
    ),
    (
        "definition limit",
        lambda c, f: c.create_image_definition("G", "D2", **DEF),
        LimitExceededError,
        r"has 1 image definitions: the limit is 1",
    ),
    ("version limit", _version(), LimitExceededError, r"has 1 image versions: the limit is 1"),
]


@pytest.fixture
def published(definition: Path, tmp_path: Path, image: Path) -> Path:
    """G/D/1.0.0 in westeurope and eastus, and a VHD with a bad footer checksum."""
    corrupt = tmp_path / "corrupt.vhd"
    data = bytearray(image.read_bytes())
    data[-512 + 64 : -512 + 68] = b"\x00\x00\x00\x01"
    corrupt.write_bytes(bytes(data))

    async def go() -> None:
        async with Client(definition, principal=OWNER) as c:
            await publish(c, image, "westeurope", "eastus")

    run(go())
    return corrupt


def test_every_refusal_changes_nothing(
    definition: Path, stores: Path, image: Path, published: Path
) -> None:
    files = Files(image, published)
    replicas = files_under(stores)
    before_stamps = stamps(replicas)

    async def go() -> None:
        async with Client(definition, principal=OWNER) as c:
            for what, request, exc, message in CASES:
                if what == "gallery limit":  # the quotas, down to what exists now
                    await c.set_limits(Limits(galleries=1, definitions=1, versions=1))
                before = catalog_state(definition)
                with pytest.raises(exc, match=message):
                    await request(c, files)
                assert catalog_state(definition) == before, what
                assert files_under(stores) == replicas, what

    run(go())
    assert stamps(replicas) == before_stamps
