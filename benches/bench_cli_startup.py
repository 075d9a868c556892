"""How long `imgrepl --help` takes against a bare `python3 -c pass`
(target: under 0.3 s).  The two are run interleaved; the best of each counts.

    python3 benches/bench_cli_startup.py [--runs 20] [--out bench-results/]
    python3 -m pytest benches/bench_cli_startup.py --benchmark-only
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

TARGET_SECONDS = 0.3


def help_argv() -> list[str]:
    """The installed console script, as users run it; else `python3 -m imgrepl`."""
    script = shutil.which("imgrepl")
    return [script, "--help"] if script else [sys.executable, "-m", "imgrepl", "--help"]


def run_once(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(runs: int) -> dict[str, Any]:
    commands = {"imgrepl --help": help_argv(), "python3 -c pass": [sys.executable, "-c", "pass"]}
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            times[name].append(run_once(argv))
    best = {name: min(t) for name, t in times.items()}
    return {
        "argv": commands,
        "samples": times,
        "best_seconds": best,
        "median_seconds": {name: statistics.median(t) for name, t in times.items()},
        "over_bare_python_seconds": best["imgrepl --help"] - best["python3 -c pass"],
        "target": f"imgrepl --help under {TARGET_SECONDS} s",
        "met": best["imgrepl --help"] < TARGET_SECONDS,
    }


def test_imgrepl_help_starts_fast(benchmark: Any) -> None:
    seconds = benchmark.pedantic(run_once, args=(help_argv(),), rounds=15, warmup_rounds=1)
    assert seconds > 0
    assert benchmark.stats.stats.min < TARGET_SECONDS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    args = parser.parse_args()
    results = measure(args.runs)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "cli-startup.json").write_text(json.dumps(results, indent=2) + "\n")
    for name in results["best_seconds"]:
        best, median = results["best_seconds"][name], results["median_seconds"][name]
        print(f"{name:<18} best {best:.3f} s  median {median:.3f} s")
    verdict = "MET" if results["met"] else "MISSED"
    extra = results["over_bare_python_seconds"]
    print(f"[{verdict}] {results['target']} ({extra:+.3f} s over bare python)")


if __name__ == "__main__":
    main()
