"""Marginal values in plain words.

*Full resources*: what one more unit of each resource used to capacity would
change, exactly on both levels of the objective (served value, then distance).
Where the resource's part is a plain flow, from the optimal flow's potentials:
the cheapest cycle through the new unit in the residual network
(:func:`matcher.recommend.residual.one_more_unit`, one Dijkstra each, no
re-solve). Elsewhere (side rules: provider limits, minimum lots,
all-or-nothing needs) by a targeted re-solve with one more unit: only the part
of the round that the resource touches is re-solved; parts share nothing (see
:meth:`matcher.problem.Problem.parts`), so the gain of the part is the gain of
the round.

*Short needs*: for each need not fully served, what would serve it - the full
resources it can reach (their +1 value above), the nearest resource it misses
only by distance (and by how many metres), the nearest one it misses only by
time (and by how many minutes a week), and a provider limit that blocks.
"""
from __future__ import annotations

import math
import os
from typing import Any, Optional

import numpy as np

from ..errors import NotApplicable, SolverFailed, VerificationError
from ..geo import haversine_m
from ..parallel import local_map, local_pool_allowed
from ..problem import SolveOptions, Status
from ..recommend.residual import Network, build_network, one_more_unit
from ..recommend.state import side_parts
from ..service import Prepared, RoundResult, build_problem, solve_part
from ..tables import RoundTables, build_tables
from ..windows import week_mask

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def with_one_more(prep: Prepared, i: int) -> Prepared:
    """``prep`` with one more unit of resource ``i`` (the same pairs: they do not depend on capacity)."""
    resources = list(prep.round.resources)
    resources[i] = resources[i].model_copy(update={"capacity": resources[i].capacity + 1})
    rnd = prep.round.model_copy(update={"resources": tuple(resources)})
    tables = build_tables(rnd)
    return Prepared(rnd, tables, prep.pairs, build_problem(tables, prep.pairs))


def resource_gains(result: RoundResult, *, solver: Optional[str] = None, time_limit_s: float = 30.0,
                   resources: Optional[list[int]] = None) -> list[dict[str, Any]]:
    """Value of one more unit of each full resource (or of the given resource indices).

    Each entry: resource index, ``value`` (served-value gain), ``distance_m``
    (total distance change), ``quantity`` (served-quantity gain), ``gains``
    (needs served more: [(need index, +units)]), ``exact`` (both solves optimal)
    and ``method`` (``"flow potentials"`` or ``"re-solve"``).
    """
    prep, sol = result.prepared, result.solution
    name = "cpsat" if (solver or prep.round.params.solver) == "cpsat" else "auto"  # exact solvers only
    if resources is None:
        used = np.bincount(prep.problem.pair_res, weights=sol.x, minlength=prep.tables.n_res).astype(np.int64)
        resources = np.flatnonzero(used >= prep.problem.cap).tolist()
    net, flow_res = _flow_network(result, resources) if name == "auto" else (None, set())
    out = {}
    loads = (prep.problem.res_load(sol.x), prep.problem.need_load(sol.x))
    for i in resources:
        e = _flow_gain(result, net, int(i), loads) if int(i) in flow_res else None
        if e is not None:
            out[int(i)] = e
    todo = [int(i) for i in resources if int(i) not in out]
    # the re-solves are independent and each deterministic: on this machine's cores (forked copies)
    workers = (os.cpu_count() or 1) if local_pool_allowed() else 1
    for i, e in zip(todo, local_map(lambda i: _gain(result, i, name, time_limit_s), todo, workers)):
        out[i] = e
    return [out[int(i)] for i in resources]


def _flow_network(result: RoundResult, resources: list) -> tuple[Optional[Network], set]:
    """The residual network of the base's plain parts and the full resources it answers for:
    in a part without side rules, with ``min_qty <= 1`` (so one more unit changes no pair's
    usability, hence neither the parts nor their rules), no previous plan; the base proven optimal."""
    prep, sol = result.prepared, result.solution
    p = prep.problem
    if sol.status is not Status.OPTIMAL or p.has_previous or not resources:
        return None, set()
    side = side_parts(p)
    side_res = np.zeros(p.cap.size, dtype=bool)
    side_res[p.pair_res[side]] = True
    side_res |= (p.binding_groups() | p.target_groups())[p.group]
    ok = {int(i) for i in resources if not side_res[i] and p.min_qty[i] <= 1}
    if not ok:
        return None, set()
    try:
        return build_network(p, np.asarray(sol.x, dtype=np.int64), ~side, prep.round.params.max_distance_m), ok
    except SolverFailed:  # costs too large for exact int64 potentials, or no certificate: re-solve instead
        return None, set()


