"""How long `imgrepl sig image-version list -o tsv` takes on a catalog of
1,000 versions (target: under 0.5 s), the whole process as a script runs it.
The home is built once (about 15 s) and kept under --out for the next run.

Building it: replicating 1,000 versions one by one took over 7 minutes, so
only the first version goes the whole normal path.  Every other version is
recorded through the same public call (`Client.create_image_version` with
`replicate=False`: its source inspected, its row, disk, target region and
planned replica rows written by the gallery's own code), its replica file is
written by a real engine fan-out copy (100 destinations a job), and its rows
are completed through the catalog's repositories with what the replicator
records after a delta copy from the version before (Completed, the copy's
digest, the disk's digest and manifest, the version Succeeded).  So every
row `list` reads is the shape the normal path leaves, and the replicas exist.

    python3 benches/bench_cli_list.py [--runs 10] [--versions 1000] [--out bench-results/]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

TARGET_SECONDS = 0.5


async def build_home(home: Path, versions: int) -> None:
    """The first version through the normal path (inspected, recorded,
    replicated); see the module docstring for the others."""
    from imgrepl import Client

    image = home.parent / "tiny.raw"
    image.write_bytes(b"\1" * 4096)
    names = [f"1.{i // 100}.{i % 100}" for i in range(versions)]
    async with Client(home) as c:
        await c.add_region("westeurope", str(home.parent / "store"))
        await c.create_gallery("G", "westeurope")
        await c.create_image_definition(
            "G", "D", publisher="p", offer="o", sku="s", os_type="Linux"
        )
        for name in names:
            await c.create_image_version(
                "G", "D", name, location="westeurope", os_vhd=image, replicate=name == names[0]
            )
    await complete_replicas(home, image, names)


async def complete_replicas(home: Path, image: Path, names: list[str]) -> None:
    """Writes the replicas of every version but the first by engine fan-out
    jobs, then records them as the replicator does after a delta copy from
    the version before: Completed with the job's digest, the source's digest
    and manifest learnt, the version Succeeded."""
    from imgrepl import copy_async, stores
    from imgrepl.catalog import open_catalog
    from imgrepl.gallery.models import Transfer

    catalog = open_catalog(home)
    try:
        refs = [catalog.versions.find("G", "D", name) for name in names]
        (source,) = catalog.replicas.rows(refs[0])
        manifest = catalog.versions.disk_manifest(source.disk_id)
        assert source.state == "Completed" and manifest is not None
        rows = [row for ref in refs[1:] for row in catalog.replicas.rows(ref)]
        for row in rows:
            stores.prepare(row.location)  # as the replicator does before a copy
        for i in range(0, len(rows), 100):  # bounded: one job's open files
            report = await copy_async(image, [r.location for r in rows[i : i + 100]])
            assert report.digest == source.disk_digest
        with catalog.transaction() as tx:
            for before, ref, row in zip(names[:-1], refs[1:], rows, strict=True):
                tx.versions.set_disk_source(row.disk_id, report.digest, manifest)
                transfer = Transfer(0, row.size, before)  # every chunk from the base
                tx.replicas.set_state(
                    row.id, "Completed", digest=report.digest, bytes_written=row.size,
                    transfer=transfer,
                )  # fmt: skip
                tx.versions.set_fields(ref, provisioning_state="Succeeded")
    finally:
        catalog.close()


def list_argv(home: Path) -> list[str]:
    return [sys.executable, "-m", "imgrepl", "sig", "image-version", "list", "-r", "G",
            "-i", "D", "-o", "tsv", "--home", str(home)]  # fmt: skip


def run_once(argv: list[str]) -> float:
    start = time.perf_counter()
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    seconds = time.perf_counter() - start
    assert out.count("\n") > 0
    return seconds


def measure(home: Path, runs: int) -> dict[str, Any]:
    times = [run_once(list_argv(home)) for _ in range(runs)]
    best = min(times)
    return {
        "argv": list_argv(home),
        "samples": times,
        "best_seconds": best,
        "median_seconds": statistics.median(times),
        "target": f"image-version list -o tsv of 1,000 versions under {TARGET_SECONDS} s",
        "met": best < TARGET_SECONDS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    args = parser.parse_args()
    home = (args.out / f"cli-list-{args.versions}" / "home").absolute()
    built = home.parent / "built"  # a build that stopped halfway starts again
    if not built.exists():
        shutil.rmtree(home.parent, ignore_errors=True)
        home.parent.mkdir(parents=True)
        asyncio.run(build_home(home, args.versions))
        built.touch()
    results = measure(home, args.runs)
    (args.out / "cli-list.json").write_text(json.dumps(results, indent=2) + "\n")
    verdict = "MET" if results["met"] else "MISSED"
    print(f"best {results['best_seconds']:.3f} s  median {results['median_seconds']:.3f} s")
    print(f"[{verdict}] {results['target']}")


if __name__ == "__main__":
    main()
