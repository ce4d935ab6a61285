"""Independent check of a result against the round contract.

Nothing here reuses the candidate-pair machinery: eligibility of each project
is re-derived from the validated round's own columns (categories compared as
strings, tags as Python sets, time windows as merged minute intervals,
distance limits recomputed), and every rule of a feasible result is
re-counted. The service refuses to release a result this module finds fault
with.

The rules are checked on whole columns at once (each distinct tag or window
combination once); the projects that break one are then walked one by one to
word every problem, in project order.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .columns import RoundColumns
from .geo import haversine_m
from .model import DAYS, Round
from .tables import RoundTables

_DAY = {d: i for i, d in enumerate(DAYS)}
WEEK = 7 * 1440
TOLERANCE_M = 1e-6
_EXACT = 1 << 53  # float64 sums of integers stay exact below this


def _intervals(windows) -> tuple[tuple[int, int], ...]:
    """Merged [start, end) minute intervals of a window list (models) within one week."""
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


def _codes(values: list) -> tuple[np.ndarray, list]:
    """Code of each (hashable) value and the distinct values, in order of first appearance."""
    distinct = list(dict.fromkeys(values))
    table = dict(zip(distinct, range(len(distinct))))
    return np.fromiter(map(table.__getitem__, values), dtype=np.int64, count=len(values)), distinct


def _per_combo(a_codes: np.ndarray, b_codes: np.ndarray, a_values: list, b_values: list, test) -> np.ndarray:
    """``test(a_values[a], b_values[b])`` for each pair of codes, computed once per distinct pair."""
    if a_codes.size == 0:
        return np.ones(0, dtype=bool)
    combo = a_codes * max(1, len(b_values)) + b_codes
    uniq, inverse = np.unique(combo, return_inverse=True)
    ok = np.array([test(a_values[int(c) // max(1, len(b_values))], b_values[int(c) % max(1, len(b_values))])
                   for c in uniq], dtype=bool)
    return ok[inverse]


@dataclass
class _Projects:
    """The projects under check, with what each rule needs of their resources and needs."""

    res: np.ndarray
    need: np.ndarray
    qty: np.ndarray
    dist: np.ndarray  # haversine metres
    lock: np.ndarray  # locked quantity, -1 when the pair is not locked
    twice: np.ndarray  # the pair appeared in an earlier project


def _lookup_locks(cols: RoundColumns, key: np.ndarray, n_need: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Locked quantity of each project key (-1: not locked), and the locks' own keys and quantities."""
    rnd = cols.shell
    lock = np.full(key.size, -1, dtype=np.int64)
    if not rnd.locked:
        return lock, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    rpos = {r: i for i, r in enumerate(cols.resources["id"])}
    npos = {n: j for j, n in enumerate(cols.needs["id"])}
    lkey = np.array([rpos[lk.resource_id] * n_need + npos[lk.need_id] for lk in rnd.locked], dtype=np.int64)
    lqty = np.array([lk.quantity for lk in rnd.locked], dtype=np.int64)
    order = np.argsort(lkey)
    pos = np.minimum(np.searchsorted(lkey[order], key), lkey.size - 1)
    hit = lkey[order][pos] == key
    lock[hit] = lqty[order][pos[hit]]
    return lock, lkey, lqty


def _projects(t: RoundTables, res, need, qty) -> tuple[_Projects, np.ndarray, np.ndarray]:
    res = np.asarray(res, dtype=np.int64)
    need = np.asarray(need, dtype=np.int64)
    qty = np.asarray(qty, dtype=np.int64)
    cols = t.columns
    R, N = cols.resources, cols.needs
    if res.size:
        d = haversine_m(np.asarray(R["lat"], dtype=np.float64)[res], np.asarray(R["lon"], dtype=np.float64)[res],
                        np.asarray(N["lat"], dtype=np.float64)[need], np.asarray(N["lon"], dtype=np.float64)[need])
    else:
        d = np.zeros(0)
    n_need = max(1, len(N["id"]))
    key = res * n_need + need
    order = np.argsort(key, kind="stable")
    twice = np.zeros(key.size, dtype=bool)
    twice[order[1:]] = key[order][1:] == key[order][:-1]
    lock, lkey, _ = _lookup_locks(cols, key, n_need)
    return _Projects(res, need, qty, d, lock, twice), lkey, key


def _limits(cols: RoundColumns, p: _Projects) -> np.ndarray:
    """Distance limit of each project: min(global, resource's, need's)."""
    def of(values: list, idx: np.ndarray) -> np.ndarray:
        return np.array([np.inf if v is None else v for v in values], dtype=np.float64)[idx]
    return np.minimum(np.minimum(cols.params.max_distance_m, of(cols.resources["max_distance_m"], p.res)),
                      of(cols.needs["max_distance_m"], p.need))


