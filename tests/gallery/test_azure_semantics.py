"""Where imgrepl's output follows Azure's: a region appears under one name in
`targetRegions[]` and `replicationStatus.summary[]`, `details` is "" when
there is nothing to say, and times end in `Z`.  (End of life never hides a
version from `latest`: test_replication, test_planning; the source region's
replica is not egress: test_versions, test_replication.)"""

from __future__ import annotations

from pathlib import Path

from helpers.gallery import cli, create_cli, shown
from imgrepl.gallery.models import ImageVersion


def test_regions_have_one_name_and_details_are_empty_strings(
    definition: Path, image: Path, stores: Path
) -> None:
    cli(definition, "region", "add", "West US 2", "--store", str(stores / "wus2"))
    create_cli(definition, "1.0.0", image, "--target-regions", "westeurope", "westus2=2",
               "--end-of-life-date", "2031-02-03")  # fmt: skip
    v = shown(definition)
    targets = [t["name"] for t in v["publishingProfile"]["targetRegions"]]
    assert targets == ["westeurope", "West US 2"]
    summary = v["replicationStatus"]["summary"]
    assert [s["region"] for s in summary] == targets
    assert [(s["state"], s["details"]) for s in summary] == [("Completed", "")] * 2
    tsv = cli(definition, "sig", "image-version", "show", "-r", "G", "-i", "D", "-e", "1.0.0",
              "--expand", "ReplicationStatus", "--query",
              "replicationStatus.summary[?region=='West US 2'].state | [0]")  # fmt: skip
    assert tsv == "Completed"
    profile = v["publishingProfile"]
    assert profile["publishedDate"].endswith("Z") and "+00:00" not in profile["publishedDate"]
    assert profile["endOfLifeDate"] == "2031-02-03T00:00:00Z"


def test_a_time_stored_with_an_offset_is_shown_with_z() -> None:
    """Catalogs written before kept `+00:00`; output is Azure's `Z` either way."""
    version = ImageVersion(
        "G", "D", "1.0.0", "westeurope", "Succeeded", [], 1, "Standard_LRS", False, None,
        "2026-11-30T02:00:00.123456+00:00", False, [],
    )  # fmt: skip
    published = version.to_azure()["publishingProfile"]["publishedDate"]
    assert published == "2026-11-30T02:00:00.123456Z"
