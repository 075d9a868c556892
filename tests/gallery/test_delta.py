"""Delta replication in a gallery: version 2 of a definition crosses into a
region that holds version 1 as its changed chunks only; the rest comes
from the region's version 1 replica.  The replicas are byte for byte the
new image, egress (`cost`, the replicas' egressBytes) counts only what
crossed, `--no-delta` copies in full, and a damaged base is caught (also by
the region's further replicas, which take the same base when it is on their
filesystem)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers.gallery import cli, flip, local, run, setup_home
from helpers.pairs import CHUNK, changed_chunks, ext4_pair, synthetic_pair
from helpers.reflink import used_bytes, xfs_mount

TARGETS = ["westeurope", "eastus=2"]


def _home(home: Path, tmp_path: Path, where: Path | None = None) -> Path:
    stores = {n: (where or tmp_path) / "stores" / n for n in ("westeurope", "eastus")}
    run(setup_home(home, stores))
    return home


def _create(home: Path, version: str, image: Path, *extra: str) -> Any:
    ids = ["-r", "G", "-i", "D", "-e", version]
    return cli(home, "sig", "image-version", "create", *ids, "--os-vhd", str(image),
               "-l", "westeurope", "--target-regions", *TARGETS, *extra)  # fmt: skip


def _replicas(home: Path, version: str) -> list[Any]:
    ids = ["-r", "G", "-i", "D", "-e", version]
    return list(cli(home, "sig", "image-version", "list-replicas", *ids))


def _cost(home: Path, version: str) -> Any:
    ids = ["-r", "G", "-i", "D", "-e", version]
    return cli(home, "sig", "image-version", "cost", *ids)


def _expected(old: Path, new: Path) -> tuple[int, int]:
    """(crossed, local), read independently: changed chunks cross, unchanged
    ones come from the base, all-zero chunks are neither (never shipped)."""
    changed = set(changed_chunks(old, new))
    crossed = local = 0
    with new.open("rb") as f:
        for i in range(-(-new.stat().st_size // CHUNK)):
            data = f.read(CHUNK)
            if data.count(0) == len(data):
                continue
            if i in changed:
                crossed += len(data)
            else:
                local += len(data)
    return crossed, local


def _assert_replicas_are(home: Path, version: str, image: Path) -> list[Any]:
    reps = _replicas(home, version)
    assert len(reps) == 3 and all(r["state"] == "Completed" for r in reps), reps
    for r in reps:
        assert local(r["location"]).read_bytes() == image.read_bytes(), r["location"]
    return reps


def test_five_percent_changed_crosses_five_percent(home: Path, tmp_path: Path) -> None:
    _home(home, tmp_path)
    v1, v2 = synthetic_pair(tmp_path, 20, (7,))
    _create(home, "1.0.0", v1)
    _create(home, "1.1.0", v2)
    reps = _assert_replicas_are(home, "1.1.0", v2)
    # each region's first copy takes 19 chunks from its own 1.0.0 replica; only
    # eastus's one changed chunk crosses (the source region's copy crosses nothing)
    firsts = [r for r in reps if r["deltaBase"]]
    assert sorted((r["region"], r["egressBytes"], r["localBytes"]) for r in firsts) == [
        ("eastus", CHUNK, 19 * CHUNK),
        ("westeurope", 0, 19 * CHUNK),
    ]
    cost = _cost(home, "1.1.0")
    assert cost["egressBytes"] == CHUNK
    # the same image again, forced whole: everything crosses
    _create(home, "1.2.0", v2, "--no-delta")
    _assert_replicas_are(home, "1.2.0", v2)
    cost = _cost(home, "1.2.0")
    assert cost["egressBytes"] == v2.stat().st_size  # eastus's whole copy


def test_a_filesystem_image_pair_crosses_only_its_changed_chunks(
    home: Path, tmp_path: Path
) -> None:
    _home(home, tmp_path)
    v1, v2 = ext4_pair(tmp_path, 32)
    _create(home, "1.0.0", v1)
    _create(home, "2.0.0", v2)
    reps = _assert_replicas_are(home, "2.0.0", v2)
    crossed, local_bytes = _expected(v1, v2)
    assert local_bytes > 2 * crossed  # a real saving, measured independently
    for r in (r for r in reps if r["egress"]):
        assert (r["egressBytes"], r["localBytes"]) == (crossed, local_bytes)


def test_a_damaged_base_chunk_is_caught_and_the_replica_is_right(
    home: Path, tmp_path: Path
) -> None:
    _home(home, tmp_path)
    v1, v2 = synthetic_pair(tmp_path, 6, (1,))
    _create(home, "1.0.0", v1)
    base = next(r for r in _replicas(home, "1.0.0") if r["region"] == "eastus" and r["egress"])
    flip(local(base["location"]), 4 * CHUNK + 9)  # chunk 4: unchanged in v2
    _create(home, "1.0.1", v2)
    reps = _assert_replicas_are(home, "1.0.1", v2)
    east = next(r for r in reps if r["region"] == "eastus" and r["egress"])
    assert (east["egressBytes"], east["localBytes"]) == (2 * CHUNK, 4 * CHUNK)
    assert "first: chunk 4" in east["details"]
    # the in-region copy took its unchanged chunks from the same base (on the
    # same filesystem), caught the damaged one too, and is still right
    second = next(r for r in reps if r["region"] == "eastus" and not r["egress"])
    assert "first: chunk 4" in second["details"]
    west = next(r for r in reps if r["region"] == "westeurope")
    assert (west["egressBytes"], west["localBytes"]) == (0, 5 * CHUNK)  # the source region


def test_where_blocks_are_shared_a_damaged_base_chunk_is_caught_too(
    home: Path, tmp_path: Path
) -> None:
    """On XFS the replicas share their base's blocks (nothing is written for
    an unchanged chunk) and are checked in one pass at the end of the copy:
    a damaged base chunk is still caught there and written from the source."""
    with xfs_mount(tmp_path) as xfs:
        _home(home, tmp_path, xfs)
        v1, v2 = synthetic_pair(tmp_path, 6, (1,))
        _create(home, "1.0.0", v1)
        base = next(r for r in _replicas(home, "1.0.0") if r["region"] == "eastus" and r["egress"])
        flip(local(base["location"]), 4 * CHUNK + 9)  # chunk 4: unchanged in v2
        before = used_bytes(xfs)
        _create(home, "1.0.1", v2)
        grown = used_bytes(xfs) - before
        reps = _assert_replicas_are(home, "1.0.1", v2)
        east = [r for r in reps if r["region"] == "eastus"]
        assert all("first: chunk 4" in r["details"] for r in east), east
        first = next(r for r in east if r["egress"])
        assert (first["egressBytes"], first["localBytes"]) == (2 * CHUNK, 4 * CHUNK)
        # 3 replicas of 6 chunks, 18 chunks written without sharing; shared,
        # only the changed chunk and the repaired ones take new blocks
        assert grown < 8 * CHUNK, grown


def test_the_base_is_the_version_with_most_chunks_in_common(home: Path, tmp_path: Path) -> None:
    """Once the new manifest is known (replicating to a region added later),
    the base is chosen from the manifests: here the older version, which
    shares more with the new one than the newer does."""
    _home(home, tmp_path)
    v1, v3 = synthetic_pair(tmp_path, 6, (2,))
    (tmp_path / "other").mkdir()
    far = synthetic_pair(tmp_path / "other", 6, (), seed=99)[0]  # nothing in common
    ids = ["-r", "G", "-i", "D"]
    cli(home, "sig", "image-version", "create", *ids, "-e", "1.0.0", "--os-vhd", str(v1),
        "-l", "westeurope", "--target-regions", "westeurope", "eastus")  # fmt: skip
    cli(home, "sig", "image-version", "create", *ids, "-e", "2.0.0", "--os-vhd", str(far),
        "-l", "westeurope", "--target-regions", "westeurope", "eastus")  # fmt: skip
    cli(home, "sig", "image-version", "create", *ids, "-e", "3.0.0", "--os-vhd", str(v3),
        "-l", "westeurope", "--target-regions", "westeurope")  # fmt: skip
    cli(home, "sig", "image-version", "update", *ids, "-e", "3.0.0",
        "--add-target-region", "eastus")  # fmt: skip
    east = next(r for r in _replicas(home, "3.0.0") if r["region"] == "eastus")
    assert (east["deltaBase"], east["egressBytes"]) == ("1.0.0", CHUNK)
    assert local(east["location"]).read_bytes() == v3.read_bytes()
