"""Every validation rule, checked at its source (imgrepl.gallery.rules)."""

from __future__ import annotations

import pytest
from imgrepl.exceptions import ValidationError
from imgrepl.gallery import rules
from imgrepl.gallery.regions import normalise_region, normalise_store, replica_location


@pytest.mark.parametrize("name", ["g", "My_Gallery.1", "a" * 80])
def test_gallery_names_accepted(name: str) -> None:
    assert rules.gallery_name(name) == name


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "invalid"),
        ("a" * 81, "1-80"),
        ("has-dash", "no '-'"),
        ("a/b", "'/'"),
        ("a..b", "'..'"),
        ("_lead", "invalid"),
        ("trail.", "invalid"),
        ("tab\tname", "control characters"),
    ],
)
def test_gallery_names_refused(name: str, why: str) -> None:
    with pytest.raises(ValidationError, match=r"gallery name") as err:
        rules.gallery_name(name)
    assert why in str(err.value)


def test_definition_and_identifier_names() -> None:
    assert rules.definition_name("ubuntu-22.04_lts") == "ubuntu-22.04_lts"
    with pytest.raises(ValidationError, match=r"image definition name"):
        rules.definition_name("x" * 81)
    with pytest.raises(ValidationError, match=r"image definition name"):
        rules.definition_name("../etc")
    assert rules.identifier_part("sku", "a" * 128) == "a" * 128
    with pytest.raises(ValidationError, match=r"sku"):
        rules.identifier_part("sku", "a" * 129)


def test_versions_are_three_32_bit_parts() -> None:
    assert rules.parse_version("0.0.0") == (0, 0, 0)
    assert rules.parse_version(f"1.2.{2**31 - 1}") == (1, 2, 2**31 - 1)
    with pytest.raises(ValidationError, match=r"PATCH 2147483648 exceeds the 32-bit"):
        rules.parse_version(f"1.2.{2**31}")
    for bad in ("1.0", "1.0.0.0", "1.a.0", "-1.0.0", "1.01.0", "v1.0.0", "latest"):
        with pytest.raises(ValidationError, match=r"MAJOR\.MINOR\.PATCH"):
            rules.parse_version(bad)


def test_version_references_are_checked_as_names() -> None:
    assert rules.split_version_id("G/D/1.0.0") == ("G", "D", "1.0.0")
    assert rules.split_version_id("/galleries/G/images/D/versions/latest")[2] == "latest"
    for bad, why in (
        ("G/D/1.0.0\x1b[31m", r"invalid image version name '1\.0\.0\\x1b\[31m'"),
        ("G/../1.0.0", "invalid image definition name '..'"),
        ("../D/1.0.0", "invalid gallery name '..'"),
        ("G/D", "use GALLERY/DEFINITION/VERSION"),
    ):
        with pytest.raises(ValidationError, match=why):
            rules.split_version_id(bad)


def test_replica_counts_are_1_to_100() -> None:
    assert rules.replica_count(1) == 1
    assert rules.replica_count(100) == 100
    for bad in (0, 101, -3):
        with pytest.raises(ValidationError, match=r"out of range: 1\.\.100"):
            rules.replica_count(bad)
    with pytest.raises(ValidationError, match=r"integer"):
        rules.replica_count(True)


def test_storage_types_case_insensitive_and_closed() -> None:
    assert rules.storage_type("standard_zrs") == "Standard_ZRS"
    assert rules.storage_type("PREMIUM_LRS") == "Premium_LRS"
    with pytest.raises(ValidationError, match=r"Standard_LRS, Standard_ZRS, Premium_LRS"):
        rules.storage_type("Premium_ZRS")


def test_target_region_spec() -> None:
    spec = rules.target_region_spec("West Europe=2=standard_zrs")
    assert (spec.name, spec.replica_count, spec.storage_type) == ("westeurope", 2, "Standard_ZRS")
    assert rules.target_region_spec("eastus").replica_count is None
    with pytest.raises(ValidationError, match=r"regionalReplicaCount of eastus"):
        rules.target_region_spec("eastus=101")
    with pytest.raises(ValidationError, match=r"invalid replica count 'x'"):
        rules.target_region_spec("eastus=x")
    with pytest.raises(ValidationError, match=r"REGION"):
        rules.target_region_spec("a=1=Standard_LRS=4")


def test_region_names_normalise_like_azure() -> None:
    assert normalise_region("West Europe") == "westeurope"
    assert normalise_region(" WESTEUROPE ") == "westeurope"
    for bad in ("west-europe", "", "west/europe", "x" * 65):
        with pytest.raises(ValidationError, match=r"invalid region name"):
            normalise_region(bad)


@pytest.mark.parametrize(
    ("url", "why"),
    [("file://otherhost/x", "must be local"), ("s3:///x", "no bucket"), ("", "empty")],
)
def test_store_urls_refused(url: str, why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        normalise_store(url)


def test_store_urls_and_replica_layout() -> None:
    store = normalise_store("/srv/stores/we")
    assert store == "file:///srv/stores/we"
    assert normalise_store("file:///srv/x/") == "file:///srv/x"
    assert normalise_store("s3://bucket/prefix/") == "s3://bucket/prefix"
    loc = replica_location(store, "G", "D", "1.0.0", "os", 2, zone="3")
    assert loc == "file:///srv/stores/we/zone-3/G/D/1.0.0/os-2.vhd"


def test_end_of_life_dates() -> None:
    assert rules.end_of_life("2030-12-31") == "2030-12-31T00:00:00Z"
    assert rules.end_of_life("2030-12-31T10:00:00+02:00") == "2030-12-31T08:00:00Z"
    assert rules.end_of_life(None) is None
    with pytest.raises(ValidationError, match=r"endOfLifeDate 'tomorrow'"):
        rules.end_of_life("tomorrow")
    assert rules.is_past("2000-01-01T00:00:00Z")
    assert not rules.is_past("2999-01-01T00:00:00Z")


def test_updatable_fields_name_the_refused_one() -> None:
    rules.check_updatable("gallery", ["description"])
    with pytest.raises(ValidationError, match=r"^location of an existing gallery cannot"):
        rules.check_updatable("gallery", ["description", "location"])
    with pytest.raises(ValidationError, match=r"^osType of an existing definition"):
        rules.check_updatable("definition", ["osType"])
    with pytest.raises(ValidationError, match=r"^publishingProfile.storageAccountType"):
        rules.check_updatable("version", ["publishingProfile.storageAccountType"])


def test_limits_and_tags_and_recommended() -> None:
    with pytest.raises(ValidationError, match=r"limit galleries"):
        rules.Limits(galleries=0).checked()
    with pytest.raises(ValidationError, match=r"51 tags"):
        rules.tags({str(i): "v" for i in range(51)})
    with pytest.raises(ValidationError, match=r"invalid tag name"):
        rules.tags({"a/b": "v"})
    with pytest.raises(ValidationError, match=r"recommended.vCPUs.min 8 is above max 4"):
        rules.min_max("vCPUs", 8, 4, 640)
