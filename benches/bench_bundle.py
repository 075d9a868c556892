"""Version bundles against the compressors people would use instead, on a
real filesystem image: version 1 is `mkfs.ext4 -d` of a copy of the
standard library, as a fixed VHD; version 2 is that filesystem with a few
files rewritten and some added in place (debugfs), as a patched golden
image is.  In one interleaved run (best of --reps):

  - `imgrepl sig image-version export` of v1 against `zstd -1` and
    `tar --zstd` of the same VHD: size (target within 5 % of zstd -1) and
    time (target: no slower than zstd -1);
  - `export --base 1.0.0` of v2: its size against the changed chunks of v2
    compressed alone (target within 10 %), and the changed fraction.

    python3 benches/bench_bundle.py [--size-mib 512] [--reps 3] [--dir D] [--json OUT]
    python3 -m pytest benches/bench_bundle.py --benchmark-only -s
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

SIZE_TOLERANCE = 0.05
BASE_TOLERANCE = 0.10


def as_vhd(raw: Path, out: Path) -> Path:
    subprocess.run(
        ["qemu-img", "convert", "-q", "-f", "raw", "-O", "vpc", "-o", "subformat=fixed",
         str(raw), str(out)],
        check=True,
    )  # fmt: skip
    return out


def make_pair(work: Path, size_mib: int) -> tuple[Path, Path]:
    """v1 from a copy of the standard library; v2 with some files patched and added."""
    tree = work / "tree"
    skip = shutil.ignore_patterns("site-packages", "test", "__pycache__")
    shutil.copytree(Path(sysconfig.get_paths()["stdlib"]), tree, ignore=skip)
    raw = work / "fs.raw"
    mkfs = ["mkfs.ext4", "-q", "-F", "-E", "root_owner=0:0", "-d", str(tree), str(raw)]
    subprocess.run([*mkfs, f"{size_mib}M"], check=True, capture_output=True)
    v1 = as_vhd(raw, work / "v1.vhd")
    patches = work / "patches"
    patches.mkdir()
    script = ["mkdir /added"]
    for i, path in enumerate(sorted(tree.rglob("*.py"))[::97]):
        new = patches / f"p{i}"
        new.write_text(path.read_text() + f"\n# patched {i}\n")
        inside = "/" + str(path.relative_to(tree))
        script += [f"rm {inside}", f"write {new} {inside}"]
    for i in range(20):
        new = patches / f"added{i}"
        new.write_text(f"new file {i}\n" * 2000)
        script.append(f"write {new} /added/file{i}.txt")
    (work / "debugfs.cmd").write_text("\n".join(script) + "\n")
    subprocess.run(
        ["debugfs", "-w", "-f", str(work / "debugfs.cmd"), str(raw)],
        check=True,
        capture_output=True,
    )
    v2 = as_vhd(raw, work / "v2.vhd")
    raw.unlink()
    return v1, v2


async def publish(home: Path, work: Path, v1: Path, v2: Path) -> None:
    from imgrepl import Client

    async with Client(home) as c:
        await c.add_region("westeurope", str(work / "store"))
        await c.create_gallery("bench", "westeurope")
        await c.create_image_definition(
            "bench", "img", publisher="b", offer="b", sku="b", os_type="Linux"
        )
        for name, image in (("1.0.0", v1), ("2.0.0", v2)):
            await c.create_image_version("bench", "img", name, location="westeurope", os_vhd=image)


def timed(argv: list[str], out: Path) -> tuple[float, int]:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    size = out.stat().st_size
    out.unlink()
    return seconds, size


def commands(home: Path, work: Path, v1: Path) -> dict[str, tuple[list[str], Path]]:
    ids = ["-r", "bench", "-i", "img", "--home", str(home), "-o", "json"]
    exe = [sys.executable, "-m", "imgrepl", "sig", "image-version", "export", *ids]
    out = {k: work / f"out.{k}" for k in ("export", "base", "zstd", "tar")}
    return {
        "imgrepl export": ([*exe, "-e", "1.0.0", "--out", str(out["export"])], out["export"]),
        "imgrepl export --base": (
            [*exe, "-e", "2.0.0", "--base", "1.0.0", "--out", str(out["base"])],
            out["base"],
        ),
        "zstd -1": (
            ["zstd", "-q", "-1", "-T1", "-f", str(v1), "-o", str(out["zstd"])],
            out["zstd"],
        ),
        "tar --zstd": (
            ["tar", "--zstd", "-cf", str(out["tar"]), "-C", str(v1.parent), v1.name],
            out["tar"],
        ),
    }


def changed_chunks_compressed(v1: Path, v2: Path, chunk: int = 4 << 20) -> tuple[int, int, int]:
    """(changed chunks, all chunks, their bytes zstd -1 compressed one by one)."""
    import zstandard

    z = zstandard.ZstdCompressor(level=1)
    changed = total = size = 0
    with v1.open("rb") as a, v2.open("rb") as b:
        while True:
            x, y = a.read(chunk), b.read(chunk)
            if not y:
                return changed, total, size
            total += 1
            if x != y and y.count(0) != len(y):
                changed += 1
                size += len(z.compress(y))


def measure(size_mib: int, reps: int, where: str | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="imgrepl-bench-bundle-", dir=where) as tmp:
        work = Path(tmp)
        v1, v2 = make_pair(work, size_mib)
        home = work / "home"
        asyncio.run(publish(home, work, v1, v2))
        cmds = commands(home, work, v1)
        samples: dict[str, list[tuple[float, int]]] = {k: [] for k in cmds}
        for _ in range(reps):  # interleaved: drift hits every tool alike
            for name, (argv, out) in cmds.items():
                samples[name].append(timed(argv, out))
        changed, chunks, changed_size = changed_chunks_compressed(v1, v2)
    best = {k: min(t for t, _ in s) for k, s in samples.items()}
    size = {k: s[0][1] for k, s in samples.items()}
    size_ratio = size["imgrepl export"] / size["zstd -1"]
    time_ratio = best["imgrepl export"] / best["zstd -1"]
    base_ratio = size["imgrepl export --base"] / max(1, changed_size)
    return {
        "image_bytes": v1.stat().st_size if v1.exists() else size_mib << 20,
        "reps": reps,
        "best_seconds": best,
        "bytes": size,
        "size_vs_zstd1": size_ratio,
        "time_vs_zstd1": time_ratio,
        "changed_chunks": changed,
        "chunks": chunks,
        "changed_fraction": changed / chunks,
        "changed_chunks_compressed_bytes": changed_size,
        "base_size_vs_changed": base_ratio,
        "met": size_ratio <= 1 + SIZE_TOLERANCE
        and time_ratio <= 1.0
        and abs(base_ratio - 1) <= BASE_TOLERANCE,
    }


def table(r: dict[str, Any]) -> str:
    lines = [f"{'tool':<24} {'seconds':>8} {'MiB':>9}"]
    for k, t in r["best_seconds"].items():
        lines.append(f"{k:<24} {t:>8.3f} {r['bytes'][k] / 2**20:>9.2f}")
    lines.append(
        f"export / zstd -1: size {r['size_vs_zstd1']:.3f} (target <= {1 + SIZE_TOLERANCE:.2f}), "
        f"time {r['time_vs_zstd1']:.3f} (target <= 1.00)"
    )
    lines.append(
        f"v2 changed {r['changed_chunks']} of {r['chunks']} chunks ({r['changed_fraction']:.1%}); "
        f"--base bundle / changed chunks compressed = {r['base_size_vs_changed']:.3f} "
        f"(target 1 +- {BASE_TOLERANCE:.2f}); full export / --base = "
        f"{r['bytes']['imgrepl export'] / r['bytes']['imgrepl export --base']:.1f}x smaller"
    )
    lines.append("targets met" if r["met"] else "targets MISSED")
    return "\n".join(lines)


def test_bundle_against_zstd(benchmark: Any) -> None:
    result = benchmark.pedantic(measure, args=(256, 2), rounds=1, iterations=1)
    print("\n" + table(result))
    assert result["met"], table(result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=512, help="filesystem size")
    parser.add_argument("--reps", type=int, default=3, help="repetitions (best counts)")
    parser.add_argument("--dir", help="work directory")
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()
    result = measure(args.size_mib, args.reps, args.dir)
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    sys.exit(0 if result["met"] else 1)


if __name__ == "__main__":
    main()
