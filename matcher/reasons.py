"""Why a need stays (partly) unmet: one reason code per short need (ROUND.md v1.1).

A need with no candidate pair at all (neither eligible nor locked) is short
because of the first eligibility rule that excludes the *nearest* resource of
its category: ``no_candidate_category`` when there is none, then
``no_candidate_tags``, ``no_candidate_distance``, ``no_candidate_time``, and
``forbidden`` when that resource passes rules 2-4 but the pair is forbidden.

A need with candidates (a lock always is one) is short for one of three
reasons, judged on the room its free pairs' resources have left in the result
(a locked pair carries exactly its lock and never has room):

* ``capacity_exhausted`` - none of them has any room left;
* ``all_or_nothing`` - it must be served in full, and they have room for part
  of what it misses, not all of it;
* ``provider_limit`` - room is left, but a provider's ``max_projects`` or a
  resource's ``min_quantity`` blocks using it.
"""
from __future__ import annotations

import numpy as np

from .candidates import Pairs, group_by, tags_ok, windows_ok
from .geo import haversine_m, to_xyz
from .tables import RoundTables

REASONS = ("no_candidate_category", "no_candidate_tags", "no_candidate_distance", "no_candidate_time",
           "forbidden", "capacity_exhausted", "all_or_nothing", "provider_limit")


SMALL_SEARCH = 1_000_000  # resource x need distances per category compared directly (no k-d tree, no scipy)


def nearest_resource(t: RoundTables, needs: np.ndarray) -> np.ndarray:
    """Index of the nearest same-category resource of each need (-1 when none): by straight-line
    distance through the earth (which orders as the great circle does), compared directly for small
    categories (ties to the first resource), with a k-d tree for big ones."""
    out = np.full(needs.size, -1, dtype=np.int64)
    res_by_cat = group_by(t.res_cat, len(t.categories))
    for c in np.unique(t.need_cat[needs]):
        R = res_by_cat[c]
        if R.size == 0:
            continue
        sel = np.flatnonzero(t.need_cat[needs] == c)
        N = needs[sel]
        res_xyz, need_xyz = to_xyz(t.res_lat[R], t.res_lon[R]), to_xyz(t.need_lat[N], t.need_lon[N])
        if R.size * N.size <= SMALL_SEARCH:
            nearest = (((need_xyz[:, None, :] - res_xyz[None, :, :]) ** 2).sum(axis=2)).argmin(axis=1)
        else:
            from scipy.spatial import cKDTree  # lazy: a heavy import that small rounds do without

            _, nearest = cKDTree(res_xyz).query(need_xyz)
        out[sel] = R[np.asarray(nearest).reshape(-1)]
    return out


def _without_candidates(t: RoundTables, lonely: np.ndarray) -> dict[int, str]:
    """Reason of each need that has no candidate pair: the first rule its nearest resource breaks."""
    reason: dict[int, str] = {}
    near = nearest_resource(t, lonely)
    for j in lonely[near < 0].tolist():
        reason[j] = "no_candidate_category"
    has = near >= 0
    ri, nj = near[has], lonely[has]
    if ri.size == 0:
        return reason
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
        else:  # passes rules 2-4 yet is no candidate: only rule 5 is left
            reason[j] = "forbidden"
    return reason


def unmet_reasons(t: RoundTables, pairs: Pairs, x: np.ndarray) -> list[tuple[int, int, str]]:
    """(need index, unmet quantity, reason) for every need not fully served, in need order."""
    got = np.bincount(pairs.need, weights=x, minlength=t.n_need).astype(np.int64)
    short = np.flatnonzero(got < t.need_qty)
    if short.size == 0:
        return []
    has_candidate = np.bincount(pairs.need, minlength=t.n_need) > 0  # eligible or locked
    reason = _without_candidates(t, short[~has_candidate[short]])
    free = ~pairs.locked
    used = np.bincount(pairs.res, weights=x, minlength=t.n_res).astype(np.int64)
    fr, fn = pairs.res[free], pairs.need[free]
    room_left = (t.res_cap - used)[fr]
    most_room = np.zeros(t.n_need, dtype=np.int64)
    np.maximum.at(most_room, fn, room_left)
    all_room = np.bincount(fn, weights=room_left, minlength=t.n_need).astype(np.int64)
    missing = t.need_qty - got
    for j in short[has_candidate[short]].tolist():
        if most_room[j] <= 0:
            reason[j] = "capacity_exhausted"
        elif t.need_aon[j] and all_room[j] < missing[j]:
            reason[j] = "all_or_nothing"
        else:
            reason[j] = "provider_limit"
    return [(j, int(missing[j]), reason[j]) for j in short.tolist()]
