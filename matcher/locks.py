"""Locks that cannot all hold together, found before any solver runs (ROUND.md v1.1).

A round whose locks break a limit on their own is ``infeasible``; its
``message`` names every offending id. The checks:

* ``resource`` - the locks on a resource exceed its capacity;
* ``need`` - the locks of a need exceed its quantity;
* ``provider`` - a provider has more locked projects than ``max_projects``;
* ``all_or_nothing`` - an all-or-nothing need cannot be completed around its
  locks: its locked quantity plus the most its other eligible pairs could add
  is below its quantity.

The last check is a relaxation that ignores competition between needs: each
free pair of the need carries at most what its resource has left after the
locks (and the need still misses), nothing when that is below the resource's
minimum lot, and per provider only as many pairs count as its
``max_projects`` leaves after the locks. So a round it flags is certainly
infeasible; locks that fail only together with other needs are left to the
solver, which proves infeasibility itself.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .problem import Problem, rank_in_runs
from .tables import RoundTables


class LockConflict(NamedTuple):
    kind: str  # resource | need | provider | all_or_nothing
    index: int  # of the resource, need or provider
    total: int  # locked quantity (locked projects for a provider)
    limit: int  # capacity, quantity, max_projects; for all_or_nothing the most the need can reach


def lock_conflicts(p: Problem) -> list[LockConflict]:
    """Every lock conflict of a problem (empty when the locks may all hold)."""
    if not p.locked.any():
        return []
    used, got, projects = p.locked_load()
    out = [LockConflict("resource", int(i), int(used[i]), int(p.cap[i])) for i in np.flatnonzero(used > p.cap)]
    out += [LockConflict("need", int(j), int(got[j]), int(p.qty[j])) for j in np.flatnonzero(got > p.qty)]
    over = (p.group_limit >= 0) & (projects > p.group_limit)
    out += [LockConflict("provider", int(g), int(projects[g]), int(p.group_limit[g])) for g in np.flatnonzero(over)]
    reach = _aon_reach(p, used, got, projects)
    out += [LockConflict("all_or_nothing", int(j), int(got[j]), int(reach[j]))
            for j in np.flatnonzero(reach < p.qty)]
    return out


def _aon_reach(p: Problem, used: np.ndarray, got: np.ndarray, projects: np.ndarray) -> np.ndarray:
    """Per need, an upper bound on what it can reach around its locks; only
    all-or-nothing needs with locks short of their quantity get a value below it."""
    reach = np.maximum(p.qty, got)
    partly = p.partly_served(got)
    if not partly.any():
        return reach
    sel = np.flatnonzero(~p.locked & partly[p.pair_need])
    res, need = p.pair_res[sel], p.pair_need[sel]
    hi = np.minimum(np.maximum(p.cap[res] - used[res], 0), p.qty[need] - got[need])
    hi = np.where(hi >= p.min_qty[res], hi, 0)
    # per (need, provider) only the largest pairs the provider's free project slots allow
    slots = np.where(p.group_limit >= 0, np.maximum(p.group_limit - projects, 0), sel.size)
    order = np.lexsort((-hi, p.group[res], need))
    res, need, hi = res[order], need[order], hi[order]
    key = need.astype(np.int64) * max(1, p.group_limit.size) + p.group[res]
    keep = rank_in_runs(key) < slots[p.group[res]]
    add = np.bincount(need[keep], weights=hi[keep], minlength=p.qty.size).astype(np.int64)
    reach[partly] = got[partly] + add[partly]
    return reach


def _ids(ids: list[str], indices) -> str:
    return ", ".join(ids[int(k)] for k in indices)


def lock_message(t: RoundTables, conflicts: list[LockConflict]) -> str:
    """One message naming every offending id of the conflicts (input order of the locks)."""
    parts = []
    for kind, k, total, limit in conflicts:
        if kind == "resource":
            needs = t.lock_need[t.lock_res == k]
            parts.append(f"resource {t.res_ids[k]}: locked {total} > capacity {limit} (needs {_ids(t.need_ids, needs)})")
        elif kind == "need":
            res = t.lock_res[t.lock_need == k]
            parts.append(f"need {t.need_ids[k]}: locked {total} > quantity {limit} "
                         f"(resources {_ids(t.res_ids, res)})")
        elif kind == "provider":
            mine = np.flatnonzero(t.res_provider[t.lock_res] == k)
            pairs = ", ".join(f"({t.need_ids[t.lock_need[m]]}, {t.res_ids[t.lock_res[m]]})" for m in mine)
            parts.append(f"provider {t.prov_ids[k]}: {total} locked projects > max_projects {limit} "
                         f"(locked pairs {pairs})")
        else:
            res = t.lock_res[t.lock_need == k]
            parts.append(f"need {t.need_ids[k]} is all_or_nothing with quantity {t.need_qty[k]}: locked {total} "
                         f"(resources {_ids(t.res_ids, res)}), and its other eligible pairs can add at most "
                         f"{limit - total}")
    return "locks cannot all hold together: " + "; ".join(parts)
