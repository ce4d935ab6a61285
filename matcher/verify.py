"""Independent check of a result against the round contract.

Nothing here reuses the candidate-pair machinery: eligibility of each project
is re-derived from the validated round (categories compared as strings, tags
as Python sets, time windows as merged minute intervals, distance limits
recomputed), and every rule of a feasible result is re-counted. The service
refuses to release a result this module finds fault with.
"""
from __future__ import annotations

from functools import lru_cache, cache

import numpy as np

from .geo import haversine_m
from .model import DAYS, Round
from .tables import RoundTables

_DAY = {d: i for i, d in enumerate(DAYS)}
WEEK = 7 * 1440
TOLERANCE_M = 1e-6


def _intervals(windows) -> tuple[tuple[int, int], ...]:
    """Merged [start, end) minute intervals of a window list within one week."""
    return _merged(tuple((tuple(w.days), w.start, w.end) for w in windows))


@lru_cache(maxsize=4096)
def _merged(windows: tuple) -> tuple[tuple[int, int], ...]:
    """:func:`_intervals` of ``(days, start, end)`` triples (rounds repeat a few patterns)."""
    raw: list[tuple[int, int]] = []
    for days, start_text, end_text in windows:
        sh, sm = map(int, start_text.split(":"))
        eh, em = map(int, end_text.split(":"))
        start, end = sh * 60 + sm, eh * 60 + em
        if end <= start:
            end += 1440
        for d in set(days):
            a, b = _DAY[d] * 1440 + start, _DAY[d] * 1440 + end
            if b > WEEK:
                raw.append((a, WEEK))
                raw.append((0, b - WEEK))
            else:
                raw.append((a, b))
    raw.sort()
    merged: list[tuple[int, int]] = []
    for a, b in raw:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return tuple(merged)


def intervals_cover(outer, inner) -> bool:
    """Is every interval of ``inner`` inside the union ``outer`` (both merged)?"""
    k = 0
    for a, b in inner:
        while k < len(outer) and outer[k][1] <= a:
            k += 1
        if k == len(outer) or outer[k][0] > a or outer[k][1] < b:
            return False
    return True


