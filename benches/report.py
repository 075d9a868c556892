"""Turns samples into the results: best times, fits, ratios, the limit and
the target verdicts; writes them as JSON and a PNG plot, prints a table."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fit import Fit, linear_fit
from runner import Sample
from targets import judge
from workload import Source

PEERS = ["cp", "rclone", "qemu-img", "pyloop"]
ORDER = ["imgrepl", "imgrepl-nohash", *PEERS]  # stable rows and plot colours


def analyze(samples: Sequence[Sample], source: Source, fs: str) -> dict[str, Any]:
    best: dict[str, dict[int, float]] = {}
    rss: dict[str, dict[int, int]] = {}
    cpu: dict[str, dict[int, float]] = {}
    for s in samples:
        c = cpu.setdefault(s.tool, {})
        c[s.n] = min(c.get(s.n, s.cpu_seconds), s.cpu_seconds)
        b = best.setdefault(s.tool, {})
        b[s.n] = min(b.get(s.n, s.seconds), s.seconds)
        r = rss.setdefault(s.tool, {})
        r[s.n] = max(r.get(s.n, 0), s.peak_rss)
    rank = {t: i for i, t in enumerate(ORDER)}
    best = dict(sorted(best.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])))
    dd = best.pop("dd", {})
    rss.pop("dd", None)
    cpu.pop("dd", None)
    bandwidth = source.file_size / min(dd.values()) if dd else None
    ns = sorted({s.n for s in samples})
    limit = {n: n * source.nonzero_bytes / bandwidth for n in ns} if bandwidth else {}
    fits = {t: _fit(b) for t, b in best.items() if len(b) > 1}
    ratios: dict[str, dict[int, float]] = {}
    if "imgrepl" in best:
        mine = best["imgrepl"]
        for other, times in [*((t, best[t]) for t in best if t != "imgrepl"), ("limit", limit)]:
            ratios[other] = {n: mine[n] / times[n] for n in mine if n in times}
    verdicts = judge(fs, best, limit, fits, [p for p in PEERS if p in best])
    return {
        "fs": fs,
        "source": source.to_json(),
        "replicas": ns,
        "dd_best_bandwidth_bytes_per_s": bandwidth,
        "samples": [s.to_json() for s in samples],
        "best_seconds": best,
        "limit_seconds": limit,
        "peak_rss_bytes": rss,
        "least_cpu_seconds": cpu,
        "fits": {t: f.to_json() for t, f in fits.items()},
        "imgrepl_ratio_to": ratios,
        "verdicts": [v.to_json() for v in verdicts],
    }


def _fit(times: dict[int, float]) -> Fit:
    ns = sorted(times)
    return linear_fit(ns, [times[n] for n in ns])


def _row(label: str, values: dict[int, float], ns: list[int]) -> str:
    return f"{label:<15}" + "".join(f"{values[n]:9.3f}" if n in values else f"{'-':>9}" for n in ns)


def write_json(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, sort_keys=False) + "\n")


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for tool, times in results["best_seconds"].items():
        ns = sorted(times)
        style = "-" if tool.startswith("imgrepl") else "--"
        ax.plot(ns, [times[n] for n in ns], style, marker="o", label=tool)
    limit = results["limit_seconds"]
    if limit:
        ns = sorted(limit)
        ax.plot(ns, [limit[n] for n in ns], ":", color="black", label="limit (dd fdatasync)")
    src = results["source"]
    ax.set_title(
        f"{results['fs']}: {src['data_size'] / 1024**3:.2f} GiB image, "
        f"{src['zero_chunks'] * src['chunk'] / src['data_size']:.0%} zero chunks"
    )
    ax.set_xlabel("replicas (N)")
    ax.set_ylabel("best time, durable (s)")
    ax.set_xticks(results["replicas"])
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def table(results: dict[str, Any]) -> str:
    ns: list[int] = results["replicas"]
    head = f"{'tool':<15}" + "".join(f"{'N=' + str(n):>9}" for n in ns)
    fit_head = "   slope/N  intercept     R^2  peak RSS at N max"
    lines = [f"== {results['fs']}: best seconds (durable)", head + fit_head]
    for tool, times in results["best_seconds"].items():
        row = _row(tool, times, ns)
        fit = results["fits"].get(tool)
        if fit:
            row += f"  {fit['slope']:8.3f}  {fit['intercept']:9.3f}  {fit['r2']:6.4f}"
        rss = results["peak_rss_bytes"][tool]
        row += f"  {rss[max(rss)] / 1024**2:8.1f} MiB"
        lines.append(row)
    if results["limit_seconds"]:
        bw = results["dd_best_bandwidth_bytes_per_s"]
        lim = results["limit_seconds"]
        lines.append(_row("limit", lim, ns) + f"  (dd {bw / 1e9:.2f} GB/s)")
    if results["imgrepl_ratio_to"]:
        lines.append("imgrepl time / other time:")
        for other, ratio in results["imgrepl_ratio_to"].items():
            lines.append(_row("  " + other, ratio, ns))
    lines.append("least CPU seconds (user + system, all the tool's processes):")
    for tool, times in results["least_cpu_seconds"].items():
        lines.append(_row("  " + tool, times, ns))
    lines.append("targets:")
    for v in results["verdicts"]:
        mark = {True: "MET   ", False: "MISSED", None: "n/a   "}[v["met"]]
        lines.append(f"  [{mark}] {v['target']}: {v['measured']}")
    return "\n".join(lines)
