"""The `imgrepl region` and `imgrepl sig` commands: Azure-shaped JSON,
one-line errors with exit status 1, and several processes on one catalog."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from helpers.gallery import IDS, cli, cli_argv, cli_env, cli_run, create_cli

# Property names of Azure's REST API (Microsoft.Compute galleries, images and
# versions; "Galleries - Get", "Gallery Images - Get", "Gallery Image
# Versions - Get" with $expand=ReplicationStatus), `properties` flattened to
# the top level as `az sig ... -o json` prints them.
# az adds `resourceGroup` to every resource it prints
AZURE_RESOURCE = {"id", "name", "type", "location", "tags", "provisioningState", "resourceGroup"}
AZURE_GALLERY = AZURE_RESOURCE | {"description", "identifier", "sharingProfile"}
AZURE_IMAGE = AZURE_RESOURCE | {
    "description", "eula", "privacyStatementUri", "releaseNoteUri", "osType", "osState",
    "hyperVGeneration", "endOfLifeDate", "identifier", "recommended", "disallowed",
    "purchasePlan", "features", "architecture",
}  # fmt: skip
AZURE_VERSION = AZURE_RESOURCE | {
    "publishingProfile", "storageProfile", "safetyProfile", "replicationStatus",
    "securityProfile",
}  # fmt: skip
AZURE_PUBLISHING = {
    "targetRegions", "targetExtendedLocations", "replicaCount", "excludeFromLatest",
    "publishedDate", "endOfLifeDate", "storageAccountType", "replicationMode",
}  # fmt: skip
AZURE_TARGET_REGION = {"name", "regionalReplicaCount", "storageAccountType", "encryption",
                       "excludeFromLatest"}  # fmt: skip
AZURE_DISK_IMAGE = {"lun", "sizeInGB", "hostCaching", "source"}
AZURE_SUMMARY = {"region", "state", "details", "progress"}
# what imgrepl adds to a disk image: exact sizes, the image digest, the source format
IMGREPL_DISK_IMAGE = {"sizeInBytes", "virtualSizeInBytes", "digest"}


def keys(d: dict[str, Any]) -> set[str]:
    return set(d)


def test_region_commands(home: Path, tmp_path: Path) -> None:
    store = str(tmp_path / "we")
    added = cli(home, "region", "add", "West Europe", "--store", store, "--zones", "3")
    assert added["name"] == "westeurope" and added["availabilityZones"] == ["1", "2", "3"]
    dup = cli_run(home, "region", "add", "westeurope", "--store", str(tmp_path / "x"))
    assert dup.returncode == 1
    assert dup.stderr == "imgrepl region add: error: region 'westeurope' exists already\n"
    bad = cli_run(home, "region", "add", "west/europe", "--store", str(tmp_path / "x"))
    assert bad.returncode == 1 and "invalid region name 'west/europe'" in bad.stderr
    assert [r["name"] for r in cli(home, "region", "list")] == ["westeurope"]
    assert cli(home, "region", "show", "WestEurope")["store"] == (tmp_path / "we").as_uri()
    limits = cli(home, "region", "limits", "--galleries", "5")
    assert limits == {"galleries": 5, "definitions": 1000, "versions": 10000}
    assert cli(home, "region", "limits") == limits  # kept in the catalog
    assert cli(home, "region", "remove", "westeurope") is None
    assert cli(home, "region", "list") == []


def test_sig_json_is_shaped_like_azure(definition: Path, image: Path) -> None:
    g = cli(definition, "sig", "show", "-r", "G")
    assert keys(g) <= AZURE_GALLERY and {"name", "location", "identifier"} <= keys(g)
    sub = g["id"].split("/")[2]
    assert (g["id"], g["type"], g["location"], g["tags"], g["resourceGroup"]) == (
        f"/subscriptions/{sub}/resourceGroups/default/providers/Microsoft.Compute/galleries/G",
        "Microsoft.Compute/galleries",
        "westeurope",
        {},
        "default",
    )
    assert set(g["identifier"]) == {"uniqueName"}
    d = cli(
        definition, "sig", "image-definition", "create", "-r", "G", "-i", "W",
        "--publisher", "p", "--offer", "o", "--sku", "s", "--os-type", "Windows",
        "--tags", "env=prod", "--minimum-cpu-core", "2", "--hyper-v-generation", "V2",
    )  # fmt: skip
    assert keys(d) <= AZURE_IMAGE and {"osType", "osState", "identifier"} <= keys(d)
    assert d["identifier"] == {"publisher": "p", "offer": "o", "sku": "s"}
    assert (d["osType"], d["osState"], d["hyperVGeneration"]) == ("Windows", "Generalized", "V2")
    unset = {"min": None, "max": None}
    assert d["recommended"] == {"vCPUs": {"min": 2, "max": None}, "memory": unset}
    assert d["disallowed"] == {"diskTypes": []} and d["tags"] == {"env": "prod"}
    assert cli(definition, "sig", "image-definition", "show", "-r", "G", "-i", "W") == d

    create_cli(definition, "1.0.0", image, "--target-regions", "westeurope=2", "eastus",
               "--end-of-life-date", "2040-01-01")  # fmt: skip
    v = cli(definition, "sig", "image-version", "show", *IDS, "--expand", "ReplicationStatus")
    assert keys(v) <= AZURE_VERSION
    assert (v["name"], v["location"], v["provisioningState"]) == ("1.0.0", "westeurope",
                                                                  "Succeeded")  # fmt: skip
    profile = v["publishingProfile"]
    assert keys(profile) <= AZURE_PUBLISHING
    assert (profile["replicaCount"], profile["storageAccountType"]) == (1, "Standard_LRS")
    assert (profile["excludeFromLatest"], profile["endOfLifeDate"]) == (
        False,
        "2040-01-01T00:00:00Z",
    )
    assert all(keys(t) <= AZURE_TARGET_REGION for t in profile["targetRegions"])
    assert [t["regionalReplicaCount"] for t in profile["targetRegions"]] == [2, 1]
    os_disk = v["storageProfile"]["osDiskImage"]
    assert keys(os_disk) <= AZURE_DISK_IMAGE | IMGREPL_DISK_IMAGE
    assert os_disk["sizeInGB"] == 1 and os_disk["sizeInBytes"] == image.stat().st_size
    assert v["safetyProfile"] == {"allowDeletionOfReplicatedLocations": False}
    status = v["replicationStatus"]
    assert keys(status) == {"aggregatedState", "summary"}
    assert all(keys(s) == AZURE_SUMMARY for s in status["summary"])
    # replicationStatus only with --expand, as in Azure
    assert "replicationStatus" not in cli(definition, "sig", "image-version", "show", *IDS)
    fixed = cli_run(definition, "sig", "image-version", "update", *IDS,
                    "--set", "publishingProfile.replicationMode=Shallow")  # fmt: skip
    assert fixed.returncode == 1 and (
        "error: publishingProfile.replicationMode of an existing version cannot be changed"
        in fixed.stderr
    )


def test_errors_are_one_line_and_change_nothing(definition: Path) -> None:
    refused = cli_run(
        definition, "sig", "image-definition", "update", "-r", "G", "-i", "D",
        "--set", "osType=Windows",
    )  # fmt: skip
    assert refused.returncode == 1
    assert refused.stderr == (
        "imgrepl sig image-definition update: error: osType of an existing definition cannot "
        "be changed; updatable: description, endOfLifeDate, releaseNoteUri, "
        "recommended.vCPUs.min, recommended.vCPUs.max, recommended.memory.min, "
        "recommended.memory.max, tags\n"
    )
    assert cli(definition, "sig", "image-definition", "show", "-r", "G", "-i", "D")["osType"] == (
        "Linux"
    )
    missing = cli_run(definition, "sig", "image-version", "list", "-r", "G", "-i", "nope")
    assert missing.returncode == 1 and "image definition G/nope not found" in missing.stderr
    rec = cli(definition, "sig", "recommend-replicas", "--concurrent-vms", "130", "--scale-sets",
              "2")  # fmt: skip
    assert rec["recommendedReplicaCount"] == 7


def test_processes_write_one_catalog(definition: Path, catalog_url: str | None) -> None:
    """Many CLI processes create definitions at once: none is lost, none corrupts."""
    create = cli_argv(definition, "sig", "image-definition", "create", "-r", "G",
                      "--publisher", "p", "--offer", "o", "--os-type", "Linux")  # fmt: skip
    procs = [
        subprocess.Popen(
            [*create, "-i", f"E{i}", "--sku", f"s{i}"], stderr=subprocess.PIPE, env=cli_env()
        )
        for i in range(8)
    ]
    errors = [p.communicate()[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, errors
    names = sorted(d["name"] for d in cli(definition, "sig", "image-definition", "list", "-r", "G"))
    assert names == sorted(["D", *(f"E{i}" for i in range(8))])
    if catalog_url is None:  # SQLite: the file is intact too
        db = sqlite3.connect(definition / "catalog.db")
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        db.close()
