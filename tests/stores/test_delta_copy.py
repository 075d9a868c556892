"""Delta copies (`imgrepl.copy(..., base=OLD)`, `imgrepl copy --base`) on a
local store and on S3 (rclone serve s3): unchanged chunks come from the
base, each checked against its digest; a damaged chunk, or a base that
disappears mid-copy, falls back to the source; the replica is always the
new image, byte for byte, whatever the base holds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import imgrepl
import pytest
from conftest import BUCKET, Backend, make_backend
from helpers.files import noise, write
from imgrepl.exceptions import ManifestError

C = 64 << 10  # small chunks keep these images at 1.25 MiB
N = 20
CHANGED = 7  # the one chunk (5 %) version 2 changes
MANIFEST = ".imgrepl-manifest"


@pytest.fixture(params=["local", "s3"])
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    return make_backend(request, request.param, tmp_path / "local-store")


def versions(tmp_path: Path) -> tuple[Path, bytes]:
    """v2 (returned with its bytes) differs from v1 in chunk CHANGED only."""
    v1 = bytearray(noise(3, N * C))
    write(tmp_path / "v1.raw", bytes(v1))
    v1[CHANGED * C + 100] ^= 0x5A
    return write(tmp_path / "v2.raw", bytes(v1)), bytes(v1)


def with_base(place: Backend, tmp_path: Path) -> tuple[Path, bytes, str]:
    """v1's replica in `place` (the base) and v2 to copy next to it."""
    v2, data = versions(tmp_path)
    base = place.url("v1.raw")
    imgrepl.copy(tmp_path / "v1.raw", [base], chunk_size=C)
    return v2, data, base


def test_unchanged_chunks_come_from_the_base(place: Backend, tmp_path: Path) -> None:
    v2, data, base = with_base(place, tmp_path)
    report = imgrepl.copy(v2, [place.url("v2.raw")], chunk_size=C, base=base)
    d = report.destinations[0]
    assert d.ok and d.base is not None and d.base_note is None
    assert (d.bytes_from_source, d.bytes_from_base) == (C, (N - 1) * C)
    assert place.read("v2.raw") == data
    full = imgrepl.copy(v2, [place.url("full.raw")], chunk_size=C)
    assert full.destinations[0].bytes_from_source == N * C
    assert place.read("v2.raw" + MANIFEST) == place.read("full.raw" + MANIFEST)
    assert imgrepl.verify(place.url("v2.raw")).ok


def test_a_damaged_base_chunk_is_caught_and_taken_from_the_source(
    place: Backend, tmp_path: Path
) -> None:
    v2, data, base = with_base(place, tmp_path)
    damaged = bytearray(place.read("v1.raw") or b"")
    damaged[3 * C + 5] ^= 0x01  # an unchanged chunk: the base's copy is now wrong
    place.write("v1.raw", bytes(damaged))
    report = imgrepl.copy(v2, [place.url("v2.raw")], chunk_size=C, base=base)
    d = report.destinations[0]
    assert d.ok and (d.bytes_from_source, d.bytes_from_base) == (2 * C, (N - 2) * C)
    assert d.base_note is not None and "first: chunk 3" in d.base_note
    assert place.read("v2.raw") == data


def _vanish(place: Backend, base_key: str) -> None:
    if place.s3 is not None:
        (place.s3.root / BUCKET / place.prefix / base_key).unlink()
    else:
        # an open file deleted stays readable (and right): cut it short instead
        with (place.local_root / place.prefix / base_key).open("r+b") as f:
            f.truncate(C)


def test_a_base_gone_mid_copy_falls_back_to_the_source(place: Backend, tmp_path: Path) -> None:
    v2, data, base = with_base(place, tmp_path)
    # 256 KiB/s: the copy takes about 5 s; the base goes after its first chunks
    job = imgrepl.start_copy(v2, [place.url("v2.raw")], chunk_size=C, base=base, bwlimit=C * 4)
    for p in job:
        if p.bytes_read >= 3 * C:
            _vanish(place, "v1.raw")
            break
    report = job.wait()
    d = report.destinations[0]
    assert d.ok, d.error
    assert d.base_note is not None and "dropped" in d.base_note
    assert d.bytes_from_base < (N - 1) * C and d.bytes_from_source > C
    assert d.bytes_from_source + d.bytes_from_base == N * C
    assert place.read("v2.raw") == data


