"""The home is private to its owner: created 0700 with every directory in it
0700 and every file 0600 (catalog and its WAL, secrets, logs) even under
a permissive umask, and an existing home that other users could read is
fixed when it is opened, with one warning on stderr."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.gallery import IDS, catalog_at_rest, catalog_sql, cli, cli_run, create_cli


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def modes(home: Path) -> dict[str, int]:
    """Path under the home -> its permission bits (symbolic links left out)."""
    found = {".": stat.S_IMODE(home.stat().st_mode)}
    for p in home.rglob("*"):
        if not p.is_symlink():
            found[str(p.relative_to(home))] = stat.S_IMODE(p.lstat().st_mode)
    return found


S3 = ["--store", "s3://bucket/s1", "--no-check", "--store-option", "endpoint=http://127.0.0.1:1",
      "--store-option", "allow_http=true", "--store-option", "access_key_id=id"]  # fmt: skip


def test_a_new_home_and_everything_in_it_is_private(
    home: Path, tmp_path: Path, image: Path, open_umask: None, catalog_url: str | None
) -> None:
    """With its catalog in the home (SQLite) or elsewhere (PostgreSQL): the
    secrets file and the worker's logs are private from their first byte."""
    cli(home, "region", "add", "westeurope", "--store", str(tmp_path / "we"))
    cli(home, "region", "add", "s1", *S3, "--store-option", "secret_access_key=s3cr3t")
    cli(home, "sig", "create", "-r", "G", "-l", "westeurope")
    cli(home, "sig", "image-definition", "create", "-r", "G", "-i", "D", "--publisher", "a",
        "--offer", "o", "--sku", "s", "--os-type", "Linux")  # fmt: skip
    create_cli(home, "1.0.0", image, "--no-wait")
    cli(home, "sig", "image-version", "wait", *IDS)
    found = modes(home)
    assert "secrets.json" in found and any(k.startswith("logs/") for k in found), found
    assert ("catalog.db" in found) == (catalog_url is None), found  # only SQLite's is here
    for path, mode in found.items():
        want = 0o700 if (home / path).is_dir() else 0o600
        assert mode == want, f"{path}: {oct(mode)}"


def test_an_existing_home_open_to_others_is_fixed_with_a_warning(
    home: Path, catalog_url: str | None
) -> None:
    home.mkdir()
    assert cli(home, "region", "list") == []  # SQLite makes its catalog file here
    (home / "logs").mkdir(mode=0o755)
    (home / "logs" / "old.log").write_text("x")
    (home / "secrets.json").write_text("{}")
    opened_up = [(home, 0o755), (home / "logs", 0o755), (home / "logs" / "old.log", 0o664),
                 (home / "secrets.json", 0o644)]  # fmt: skip
    if catalog_url is None:
        opened_up.append((home / "catalog.db", 0o644))
    for path, mode in opened_up:
        os.chmod(path, mode)

    opened = cli_run(home, "region", "list")
    assert opened.returncode == 0
    assert f"warning: home {home} was open to other users ({len(opened_up)} paths" in (
        opened.stderr
    )
    assert opened.stderr.count("\n") == 1
    assert set(modes(home).values()) <= {0o700, 0o600}
    again = cli_run(home, "region", "list")
    assert again.returncode == 0 and again.stderr == ""


def test_secrets_an_older_catalog_holds_are_moved_out_on_open(home: Path, tmp_path: Path) -> None:
    """A catalog from before secrets left it: the first open moves them to
    the secrets file, and the value is gone from what a backup of the
    catalog holds (SQLite's files, as `strings catalog.db` reads them, or
    PostgreSQL's pg_dump)."""
    import json

    secret = "old-plain-secret-0xC0FFEE"
    cli(home, "region", "add", "l1", "--store", str(tmp_path / "l1"))
    options = {"endpoint": "http://127.0.0.1:1", "allow_http": "true",
               "access_key_id": "id", "secret_access_key": secret}  # fmt: skip
    catalog_sql(
        home,
        "INSERT INTO regions (name, display_name, store, store_options) VALUES (?, ?, ?, ?)",
        ("s1", "s1", "s3://bucket/s1", json.dumps(options)),
    )
    assert secret.encode() in catalog_at_rest(home)

    opened = cli_run(home, "region", "list")
    assert opened.returncode == 0, opened.stderr
    assert "region 's1': secret store options moved from the catalog" in opened.stderr
    assert secret.encode() not in catalog_at_rest(home)
    assert json.loads((home / "secrets.json").read_text()) == {"s1": {"secret_access_key": secret}}
    again = cli_run(home, "region", "list")
    assert again.returncode == 0 and again.stderr == ""
    assert {r["name"]: r["storeOptions"] for r in again.json()}["s1"]["secret_access_key"] == "***"


def test_a_secret_given_at_region_add_never_reaches_the_catalog(
    home: Path, catalog_url: str | None, request: pytest.FixtureRequest
) -> None:
    """Nor any file of the PostgreSQL server (its tables and its WAL),
    checked after a checkpoint has written everything out."""
    secret = "fresh-secret-0xBADC0DE"
    cli(home, "region", "add", "s1", *S3, "--store-option", f"secret_access_key={secret}")
    listed = cli_run(home, "region", "list", output="table")
    assert secret not in listed.stdout + listed.stderr
    assert secret.encode() not in catalog_at_rest(home)
    if catalog_url is not None:
        server = request.getfixturevalue("postgres")
        server.sql("CHECKPOINT")
        files = [p for p in (server.dir / "data").rglob("*") if p.is_file()]
        assert len(files) > 100  # the whole cluster, WAL included
        assert not [p for p in files if secret.encode() in p.read_bytes()]


def test_regions_saving_secrets_at_once_all_keep_theirs(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    code = (
        "import sys; from pathlib import Path; from imgrepl.api.store_secrets import save\n"
        "for i in range(20): save(Path(sys.argv[1]), f'r{sys.argv[2]}-{i}', {'password': 'p'})"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(home), str(n)]) for n in range(6)]
    assert [p.wait(60) for p in procs] == [0] * 6
    assert len(json.loads((home / "secrets.json").read_text())) == 6 * 20


@pytest.mark.parametrize("where", ["a-file", "a-file/home"])
def test_a_home_that_cannot_be_a_directory_is_one_clear_line(tmp_path: Path, where: str) -> None:
    (tmp_path / "a-file").write_text("x")
    result = cli_run(tmp_path / where, "region", "list")
    assert result.returncode == 1
    assert result.stderr == (
        f"imgrepl region list: error: home {tmp_path / where} is not a directory, "
        "nor a path where one can be made\n"
    )
    assert (tmp_path / "a-file").read_text() == "x"
