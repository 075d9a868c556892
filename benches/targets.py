"""Issue 2's targets, judged from the best time of each (tool, N).  Every
verdict records what was measured, so a miss says by how much."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass

from fit import Fit

Best = Mapping[str, Mapping[int, float]]  # tool -> N -> best seconds
MIB = 1024**2


@dataclass(frozen=True)
class Verdict:
    target: str
    measured: str
    met: bool | None  # None: not measured in this run

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def _worst(
    ns: list[int], ratio: Callable[[int], float], bound: float, strict: bool
) -> tuple[str, bool | None]:
    if not ns:
        return "no such N in this run", None
    values = {n: ratio(n) for n in ns}
    n, worst = max(values.items(), key=lambda kv: kv[1])
    shown = ", ".join(f"N={k}: {v:.3f}" for k, v in values.items())
    met = worst < bound if strict else worst <= bound
    return f"ratio {shown} (worst {worst:.3f} at N={n})", met


def judge(
    fs: str, best: Best, limit: Mapping[int, float], fits: Mapping[str, Fit], peers: list[str]
) -> list[Verdict]:
    if "imgrepl" not in best:
        return [Verdict("imgrepl targets", "imgrepl was not measured", None)]
    mine = best["imgrepl"]
    ns = sorted(mine)
    present = [p for p in peers if p in best]

    out: list[Verdict] = []

    def add(target: str, at: list[int], ratio: Callable[[int], float], bound: float) -> None:
        # "faster than" is strict; "<=" bounds are not
        measured, met = _worst(at, ratio, bound, strict=target.endswith("peer"))
        out.append(Verdict(target, measured, met))

    def to_cp(n: int) -> float:
        return mine[n] / best["cp"][n]

    def to_fastest_peer(n: int) -> float:
        return mine[n] / min(best[p][n] for p in present)

    ge2 = [n for n in ns if n >= 2]
    if fs == "disk" and "cp" in best:
        add("N>=2: imgrepl <= 0.85 x (cp x N + sync)", ge2, to_cp, 0.85)
    if fs == "disk" and present:
        add("N>=2: imgrepl faster than every peer", ge2, to_fastest_peer, 1.0)
        add("N=1: imgrepl no slower than any peer", [1] if 1 in mine else [], to_fastest_peer, 1.0)
    if fs == "disk" and limit:
        add("N>=2: imgrepl <= 1.2 x limit", ge2, lambda n: mine[n] / limit[n], 1.2)
    if fs == "tmpfs" and "cp" in best:
        add("N>=4: imgrepl <= 0.75 x (cp x N)", [n for n in ns if n >= 4], to_cp, 0.75)
    if "imgrepl" in fits:
        r2 = fits["imgrepl"].r2
        out.append(Verdict("imgrepl R^2 >= 0.99", f"R^2 {r2:.4f}", r2 >= 0.99))
    if "imgrepl-nohash" in best:
        nohash = best["imgrepl-nohash"]
        cost = "hashing costs <= 5% (imgrepl / imgrepl-nohash - 1)"
        add(cost, ns, lambda n: mine[n] / nohash[n] - 1.0, 0.05)
    return out


def judge_rss(peak_rss: int, n: int, size: int) -> Verdict:
    measured = f"peak RSS {peak_rss / MIB:.1f} MiB at N={n}, image {size / 1024**3:.2f} GiB"
    met = peak_rss <= 256 * MIB if n >= 16 and size >= 4 * 1024**3 else None
    return Verdict("peak RSS <= 256 MiB at N=16 on a 4 GiB image", measured, met)
