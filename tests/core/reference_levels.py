"""Independent references for every objective level of ROUND.md v1.1.

Written from the contract and the input document only; nothing here imports
matcher. Two references:

- :func:`brute_force` enumerates every feasible result of a tiny round and
  returns the lexicographically best key over all five levels (fairness with
  exact fractions, served value, churn, participation shortfall, distance);
- :func:`milp_levels` solves levels 2-5 (no fairness) as a sequence of MILPs
  (scipy HiGHS), each level fixed at its optimum before the next;
- :func:`milp_fairness` solves level 1 first, by MILP feasibility checks of the
  counting formulation (stage k: the largest candidate coverage t with at most
  k - 1 communities below t, the earlier stages kept), then levels 2-5.
"""
from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from .reference import distance, pairs, weights


def effective_priority(doc: dict, n: dict) -> int:
    p = n.get("priority", 3)
    aging = (doc.get("params") or {}).get("priority_aging")
    if not aging:
        return p
    return max(p, min(aging["max_priority"], p + n.get("rounds_unmet", 0) // aging["every_rounds"]))


def _index(doc: dict):
    res = {r["id"]: r for r in doc["resources"]}
    needs = {n["id"]: n for n in doc["needs"]}
    provs = {p["id"]: p for p in doc["providers"]}
    return res, needs, provs


def feasible(doc: dict, P: list, x: tuple) -> bool:
    """The contract's feasibility of quantities ``x`` over the pairs ``P`` (see ROUND.md)."""
    res, needs, provs = _index(doc)
    used: dict[str, int] = {}
    got: dict[str, int] = {}
    projects: dict[str, int] = {}
    for (rid, nid, lock), q in zip(P, x, strict=True):
        if lock and q != lock:
            return False
        if q == 0:
            continue
        if not lock and q < res[rid].get("min_quantity", 1):
            return False
        used[rid] = used.get(rid, 0) + q
        got[nid] = got.get(nid, 0) + q
        pid = res[rid]["provider_id"]
        projects[pid] = projects.get(pid, 0) + 1
    if any(used[r] > res[r]["capacity"] for r in used):
        return False
    for nid, n in needs.items():
        g = got.get(nid, 0)
        if g > n["quantity"] or (n.get("all_or_nothing") and g not in (0, n["quantity"])):
            return False
    return all(provs[p].get("max_projects") is None or k <= provs[p]["max_projects"] for p, k in projects.items())


def value(doc: dict, P: list, x: tuple) -> int:
    _, needs, _ = _index(doc)
    w = weights(doc)
    return sum(q * w[effective_priority(doc, needs[nid])] for (_, nid, _), q in zip(P, x, strict=True))


def churn(doc: dict, P: list, x: tuple) -> int:
    prev = {(p["resource_id"], p["need_id"]): p["quantity"] for p in doc.get("previous") or []}
    total = 0
    for (rid, nid, _), q in zip(P, x, strict=True):
        total += abs(q - prev.pop((rid, nid), 0))
    return total + sum(prev.values())  # previous pairs that are not even candidates now


def shortfall(doc: dict, P: list, x: tuple) -> int:
    res, _, provs = _index(doc)
    projects = {p: 0 for p in provs}
    for (rid, _, _), q in zip(P, x, strict=True):
        if q:
            projects[res[rid]["provider_id"]] += 1
    return sum(max(0, (p.get("target_projects") or 0) - projects[pid]) for pid, p in provs.items())


def total_distance(doc: dict, P: list, x: tuple) -> int:
    res, needs, _ = _index(doc)
    return sum(q * round(distance(res[rid], needs[nid])) for (rid, nid, _), q in zip(P, x, strict=True))


def coverages(doc: dict, P: list, x: tuple) -> dict[str, Fraction]:
    """Exact coverage of every community with servable demand."""
    _, needs, _ = _index(doc)
    servable_needs = {nid for _, nid, _ in P}
    demand: dict[str, int] = {}
    for nid in servable_needs:
        c = needs[nid]["community_id"]
        demand[c] = demand.get(c, 0) + needs[nid]["quantity"]
    served = dict.fromkeys(demand, 0)
    for (_, nid, _), q in zip(P, x, strict=True):
        served[needs[nid]["community_id"]] += q
    return {c: Fraction(served[c], demand[c]) for c in demand}


def fairness_key(doc: dict, P: list, x: tuple) -> tuple:
    """Larger is better: (min coverage,) for maxmin, the ascending coverages for leximin."""
    fair = (doc.get("params") or {}).get("fairness")
    if not fair:
        return ()
    cov = sorted(coverages(doc, P, x).values())
    return tuple(cov[:1]) if fair["mode"] == "maxmin" else tuple(cov)


def all_results(doc: dict) -> tuple[list, list[tuple]]:
    """Every feasible result of a tiny round: (pairs, list of quantity tuples)."""
    res, needs, _ = _index(doc)
    P = pairs(doc)
    ranges = [range(lock, lock + 1) if lock else range(min(res[r]["capacity"], needs[n]["quantity"]) + 1)
              for r, n, lock in P]
    return P, [x for x in itertools.product(*ranges) if feasible(doc, P, x)]


def brute_force(doc: dict) -> dict | None:
    """The lexicographic optimum over all levels by enumeration, or None if nothing is feasible.

    Returns ``{"x": {(rid, nid): q}, "served_value", "churn", "shortfall", "total_distance",
    "coverages", "fairness_key", "value_without_fairness"}``.
    """
    P, xs = all_results(doc)
    if not xs:
        return None
    best_value = max(value(doc, P, x) for x in xs)
    fair = (doc.get("params") or {}).get("fairness")
    if fair:
        ratio = Fraction(str(fair["min_value_ratio"]))
        floor = math.ceil(ratio * best_value)
        xs = [x for x in xs if value(doc, P, x) >= floor]

    def key(x):
        return (fairness_key(doc, P, x), value(doc, P, x), -churn(doc, P, x), -shortfall(doc, P, x),
                -total_distance(doc, P, x))

    x = max(xs, key=key)
    return {"x": {(r, n): q for (r, n, _), q in zip(P, x, strict=True) if q},
            "served_value": value(doc, P, x), "churn": churn(doc, P, x), "shortfall": shortfall(doc, P, x),
            "total_distance": total_distance(doc, P, x), "coverages": coverages(doc, P, x),
            "fairness_key": fairness_key(doc, P, x), "value_without_fairness": best_value}


def milp_levels(doc: dict) -> dict | None:
    """Levels 2-5 (served value, churn, shortfall, distance) by four MILP stages; None if infeasible."""
    res, needs, provs = _index(doc)
    P = pairs(doc)
    if not P:
        return {"served_value": 0, "churn": churn(doc, P, ()), "shortfall": shortfall(doc, P, ()),
                "total_distance": 0}
    m = _Model(doc, P, res, needs, provs)
    levels = [("served_value", -m.value), ("churn", m.churn), ("shortfall", m.shortfall), ("total_distance", m.dist)]
    out = {}
    for name, c in levels:
        r = milp(c, integrality=m.integrality, bounds=Bounds(m.lo, m.hi), constraints=m.constraints())
        if r.status == 2:
            return None
        assert r.status == 0, r.message
        best = round(r.fun)
        out[name] = -best if name == "served_value" else best + (m.churn_const if name == "churn" else 0)
        m.fix(c, best)
    return out


def _servable(doc: dict, P: list, needs: dict) -> dict[str, int]:
    demand: dict[str, int] = {}
    for nid in {nid for _, nid, _ in P}:
        c = needs[nid]["community_id"]
        demand[c] = demand.get(c, 0) + needs[nid]["quantity"]
    return demand


def _milp_counts(m: _Model, P: list, needs: dict, demand: dict, counts: list, c) -> object:
    """MILP over the model plus, per (t, allowed) in ``counts``, "at most ``allowed`` communities
    below coverage t" (one binary per community: s_c >= ceil(t D_c) unless it is 1)."""
    comms = sorted(demand)
    extra = len(counts) * len(comms)
    nv = m.nv + extra
    rows = [np.concatenate([r, np.zeros(extra)]) for r in m.rows]
    lb, ub = list(m.lb), list(m.ub)
    for k, (t, allowed) in enumerate(counts):
        base = m.nv + k * len(comms)
        total = np.zeros(nv)
        for i, comm in enumerate(comms):
            need = math.ceil(t * demand[comm])
            row = np.zeros(nv)
            for j, (_, nid, _) in enumerate(P):
                if needs[nid]["community_id"] == comm:
                    row[j] = 1
            row[base + i] = need
            rows.append(row)
            lb.append(need)
            ub.append(np.inf)
            total[base + i] = 1
        rows.append(total)
        lb.append(-np.inf)
        ub.append(allowed)
    cost = np.concatenate([np.asarray(c, dtype=float), np.zeros(extra)])
    return milp(cost, integrality=np.ones(nv), bounds=Bounds(np.concatenate([m.lo, np.zeros(extra)]),
                                                              np.concatenate([m.hi, np.ones(extra)])),
                constraints=[LinearConstraint(np.array(rows), lb, ub)])


def milp_fairness(doc: dict) -> dict:
    """Level 1 (``params.fairness``) then levels 2-5, by MILP stages. Returns the sorted coverages
    of the result, its served value, churn, distance and the value without fairness."""
    res, needs, provs = _index(doc)
    P = pairs(doc)
    fair = doc["params"]["fairness"]
    m = _Model(doc, P, res, needs, provs)
    r = milp(-m.value, integrality=m.integrality, bounds=Bounds(m.lo, m.hi), constraints=m.constraints())
    assert r.status == 0, r.message
    v_star = -round(r.fun)
    m.row({k: v for k, v in enumerate(m.value) if v}, math.ceil(Fraction(str(fair["min_value_ratio"])) * v_star),
          np.inf)
    demand = _servable(doc, P, needs)
    cands = sorted({Fraction(a, d) for d in demand.values() for a in range(d + 1)})
    counts: list = []
    lo = 0
    for k in range(1 if fair["mode"] == "maxmin" else len(demand)):
        hi = len(cands) - 1
        while lo < hi:  # the largest feasible candidate; cands[lo] is feasible
            mid = (lo + hi + 1) // 2
            if _milp_counts(m, P, needs, demand, counts + [(cands[mid], k)], np.zeros(m.nv)).status == 0:
                lo = mid
            else:
                hi = mid - 1
        counts.append((cands[lo], k))
        if cands[lo] == 1:
            break
    out = {}
    levels = [("served_value", -m.value), ("churn", m.churn), ("shortfall", m.shortfall), ("total_distance", m.dist)]
    for name, c in levels:
        r = _milp_counts(m, P, needs, demand, counts, c)
        assert r.status == 0, r.message
        best = round(r.fun)
        out[name] = -best if name == "served_value" else best + (m.churn_const if name == "churn" else 0)
        m.fix(c, best)
    x = tuple(int(round(v)) for v in r.x[:len(P)])
    out["coverages"] = sorted(coverages(doc, P, x).values())
    out["value_without_fairness"] = v_star
    return out


class _Model:
    """Variables x (quantity), y (project opened) per pair, z per need (aon served),
    u per pair (|x - previous|), s per provider (shortfall)."""

    def __init__(self, doc, P, res, needs, provs):
        self.P, nP, nN, nG = P, len(P), len(needs), len(provs)
        self.nv = 3 * nP + nN + nG
        self.lo, self.hi = np.zeros(self.nv), np.zeros(self.nv)
        self.rows, self.lb, self.ub = [], [], []
        X, Y, U, Z, S = 0, nP, 2 * nP, 3 * nP, 3 * nP + nN
        prev = {(p["resource_id"], p["need_id"]): p["quantity"] for p in doc.get("previous") or []}
        w = weights(doc)
        self.value, self.dist, self.churn, self.shortfall = (np.zeros(self.nv) for _ in range(4))
        for k, (rid, nid, lock) in enumerate(P):
            top = min(res[rid]["capacity"], needs[nid]["quantity"])
            if lock:
                self.lo[X + k] = self.hi[X + k] = lock
                self.lo[Y + k] = self.hi[Y + k] = 1
            else:
                self.hi[X + k], self.hi[Y + k] = top, 1
                self.row({X + k: 1, Y + k: -top}, -np.inf, 0)
                self.row({X + k: 1, Y + k: -res[rid].get("min_quantity", 1)}, 0, np.inf)
            pq = prev.pop((rid, nid), 0)
            self.hi[U + k] = max(top, lock, pq) + pq
            self.row({U + k: 1, X + k: -1}, -pq, np.inf)  # u >= x - prev
            self.row({U + k: 1, X + k: 1}, pq, np.inf)  # u >= prev - x
            self.value[X + k] = w[effective_priority(doc, needs[nid])]
            self.dist[X + k] = round(distance(res[rid], needs[nid]))
            self.churn[U + k] = 1
        self.churn_const = sum(prev.values())  # previous pairs that cannot be projects now
        for rid, r in res.items():
            self.row({X + k: 1 for k, p in enumerate(P) if p[0] == rid}, -np.inf, r["capacity"])
        for m_, (nid, n) in enumerate(needs.items()):
            ks = {X + k: 1 for k, p in enumerate(P) if p[1] == nid}
            if n.get("all_or_nothing"):
                self.hi[Z + m_] = 1
                self.row({**ks, Z + m_: -n["quantity"]}, 0, 0)
            else:
                self.row(ks, -np.inf, n["quantity"])
        for g, (pid, p) in enumerate(provs.items()):
            ys = {Y + k: 1 for k, q in enumerate(P) if res[q[0]]["provider_id"] == pid}
            if p.get("max_projects") is not None:
                self.row(ys, -np.inf, p["max_projects"])
            target = p.get("target_projects") or 0
            self.hi[S + g] = target
            self.row({**ys, S + g: 1}, target, np.inf)  # s >= target - projects
            self.shortfall[S + g] = 1
        self.integrality = np.ones(self.nv)

    def row(self, coefs, low, high):
        a = np.zeros(self.nv)
        for k, v in coefs.items():
            a[k] += v
        self.rows.append(a)
        self.lb.append(low)
        self.ub.append(high)

    def fix(self, c, best):
        self.rows.append(np.asarray(c, dtype=float))
        self.lb.append(-np.inf)
        self.ub.append(best + 0.5)

    def constraints(self):
        return [LinearConstraint(np.array(self.rows), self.lb, self.ub)]