def _flow_gain(result: RoundResult, net: Network, i: int, loads: tuple) -> Optional[dict[str, Any]]:
    """One more unit of resource ``i`` in a plain part, from the flow's potentials (no re-solve)."""
    p = result.prepared.problem
    added = one_more_unit(net, p, i)
    if added is None:
        return None
    _check_local(p, result.solution.x, added.dx, i, loads)
    got: dict[int, int] = {}
    for k, d in added.dx.items():
        j = int(p.pair_need[k])
        got[j] = got.get(j, 0) + d
    return {"resource": i, "value": added.d_value, "distance_m": added.d_dist, "quantity": sum(added.dx.values()),
            "gains": sorted((j, q) for j, q in got.items() if q > 0), "exact": True, "method": "flow potentials"}


def _check_local(p, x: np.ndarray, dx: dict, i: int, loads: tuple[np.ndarray, np.ndarray]) -> None:
    """The changed pairs keep every rule they touch with one more unit at ``i`` (the base is verified):
    each pair within its room, each resource and need they touch within its capacity or quantity
    (``loads``: the base's units per resource and per need)."""
    k = np.fromiter(dx, dtype=np.int64, count=len(dx))
    if not k.size:
        return
    d = np.fromiter(dx.values(), dtype=np.int64, count=k.size)
    new = x[k] + d
    r, n = p.pair_res[k], p.pair_need[k]
    cap_r = p.cap[r] + (r == i)
    hi = np.minimum(cap_r, p.qty[n])
    res, r_at = np.unique(r, return_inverse=True)
    need, n_at = np.unique(n, return_inverse=True)
    res_now = loads[0][res] + np.bincount(r_at, weights=d, minlength=res.size).astype(np.int64)
    need_now = loads[1][need] + np.bincount(n_at, weights=d, minlength=need.size).astype(np.int64)
    if ((new < 0) | (new > hi) | p.locked[k]).any() or (res_now > p.cap[res] + (res == i)).any() \
            or (need_now > p.qty[need]).any():
        raise VerificationError("flow potentials", [f"one more unit at resource {i}: the changed pairs break a rule"])


def _gain(result: RoundResult, i: int, name: str, time_limit_s: float) -> dict[str, Any]:
    """One more unit of resource ``i``: only the part of the round it touches is re-solved (verified)."""
    prep, sol = result.prepared, result.solution
    x, p = sol.x, prep.problem
    entry = {"resource": i, "value": 0, "distance_m": 0, "quantity": 0, "gains": [],
             "exact": sol.status is Status.OPTIMAL, "method": "re-solve"}
    more = with_one_more(prep, i)
    label, _ = more.problem.parts()
    mine = label[(more.problem.pair_res == i) & (label >= 0)]
    if not mine.size:
        return entry
    sel = np.flatnonzero(np.isin(label, np.unique(mine)))
    s2 = None
    if name == "auto" and more.problem.restrict(sel).is_plain():
        try:
            s2 = solve_part(more, sel, x, "flow", SolveOptions(time_limit_s=time_limit_s))
        except NotApplicable:
            s2 = None
    if s2 is None:  # CP-SAT warm-started from the base quantities, still feasible with one more unit
        s2 = solve_part(more, sel, x, "cpsat", SolveOptions(time_limit_s=time_limit_s, hint=x[sel]))
    before = p.objective(x)
    entry.update(value=s2.served_value - before[0], distance_m=s2.total_distance - before[1],
                 quantity=s2.served_quantity - before[2], exact=entry["exact"] and s2.status is Status.OPTIMAL)
    got0 = np.bincount(p.pair_need, weights=x, minlength=p.qty.size)
    got1 = np.bincount(p.pair_need, weights=s2.x, minlength=p.qty.size)
    entry["gains"] = [(int(j), int(got1[j] - got0[j])) for j in np.flatnonzero(got1 > got0)]
    return entry


def _window_miss(t: RoundTables, i: int, j: int) -> tuple[int, str]:
    """Minutes a week of need j's windows outside resource i's, and the first such minute."""
    need = week_mask(t.window_patterns[t.need_win[j]])
    res = week_mask(t.window_patterns[t.res_win[i]])
    miss = need & ~res
    first = int(np.argmax(miss)) if miss.any() else -1
    when = f"{DAY_NAMES[first // 1440]} {first % 1440 // 60:02d}:{first % 60:02d}" if first >= 0 else ""
    return int(miss.sum()), when


