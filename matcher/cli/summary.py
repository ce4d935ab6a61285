"""The short summary a command prints after a solve."""
from __future__ import annotations

from collections import Counter


def summary(doc: dict, name: str | None, written: str | None) -> str:
    """Status, served / demand, value, projects, unmet reasons and time of an output document."""
    obj, k, st = doc["objective"], doc["kpis"], doc["stats"]
    lines = [f"{name or 'round'}: {doc['status']} ({doc['solver']})"]
    if doc.get("message"):
        lines.append(f"  note      {doc['message']}")
    lines.append(f"  served    {k['served_quantity']} / {k['demand_quantity']} units "
                 f"({k['coverage'] * 100:.1f} %), weighted coverage {k['weighted_coverage'] * 100:.1f} %")
    bound = obj.get("bound_served_value")
    lines.append(f"  value     {obj['served_value']}" + (f" (bound {bound})" if bound is not None else "")
                 + f", distance {obj['total_distance_m']:,} m, mean walk {k['mean_walk_minutes']} min")
    reasons = Counter(u["reason"] for u in doc["unmet"])
    why = ", ".join(f"{r} {n}" for r, n in reasons.most_common())
    lines.append(f"  projects  {len(doc['projects'])}; needs short {len(doc['unmet'])}" + (f" ({why})" if why else ""))
    if "total_seconds" in st:
        lines.append(f"  time      {st['total_seconds']:.2f} s (solve {st['solve_seconds']:.2f} s), "
                     f"{st['candidate_pairs']:,} candidate pairs")
    if written:
        lines.append(f"  written   {written}")
    return "\n".join(lines)
