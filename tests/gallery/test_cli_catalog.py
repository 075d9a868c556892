"""The `imgrepl region` and `imgrepl sig` commands in subprocesses: Azure-shaped
JSON, one-line errors with exit status 1, and several processes on one catalog."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from gallerykit import OWNER, cli, cli_proc


def test_region_commands(home: Path, tmp_path: Path) -> None:
    added = cli(
        home, "region", "add", "West Europe", "--store", str(tmp_path / "we"), "--zones", "3"
    )
    assert added["name"] == "westeurope" and added["availabilityZones"] == ["1", "2", "3"]
    dup = cli_proc(home, "region", "add", "westeurope", "--store", str(tmp_path / "x"))
    assert (
        dup.returncode == 1
        and dup.stderr == "imgrepl region add: error: region 'westeurope' exists already\n"
    )
    bad = cli_proc(home, "region", "add", "west/europe", "--store", str(tmp_path / "x"))
    assert bad.returncode == 1 and "invalid region name 'west/europe'" in bad.stderr
    assert [r["name"] for r in cli(home, "region", "list")] == ["westeurope"]
    assert cli(home, "region", "show", "WestEurope")["store"] == (tmp_path / "we").as_uri()
    limits = cli(home, "region", "limits", "--galleries", "5")
    assert limits == {"galleries": 5, "definitions": 1000, "versions": 10000}
    assert cli(home, "region", "remove", "westeurope") is None
    assert cli(home, "region", "list") == []


def test_sig_json_is_shaped_like_azure(home: Path, tmp_path: Path) -> None:
    cli(home, "region", "add", "westeurope", "--store", str(tmp_path / "we"))
    g = cli(home, "sig", "create", "-r", "G", "-l", "West Europe", "--description", "d")
    assert {k: g[k] for k in ("id", "name", "location", "type", "provisioningState")} == {
        "id": "/galleries/G",
        "name": "G",
        "location": "westeurope",
        "type": "Microsoft.Compute/galleries",
        "provisioningState": "Succeeded",
    }
    d = cli(
        home,
        "sig",
        "image-definition",
        "create",
        "-r",
        "G",
        "-i",
        "D",
        "--publisher",
        "p",
        "--offer",
        "o",
        "--sku",
        "s",
        "--os-type",
        "Windows",
        "--tags",
        "env=prod",
        "--minimum-cpu-core",
        "2",
        "--hyper-v-generation",
        "V2",
    )
    assert d["identifier"] == {"publisher": "p", "offer": "o", "sku": "s"}
    assert (d["osType"], d["osState"], d["hyperVGeneration"]) == ("Windows", "Generalized", "V2")
    assert d["recommended"]["vCPUs"] == {"min": 2, "max": None} and d["tags"] == {"env": "prod"}
    assert cli(home, "sig", "image-definition", "show", "-r", "G", "-i", "D") == d
    refused = cli_proc(
        home, "sig", "image-definition", "update", "-r", "G", "-i", "D", "--set", "osType=Linux"
    )
    assert refused.returncode == 1
    assert "osType of an existing definition cannot be changed" in refused.stderr
    assert cli(home, "sig", "image-definition", "show", "-r", "G", "-i", "D")["osType"] == "Windows"
    missing = cli_proc(home, "sig", "image-version", "list", "-r", "G", "-i", "nope")
    assert missing.returncode == 1 and "image definition G/nope not found" in missing.stderr
    rec = cli(home, "sig", "recommend-replicas", "--concurrent-vms", "130", "--scale-sets", "2")
    assert rec["recommendedReplicaCount"] == 7


def test_two_processes_write_one_catalog(home: Path, tmp_path: Path) -> None:
    """Many CLI processes create definitions at once: none is lost, none corrupts."""
    cli(home, "region", "add", "westeurope", "--store", str(tmp_path / "we"))
    cli(home, "sig", "create", "-r", "G", "-l", "westeurope")
    argv = [
        sys.executable,
        "-m",
        "imgrepl",
        "sig",
        "image-definition",
        "create",
        "--home",
        str(home),
        "-r",
        "G",
        "--publisher",
        "p",
        "--offer",
        "o",
        "--os-type",
        "Linux",
    ]
    env = {**os.environ, "IMGREPL_PRINCIPAL": OWNER}
    procs = [
        subprocess.Popen([*argv, "-i", f"D{i}", "--sku", f"s{i}"], stderr=subprocess.PIPE, env=env)
        for i in range(8)
    ]
    errors = [p.communicate()[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, errors
    names = sorted(d["name"] for d in cli(home, "sig", "image-definition", "list", "-r", "G"))
    assert names == sorted(f"D{i}" for i in range(8))
    db = sqlite3.connect(home / "catalog.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
