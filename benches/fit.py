"""Least-squares line through (replicas, seconds), and its R²."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Fit:
    """time = intercept + slope · N; r2 is the coefficient of determination."""

    intercept: float
    slope: float
    r2: float

    def to_json(self) -> dict[str, float]:
        return asdict(self)


def linear_fit(xs: Sequence[float], ys: Sequence[float]) -> Fit:
    if len(xs) != len(ys) or len(xs) < 2:
        raise ValueError(f"a fit needs two or more (x, y) pairs, got {len(xs)} x and {len(ys)} y")
    n = len(xs)
    mean_x = sum(xs) / n
    mean_y = sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        raise ValueError("a fit needs at least two distinct replica counts")
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    intercept = mean_y - slope * mean_x
    ss_res = sum((y - (intercept + slope * x)) ** 2 for x, y in zip(xs, ys, strict=True))
    ss_tot = sum((y - mean_y) ** 2 for y in ys)
    # All times equal: the line explains them exactly.
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else 1.0
    return Fit(intercept=intercept, slope=slope, r2=r2)
