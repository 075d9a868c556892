"""Delta replication against full replication of the same version, in one
interleaved run (best of --reps):

  - a synthetic image (--size-mib, default 1 GiB) whose version 2 changes
    5 % of its 4 MiB chunks, replicated to 4 regions x 2 replicas: bytes
    that crossed regions (egress, from `cost`; target <= 6 % of the full
    replication's) and wall time of `create` (target <= 0.5x the full's);
  - the ext4 image pair of bench_bundle (v1 = `mkfs.ext4 -d` of the
    standard library, v2 = files patched and added): changed fraction and
    the egress saving.

Both versions 2 are created by the CLI in a child process, as a user would,
`--no-delta` for the full one; each is deleted again before the next, so
every delta copy has version 1 as its only possible base.

    python3 benches/bench_delta.py [--size-mib 1024] [--reps 2] [--dir D] [--json OUT]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CHUNK = 4 << 20
REGIONS = ("westeurope", "eastus", "northeurope", "westus")
EGRESS_TARGET = 0.06
TIME_TARGET = 0.5


def synthetic(work: Path, size_mib: int, fraction: float) -> tuple[Path, Path, int]:
    """v1 of random chunks and v2 with round(fraction x chunks) of them changed."""
    chunks = size_mib * (1 << 20) // CHUNK
    rng = random.Random(5)
    v1, v2 = work / "syn1.raw", work / "syn2.raw"
    changed = set(rng.sample(range(chunks), round(chunks * fraction)))
    with v1.open("wb") as a, v2.open("wb") as b:
        for i in range(chunks):
            data = bytearray(rng.randbytes(CHUNK))
            a.write(data)
            if i in changed:
                data[123] ^= 0xFF
            b.write(data)
    return v1, v2, len(changed)


async def setup(home: Path, work: Path, images: dict[str, Path]) -> None:
    from imgrepl import Client

    async with Client(home) as c:
        for region in REGIONS:
            await c.add_region(region, str(work / "stores" / region))
        await c.create_gallery("bench", REGIONS[0])
        for name, v1 in images.items():
            await c.create_image_definition(
                "bench", name, publisher="b", offer=name, sku="b", os_type="Linux"
            )
            await c.create_image_version(
                "bench", name, "1.0.0", location=REGIONS[0], os_vhd=v1,
                target_regions=[f"{r}=2" for r in REGIONS],
            )  # fmt: skip


def replicate(home: Path, definition: str, image: Path, delta: bool) -> tuple[float, int, int]:
    """Creates version 2 (4 regions x 2), returns (seconds, egress, local bytes), deletes it."""
    cli = [sys.executable, "-m", "imgrepl", "sig", "image-version"]
    ids = ["-r", "bench", "-i", definition, "-e", "2.0.0", "--home", str(home)]
    create = [*cli, "create", *ids, "--os-vhd", str(image), "-l", REGIONS[0],
              "--target-regions", *[f"{r}=2" for r in REGIONS], "-o", "json"]  # fmt: skip
    start = time.perf_counter()
    subprocess.run(
        create + ([] if delta else ["--no-delta"]), check=True, stdout=subprocess.DEVNULL
    )
    seconds = time.perf_counter() - start
    out = subprocess.run([*cli, "cost", *ids, "-o", "json"], check=True, capture_output=True)
    cost = json.loads(out.stdout)
    subprocess.run([*cli, "delete", *ids], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["sync"], check=True)
    return seconds, int(cost["egressBytes"]), int(cost["localBytes"])


def measure(size_mib: int, reps: int, where: str | None = None) -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_bundle import make_pair

    with tempfile.TemporaryDirectory(prefix="imgrepl-bench-delta-", dir=where) as tmp:
        work = Path(tmp)
        s1, s2, changed = synthetic(work, size_mib, 0.05)
        (work / "ext4").mkdir()
        e1, e2 = make_pair(work / "ext4", 256)
        home = work / "home"
        asyncio.run(setup(home, work, {"syn": s1, "ext4": e1}))
        runs: dict[str, list[tuple[float, int, int]]] = {"full": [], "delta": []}
        for rep in range(reps):  # interleaved, alternating which goes first
            for kind in ("full", "delta") if rep % 2 == 0 else ("delta", "full"):
                runs[kind].append(replicate(home, "syn", s2, kind == "delta"))
        ext4 = {kind: replicate(home, "ext4", e2, kind == "delta") for kind in ("full", "delta")}
        ext4_changed = changed_chunks(e1, e2)
        chunks = size_mib * (1 << 20) // CHUNK
        ext4_chunks = -(-e2.stat().st_size // CHUNK)
    best = {k: min(r[0] for r in v) for k, v in runs.items()}
    egress = {k: v[0][1] for k, v in runs.items()}
    egress_ratio = egress["delta"] / egress["full"]
    time_ratio = best["delta"] / best["full"]
    return {
        "image_bytes": size_mib << 20,
        "regions": len(REGIONS),
        "replicas_per_region": 2,
        "changed_chunks": changed,
        "chunks": chunks,
        "reps": reps,
        "seconds": {k: [r[0] for r in v] for k, v in runs.items()},
        "best_seconds": best,
        "egress_bytes": egress,
        "local_bytes": {k: v[0][2] for k, v in runs.items()},
        "egress_vs_full": egress_ratio,
        "time_vs_full": time_ratio,
        "ext4": {
            "changed_chunks": ext4_changed,
            "chunks": ext4_chunks,
            "changed_fraction": ext4_changed / ext4_chunks,
            "egress_bytes": {k: v[1] for k, v in ext4.items()},
            "seconds": {k: v[0] for k, v in ext4.items()},
            "saving": 1 - ext4["delta"][1] / ext4["full"][1],
        },
        "egress_met": egress_ratio <= EGRESS_TARGET,
        "time_met": time_ratio <= TIME_TARGET,
    }


def changed_chunks(a: Path, b: Path) -> int:
    n = 0
    with a.open("rb") as fa, b.open("rb") as fb:
        while True:
            x, y = fa.read(CHUNK), fb.read(CHUNK)
            if not x and not y:
                return n
            n += x != y


def table(r: dict[str, Any]) -> str:
    mib = 1 << 20
    lines = [
        f"synthetic {r['image_bytes'] // mib} MiB, {r['changed_chunks']} of {r['chunks']} chunks "
        f"changed, {r['regions']} regions x {r['replicas_per_region']} replicas",
        f"{'':<6} {'best s':>8} {'egress MiB':>11} {'local MiB':>10}   all samples (s)",
    ]
    for k in ("full", "delta"):
        samples = " ".join(f"{s:.2f}" for s in r["seconds"][k])
        lines.append(
            f"{k:<6} {r['best_seconds'][k]:>8.2f} {r['egress_bytes'][k] / mib:>11.1f} "
            f"{r['local_bytes'][k] / mib:>10.1f}   {samples}"
        )
    lines.append(
        f"delta / full: egress {r['egress_vs_full']:.3f} (target <= {EGRESS_TARGET}), "
        f"time {r['time_vs_full']:.3f} (target <= {TIME_TARGET})"
    )
    e = r["ext4"]
    lines.append(
        f"ext4 pair: {e['changed_chunks']} of {e['chunks']} chunks changed "
        f"({e['changed_fraction']:.1%}); egress {e['egress_bytes']['full'] / mib:.1f} MiB full, "
        f"{e['egress_bytes']['delta'] / mib:.1f} MiB delta: saving {e['saving']:.1%}; "
        f"time {e['seconds']['full']:.2f} s full, {e['seconds']['delta']:.2f} s delta"
    )
    met = [k for k in ("egress_met", "time_met") if r[k]]
    lines.append(f"targets met: {', '.join(met) or 'none'}")
    return "\n".join(lines)


def test_delta_against_full(benchmark: Any) -> None:
    result = benchmark.pedantic(measure, args=(1024, 2), rounds=1, iterations=1)
    print("\n" + table(result))
    assert result["egress_met"] and result["time_met"], table(result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="synthetic image size")
    parser.add_argument("--reps", type=int, default=2, help="repetitions of each (best counts)")
    parser.add_argument("--dir", help="work directory (default: the system's temporary one)")
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()
    result = measure(args.size_mib, args.reps, args.dir)
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    sys.exit(0 if result["egress_met"] and result["time_met"] else 1)


if __name__ == "__main__":
    main()
