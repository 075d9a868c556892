"""What hashing costs: imgrepl against the same job with hashing off
(`hash=False`, which also turns off the resume journal that stores the
digests), measured in back-to-back pairs.

A few percent is smaller than this machine's noise between two moments, so
the shuffled all-tools run cannot resolve it.  Here the two variants run
right after each other, alternating which goes first, many times; the cost
is judged on the best time of each (as everywhere in these benchmarks), and
the median of the per-pair ratios and the CPU seconds are reported beside
it as cross-checks."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from peers import Tool, run_timed
from runner import Sample, check_outputs, file_digest, settle
from targets import Verdict
from workload import Source

BOUND = 0.05


def measure_pairs(
    source: Source,
    hashed: Tool,
    unhashed: Tool,
    ns: Sequence[int],
    *,
    reps: int,
    workdir: Path,
    pause: float,
    log: Callable[[str], None] = print,
) -> list[Sample]:
    want = file_digest(source.path)
    samples: list[Sample] = []
    for n in ns:
        for rep in range(reps):
            pair = [hashed, unhashed] if rep % 2 == 0 else [unhashed, hashed]
            for tool in pair:
                outdir = workdir / tool.name
                dsts = [outdir / f"replica{i}.vhd" for i in range(n)]
                outdir.mkdir(parents=True, exist_ok=True)
                file_digest(source.path)  # both start from a cached source
                t = run_timed(tool, source.path, dsts)
                check_outputs(tool, source, dsts, want if rep == 0 else None)
                samples.append(Sample(tool.name, n, rep, t.seconds, t.peak_rss, t.cpu_seconds))
                log(f"  N={n:<3} rep={rep} {tool.name:<15} {t.seconds:8.3f} s")
                settle(outdir, pause)
    return samples


def analyze_pairs(samples: Sequence[Sample], hashed: str, unhashed: str) -> dict[str, Any]:
    """Per N: cost from the best times, the median pair ratio, and CPU."""
    by: dict[tuple[str, int], dict[int, Sample]] = {}
    for s in samples:
        by.setdefault((s.tool, s.n), {})[s.rep] = s
    per_n: dict[int, dict[str, float]] = {}
    for n in sorted({s.n for s in samples}):
        h, u = by[(hashed, n)], by[(unhashed, n)]
        pairs = [h[r].seconds / u[r].seconds for r in sorted(h) if r in u]
        best_h = min(s.seconds for s in h.values())
        best_u = min(s.seconds for s in u.values())
        per_n[n] = {
            "best_hashed_s": best_h,
            "best_unhashed_s": best_u,
            "cost_best": best_h / best_u - 1.0,
            "cost_median_pair": statistics.median(pairs) - 1.0,
            "cpu_cost_s": min(s.cpu_seconds for s in h.values())
            - min(s.cpu_seconds for s in u.values()),
        }
    worst_n = max(per_n, key=lambda n: per_n[n]["cost_best"])
    shown = ", ".join(f"N={n}: {v['cost_best']:+.3f}" for n, v in per_n.items())
    verdict = Verdict(
        f"hashing costs <= {BOUND:.0%} (best imgrepl / best imgrepl-nohash - 1, paired)",
        f"{shown} (worst {per_n[worst_n]['cost_best']:+.3f} at N={worst_n})",
        per_n[worst_n]["cost_best"] <= BOUND,
    )
    return {"per_n": per_n, "verdict": verdict.to_json()}


def table(results: dict[str, Any]) -> str:
    lines = [f"== {results['fs']}: hashing cost, {results['reps']} back-to-back pairs per N"]
    lines.append(f"{'N':>4} {'hash s':>8} {'no-hash s':>10} {'cost(best)':>11} {'median pair':>12}")
    for n, v in results["per_n"].items():
        lines.append(
            f"{n:>4} {v['best_hashed_s']:8.3f} {v['best_unhashed_s']:10.3f} "
            f"{v['cost_best']:+11.3f} {v['cost_median_pair']:+12.3f}"
            f"   (CPU {v['cpu_cost_s']:+.3f} s)"
        )
    v = results["verdict"]
    mark = "MET   " if v["met"] else "MISSED"
    lines.append(f"  [{mark}] {v['target']}: {v['measured']}")
    return "\n".join(lines)
