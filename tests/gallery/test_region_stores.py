"""`region add` gives every region a store location of its own (no two
regions share or nest one, however the URL is spelt), refuses a store it
cannot use or serve, and a region name with a tab or newline; each refusal
is one clear line, a non-zero exit, and leaves the catalog as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers.gallery import catalog_state, cli, cli_run


@pytest.fixture
def srv(tmp_path: Path, home: Path) -> Path:
    """A home with region l1 on <srv>/shared, and a symlink <tmp>/link -> <srv>."""
    root = tmp_path / "srv"
    (root / "shared").mkdir(parents=True)
    (tmp_path / "link").symlink_to(root)
    (tmp_path / "a-file").write_bytes(b"x")
    cli(home, "region", "add", "l1", "--store", str(root / "shared"))
    return root


SHARED = [
    ("file:///{srv}/shared", "is the same location as"),
    ("file://{srv}/shared/", "is the same location as"),
    ("file://{srv}/sh%61red", "is the same location as"),
    ("{srv}/x/../shared", "is the same location as"),
    ("{srv}//shared//", "is the same location as"),
    ("{tmp}/link/shared", "is the same location as"),
    ("{tmp}/link/shared/inner", "lies inside"),
    ("{srv}/shared/zone-1", "lies inside"),
    ("{srv}", "contains"),
    ("{tmp}/link", "contains"),
]


@pytest.mark.parametrize(("store", "how"), SHARED)
def test_a_store_another_region_uses_or_nests_with_is_refused(
    home: Path, srv: Path, tmp_path: Path, store: str, how: str
) -> None:
    before = catalog_state(home)
    url = store.format(srv=srv, tmp=tmp_path).replace("file:////", "file:///")
    result = cli_run(home, "region", "add", "l2", "--store", url)
    assert result.returncode == 1
    assert how in result.stderr and "region 'l1'" in result.stderr
    assert result.stderr.count("\n") == 1
    assert catalog_state(home) == before


def test_a_sibling_store_with_a_common_name_prefix_is_accepted(home: Path, srv: Path) -> None:
    """`shared2` is not inside `shared`: parts are compared, not characters."""
    assert cli(home, "region", "add", "l2", "--store", str(srv / "shared2"))["name"] == "l2"


OBJECT_SHARED = [
    ("s3://bucket/a", "s3://bucket/a/", "is the same location as"),
    ("s3://bucket/a", "s3://BUCKET/a", "is the same location as"),
    ("s3://bucket/a", "s3://bucket/%61", "is the same location as"),
    ("s3://bucket/a", "s3://bucket//a/b", "lies inside"),
    ("s3://bucket/a/b", "s3://bucket", "contains"),
    ("az://c/p", "azure://c/p", "is the same location as"),
]


def add_unchecked(home: Path, name: str, store: str) -> None:
    """An object-store region without the reachability check (no server here)."""
    from helpers.gallery import run
    from imgrepl import Client

    async def go() -> None:
        async with Client(home, principal="owner") as c:
            await c.add_region(name, store, check=False)

    run(go())


@pytest.mark.parametrize(("first", "second", "how"), OBJECT_SHARED)
def test_object_store_prefixes_are_compared_as_the_service_reads_them(
    home: Path, first: str, second: str, how: str
) -> None:
    from imgrepl.exceptions import ValidationError

    add_unchecked(home, "r1", first)
    before = catalog_state(home)
    with pytest.raises(ValidationError, match=f"{how} the store of region 'r1'"):
        add_unchecked(home, "r2", second)
    assert catalog_state(home) == before


def test_object_keys_are_case_sensitive_and_buckets_distinct(home: Path) -> None:
    for name, store in [("r1", "s3://bucket/a"), ("r2", "s3://bucket/A"),
                        ("r3", "s3://other/a"), ("r4", "az://bucket/a")]:  # fmt: skip
        add_unchecked(home, name, store)
    assert len(cli(home, "region", "list")) == 4


@pytest.mark.parametrize(
    ("store", "why"),
    [
        ("{tmp}/a-file", "exists and is not a directory"),
        ("{tmp}/a-file/sub", "is not a directory, so"),
        ("/dev/null", "exists and is not a directory"),
        ("http://example.com/x", "http:// stores are not served by this build"),
        ("ftp://example.com/x", "ftp:// stores are not served by this build"),
        ("gs://bucket/x", "gs:// stores are not served by this build"),
        ("s3://bucket/a/../b", "'..' are not allowed"),
    ],
)
def test_a_store_that_cannot_be_used_is_refused(
    home: Path, srv: Path, tmp_path: Path, store: str, why: str
) -> None:
    before = catalog_state(home)
    result = cli_run(home, "region", "add", "l2", "--store", store.format(tmp=tmp_path))
    assert result.returncode == 1 and why in result.stderr
    assert result.stderr.count("\n") == 1
    assert catalog_state(home) == before


def test_an_unreachable_object_store_is_refused_quickly(home: Path, srv: Path) -> None:
    """Nothing listens on port 1: refused at once, naming the store, with
    the way out; without the check it is recorded."""
    import time

    before = catalog_state(home)
    settings = ["endpoint=http://127.0.0.1:1", "allow_http=true", "access_key_id=k",
                "secret_access_key=s"]  # fmt: skip
    opts = [arg for s in settings for arg in ("--store-option", s)]
    start = time.monotonic()
    result = cli_run(home, "region", "add", "s1", "--store", "s3://bucket/s1", *opts)
    assert time.monotonic() - start < 30
    assert result.returncode == 1
    assert "store s3://bucket/s1 is not reachable" in result.stderr
    assert "--no-check" in result.stderr
    assert catalog_state(home) == before

    unchecked = cli_run(home, "region", "add", "s1", "--store", "s3://bucket/s1", "--no-check",
                        *opts)  # fmt: skip
    assert unchecked.returncode == 0, unchecked.stderr
    assert [r["name"] for r in cli(home, "region", "list")] == ["l1", "s1"]


@pytest.mark.parametrize("name", ["east\tus", "eastus\n", "east\nus", "east\rus", "east\x0bus"])
def test_a_region_name_with_a_tab_or_newline_is_refused_not_stripped(
    home: Path, srv: Path, name: str
) -> None:
    before = catalog_state(home)
    result = cli_run(home, "region", "add", name, "--store", str(srv.parent / "e"))
    assert result.returncode == 1
    assert "invalid region name" in result.stderr and "tab, newline" in result.stderr
    assert catalog_state(home) == before
    assert os.path.exists(srv.parent / "e") is False


def test_spaces_in_a_region_name_are_still_ignored(home: Path, srv: Path) -> None:
    assert cli(home, "region", "add", " East US ", "--store", str(srv.parent / "e"))["name"] == (
        "eastus"
    )


@pytest.mark.parametrize(
    ("reference", "why"),
    [
        (
            "env:IMGREPL_TEST_UNSET_SECRET",
            "environment variable IMGREPL_TEST_UNSET_SECRET is unset",
        ),
        ("file:/nonexistent/secret", "/nonexistent/secret cannot be read"),
    ],
)
def test_a_secret_reference_that_resolves_to_nothing_is_refused(
    home: Path, srv: Path, reference: str, why: str
) -> None:
    before = catalog_state(home)
    result = cli_run(home, "region", "add", "s1", "--store", "s3://bucket/s1",
                     "--store-option", f"secret_access_key={reference}")  # fmt: skip
    assert result.returncode == 1 and why in result.stderr
    assert catalog_state(home) == before


def test_a_recorded_store_this_build_cannot_serve_fails_only_its_region(
    home: Path, srv: Path, tmp_path: Path
) -> None:
    """A home from before the scheme check (the region written straight
    into the catalog): its region fails alone, the healthy one completes."""
    from helpers.gallery import catalog_sql, region_states, vhd

    catalog_sql(
        home, "INSERT INTO regions (name, display_name, store) VALUES ('old', 'old', 'http://x/y')"
    )
    cli(home, "sig", "create", "-r", "G", "-l", "l1")
    cli(home, "sig", "image-definition", "create", "-r", "G", "-i", "D", "--publisher", "a",
        "--offer", "o", "--sku", "s", "--os-type", "Linux")  # fmt: skip
    image = vhd(tmp_path / "os.vhd", 2)
    ids = ["-r", "G", "-i", "D", "-e", "1.0.0", "-l", "l1", "--os-vhd", str(image)]
    made = cli_run(home, "sig", "image-version", "create", *ids, "--target-regions", "l1", "old")
    assert made.returncode == 1
    shown = cli(home, "sig", "image-version", "show", "-r", "G", "-i", "D", "-e", "1.0.0",
                "--expand", "ReplicationStatus")  # fmt: skip
    assert region_states(shown) == {"l1": "Completed", "old": "Failed"}


def test_a_version_targeting_regions_an_older_home_let_share_a_store_is_refused(
    home: Path, srv: Path, tmp_path: Path
) -> None:
    """Two regions on one store, written straight into the catalog (as
    `region add` once allowed): a version may not target both."""
    from helpers.gallery import catalog_sql, vhd

    catalog_sql(
        home,
        "INSERT INTO regions (name, display_name, store) VALUES ('l2', 'l2', ?)",
        ((srv / "shared").as_uri() + "/",),
    )
    cli(home, "sig", "create", "-r", "G", "-l", "l1")
    cli(home, "sig", "image-definition", "create", "-r", "G", "-i", "D", "--publisher", "a",
        "--offer", "o", "--sku", "s", "--os-type", "Linux")  # fmt: skip
    before = catalog_state(home)
    image = vhd(tmp_path / "os.vhd", 2)
    ids = ["-r", "G", "-i", "D", "-e", "1.0.0", "-l", "l1", "--os-vhd", str(image)]
    made = cli_run(home, "sig", "image-version", "create", *ids, "--target-regions", "l1", "l2")
    assert made.returncode == 1
    assert "region 'l2': its store is the same location as the store of region 'l1'" in (
        made.stderr
    )
    assert catalog_state(home) == before
    assert list((srv / "shared").iterdir()) == []
