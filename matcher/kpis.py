"""Key figures of a result: coverage overall, by category and by community."""
from __future__ import annotations

import numpy as np

from .candidates import Pairs
from .geo import WALK_M_PER_MIN
from .results import Kpis
from .tables import RoundTables


def _ratio(a: float, b: float) -> float:
    return round(a / b, 4) if b else 1.0


def kpis(t: RoundTables, pairs: Pairs, x: np.ndarray) -> Kpis:
    x = np.asarray(x, dtype=np.int64)
    on = x > 0
    got = np.bincount(pairs.need, weights=x, minlength=t.n_need).astype(np.int64)
    demand = int(t.need_qty.sum())
    served = int(got.sum())
    wdemand = int(np.dot(t.need_weight, t.need_qty))
    wserved = int(np.dot(t.need_weight, got))
    distance = int(np.dot(pairs.dist, x))
    comm_demand = np.bincount(t.need_comm, weights=t.need_qty, minlength=len(t.communities))
    comm_served = np.bincount(t.need_comm, weights=got, minlength=len(t.communities))
    cat_demand = np.bincount(t.need_cat, weights=t.need_qty, minlength=len(t.categories))
    cat_served = np.bincount(t.need_cat, weights=got, minlength=len(t.categories))
    by_category = {
        c: {"demand_quantity": int(cat_demand[k]), "served_quantity": int(cat_served[k]),
            "coverage": _ratio(cat_served[k], cat_demand[k])}
        for k, c in enumerate(t.categories) if cat_demand[k] > 0
    }
    by_community = {
        c: {"demand_quantity": int(comm_demand[k]), "served_quantity": int(comm_served[k]),
            "coverage": _ratio(comm_served[k], comm_demand[k])}
        for k, c in enumerate(t.communities)
    }
    worst = int(pairs.dist[on].max()) if on.any() else 0
    return Kpis.model_validate({
        "demand_quantity": demand,
        "served_quantity": served,
        "coverage": _ratio(served, demand),
        "weighted_coverage": _ratio(wserved, wdemand),
        "communities_unserved": int(((comm_demand > 0) & (comm_served == 0)).sum()),
        "mean_distance_m": round(distance / served, 1) if served else 0.0,
        "worst_distance_m": worst,
        "mean_walk_minutes": round(distance / served / WALK_M_PER_MIN, 1) if served else 0.0,
        "projects": int(on.sum()),
        "needs_fully_served": int((got >= t.need_qty).sum()),
        "needs_unserved": int((got == 0).sum()),
        "by_category": by_category,
        "by_community": by_community,
    })