def need_options(result: RoundResult, gains: Optional[list[dict]] = None) -> list[dict[str, Any]]:
    """What would serve each short need."""
    prep, doc = result.prepared, result.document
    t, pairs, x = prep.tables, prep.pairs, result.solution.x
    used = np.bincount(pairs.res, weights=x, minlength=t.n_res).astype(np.int64)
    by_res = {g["resource"]: g for g in gains or []}
    need_index = {n: j for j, n in enumerate(t.need_ids)}
    forbidden = {(int(r), int(n)) for r, n in zip(t.forbid_res, t.forbid_need)}
    projects = np.bincount(t.res_provider[pairs.res[x > 0]], minlength=t.n_prov)
    out = []
    for u in doc["unmet"]:
        j = need_index[u["need_id"]]
        entry: dict[str, Any] = {"need": j, "short": u["quantity"], "reason": u["reason"]}
        mine = np.flatnonzero((pairs.need == j) & ~pairs.locked)
        cands = np.unique(pairs.res[mine])
        full = [int(i) for i in cands if used[i] >= t.res_cap[i]]
        entry["full_resources"] = [(i, by_res[i]["value"] if i in by_res else None,
                                    any(n == j for n, _ in by_res[i]["gains"]) if i in by_res else None) for i in full]
        blocked = sorted({int(t.res_provider[i]) for i in cands if used[i] < t.res_cap[i]
                          and t.prov_max_projects[t.res_provider[i]] >= 0
                          and projects[t.res_provider[i]] >= t.prov_max_projects[t.res_provider[i]]})
        entry["blocked_providers"] = blocked
        same = np.flatnonzero(t.res_cat == t.need_cat[j])
        same = np.array([i for i in same if (int(i), j) not in forbidden], dtype=np.int64)
        entry["beyond_distance"] = entry["outside_window"] = None
        if same.size:
            from ..candidates import tags_ok, windows_ok
            nj = np.full(same.size, j)
            tag = tags_ok(t, same, nj)
            win = windows_ok(t, same, nj)
            d = haversine_m(t.res_lat[same], t.res_lon[same], t.need_lat[j], t.need_lon[j])
            limit = t.pair_limit(same, nj)
            far = tag & win & (d > limit)
            if far.any():
                k = int(np.argmin(np.where(far, d, np.inf)))
                entry["beyond_distance"] = {"resource": int(same[k]), "distance_m": int(round(d[k])),
                                            "limit_m": int(round(limit[k])),
                                            "short_by_m": int(math.ceil(d[k] - limit[k])),
                                            "room": int(t.res_cap[same[k]] - used[same[k]])}
            late = tag & ~win & (d <= limit)
            if late.any():
                k = int(np.argmin(np.where(late, d, np.inf)))
                minutes, first = _window_miss(t, int(same[k]), j)
                entry["outside_window"] = {"resource": int(same[k]), "distance_m": int(round(d[k])),
                                           "missing_minutes_per_week": minutes, "first_missing": first,
                                           "room": int(t.res_cap[same[k]] - used[same[k]])}
            if entry["beyond_distance"] is None and entry["outside_window"] is None and tag.any():
                k = int(np.argmin(np.where(tag, d, np.inf)))
                minutes, first = _window_miss(t, int(same[k]), j) if not win[k] else (0, "")
                entry["nearest"] = {"resource": int(same[k]), "distance_m": int(round(d[k])),
                                    "limit_m": int(round(limit[k])), "missing_minutes_per_week": minutes,
                                    "room": int(t.res_cap[same[k]] - used[same[k]])}
        out.append(entry)
    return out


class _Names:
    """How the sentences name resources and needs."""

    def __init__(self, t: RoundTables):
        self.t = t
        self.providers = {p.id: p.name for p in t.round.providers}

    def resource(self, i: int) -> str:
        t = self.t
        pid = t.prov_ids[t.res_provider[i]]
        return f"{t.res_ids[i]} ({self.providers.get(pid) or pid}, {t.categories[t.res_cat[i]]})"

    def need(self, j: int) -> str:
        return f"{self.t.need_ids[j]} ({self.t.communities[self.t.need_comm[j]]})"


def marginal_values(result: RoundResult, *, solver: Optional[str] = None, time_limit_s: float = 30.0) -> dict:
    """JSON-ready marginal values of a solved round, with a plain-words sentence for each item."""
    t = result.prepared.tables
    gains = resource_gains(result, solver=solver, time_limit_s=time_limit_s)
    options = need_options(result, gains)
    names = _Names(t)
    res_out = [_resource_entry(names, g) for g in sorted(gains, key=lambda g: (-g["value"], g["distance_m"],
                                                                                g["resource"]))]
    need_out = [_need_entry(names, o) for o in options]
    methods = {g["method"] for g in gains}
    how = " and ".join(m for m in ("flow potentials", "re-solve") if m in methods) or "none needed"
    return {"method": f"capacity + 1 of each full resource: {how} (exact)",
            "status": result.document["status"], "resources": res_out, "needs": need_out}


