"""Independent references, written from the contract (ROUND.md) and the input document only.

Nothing here imports matcher: eligibility is recomputed with plain Python sets
and loops, and the lexicographic optimum by a two-level MILP (scipy HiGHS).
"""
from __future__ import annotations


import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from .builders import haversine

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEK = 7 * 1440
DEFAULT_WEIGHTS = {1: 1, 2: 2, 3: 4, 4: 8, 5: 16}


def minutes(windows) -> set[int] | None:
    """Every minute of the week covered by a window list (None = always), minute by minute."""
    if windows is None:
        return None
    out: set[int] = set()
    for w in windows:
        sh, sm = (int(v) for v in w["start"].split(":"))
        eh, em = (int(v) for v in w["end"].split(":"))
        start, end = sh * 60 + sm, eh * 60 + em
        length = end - start if end > start else end + 1440 - start
        for day in w["days"]:
            first = DAYS.index(day) * 1440 + start
            for m in range(first, first + length):
                out.add(m % WEEK)
    return out


def distance(r: dict, n: dict) -> float:
    return haversine(r["lat"], r["lon"], n["lat"], n["lon"])


def eligible(doc: dict, r: dict, n: dict) -> bool:
    """Rules 1-5 of the contract for one pair (locks not considered)."""
    if r["category"] != n["category"]:
        return False
    if not set(n.get("required_tags") or []) <= set(r.get("tags") or []):
        return False
    limits = [doc.get("params", {}).get("max_distance_m", 3000), r.get("max_distance_m"), n.get("max_distance_m")]
    if distance(r, n) > min(x for x in limits if x is not None):
        return False
    nw, rw = minutes(n.get("windows")), minutes(r.get("windows"))
    if nw is not None and rw is not None and not nw <= rw:
        return False
    forbidden = {(f["need_id"], f["resource_id"]) for f in doc.get("forbidden") or []}
    return (n["id"], r["id"]) not in forbidden


def pairs(doc: dict) -> list[tuple[str, str, int]]:
    """(resource id, need id, locked quantity or 0) of every pair that may become a project."""
    locks = {(lk["need_id"], lk["resource_id"]): lk["quantity"] for lk in doc.get("locked") or []}
    out = []
    for r in doc["resources"]:
        for n in doc["needs"]:
            lock = locks.get((n["id"], r["id"]), 0)
            if lock or eligible(doc, r, n):
                out.append((r["id"], n["id"], lock))
    return out


def weights(doc: dict) -> dict[int, int]:
    w = dict(DEFAULT_WEIGHTS)
    w.update({int(k): v for k, v in (doc.get("params", {}).get("priority_weights") or {}).items()})
    return w


def optimum(doc: dict) -> tuple[int, int] | None:
    """(best served value, least total distance at that value), or None when no
    feasible result exists (locks that cannot hold). Two-level MILP."""
    res = {r["id"]: r for r in doc["resources"]}
    needs = {n["id"]: n for n in doc["needs"]}
    provs = {p["id"]: p for p in doc["providers"]}
    w = weights(doc)
    P = pairs(doc)
    if not P:
        return (0, 0)
    nP = len(P)
    # variables: x_0..x_{P-1}, y_0..y_{P-1} (project opened), z_n per need (served in full)
    need_list = list(needs)
    nv = 2 * nP + len(need_list)
    lo, hi = np.zeros(nv), np.zeros(nv)
    rows, lb, ub = [], [], []

    def row(coefs: dict[int, float], low: float, high: float) -> None:
        a = np.zeros(nv)
        for k, v in coefs.items():
            a[k] += v
        rows.append(a)
        lb.append(low)
        ub.append(high)

    for k, (rid, nid, lock) in enumerate(P):
        r, n = res[rid], needs[nid]
        top = min(r["capacity"], n["quantity"])
        if lock:
            lo[k] = hi[k] = lock
            lo[nP + k] = hi[nP + k] = 1
        else:
            hi[k] = top
            hi[nP + k] = 1
            mq = r.get("min_quantity", 1)
            row({k: 1, nP + k: -top}, -np.inf, 0)  # x <= top * y
            row({k: 1, nP + k: -mq}, 0, np.inf)  # x >= min_quantity * y
    for rid, r in res.items():
        row({k: 1 for k, p in enumerate(P) if p[0] == rid}, -np.inf, r["capacity"])
    for m, nid in enumerate(need_list):
        n = needs[nid]
        ks = {k: 1 for k, p in enumerate(P) if p[1] == nid}
        zk = 2 * nP + m
        if n.get("all_or_nothing", False):
            hi[zk] = 1
            row({**ks, zk: -n["quantity"]}, 0, 0)
        else:
            row(ks, -np.inf, n["quantity"])
    for pid, p in provs.items():
        if p.get("max_projects") is not None:
            row({nP + k: 1 for k, q in enumerate(P) if res[q[0]]["provider_id"] == pid}, -np.inf, p["max_projects"])
    value = np.zeros(nv)
    dist = np.zeros(nv)
    for k, (rid, nid, _) in enumerate(P):
        value[k] = w[needs[nid].get("priority", 3)]
        dist[k] = round(distance(res[rid], needs[nid]))
    integrality = np.ones(nv)
    cons = [LinearConstraint(np.array(rows), lb, ub)]
    first = milp(-value, integrality=integrality, bounds=Bounds(lo, hi), constraints=cons)
    if first.status == 2:  # infeasible
        return None
    assert first.status == 0, first.message
    best = int(round(-first.fun))
    cons.append(LinearConstraint(value[None, :], best - 0.5, np.inf))
    second = milp(dist, integrality=integrality, bounds=Bounds(lo, hi), constraints=cons)
    assert second.status == 0, second.message
    return best, int(round(second.fun))


