"""ARM ids: formatting, parsing (case-insensitive keys), containment, refusals."""

from __future__ import annotations

import pytest
from imgrepl.exceptions import ValidationError
from imgrepl.gallery.scope import ArmId, resource_group_name, subscription_id

SUB = "5e3c2a51-7d3e-4b8e-9d61-1f0a2b3c4d5e"
VERSION_ID = (
    f"/subscriptions/{SUB}/resourceGroups/rg-1/providers/Microsoft.Compute"
    "/galleries/G/images/D/versions/1.0.0"
)


def test_version_id_round_trips_and_names_its_type() -> None:
    arm = ArmId.parse(VERSION_ID)
    assert arm == ArmId(SUB, "rg-1", "G", "D", "1.0.0")
    assert str(arm) == VERSION_ID
    assert arm.kind == "version"
    assert arm.resource_type == "Microsoft.Compute/galleries/images/versions"


def test_keys_are_case_insensitive_and_subscription_canonical() -> None:
    arm = ArmId.parse(VERSION_ID.upper().replace("/VERSIONS/1.0.0", "/versions/1.0.0"))
    assert arm.subscription == SUB
    assert arm.key() == ArmId.parse(VERSION_ID).key()


def test_containment_walks_down_only() -> None:
    version = ArmId.parse(VERSION_ID)
    group = ArmId(SUB, "RG-1")
    assert group.contains(version)
    assert ArmId(SUB).contains(group)
    assert not version.contains(group)
    assert not ArmId(SUB, "rg-2").contains(version)
    assert not ArmId(SUB, "rg").contains(version)  # a prefix of a name is not a scope
    assert version.parent == ArmId(SUB, "rg-1", "G", "D")
    assert ArmId(SUB).parent is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "/subscriptions/not-a-guid",
        f"/subscriptions/{SUB}/resourceGroups",
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute",
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Storage/galleries/G",
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/galleries/..",
        f"/subscriptions/{SUB}/resourceGroups/rg./providers/Microsoft.Compute/galleries/G",
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/galleries/G"
        "/images/D/versions/1.x.0",
        VERSION_ID + "/extra/x",
    ],
)
def test_malformed_ids_are_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="invalid"):
        ArmId.parse(text)


def test_skipping_a_level_is_refused() -> None:
    with pytest.raises(ValidationError, match="skips a level"):
        ArmId(SUB, None, "G")


def test_names() -> None:
    assert subscription_id(SUB.upper()) == SUB
    assert resource_group_name("a(b)_c-d.e") == "a(b)_c-d.e"
    for bad in ("", "x" * 91, "a/b", "a b"):
        with pytest.raises(ValidationError):
            resource_group_name(bad)
