"""Why a need stays (partly) unmet: one reason code per short need.

For a need with no free candidate pair at all, the reason is the first
eligibility rule that excludes the *nearest* resource of its category
(``no_candidate_category`` when there is none, then ``no_candidate_tags``,
``no_candidate_distance``, ``no_candidate_time``, ``forbidden``). For a need
that has candidates:

* ``all_or_nothing`` - it must be served in full and could only be partly;
* ``capacity_exhausted`` - every candidate resource is used up;
* ``provider_limit`` - room is left, but a provider's ``max_projects`` or a
  resource's ``min_quantity`` blocks using it.
"""
from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from .candidates import Pairs, group_by, pair_keys, tags_ok, windows_ok
from .geo import haversine_m, to_xyz
from .tables import RoundTables

REASONS = ("no_candidate_category", "no_candidate_tags", "no_candidate_distance", "no_candidate_time",
           "forbidden", "capacity_exhausted", "all_or_nothing", "provider_limit")


def nearest_resource(t: RoundTables, needs: np.ndarray, exclude: set[tuple[int, int]]) -> np.ndarray:
    """Index of the nearest same-category resource of each need (-1 when none),
    skipping (resource, need) pairs in ``exclude`` (the need's own locks)."""
    out = np.full(needs.size, -1, dtype=np.int64)
    res_by_cat = group_by(t.res_cat, len(t.categories))
    for c in np.unique(t.need_cat[needs]):
        R = res_by_cat[c]
        sel = np.flatnonzero(t.need_cat[needs] == c)
        if R.size == 0:
            continue
        tree = cKDTree(to_xyz(t.res_lat[R], t.res_lon[R]))
        N = needs[sel]
        k = min(R.size, 1 + sum(1 for (i, _) in exclude if t.res_cat[i] == c))
        _, nearest = tree.query(to_xyz(t.need_lat[N], t.need_lon[N]), k=k)
        nearest = nearest.reshape(N.size, -1)
        for row, j in enumerate(N.tolist()):
            for cand in nearest[row].tolist():
                if (int(R[cand]), j) not in exclude:
                    out[sel[row]] = R[cand]
                    break
    return out


def unmet_reasons(t: RoundTables, pairs: Pairs, x: np.ndarray) -> list[tuple[int, int, str]]:
    """(need index, unmet quantity, reason) for every need not fully served, in need order."""
    got = np.bincount(pairs.need, weights=x, minlength=t.n_need).astype(np.int64)
    short = np.flatnonzero(got < t.need_qty)
    if short.size == 0:
        return []
    free = ~pairs.locked
    used = np.bincount(pairs.res, weights=x, minlength=t.n_res).astype(np.int64)
    cap_left = t.res_cap - used
    fr, fn = pairs.res[free], pairs.need[free]
    has_free = np.bincount(fn, minlength=t.n_need) > 0
    room = np.zeros(t.n_need, dtype=np.int64)
    np.maximum.at(room, fn, cap_left[fr])
    reach = np.bincount(fn, weights=t.res_cap[fr], minlength=t.n_need).astype(np.int64)

    reason: dict[int, str] = {}
    lonely = short[~has_free[short]]
    if lonely.size:
        exclude = {(int(i), int(j)) for i, j in zip(pairs.res[pairs.locked], pairs.need[pairs.locked])}
        near = nearest_resource(t, lonely, exclude)
        for j in lonely[near < 0].tolist():
            reason[j] = "no_candidate_category"
        has = near >= 0
        ri, nj = near[has], lonely[has]
        if ri.size:
            tag_pass = tags_ok(t, ri, nj)
            d = haversine_m(t.res_lat[ri], t.res_lon[ri], t.need_lat[nj], t.need_lon[nj])
            dist_pass = d <= t.pair_limit(ri, nj)
            time_pass = windows_ok(t, ri, nj)
            for k, j in enumerate(nj.tolist()):
                if not tag_pass[k]:
                    reason[j] = "no_candidate_tags"
                elif not dist_pass[k]:
                    reason[j] = "no_candidate_distance"
                elif not time_pass[k]:
                    reason[j] = "no_candidate_time"
                else:
                    reason[j] = "forbidden"
            if t.forbid_res.size:
                forb = np.isin(pair_keys(ri, nj, t.n_need), pair_keys(t.forbid_res, t.forbid_need, t.n_need))
                for k in np.flatnonzero(forb & tag_pass & dist_pass & time_pass).tolist():
                    reason[int(nj[k])] = "forbidden"
    for j in short[has_free[short]].tolist():
        if t.need_aon[j] and t.need_qty[j] > 1 and (room[j] > 0 or reach[j] + got[j] < t.need_qty[j]):
            reason[j] = "all_or_nothing"
        elif room[j] <= 0:
            reason[j] = "capacity_exhausted"
        else:
            reason[j] = "provider_limit"
    return [(j, int(t.need_qty[j] - got[j]), reason[j]) for j in short.tolist()]
