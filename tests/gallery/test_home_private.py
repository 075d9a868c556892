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
from helpers.gallery import IDS, cli, cli_run, create_cli


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


@pytest.mark.sqlite_only  # the catalog file in the home is part of what is checked
def test_a_new_home_and_everything_in_it_is_private(
    home: Path, tmp_path: Path, image: Path, open_umask: None
) -> None:
    cli(home, "region", "add", "westeurope", "--store", str(tmp_path / "we"))
    cli(home, "sig", "create", "-r", "G", "-l", "westeurope")
    cli(home, "sig", "image-definition", "create", "-r", "G", "-i", "D", "--publisher", "a",
        "--offer", "o", "--sku", "s", "--os-type", "Linux")  # fmt: skip
    create_cli(home, "1.0.0", image, "--no-wait")
    cli(home, "sig", "image-version", "wait", *IDS)
    found = modes(home)
    assert "catalog.db" in found and any(k.startswith("logs/") for k in found), found
    for path, mode in found.items():
        want = 0o700 if (home / path).is_dir() else 0o600
        assert mode == want, f"{path}: {oct(mode)}"


@pytest.mark.sqlite_only  # the catalog file in the home is part of what is checked
def test_an_existing_home_open_to_others_is_fixed_with_a_warning(home: Path) -> None:
    assert cli(home, "region", "list") == []
    (home / "logs").mkdir(mode=0o755)
    (home / "logs" / "old.log").write_text("x")
    for path, mode in [(home, 0o755), (home / "catalog.db", 0o644), (home / "logs", 0o755),
                       (home / "logs" / "old.log", 0o664)]:  # fmt: skip
        os.chmod(path, mode)

    opened = cli_run(home, "region", "list")
    assert opened.returncode == 0
    assert f"warning: home {home} was open to other users (4 paths" in opened.stderr
    assert opened.stderr.count("\n") == 1
    assert set(modes(home).values()) <= {0o700, 0o600}
    again = cli_run(home, "region", "list")
    assert again.returncode == 0 and again.stderr == ""


@pytest.mark.sqlite_only  # the catalog file in the home is part of what is checked
def test_secrets_an_older_catalog_holds_are_moved_out_on_open(home: Path, tmp_path: Path) -> None:
    """A catalog from before secrets left it: the first open moves them to
    the secrets file, and the old value's bytes are gone from the catalog
    files (what `strings catalog.db` would print)."""
    import json
    import sqlite3

    secret = "old-plain-secret-0xC0FFEE"
    cli(home, "region", "add", "l1", "--store", str(tmp_path / "l1"))
    options = {"endpoint": "http://127.0.0.1:1", "allow_http": "true",
               "access_key_id": "id", "secret_access_key": secret}  # fmt: skip
    db = sqlite3.connect(home / "catalog.db")
    with db:
        db.execute(
            "INSERT INTO regions (name, display_name, store, store_options) VALUES (?, ?, ?, ?)",
            ("s1", "s1", "s3://bucket/s1", json.dumps(options)),
        )
    db.close()
    assert secret.encode() in b"".join(p.read_bytes() for p in home.glob("catalog.db*"))

    opened = cli_run(home, "region", "list")
    assert opened.returncode == 0, opened.stderr
    assert "region 's1': secret store options moved from the catalog" in opened.stderr
    assert secret.encode() not in b"".join(p.read_bytes() for p in home.glob("catalog.db*"))
    assert json.loads((home / "secrets.json").read_text()) == {"s1": {"secret_access_key": secret}}
    again = cli_run(home, "region", "list")
    assert again.returncode == 0 and again.stderr == ""
    assert {r["name"]: r["storeOptions"] for r in again.json()}["s1"]["secret_access_key"] == "***"


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
