"""How long `imgrepl sig image-version list -o tsv` takes on a catalog of
1,000 versions (target: under 0.5 s), the whole process as a script runs it.
The home is built once (about a minute: 1,000 real, tiny replications) and
kept under --out for the next run.

    python3 benches/bench_cli_list.py [--runs 10] [--versions 1000] [--out bench-results/]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

TARGET_SECONDS = 0.5


async def build_home(home: Path, versions: int) -> None:
    from imgrepl import Client

    image = home.parent / "tiny.raw"
    image.write_bytes(b"\1" * 4096)
    async with Client(home) as c:
        await c.add_region("westeurope", str(home.parent / "store"))
        await c.create_gallery("G", "westeurope")
        await c.create_image_definition(
            "G", "D", publisher="p", offer="o", sku="s", os_type="Linux"
        )
        for i in range(versions):
            await c.create_image_version(
                "G", "D", f"1.{i // 100}.{i % 100}", location="westeurope", os_vhd=image
            )


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
    if not home.exists():
        home.parent.mkdir(parents=True, exist_ok=True)
        asyncio.run(build_home(home, args.versions))
    results = measure(home, args.runs)
    (args.out / "cli-list.json").write_text(json.dumps(results, indent=2) + "\n")
    verdict = "MET" if results["met"] else "MISSED"
    print(f"best {results['best_seconds']:.3f} s  median {results['median_seconds']:.3f} s")
    print(f"[{verdict}] {results['target']}")


if __name__ == "__main__":
    main()