def verify(t: RoundTables, res: np.ndarray, need: np.ndarray, qty: np.ndarray,
           served_value: int | None = None, total_distance: int | None = None,
           churn_units: int | None = None, participation_shortfall: int | None = None) -> list[str]:
    """Every way the projects (resource index, need index, quantity) break the contract;
    the reported objective values given are recomputed from the round document and compared."""
    rnd: Round = t.round
    out: list[str] = []
    res = np.asarray(res, dtype=np.int64)
    need = np.asarray(need, dtype=np.int64)
    qty = np.asarray(qty, dtype=np.int64)
    R, N = rnd.resources, rnd.needs
    locks = {(lk.resource_id, lk.need_id): lk.quantity for lk in rnd.locked}
    forbidden = {(f.resource_id, f.need_id) for f in rnd.forbidden}

    @cache
    def res_intervals(i: int):
        return _intervals(R[i].windows)

    @cache
    def need_intervals(j: int):
        return _intervals(N[j].windows)

    if res.size:
        d = haversine_m(t.res_lat[res], t.res_lon[res], t.need_lat[need], t.need_lon[need])
    else:
        d = np.zeros(0)
    seen: set[tuple[int, int]] = set()
    global_limit = rnd.params.max_distance_m
    for i, j, q, dk in zip(res.tolist(), need.tolist(), qty.tolist(), d.tolist()):
        r, n = R[i], N[j]
        problems: list[str] = []
        if q < 1:
            problems.append(f"quantity {q} < 1")
        if (i, j) in seen:
            problems.append("pair appears twice")
        seen.add((i, j))
        if r.category != n.category:
            problems.append(f"category {r.category!r} != {n.category!r}")
        lock = locks.get((r.id, n.id)) if locks else None
        if lock is not None:
            if q != lock:
                problems.append(f"locked quantity is {lock}, got {q}")
        else:
            if q < r.min_quantity:
                problems.append(f"quantity {q} below min_quantity {r.min_quantity}")
            if n.required_tags and not set(n.required_tags) <= set(r.tags):
                problems.append(f"missing required tags {sorted(set(n.required_tags) - set(r.tags))}")
            limit = global_limit
            if r.max_distance_m is not None and r.max_distance_m < limit:
                limit = r.max_distance_m
            if n.max_distance_m is not None and n.max_distance_m < limit:
                limit = n.max_distance_m
            if dk > limit + TOLERANCE_M:
                problems.append(f"distance {dk:.1f} m over the limit {limit} m")
            timed = n.windows is not None and r.windows is not None
            if timed and not intervals_cover(res_intervals(i), need_intervals(j)):
                problems.append("resource windows do not cover the need's")
            if forbidden and (r.id, n.id) in forbidden:
                problems.append("pair is forbidden")
        if problems:
            out.extend(f"project {r.id}->{n.id}: {p}" for p in problems)

    if locks:
        res_pos = {rid: i for i, rid in enumerate(t.res_ids)}
        need_pos = {nid: j for j, nid in enumerate(t.need_ids)}
        for rid, nid in locks:
            if (res_pos[rid], need_pos[nid]) not in seen:
                out.append(f"locked pair {rid}->{nid} missing")

    used = np.bincount(res, weights=qty, minlength=len(R)).astype(np.int64)
    for i in np.flatnonzero(used > np.array([r.capacity for r in R], dtype=np.int64)):
        out.append(f"resource {R[i].id}: {used[i]} used > capacity {R[i].capacity}")
    got = np.bincount(need, weights=qty, minlength=len(N)).astype(np.int64)
    for j, n in enumerate(N):
        if got[j] > n.quantity:
            out.append(f"need {n.id}: {got[j]} served > quantity {n.quantity}")
        elif n.all_or_nothing and 0 < got[j] < n.quantity:
            out.append(f"need {n.id}: all_or_nothing but {got[j]} of {n.quantity} served")
    per_provider: dict[str, int] = {}
    for i in res.tolist():
        pid = R[i].provider_id
        per_provider[pid] = per_provider.get(pid, 0) + 1
    limits = {p.id: p.max_projects for p in rnd.providers}
    for pid, c in per_provider.items():
        if limits.get(pid) is not None and c > limits[pid]:
            out.append(f"provider {pid}: {c} projects > max_projects {limits[pid]}")

    weights = rnd.params.weight_of()
    aging = rnd.params.priority_aging  # the weight is the effective priority's (ROUND.md level 2)
    prio = [n.priority if aging is None else aging.effective(n.priority, n.rounds_unmet) for n in N]
    value = sum(q * weights[prio[j]] for j, q in zip(need.tolist(), qty.tolist()))
    distance = int(sum(q * round(float(x)) for x, q in zip(d.tolist(), qty.tolist())))
    if served_value is not None and served_value != value:
        out.append(f"served_value {served_value} != recomputed {value}")
    if total_distance is not None and total_distance != distance:
        out.append(f"total_distance_m {total_distance} != recomputed {distance}")
    ids = [(R[i].id, N[j].id) for i, j in zip(res.tolist(), need.tolist())]
    if churn_units is not None and churn_units != (c := _churn(rnd, ids, qty.tolist())):
        out.append(f"churn_units {churn_units} != recomputed {c}")
    if participation_shortfall is not None and participation_shortfall != (s := _shortfall(rnd, per_provider)):
        out.append(f"participation_shortfall {participation_shortfall} != recomputed {s}")
    return out


def _churn(rnd: Round, ids: list[tuple[str, str]], qty: list[int]) -> int:
    """ROUND.md level 3 from the documents: units added plus units removed against ``previous``."""
    now: dict[tuple[str, str], int] = {}
    for key, q in zip(ids, qty):
        now[key] = now.get(key, 0) + q
    prev = {(p.resource_id, p.need_id): p.quantity for p in rnd.previous or ()}
    return sum(abs(now.get(k, 0) - q) for k, q in prev.items()) + sum(q for k, q in now.items() if k not in prev)


def _shortfall(rnd: Round, per_provider: dict[str, int]) -> int:
    """ROUND.md level 4 from the documents: projects missing to reach ``target_projects``."""
    return sum(max(0, p.target_projects - per_provider.get(p.id, 0))
               for p in rnd.providers if p.target_projects is not None)