def test_a_base_that_is_missing_is_not_used(place: Backend, tmp_path: Path) -> None:
    v2, data, _ = with_base(place, tmp_path)
    manifest = place.read("v1.raw" + MANIFEST)
    assert manifest is not None
    missing = place.url("gone.raw")
    job = imgrepl.CopyJob(v2, [place.url("v2.raw")], chunk_size=C, bases=[(missing, manifest)])
    d = job.wait().destinations[0]
    assert d.ok and d.bytes_from_source == N * C and d.bytes_from_base == 0
    assert d.base_note is not None and "gone.raw not used" in d.base_note
    assert place.read("v2.raw") == data


def test_bad_bases_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    v2, _ = versions(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    no_manifest = write(tmp_path / "plain.raw", b"x" * C)
    with pytest.raises(ValueError, match=r"plain\.raw has no manifest beside it"):
        imgrepl.copy(v2, [out / "a.raw"], chunk_size=C, base=no_manifest)
    imgrepl.copy(tmp_path / "v1.raw", [tmp_path / "big.raw"], chunk_size=2 * C)
    with pytest.raises(ValueError, match="chunk size 131072 is not the copy's 65536"):
        imgrepl.copy(v2, [out / "a.raw"], chunk_size=C, base=tmp_path / "big.raw")
    with pytest.raises(ManifestError, match="base manifest of"):
        imgrepl.CopyJob(v2, [out / "a.raw"], bases=[(tmp_path / "big.raw", b"junk")])
    with pytest.raises(ValueError, match="2 bases given for 1 destinations"):
        imgrepl.CopyJob(v2, [out / "a.raw"], bases=[None, None])
    assert list(out.iterdir()) == []


def test_cli_copy_with_a_base(tmp_path: Path) -> None:
    v2, data = versions(tmp_path)
    store = tmp_path / "region"
    store.mkdir()
    cli = [sys.executable, "-m", "imgrepl", "copy", "--chunk-size", str(C)]
    subprocess.run([*cli, str(tmp_path / "v1.raw"), str(store / "v1.raw")], check=True)
    run = subprocess.run(
        [*cli, str(v2), str(store / "v2.raw"), "--base", str(store / "v1.raw"), "-o", "json"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert f'"bytesFromBase": {(N - 1) * C}' in run.stdout
    assert (store / "v2.raw").read_bytes() == data
    bad = subprocess.run(
        [*cli, str(v2), str(store / "v3.raw"), "--base", str(v2)], capture_output=True, text=True
    )
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert "has no manifest beside it" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    assert not (store / "v3.raw").exists()


def test_a_base_that_is_not_a_regular_file_is_never_opened(tmp_path: Path) -> None:
    """A FIFO would block its open forever: it is refused unopened and the
    copy is a full one."""
    import os

    v2, data = versions(tmp_path)
    imgrepl.copy(tmp_path / "v1.raw", [tmp_path / "v1.copy"], chunk_size=C)
    fifo = tmp_path / "fifo.raw"
    os.mkfifo(fifo)
    (tmp_path / ("fifo.raw" + MANIFEST)).write_bytes(
        (tmp_path / ("v1.copy" + MANIFEST)).read_bytes()
    )
    report = imgrepl.copy(v2, [tmp_path / "out.raw"], chunk_size=C, base=fifo)
    d = report.destinations[0]
    assert d.ok and d.bytes_from_base == 0 and d.bytes_from_source == N * C
    assert d.base_note is not None and "not a regular file" in d.base_note
    assert (tmp_path / "out.raw").read_bytes() == data


def test_a_base_on_another_filesystem_is_read_through_memory(tmp_path: Path) -> None:
    """The kernel copies only within one filesystem: a base on tmpfs for a
    replica on tmp_path's disk is read, checked and written as before, a
    damaged chunk of it still caught."""
    import shutil
    import tempfile

    v2, data = versions(tmp_path)
    shm = Path(tempfile.mkdtemp(dir="/dev/shm"))
    try:
        if shm.stat().st_dev == tmp_path.stat().st_dev:
            pytest.skip("tmp_path is on /dev/shm's filesystem")
        imgrepl.copy(tmp_path / "v1.raw", [shm / "v1.raw"], chunk_size=C)
        flip_at = 5 * C + 1
        with (shm / "v1.raw").open("r+b") as f:
            f.seek(flip_at)
            byte = f.read(1)[0]
            f.seek(flip_at)
            f.write(bytes([byte ^ 0xFF]))
        report = imgrepl.copy(v2, [tmp_path / "out.raw"], chunk_size=C, base=shm / "v1.raw")
    finally:
        shutil.rmtree(shm)
    d = report.destinations[0]
    assert d.ok and (d.bytes_from_source, d.bytes_from_base) == (2 * C, (N - 2) * C)
    assert d.base_note is not None and "first: chunk 5" in d.base_note
    assert (tmp_path / "out.raw").read_bytes() == data
