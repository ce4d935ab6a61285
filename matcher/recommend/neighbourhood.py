"""Side-rule parts: a bounded re-solve of the part the new item joins.

With provider limits, minimum lots or all-or-nothing needs a flow does not
model the round, so the item's pairs are added to the stored problem and only
the part they join (pairs linked through resources, needs and binding
provider limits, the same notion as :mod:`matcher.solvers.auto`) is re-solved
by CP-SAT, every other pair kept at its stored optimum. Parts share nothing,
so the change equals a full re-solve's when CP-SAT proves the part
(``exact``); otherwise the part's proven bound bounds the gain in value.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..problem import Problem, SolveOptions, Status, components
from ..solvers import cpsat


@dataclass
class PartChange:
    x_new: np.ndarray  # quantities of the extended problem's pairs
    d_value: int
    d_dist: int
    exact: bool
    bound_d_value: Optional[int]  # upper bound on the value change (== d_value when exact)


def extend(p: Problem, kind: str, res: np.ndarray, need: np.ndarray, dist: np.ndarray,
           cap: int, qty: int, weight: int, aon: bool, min_qty: int, group: int) -> Problem:
    """``p`` plus one new need (index ``qty.size``) or resource (index ``cap.size``) and its pairs."""
    if kind == "need":
        qty_a, weight_a, aon_a = np.r_[p.qty, qty], np.r_[p.weight, weight], np.r_[p.aon, aon]
        cap_a, min_a, group_a = p.cap, p.min_qty, p.group
    else:
        qty_a, weight_a, aon_a = p.qty, p.weight, p.aon
        cap_a, min_a, group_a = np.r_[p.cap, cap], np.r_[p.min_qty, min_qty], np.r_[p.group, group].astype(np.int32)
    return Problem(cap_a, min_a, group_a, p.group_limit, qty_a, weight_a, aon_a.astype(bool),
                   np.r_[p.pair_res, res].astype(np.int32), np.r_[p.pair_need, need].astype(np.int32),
                   np.r_[p.pair_dist, dist].astype(np.int64), np.r_[p.pair_lock, np.zeros(res.size, np.int64)])


def part_labels(p: Problem) -> np.ndarray:
    """Part of each pair: pairs linked through resources, needs and binding provider limits."""
    R, N, G = p.cap.size, p.qty.size, p.group_limit.size
    binding = np.flatnonzero(p.binding_groups()[p.group])
    a = np.r_[p.pair_res, binding].astype(np.int64)
    b = np.r_[R + p.pair_need, R + N + p.group[binding]].astype(np.int64)
    return components(R + N + G, a, b)[p.pair_res]


def part_of(p: Problem, seeds: np.ndarray) -> np.ndarray:
    """Mask of the pairs in the parts of the pairs ``seeds``."""
    label = part_labels(p)
    return np.isin(label, label[seeds])


def resolve_part(p: Problem, x_old: np.ndarray, seeds: np.ndarray, time_limit_s: float) -> PartChange:
    """Re-solve the part of ``seeds`` in the extended problem ``p`` (stored ``x_old`` on its first pairs)."""
    x = np.r_[x_old, np.zeros(p.n_pairs - x_old.size, dtype=np.int64)]
    part = np.flatnonzero(part_of(p, seeds))
    sub = cpsat.solve(p.compact(part), SolveOptions(time_limit_s=time_limit_s, workers=1))
    inside = np.zeros(p.n_pairs, dtype=bool)
    inside[part] = True
    before = p.objective(np.where(inside, x, 0))
    x_new = x.copy()
    if sub.status in (Status.OPTIMAL, Status.FEASIBLE):
        x_new[part] = sub.x
    after = p.objective(np.where(inside, x_new, 0))
    exact = sub.status is Status.OPTIMAL
    bound = None if sub.bound_served_value is None else int(sub.bound_served_value) - before[0]
    return PartChange(x_new, after[0] - before[0], after[1] - before[1], exact, after[0] - before[0] if exact else bound)
