"""Heuristics for side-constrained parts: the relaxed flow, its repair, and re-optimizing around a result.

:func:`relaxed` drops provider limits, minimum lots and all-or-nothing (a plain
problem whose flow optimum bounds the served value); :func:`repair` makes any
relaxed or rounded result feasible; :func:`reflow` and :func:`polish`
re-optimize around a feasible result by flow. Used by
:func:`matcher.solvers.side.solve_side` for large parts.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..errors import NotApplicable
from ..problem import Problem, SolveOptions, Status
from . import flow
from .greedy import greedy_quantities


def relaxed(p: Problem) -> Problem:
    """The part without provider limits, minimum lots and all-or-nothing: a plain
    problem whose optimum bounds the served value of ``p`` from above."""
    return Problem(p.cap, np.ones_like(p.min_qty), p.group, np.full_like(p.group_limit, -1), p.qty, p.weight,
                   np.zeros_like(p.aon), p.pair_res, p.pair_need, p.pair_dist, p.pair_lock)


def repair(p: Problem, x_relaxed: np.ndarray, should_stop=None) -> Optional[np.ndarray]:
    """A feasible result of ``p`` from a relaxed one: drop projects below a minimum
    lot, partly served all-or-nothing needs and, per provider over its limit, all
    but its most valuable projects; keep the rest and let the greedy fill around them.
    Raises :class:`matcher.parallel.Stopped` when ``should_stop()`` turns true."""
    keep = np.asarray(x_relaxed, dtype=np.int64).copy()
    free = ~p.locked
    keep[free & (keep > 0) & (keep < p.min_qty[p.pair_res])] = 0
    on = np.flatnonzero(keep > 0)
    if on.size:
        g = p.group[p.pair_res[on]]
        score = p.weight[p.pair_need[on]] * keep[on]
        order = on[np.lexsort((p.pair_dist[on], -score, free[on], g))]
        keep[order[p.beyond_limit(order) & free[order]]] = 0
    partial = p.partly_served(p.need_load(keep))
    keep[partial[p.pair_need] & free] = 0
    fixed = Problem(p.cap, p.min_qty, p.group, p.group_limit, p.qty, p.weight, p.aon, p.pair_res, p.pair_need,
                    p.pair_dist, np.where(free, keep, p.pair_lock))
    return greedy_quantities(fixed, should_stop)


def reflow(p: Problem, x: np.ndarray, should_stop=None) -> Optional[np.ndarray]:
    """Re-optimize around a feasible result: a plain flow in which the providers
    whose limit binds may use only the pairs ``x`` uses (so they keep within
    their limit), everyone else any pair; then repaired to the remaining rules."""
    allowed = ~p.binding_groups()[p.group[p.pair_res]] | (x > 0) | p.locked
    try:
        r = flow.solve(relaxed(p).restrict(allowed), SolveOptions(should_stop=should_stop))
    except NotApplicable:
        return None
    if r.status is not Status.OPTIMAL:  # locks over a capacity: no relaxed result
        return None
    y = np.zeros(p.n_pairs, dtype=np.int64)
    y[allowed] = r.x
    return repair(p, y, should_stop)


def better(p: Problem, a: Optional[np.ndarray], b: Optional[np.ndarray]) -> Optional[np.ndarray]:
    """The lexicographically better of two results (value, then churn, shortfall, distance);
    ``a`` on a tie, the other when one is ``None``."""
    if a is None or b is None:
        return b if a is None else a
    va, ca, sa, da = p.levels(a)
    vb, cb, sb, db = p.levels(b)
    return a if (va, -ca, -sa, -da) >= (vb, -cb, -sb, -db) else b


def polish(p: Problem, x: Optional[np.ndarray], rounds: int = 3, should_stop=None) -> Optional[np.ndarray]:
    """A few rounds of :func:`reflow` around ``x`` while they improve it (a stop request
    raises :class:`matcher.parallel.Stopped`; ``x`` itself stays valid)."""
    for _ in range(rounds):
        if x is None:
            break
        nxt = better(p, x, reflow(p, x, should_stop))
        if nxt is x:
            break
        x = nxt
    return x
