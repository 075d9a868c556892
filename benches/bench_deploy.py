"""Deployment scaling: D concurrent `disk create` from one region against
R = 1, 2, 4, 8 replicas, each replica's reads capped at --replica-read-mbps
(a store's per-blob limit).  Least-busy spreading gives each replica D/R
readers, so the time should fall as 1/R: the target is time x R within 15 %
of constant from R = 1 to 8.  Reports time against R and the fit
time = a + b / R: b is the read-limited copy, a what does not shrink with R
(chiefly each new disk's verification against the replica's manifest).

    python3 benches/bench_deploy.py [--disks 8] [--size-mib 32] [--mbps 20] [--reps 2] [--dir D]
    python3 -m pytest benches/bench_deploy.py --benchmark-only -s
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from fit import linear_fit

REPLICAS = (1, 2, 4, 8)
TOLERANCE = 0.15


def make_image(path: Path, mib: int) -> Path:
    rng = random.Random(5)
    with path.open("wb") as f:
        for _ in range(mib):
            f.write(rng.randbytes(1 << 20))
    return path


async def _publish(home: Path, work: Path, size_mib: int, mbps: float) -> None:
    from imgrepl import Client

    image = make_image(work / "image.raw", size_mib)
    async with Client(home) as c:
        await c.add_region("westeurope", str(work / "store"), replica_read_mbps=mbps)
        await c.create_gallery("bench", "westeurope")
        await c.create_image_definition(
            "bench", "img", publisher="b", offer="b", sku="b", os_type="Linux"
        )
        for r in REPLICAS:
            await c.create_image_version(
                "bench",
                "img",
                f"1.0.{r}",
                location="westeurope",
                os_vhd=image,
                target_regions=[f"westeurope={r}"],
            )


async def _deploy(home: Path, out: Path, replicas: int, disks: int) -> float:
    """Wall time of `disks` concurrent disk creations of version 1.0.R."""
    from imgrepl import Client

    async with Client(home) as c:
        start = time.perf_counter()
        made = await asyncio.gather(
            *(
                c.create_disk(
                    f"bench/img/1.0.{replicas}", "westeurope", out / f"disk-{i}.vhd", overwrite=True
                )
                for i in range(disks)
            )
        )
        seconds = time.perf_counter() - start
    used = {d.replica for d in made}
    if len(used) != min(replicas, disks):
        raise RuntimeError(f"{disks} disks used {len(used)} of {replicas} replicas")
    return seconds


def default_dir() -> str | None:
    """tmpfs when there is one: the limit under test is the replicas' read
    bandwidth, not the local disk's fsync of the new disks."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() else None


def measure(
    disks: int, size_mib: int, mbps: float, reps: int, where: str | None = None
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="imgrepl-bench-deploy-", dir=where) as tmp:
        work = Path(tmp)
        home, out = work / "home", work / "out"
        out.mkdir()
        asyncio.run(_publish(home, work, size_mib, mbps))
        samples: dict[int, list[float]] = {r: [] for r in REPLICAS}
        for _ in range(reps):  # interleaved, so drift hits every R alike
            for r in REPLICAS:
                samples[r].append(asyncio.run(_deploy(home, out, r, disks)))
    best = {r: min(s) for r, s in samples.items()}
    products = {r: best[r] * r for r in REPLICAS}
    spread = max(products.values()) / min(products.values()) - 1
    fit = linear_fit([1 / r for r in REPLICAS], [best[r] for r in REPLICAS])
    ideal = size_mib * (1 << 20) * disks / (mbps * 1e6)
    return {
        "dir": where,
        "disks": disks,
        "size_mib": size_mib,
        "replica_read_mbps": mbps,
        "reps": reps,
        "samples": samples,
        "best_seconds": best,
        "seconds_times_replicas": products,
        "ideal_seconds_at_r1": ideal,
        "fit_time_vs_inverse_r": fit.to_json(),
        "spread": spread,
        "target": f"time x R within {TOLERANCE:.0%} of constant",
        "met": spread <= TOLERANCE,
    }


def table(result: dict[str, Any]) -> str:
    lines = [f"{'R':>3} {'seconds':>9} {'seconds x R':>12}"]
    for r in REPLICAS:
        b = result["best_seconds"][r]
        lines.append(f"{r:>3} {b:>9.3f} {b * r:>12.3f}")
    fit = result["fit_time_vs_inverse_r"]
    lines.append(
        f"fit: time = {fit['intercept']:.3f} + {fit['slope']:.3f} / R  (R² {fit['r2']:.4f}); "
        f"ideal at R=1 {result['ideal_seconds_at_r1']:.3f} s"
    )
    verdict = "met" if result["met"] else "MISSED"
    lines.append(f"time x R spread {result['spread']:.1%}: {result['target']}: {verdict}")
    return "\n".join(lines)


def test_deploy_scaling(benchmark: Any) -> None:
    args = (8, 32, 20.0, 2, default_dir())
    result = benchmark.pedantic(measure, args=args, rounds=1, iterations=1)
    benchmark.extra_info.update(best_seconds=result["best_seconds"], spread=result["spread"])
    print("\n" + table(result))
    assert result["met"], table(result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--disks", type=int, default=8, help="concurrent disk creations (D)")
    parser.add_argument("--size-mib", type=int, default=32, help="image size")
    parser.add_argument("--mbps", type=float, default=20.0, help="per-replica read limit, MB/s")
    parser.add_argument("--reps", type=int, default=2, help="repetitions (best counts)")
    parser.add_argument("--dir", default=default_dir(), help="work directory (default /dev/shm)")
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()
    result = measure(args.disks, args.size_mib, args.mbps, args.reps, args.dir)
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    sys.exit(0 if result["met"] else 1)


if __name__ == "__main__":
    main()
