"""Version bundles between two homes: a version exported from one gallery and
imported into another is byte-identical there; with --base only the changed
chunks travel; a truncated, corrupt or base-less bundle is refused naming
what is wrong, and the receiving catalog is unchanged."""

from __future__ import annotations

import random
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.gallery import (
    CATALOGS,
    CHUNK,
    IDS,
    catalog_state,
    cli,
    cli_argv,
    cli_env,
    cli_run,
    create_cli,
    local,
    raw,
    run,
    setup_definition,
    xxh128,
)

IMPORT = ["sig", "image-version", "import", "-r", "G", "-i", "D", "-l", "westeurope"]


def export(home: Path, out: Path, version: str = "1.0.0", *extra: str) -> dict[str, object]:
    ids = ["-r", "G", "-i", "D", "-e", version]
    result = cli(home, "sig", "image-version", "export", *ids, "--out", str(out), *extra)
    assert isinstance(result, dict)
    return result


def replica_files(version: dict[str, object], home: Path) -> list[Path]:
    found = cli(home, "sig", "image-version", "list-replicas", *IDS[:4], "-e", version["name"])
    assert found and all(r["state"] == "Completed" for r in found)
    return [local(r["location"]) for r in found]


@pytest.fixture
def receiver(
    tmp_path: Path, catalog_url: str | None, request: pytest.FixtureRequest
) -> Iterator[Path]:
    """A second home with its own regions and G/D, no versions (and on
    PostgreSQL, a catalog database of its own)."""
    home = tmp_path / "receiver"
    if catalog_url is not None:
        CATALOGS[home] = request.getfixturevalue("postgres").fresh()
    try:
        run(setup_definition(home, tmp_path / "receiver-stores"))
        yield home
    finally:
        CATALOGS.pop(home, None)


@pytest.fixture
def v1(definition: Path, tmp_path: Path) -> Path:
    """G/D/1.0.0 in `definition`'s home, from a 24 MiB raw image (6 chunks, one zero)."""
    image = raw(tmp_path / "v1.raw", 24)
    with image.open("r+b") as f:
        f.seek(2 * CHUNK)
        f.write(bytes(CHUNK))
    create_cli(definition, "1.0.0", image, "--target-regions", "westeurope", "eastus")
    return image


def test_a_version_travels_to_another_home_byte_for_byte(
    definition: Path, receiver: Path, v1: Path, tmp_path: Path
) -> None:
    bundle = tmp_path / "v1.bundle"
    stats = export(definition, bundle)
    assert stats["chunks"] == 5 and stats["zeroChunks"] == 1 and stats["baseChunks"] == 0
    assert bundle.stat().st_size == stats["sizeInBytes"]
    got = cli(receiver, *IMPORT, "--bundle", str(bundle), "--target-regions", "westeurope=2")
    assert got["replicationStatus"]["aggregatedState"] == "Completed"
    files = replica_files(got, receiver)
    assert len(files) == 2 and {xxh128(f) for f in files} == {xxh128(v1)}
    assert not any((receiver / "imports").iterdir())  # the unpacked disks are gone


def test_with_a_base_only_the_changed_chunks_travel(
    definition: Path, receiver: Path, v1: Path, tmp_path: Path
) -> None:
    v2 = tmp_path / "v2.raw"
    shutil.copy(v1, v2)
    with v2.open("r+b") as f:  # one chunk changed
        f.seek(3 * CHUNK + 100)
        f.write(b"patched")
    create_cli(definition, "1.1.0", v2)
    full, delta = tmp_path / "full.bundle", tmp_path / "delta.bundle"
    export(definition, full)
    stats = export(definition, delta, "1.1.0", "--base", "1.0.0")
    assert (stats["chunks"], stats["baseChunks"], stats["zeroChunks"]) == (1, 4, 1)
    assert delta.stat().st_size < full.stat().st_size / 3
    cli(receiver, *IMPORT, "--bundle", str(full))
    got = cli(receiver, *IMPORT, "--bundle", str(delta), "-e", "1.1.0")
    assert [xxh128(f) for f in replica_files(got, receiver)] == [xxh128(v2)]


def test_a_bundle_whose_base_is_missing_is_refused_and_records_nothing(
    definition: Path, receiver: Path, v1: Path, tmp_path: Path
) -> None:
    create_cli(definition, "1.1.0", v1)
    delta = tmp_path / "delta.bundle"
    export(definition, delta, "1.1.0", "--base", "1.0.0")
    before = catalog_state(receiver)
    result = cli_run(receiver, *IMPORT, "--bundle", str(delta))
    assert result.returncode != 0
    assert "chunk 0 of disk os is neither in the bundle nor in a replica of base version 1.0.0" in (
        result.stderr
    )
    assert catalog_state(receiver) == before


@pytest.mark.parametrize("seed", range(4))
def test_a_truncated_or_flipped_bundle_is_refused_naming_where(
    definition: Path, receiver: Path, v1: Path, tmp_path: Path, seed: int
) -> None:
    bundle = tmp_path / "v1.bundle"
    export(definition, bundle)
    data = bundle.read_bytes()
    rng = random.Random(seed)
    cut = rng.randrange(1, len(data))
    flipped = bytearray(data)
    flipped[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    before = catalog_state(receiver)
    for broken, words in ((data[:cut], "truncated"), (bytes(flipped), "corrupt")):
        bad = tmp_path / "bad.bundle"
        bad.write_bytes(broken)
        result = cli_run(receiver, *IMPORT, "--bundle", str(bad))
        assert result.returncode != 0, words
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
        assert words in lines[0] or "magic" in lines[0] or "format" in lines[0], lines[0]
        assert catalog_state(receiver) == before


def test_export_to_a_pipe_imports_from_a_pipe(definition: Path, receiver: Path, v1: Path) -> None:
    ids = ["-r", "G", "-i", "D", "-e", "1.0.0"]
    exporter = subprocess.Popen(
        cli_argv(definition, "sig", "image-version", "export", *ids, "--out", "-"),
        stdout=subprocess.PIPE,
        env=cli_env(),
    )
    assert exporter.stdout is not None
    with exporter.stdout:
        importer = subprocess.run(
            cli_argv(receiver, *IMPORT, "--bundle", "-", "-e", "2.0.0"),
            stdin=exporter.stdout,
            capture_output=True,
            text=True,
            env=cli_env(),
            timeout=120,
        )
    assert exporter.wait(timeout=60) == 0
    assert importer.returncode == 0, importer.stderr
    got = cli(receiver, "sig", "image-version", "show", *IDS[:4], "-e", "2.0.0")
    assert [xxh128(f) for f in replica_files(got, receiver)] == [xxh128(v1)]
