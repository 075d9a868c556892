"""The replica-scaling benchmark under pytest-benchmark: the same run as
benches/run.py, one test per filesystem, failing when a target is missed.
Size and repetitions come from IMGREPL_BENCH_SIZE / IMGREPL_BENCH_REPS.

    python3 -m pytest benches/bench_replicas.py --benchmark-only -s
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from run import parse_args, run_fs


@pytest.mark.timeout(3 * 3600)
@pytest.mark.parametrize("fs", ["disk", "tmpfs"])
def test_replica_scaling(fs: str, benchmark: Any) -> None:
    size = os.environ.get("IMGREPL_BENCH_SIZE", "1GiB")
    reps = os.environ.get("IMGREPL_BENCH_REPS", "3")
    args = parse_args(["--fs", fs, "--size", size, "--reps", reps])
    results = benchmark.pedantic(run_fs, args=(args, fs), rounds=1, iterations=1)
    benchmark.extra_info["best_seconds"] = results["best_seconds"]
    benchmark.extra_info["verdicts"] = results["verdicts"]
    assert results["imgrepl_unavailable"] is None, results["imgrepl_unavailable"]
    missed = [f"{v['target']}: {v['measured']}" for v in results["verdicts"] if v["met"] is False]
    assert not missed, "targets missed:\n" + "\n".join(missed)