def _breaks_a_rule(cols: RoundColumns, p: _Projects) -> np.ndarray:
    """Projects that break a per-project rule (vectorised; worded by :func:`_project_problems`)."""
    R, N = cols.resources, cols.needs
    bad = (p.qty < 1) | p.twice
    bad |= np.array(R["category"], dtype=object)[p.res] != np.array(N["category"], dtype=object)[p.need]
    locked = p.lock >= 0
    bad |= locked & (p.qty != p.lock)
    free = ~locked
    bad |= free & (p.qty < np.asarray(R["min_quantity"], dtype=np.int64)[p.res])
    bad |= free & (p.dist > _limits(cols, p) + TOLERANCE_M)
    nt, nt_values = _codes(N["required_tags"])
    rt, rt_values = _codes(R["tags"])
    bad |= free & ~_per_combo(nt[p.need], rt[p.res], nt_values, rt_values, lambda a, b: set(a) <= set(b))
    nw, nw_values = _codes(N["windows"])
    rw, rw_values = _codes(R["windows"])
    bad |= free & ~_per_combo(nw[p.need], rw[p.res], nw_values, rw_values,
                              lambda a, b: a is None or b is None or intervals_cover(_merged(b), _merged(a)))
    forbidden = cols.shell.forbidden
    if forbidden:
        pairs = {(f.resource_id, f.need_id) for f in forbidden}
        rid, nid = R["id"], N["id"]
        flagged = np.flatnonzero(free)
        bad[flagged] |= np.array([(rid[i], nid[j]) in pairs for i, j in
                                  zip(p.res[flagged].tolist(), p.need[flagged].tolist())], dtype=bool)
    return bad


def _project_problems(cols: RoundColumns, k: int, p: _Projects, limit: float) -> list[str]:
    """Every problem of project ``k``, worded."""
    R, N = cols.resources, cols.needs
    i, j, q, dk = int(p.res[k]), int(p.need[k]), int(p.qty[k]), float(p.dist[k])
    problems: list[str] = []
    if q < 1:
        problems.append(f"quantity {q} < 1")
    if p.twice[k]:
        problems.append("pair appears twice")
    if R["category"][i] != N["category"][j]:
        problems.append(f"category {R['category'][i]!r} != {N['category'][j]!r}")
    if p.lock[k] >= 0:
        if q != p.lock[k]:
            problems.append(f"locked quantity is {int(p.lock[k])}, got {q}")
        return problems
    if q < R["min_quantity"][i]:
        problems.append(f"quantity {q} below min_quantity {R['min_quantity'][i]}")
    need_tags, tags = N["required_tags"][j], R["tags"][i]
    if need_tags and not set(need_tags) <= set(tags):
        problems.append(f"missing required tags {sorted(set(need_tags) - set(tags))}")
    if dk > limit + TOLERANCE_M:
        problems.append(f"distance {dk:.1f} m over the limit {limit} m")
    rw, nw = R["windows"][i], N["windows"][j]
    if nw is not None and rw is not None and not intervals_cover(_merged(rw), _merged(nw)):
        problems.append("resource windows do not cover the need's")
    if cols.shell.forbidden and (R["id"][i], N["id"][j]) in {(f.resource_id, f.need_id) for f in cols.shell.forbidden}:
        problems.append("pair is forbidden")
    return problems


def _limit_of(cols: RoundColumns, i: int, j: int) -> float:
    limit = cols.params.max_distance_m
    r, n = cols.resources["max_distance_m"][i], cols.needs["max_distance_m"][j]
    if r is not None and r < limit:
        limit = r
    if n is not None and n < limit:
        limit = n
    return limit


def _load_problems(cols: RoundColumns, p: _Projects, lkey: np.ndarray, key: np.ndarray) -> list[str]:
    """Missing locks, capacities, quantities, all-or-nothing needs and provider limits."""
    R, N = cols.resources, cols.needs
    out = []
    if lkey.size:
        present = set(key.tolist())
        out += [f"locked pair {lk.resource_id}->{lk.need_id} missing"
                for lk, k in zip(cols.shell.locked, lkey.tolist()) if k not in present]
    used = np.bincount(p.res, weights=p.qty, minlength=len(R["id"])).astype(np.int64)
    cap = np.asarray(R["capacity"], dtype=np.int64)
    for i in np.flatnonzero(used > cap).tolist():
        out.append(f"resource {R['id'][i]}: {used[i]} used > capacity {cap[i]}")
    got = np.bincount(p.need, weights=p.qty, minlength=len(N["id"])).astype(np.int64)
    want = np.asarray(N["quantity"], dtype=np.int64)
    aon = np.asarray(N["all_or_nothing"], dtype=bool)
    for j in np.flatnonzero((got > want) | (aon & (got > 0) & (got < want))).tolist():
        if got[j] > want[j]:
            out.append(f"need {N['id'][j]}: {got[j]} served > quantity {want[j]}")
        else:
            out.append(f"need {N['id'][j]}: all_or_nothing but {got[j]} of {want[j]} served")
    return out


