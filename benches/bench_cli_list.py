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

A bare `python3 -c pass` runs interleaved with it, the peer every
process pays for; the best of each counts.  `--catalog URL` builds and
lists on a PostgreSQL catalog (an empty database) instead of the home's
SQLite one.

    python3 benches/bench_cli_list.py [--runs 10] [--versions 1000] [--catalog URL]
                                      [--against OLD/python] [--out bench-results/]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

TARGET_SECONDS = 0.5


async def build_home(home: Path, catalog: str | None, versions: int) -> None:
    """The first version through the normal path (inspected, recorded,
    replicated); see the module docstring for the others."""
    from imgrepl import Client

    image = home.parent / "tiny.raw"
    image.write_bytes(b"\1" * 4096)
    names = [f"1.{i // 100}.{i % 100}" for i in range(versions)]
    async with Client(home, catalog=catalog) as c:
        await c.add_region("westeurope", str(home.parent / "store"))
        await c.create_gallery("G", "westeurope")
        await c.create_image_definition(
            "G", "D", publisher="p", offer="o", sku="s", os_type="Linux"
        )
        for name in names:
            await c.create_image_version(
                "G", "D", name, location="westeurope", os_vhd=image, replicate=name == names[0]
            )
    await complete_replicas(catalog or home, image, names)


async def complete_replicas(where: Path | str, image: Path, names: list[str]) -> None:
    """Writes the replicas of every version but the first by engine fan-out
    jobs, then records them as the replicator does after a delta copy from
    the version before: Completed with the job's digest, the source's digest
    and manifest learnt, the version Succeeded."""
    from imgrepl import copy_async, stores
    from imgrepl.catalog import open_catalog
    from imgrepl.gallery.models import Transfer

    catalog = open_catalog(where)
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


def list_argv(home: Path, catalog: str | None) -> list[str]:
    where = ["--home", str(home), *(["--catalog", catalog] if catalog else [])]
    return [sys.executable, "-m", "imgrepl", "sig", "image-version", "list", "-r", "G",
            "-i", "D", "-o", "tsv", *where]  # fmt: skip


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds, and the CPU seconds the process used (user + system):
    on a machine others share, the CPU time moves less with their load."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def cached_env(prefix: Path) -> dict[str, str]:
    """Bytecode kept in `prefix` (written by the first run, read by the
    rest), as an installed package has it, without writing into the tree."""
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(prefix)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def measure(
    home: Path, catalog: str | None, runs: int, against: Path | None = None
) -> dict[str, Any]:
    """The listing, as this environment runs it and with its bytecode cached,
    and a bare `python3 -c pass`, interleaved; the best of each counts.
    `against`: another tree's python/ directory (an earlier commit's), whose
    listing runs in the same rounds, for a before and after."""
    listing = list_argv(home, catalog)
    compiled = "compiled each run" if sys.flags.dont_write_bytecode else "as run here"
    commands = {
        f"list ({compiled})": (listing, dict(os.environ)),
        "list (bytecode cached)": (listing, cached_env(home.parent / "pycache")),
        "python3 -c pass": ([sys.executable, "-c", "pass"], dict(os.environ)),
    }
    if against is not None:
        for name, (argv, env) in list(commands.items())[:2]:
            commands[f"against: {name}"] = (argv, env | {"PYTHONPATH": str(against.absolute())})
    for argv, env in commands.values():  # a warm-up, which fills the bytecode cache
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env)
    listed = subprocess.run(listing, check=True, capture_output=True, text=True).stdout
    versions = listed.count("\n")
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (argv, env) in commands.items():
            wall, used = run_once(argv, env)
            times[name].append(wall)
            cpu[name].append(used)
    best = {name: min(t) for name, t in times.items()}
    bare = best.pop("python3 -c pass")
    slowest = max(seconds for name, seconds in best.items() if name.startswith("list"))
    return {
        "argv": {name: argv for name, (argv, _) in commands.items()},
        "versions_listed": versions,
        "samples": times,
        "best_seconds": best | {"python3 -c pass": bare},
        "median_seconds": {name: statistics.median(t) for name, t in times.items()},
        "best_cpu_seconds": {name: min(t) for name, t in cpu.items()},
        "ratio_to_bare_python": {name: seconds / bare for name, seconds in best.items()},
        "target": f"image-version list -o tsv of {versions:,} versions under {TARGET_SECONDS} s",
        "met": slowest < TARGET_SECONDS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--catalog", metavar="URL", help="an empty PostgreSQL database to use")
    parser.add_argument("--against", type=Path, metavar="DIR", help="another tree's python/")
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    args = parser.parse_args()
    kind = "postgresql" if args.catalog else "sqlite"
    home = (args.out / f"cli-list-{args.versions}-{kind}" / "home").absolute()
    built = home.parent / "built"  # a build that stopped halfway starts again
    if not built.exists():
        shutil.rmtree(home.parent, ignore_errors=True)
        home.parent.mkdir(parents=True)
        asyncio.run(build_home(home, args.catalog, args.versions))
        built.touch()
    results = measure(home, args.catalog, args.runs, args.against)
    (args.out / f"cli-list-{kind}.json").write_text(json.dumps(results, indent=2) + "\n")
    for name in results["best_seconds"]:
        best, median = results["best_seconds"][name], results["median_seconds"][name]
        ratio = results["ratio_to_bare_python"].get(name)
        used = results["best_cpu_seconds"][name]
        vs_bare = f"  {ratio:.1f}x bare python" if ratio else ""
        print(f"{name:<34} best {best:.3f} s  median {median:.3f} s  cpu {used:.3f} s{vs_bare}")
    verdict = "MET" if results["met"] else "MISSED"
    print(f"[{verdict}] {results['target']} ({kind} catalog, both ways)")


if __name__ == "__main__":
    main()
