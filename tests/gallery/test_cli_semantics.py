"""az's semantics that automation written for Azure relies on, on all three
resource kinds: `--tags` on create, `update --set tags.K=V / --add tags
K=V / --remove tags.K`, create-or-update (the same body again is a no-op
printing the resource; another one updates what may change and refuses
what may not, naming it), deleting what is gone succeeds, and shell
completion of names from the catalog."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers.gallery import (
    IDS,
    catalog_state,
    cli,
    cli_env,
    cli_run,
    create_cli,
    files_under,
    stamps,
)

DEF_IDS = ["-r", "G", "-i", "D"]
VERSION = ["sig", "image-version"]


def test_tags_on_create_and_generic_update_of_all_three(definition: Path, image: Path) -> None:
    g = cli(definition, "sig", "create", "-r", "T", "-l", "westeurope", "--description", "kept",
            "--tags", "env=prod", "a=1")  # fmt: skip
    assert g["tags"] == {"env": "prod", "a": "1"}
    d = cli(definition, "sig", "image-definition", "create", "-r", "T", "-i", "D",
            "--publisher", "p", "--offer", "o", "--sku", "s", "--os-type", "Linux",
            "--tags", "team=os")  # fmt: skip
    assert d["tags"] == {"team": "os"}
    v = create_cli(definition, "1.0.0", image, "--tags", "build=42")
    assert v["tags"] == {"build": "42"}
    edit = ["--set", "tags.owner=ann", "--add", "tags", "x=1", "y=2", "--remove", "tags.a"]
    for update in (
        ["sig", "update", "-r", "T"],
        ["sig", "image-definition", "update", "-r", "T", "-i", "D"],
        [*VERSION, "update", *IDS],
    ):
        cli(definition, *update, "--tags", "a=1", "keep=me")
        changed = cli(definition, *update, *edit)["tags"]
        assert changed == {"keep": "me", "owner": "ann", "x": "1", "y": "2"}
        assert cli(definition, *update, "--remove", "tags", "x")["tags"] == {
            "keep": "me",
            "owner": "ann",
            "y": "2",
        }
        assert cli(definition, *update, "--tags", "only=this")["tags"] == {"only": "this"}
        assert cli(definition, *update, "--remove", "tags")["tags"] == {}
    shown = cli(definition, "sig", "show", "-r", "T")
    assert (shown["tags"], shown["description"]) == ({}, "kept")  # tag edits keep the rest
    state = catalog_state(definition)
    for bad, message in (
        (["--set", "tags.a/b=1"], "invalid tag name 'a/b'"),
        (["--add", "description", "x=1"], "only tags can be added to"),
        (["--remove", "location"], "only tags can be removed"),
        (["--set", "tags.k=1", "--remove", "tags.k"], "tags.k is changed twice"),
    ):
        result = cli_run(definition, "sig", "update", "-r", "T", *bad)
        assert result.returncode == 1 and message in result.stderr, result.stderr
        assert result.stderr.count("\n") == 1
    assert catalog_state(definition) == state


def test_create_again_is_create_or_update(definition: Path, image: Path, stores: Path) -> None:
    g = ["sig", "create", "-r", "G", "-l", "westeurope"]
    first = cli(definition, *g, "--description", "one")
    assert cli(definition, *g, "--description", "one") == first  # the same body: no-op
    assert cli(definition, *g, "--description", "two")["description"] == "two"
    moved = cli_run(definition, "sig", "create", "-r", "G", "-l", "eastus")
    assert moved.returncode == 1 and "location cannot be changed" in moved.stderr

    d = ["sig", "image-definition", "create", *DEF_IDS, "--publisher", "acme", "--offer", "os",
         "--sku", "1", "--os-type", "Linux"]  # fmt: skip
    same = cli(definition, *d)
    assert cli(definition, *d) == same
    assert cli(definition, *d, "--description", "now")["description"] == "now"
    windows = cli_run(definition, *d[:-1], "Windows")
    assert windows.returncode == 1 and "osType cannot be changed" in windows.stderr

    made = create_cli(definition, "1.0.0", image, "--target-regions", "westeurope")
    replicas = files_under(stores)
    before = stamps(replicas)
    again = create_cli(definition, "1.0.0", image, "--target-regions", "westeurope")
    assert again == made and stamps(replicas) == before  # nothing copied again
    grown = create_cli(definition, "1.0.0", image, "--target-regions", "westeurope", "eastus=2")
    assert [t["name"] for t in grown["publishingProfile"]["targetRegions"]] == [
        "westeurope",
        "eastus",
    ]
    assert len(files_under(stores / "eastus")) == 4  # two replicas with their manifests
    state = catalog_state(definition)
    for extra, field in (
        (["--storage-account-type", "Standard_ZRS"], "publishingProfile.storageAccountType"),
        (["-l", "eastus"], "location"),
    ):
        refused = cli_run(definition, *VERSION, "create", *IDS, "--os-vhd", str(image),
                          "--target-regions", "westeurope", "eastus=2", "-l", "westeurope",
                          *extra)  # fmt: skip
        assert refused.returncode == 1 and f"{field} cannot be changed" in refused.stderr
    other = image.with_name("other.vhd")
    other.write_bytes(image.read_bytes())
    moved_source = cli_run(definition, *VERSION, "create", *IDS, "-l", "westeurope",
                           "--os-vhd", str(other))  # fmt: skip
    assert "storageProfile cannot be changed" in moved_source.stderr
    assert catalog_state(definition) == state


def test_deleting_what_is_gone_succeeds(definition: Path) -> None:
    for args in (
        [*VERSION, "delete", *DEF_IDS, "-e", "9.9.9"],
        ["sig", "image-definition", "delete", "-r", "G", "-i", "nope"],
        ["sig", "image-definition", "delete", "-r", "nope", "-i", "D"],
        ["sig", "delete", "-r", "nope"],
        ["sig", "delete", "-r", "G", "-g", "elsewhere"],
    ):
        result = cli_run(definition, *args)
        assert (result.returncode, result.stdout, result.stderr) == (0, "", ""), args
    cli(definition, "sig", "image-definition", "delete", *DEF_IDS)
    cli(definition, "sig", "delete", "-r", "G")
    assert cli(definition, "sig", "delete", "-r", "G") is None  # twice: still no error
    busy = cli_run(definition, "sig", "list")
    assert busy.returncode == 0 and busy.json() == []


def _complete(home: Path, line: str, tmp: Path, **extra: str) -> list[str]:
    out = tmp / "completions"
    env = {**cli_env(), "_ARGCOMPLETE": "1", "COMP_LINE": line, "COMP_POINT": str(len(line)),
           "_ARGCOMPLETE_STDOUT_FILENAME": str(out), "IMGREPL_HOME": str(home),
           **extra}  # fmt: skip
    subprocess.run([sys.executable, "-m", "imgrepl"], env=env, check=True, timeout=60)
    return sorted(out.read_text().replace("\v", " ").split())


def test_names_complete_from_the_catalog(definition: Path, image: Path, tmp_path: Path) -> None:
    cli(definition, "sig", "create", "-r", "Gold", "-l", "westeurope")
    cli(definition, "sig", "create", "-r", "Other", "-l", "westeurope", "-g", "team")
    create_cli(definition, "1.0.0", image)
    create_cli(definition, "1.1.0", image)
    assert _complete(definition, "imgrepl sig show -r G", tmp_path) == ["G", "Gold"]
    assert _complete(definition, "imgrepl sig show -g team -r ", tmp_path) == ["Other"]
    line = "imgrepl sig image-definition show -r G -i "
    assert _complete(definition, line, tmp_path) == ["D"]
    line = "imgrepl sig image-version show -r G -i D -e 1."
    assert _complete(definition, line, tmp_path) == ["1.0.0", "1.1.0"]
    missing = tmp_path / "no-home"
    # (the home's own catalog, not the PostgreSQL one the test may run on)
    assert _complete(missing, "imgrepl sig show -r ", tmp_path, IMGREPL_CATALOG="") == []
    assert not missing.exists()  # completing never creates a home
