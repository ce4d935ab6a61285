"""The output document of the round contract (:class:`matcher.results.Result`), and its JSON text."""
from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from .candidates import Pairs
from .geo import WALK_M_PER_MIN
from .kpis import kpis
from .problem import Solution, Status
from .reasons import unmet_reasons
from .results import Result
from .solvers import coverage
from .tables import RoundTables


def project_rows(t: RoundTables, pairs: Pairs, x: np.ndarray) -> list[dict]:
    on = np.flatnonzero(x > 0)
    width = max(4, len(str(on.size)))
    rows = []
    res, need, dist, lock = pairs.res[on].tolist(), pairs.need[on].tolist(), pairs.dist[on].tolist(), pairs.lock[on].tolist()
    qty = x[on].tolist()
    for k in range(on.size):
        i, j = res[k], need[k]
        rows.append({
            "project_id": f"P-{k + 1:0{width}d}",
            "need_id": t.need_ids[j],
            "resource_id": t.res_ids[i],
            "provider_id": t.prov_ids[t.res_provider[i]],
            "community_id": t.communities[t.need_comm[j]],
            "category": t.categories[t.res_cat[i]],
            "quantity": qty[k],
            "distance_m": dist[k],
            "walk_minutes": round(dist[k] / WALK_M_PER_MIN, 1),
            "locked": lock[k] > 0,
        })
    return rows


def previous_plan(t: RoundTables) -> dict[tuple[int, int], int]:
    """The previous plan as (resource index, need index) -> quantity, in input order."""
    return dict(zip(zip(t.prev_res.tolist(), t.prev_need.tolist()), t.prev_qty.tolist()))


def churn_block(t: RoundTables, pairs: Pairs, x: np.ndarray) -> dict:
    """Level 3's output block: how the projects ``x`` differ from the previous plan."""
    prev = previous_plan(t)
    on = np.flatnonzero(x > 0)
    now = dict(zip(zip(pairs.res[on].tolist(), pairs.need[on].tolist()), x[on].tolist()))
    ids = lambda i, j: {"need_id": t.need_ids[j], "resource_id": t.res_ids[i]}  # noqa: E731
    added = [{**ids(i, j), "quantity": q} for (i, j), q in now.items() if (i, j) not in prev]
    removed = [{**ids(i, j), "quantity": q} for (i, j), q in prev.items() if (i, j) not in now]
    changed = [{**ids(i, j), "previous_quantity": q, "quantity": now[i, j]}
               for (i, j), q in prev.items() if (i, j) in now and now[i, j] != q]
    kept = sum(1 for key, q in prev.items() if now.get(key) == q)
    units = sum(abs(now.get(key, 0) - q) for key, q in prev.items()) + sum(
        q for key, q in now.items() if key not in prev)
    return {"units": units, "pairs_kept": kept, "added": added, "removed": removed, "changed": changed}


def shortfall_of(t: RoundTables, pairs: Pairs, x: np.ndarray) -> int:
    """Level 4: projects missing to reach the providers' ``target_projects``."""
    projects = np.bincount(t.res_provider[pairs.res[x > 0]], minlength=t.prov_target_projects.size)
    return int(np.maximum(0, t.prov_target_projects - projects).sum())


def fairness_block(t: RoundTables, pairs: Pairs, x: np.ndarray, mode: str, value: int, v_star: int) -> dict:
    """Level 1's report: exact community coverages (shown to 4 decimals), the smallest, the communities
    at it, and what fairness cost in served value."""
    n_comm = len(t.communities)
    demand = coverage.demand_of(pairs.need, t.need_qty, t.need_comm, n_comm)
    served = coverage.units_of(pairs.need, t.need_comm, n_comm, x)
    cov = {c: Fraction(int(served[c]), int(demand[c])) for c in np.flatnonzero(demand > 0).tolist()}
    low = min(cov.values(), default=None)
    return {"mode": mode, "min_coverage": None if low is None else round(float(low), 4),
            "binding_communities": [t.communities[c] for c, v in cov.items() if v == low],
            "coverage_by_community": {t.communities[c]: round(float(v), 4) for c, v in cov.items()},
            "value_without_fairness": v_star,
            "price_of_fairness": round((v_star - value) / v_star, 4) if v_star else 0.0}


def _show_priorities(t: RoundTables, *row_lists: list[dict]) -> None:
    """Under ``params.priority_aging``, every project and unmet row shows the need's priority as
    written and as aged (the one its units are valued at)."""
    index = {nid: j for j, nid in enumerate(t.need_ids)}
    for rows in row_lists:
        for row in rows:
            j = index[row["need_id"]]
            row["priority"] = int(t.need_priority[j])
            row["effective_priority"] = int(t.need_eff_priority[j])


def build_output(t: RoundTables, pairs: Pairs, sol: Solution, stats: dict) -> Result:
    """The typed output document of a solution (validated in one pass from its plain rows)."""
    x = sol.x if sol.status in (Status.OPTIMAL, Status.FEASIBLE) else np.zeros(len(pairs), dtype=np.int64)
    doc: dict[str, Any] = {"status": sol.status.value, "solver": sol.solver}
    if sol.message:
        doc["message"] = sol.message
    doc["objective"] = {
        "served_value": sol.served_value,
        "total_distance_m": sol.total_distance,
        "served_quantity": sol.served_quantity,
        "bound_served_value": sol.bound_served_value,
    }
    doc["projects"] = project_rows(t, pairs, x)
    if t.has_previous:
        block = churn_block(t, pairs, x)
        doc["objective"]["churn_units"] = block["units"]
        prev = previous_plan(t)
        for row, k in zip(doc["projects"], np.flatnonzero(x > 0).tolist()):
            row["previous_quantity"] = prev.get((int(pairs.res[k]), int(pairs.need[k])), 0)
    if (t.prov_target_projects >= 0).any():
        doc["objective"]["participation_shortfall"] = shortfall_of(t, pairs, x)
    if sol.status in (Status.OPTIMAL, Status.FEASIBLE):
        doc["unmet"] = [{"need_id": t.need_ids[j], "quantity": q, "reason": r}
                        for j, q, r in unmet_reasons(t, pairs, x)]
    else:
        doc["unmet"] = []
    if t.params.priority_aging is not None:
        _show_priorities(t, doc["projects"], doc["unmet"])
    doc["kpis"] = kpis(t, pairs, x)
    if sol.stats.fairness_mode is not None:
        doc["fairness"] = fairness_block(t, pairs, x, sol.stats.fairness_mode, sol.served_value,
                                         sol.stats.value_without_fairness)
    if t.has_previous:
        doc["churn"] = block
    doc["stats"] = stats
    return Result.model_validate(doc)