def _resource_entry(names: _Names, g: dict) -> dict[str, Any]:
    t, i = names.t, g["resource"]
    if g["value"] > 0:
        who = ", ".join(f"{names.need(j)} +{q}" for j, q in g["gains"])
        text = (f"{names.resource(i)} is full ({int(t.res_cap[i])}/{int(t.res_cap[i])}); one more unit would add "
                f"{g['value']} served value ({g['quantity']:+d} units, {g['distance_m']:+d} m walking): {who}.")
    elif g["distance_m"] < 0:
        text = (f"{names.resource(i)} is full; one more unit would serve no more, but would shorten walking by "
                f"{-g['distance_m']} m.")
    else:
        text = (f"{names.resource(i)} is full, but one more unit would add nothing: every need it can reach is "
                "served otherwise.")
    return {"resource_id": t.res_ids[i], "capacity": int(t.res_cap[i]), "value_of_one_more": g["value"],
            "served_quantity_change": g["quantity"], "distance_change_m": g["distance_m"],
            "needs_gaining": [{"need_id": t.need_ids[j], "quantity": q} for j, q in g["gains"]],
            "exact": g["exact"], "method": g["method"], "text": text}


def _need_sentence(names: _Names, o: dict) -> str:
    t, j = names.t, o["need"]
    parts_txt = []
    helpful = [(i, v) for i, v, _ in o["full_resources"] if v]
    if helpful:
        parts_txt.append("one more unit at " + ", ".join(f"{t.res_ids[i]} (+{v} value)" for i, v in helpful))
    elif o["full_resources"]:
        parts_txt.append("its reachable resources " + ", ".join(t.res_ids[i] for i, _, _ in o["full_resources"])
                         + " are full")
    if o["blocked_providers"]:
        parts_txt.append("providers at their project limit: " + ", ".join(t.prov_ids[g] for g in o["blocked_providers"]))
    b = o["beyond_distance"]
    if b:
        parts_txt.append(f"{t.res_ids[b['resource']]} is {b['distance_m']} m away, {b['short_by_m']} m beyond the "
                         f"{b['limit_m']} m circle ({b['room']} units free)")
    w = o["outside_window"]
    if w:
        parts_txt.append(f"{t.res_ids[w['resource']]} ({w['distance_m']} m) is closed for {w['missing_minutes_per_week']} "
                         f"minutes a week of the need's time, first at {w['first_missing']} ({w['room']} units free)")
    nr = o.get("nearest")
    if nr:
        gap = f"{nr['distance_m']} m away (circle {nr['limit_m']} m)"
        if nr["missing_minutes_per_week"]:
            gap += f" and closed for {nr['missing_minutes_per_week']} minutes a week of the need's time"
        parts_txt.append(f"the nearest, {t.res_ids[nr['resource']]}, is {gap}")
    return f"{names.need(j)} is short by {o['short']} ({o['reason']}; {int(t.need_weight[j])} value a unit)" + (
        ": " + "; ".join(parts_txt) + "." if parts_txt else ": no resource of its category with the required tags.")


def _need_entry(names: _Names, o: dict) -> dict[str, Any]:
    t, j = names.t, o["need"]
    b, w, nr = o["beyond_distance"], o["outside_window"], o.get("nearest")
    return {
        "need_id": t.need_ids[j], "short": o["short"], "reason": o["reason"], "value_per_unit": int(t.need_weight[j]),
        "full_resources": [{"resource_id": t.res_ids[i], "value_of_one_more": v, "would_serve_this_need": s}
                           for i, v, s in o["full_resources"]],
        "blocked_providers": [t.prov_ids[g] for g in o["blocked_providers"]],
        "nearest_beyond_distance": None if not b else {
            "resource_id": t.res_ids[b["resource"]], "distance_m": b["distance_m"], "limit_m": b["limit_m"],
            "short_by_m": b["short_by_m"], "free_capacity": b["room"]},
        "nearest_outside_window": None if not w else {
            "resource_id": t.res_ids[w["resource"]], "distance_m": w["distance_m"],
            "missing_minutes_per_week": w["missing_minutes_per_week"], "first_missing": w["first_missing"],
            "free_capacity": w["room"]},
        "nearest_other": None if not nr else {
            "resource_id": t.res_ids[nr["resource"]], "distance_m": nr["distance_m"], "limit_m": nr["limit_m"],
            "missing_minutes_per_week": nr["missing_minutes_per_week"], "free_capacity": nr["room"]},
        "text": _need_sentence(names, o),
    }


def render(mv: dict) -> str:
    lines = [f"Marginal values ({mv['method']}; base {mv['status']})", "", "Full resources:"]
    lines += [f"  - {r['text']}" for r in mv["resources"]] or ["  (none)"]
    lines += ["", "Short needs:"]
    lines += [f"  - {n['text']}" for n in mv["needs"]] or ["  (none)"]
    return "\n".join(lines) + "\n"
