"""The output document of the round contract (:class:`matcher.results.Result`), and its JSON text."""
from __future__ import annotations

from typing import Any

import numpy as np

from .candidates import Pairs
from .geo import WALK_M_PER_MIN
from .kpis import kpis
from .problem import Solution, Status
from .reasons import unmet_reasons
from .results import Result
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
    if sol.status in (Status.OPTIMAL, Status.FEASIBLE):
        doc["unmet"] = [{"need_id": t.need_ids[j], "quantity": q, "reason": r}
                        for j, q, r in unmet_reasons(t, pairs, x)]
    else:
        doc["unmet"] = []
    doc["kpis"] = kpis(t, pairs, x)
    doc["stats"] = stats
    return Result.model_validate(doc)
