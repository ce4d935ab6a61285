"""The short summary a command prints after a solve."""
from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..results import Result


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x * 100:.1f} %"


def summary(result: Result, name: str | None, written: str | None) -> str:
    """Status, served / demand, value, projects, unmet reasons and time of a result."""
    obj, k, st = result.objective, result.kpis, result.stats
    lines = [f"{name or 'round'}: {result.status} ({result.solver})"]
    if result.message:
        lines.append(f"  note      {result.message}")
    lines.append(f"  served    {k.served_quantity} / {k.demand_quantity} units "
                 f"({_pct(k.coverage)}), weighted coverage {_pct(k.weighted_coverage)}")
    bound = obj.bound_served_value
    lines.append(f"  value     {obj.served_value}" + (f" (bound {bound})" if bound is not None else "")
                 + f", distance {obj.total_distance_m:,} m, mean walk {k.mean_walk_minutes} min")
    reasons = Counter(u.reason for u in result.unmet)
    why = ", ".join(f"{r} {n}" for r, n in reasons.most_common())
    lines.append(f"  projects  {len(result.projects)}; needs short {len(result.unmet)}" + (f" ({why})" if why else ""))
    if st.total_seconds is not None:
        lines.append(f"  time      {st.total_seconds:.2f} s (solve {st.solve_seconds:.2f} s), "
                     f"{st.candidate_pairs:,} candidate pairs")
    if written:
        lines.append(f"  written   {written}")
    return "\n".join(lines)