def _per_provider(cols: RoundColumns, res: np.ndarray) -> dict[str, int]:
    """Projects per provider id, in order of each provider's first project."""
    pid = cols.resources["provider_id"]
    codes, names = _codes([pid[i] for i in res.tolist()])
    counts = np.bincount(codes, minlength=len(names)).tolist()
    return dict(zip(names, counts))


def _provider_problems(cols: RoundColumns, per_provider: dict[str, int]) -> list[str]:
    limits = dict(zip(cols.providers["id"], cols.providers["max_projects"]))
    return [f"provider {pid}: {c} projects > max_projects {limits[pid]}"
            for pid, c in per_provider.items() if limits.get(pid) is not None and c > limits[pid]]


def _exact_dot(a: np.ndarray, b: np.ndarray) -> int:
    """``sum(a * b)`` of non-negative integer arrays, exact (Python integers when int64 might overflow)."""
    if a.size == 0:
        return 0
    if float(a.max()) * float(b.max()) * a.size < 2.0 ** 62:
        return int(np.dot(a, b))
    return sum(x * y for x, y in zip(a.tolist(), b.tolist()))


def _value(cols: RoundColumns, p: _Projects) -> int:
    """The served value, weighted by each need's effective priority (ROUND.md level 2)."""
    weights = cols.params.weight_of()
    aging = cols.params.priority_aging
    prio = np.asarray(cols.needs["priority"], dtype=np.int64)
    if aging is not None and prio.size:
        unmet = np.asarray(cols.needs["rounds_unmet"], dtype=np.int64)  # <= 1000: a larger step divides to 0
        prio = np.maximum(prio, np.minimum(aging.max_priority, prio + unmet // min(aging.every_rounds, 1001)))
    lut = np.array([0] + [weights[k] for k in range(1, 6)], dtype=np.int64)
    return _exact_dot(p.qty, lut[prio[p.need]] if prio.size else np.zeros(0, dtype=np.int64))


def verify(t: RoundTables, res: np.ndarray, need: np.ndarray, qty: np.ndarray,
           served_value: int | None = None, total_distance: int | None = None,
           churn_units: int | None = None, participation_shortfall: int | None = None) -> list[str]:
    """Every way the projects (resource index, need index, quantity) break the contract;
    the reported objective values given are recomputed from the round document and compared."""
    cols = t.columns
    p, lkey, key = _projects(t, res, need, qty)
    R, N = cols.resources, cols.needs
    out: list[str] = []
    for k in np.flatnonzero(_breaks_a_rule(cols, p)).tolist():
        i, j = int(p.res[k]), int(p.need[k])
        out.extend(f"project {R['id'][i]}->{N['id'][j]}: {m}"
                   for m in _project_problems(cols, k, p, _limit_of(cols, i, j)))
    out += _load_problems(cols, p, lkey, key)
    per_provider = _per_provider(cols, p.res)
    out += _provider_problems(cols, per_provider)
    value = _value(cols, p)
    distance = _exact_dot(p.qty, np.rint(p.dist).astype(np.int64))
    if served_value is not None and served_value != value:
        out.append(f"served_value {served_value} != recomputed {value}")
    if total_distance is not None and total_distance != distance:
        out.append(f"total_distance_m {total_distance} != recomputed {distance}")
    rnd = cols.shell
    if churn_units is not None:
        ids = [(R["id"][i], N["id"][j]) for i, j in zip(p.res.tolist(), p.need.tolist())]
        if churn_units != (c := _churn(rnd, ids, p.qty.tolist())):
            out.append(f"churn_units {churn_units} != recomputed {c}")
    if participation_shortfall is not None and participation_shortfall != (s := _shortfall(cols, per_provider)):
        out.append(f"participation_shortfall {participation_shortfall} != recomputed {s}")
    return out


def _churn(rnd: Round, ids: list[tuple[str, str]], qty: list[int]) -> int:
    """ROUND.md level 3 from the documents: units added plus units removed against ``previous``."""
    now: dict[tuple[str, str], int] = {}
    for key, q in zip(ids, qty):
        now[key] = now.get(key, 0) + q
    prev = {(p.resource_id, p.need_id): p.quantity for p in rnd.previous or ()}
    return sum(abs(now.get(k, 0) - q) for k, q in prev.items()) + sum(q for k, q in now.items() if k not in prev)


def _shortfall(cols: RoundColumns, per_provider: dict[str, int]) -> int:
    """ROUND.md level 4 from the documents: projects missing to reach ``target_projects``."""
    return sum(max(0, target - per_provider.get(pid, 0))
               for pid, target in zip(cols.providers["id"], cols.providers["target_projects"]) if target is not None)
