"""The committee's hand method: most urgent need first, nearest resource with room.

Needs are taken by priority weight (highest first), then in list order; each
takes from its candidate resources nearest first, respecting capacities,
minimum lots and provider limits; an all-or-nothing need that cannot be
completed is rolled back. Locks are placed first. Never claims ``optimal``.
"""
from __future__ import annotations

import time

import numpy as np

from ..parallel import check_stop
from ..problem import Problem, Solution, SolveOptions, SolverStats, Status, StopReason

NAME = "greedy"


STOP_EVERY = 128  # needs between two polls of should_stop


def greedy_quantities(p: Problem, should_stop=None) -> np.ndarray | None:
    """Greedy quantities per pair, or ``None`` when the locks could not be completed;
    raises :class:`matcher.parallel.Stopped` when ``should_stop()`` turns true."""
    x = p.pair_lock.copy()
    lk = p.locked
    res_locked, need_locked, projects = p.locked_load()
    cap_left, qty_left = p.cap - res_locked, p.qty - need_locked
    if (cap_left < 0).any() or (qty_left < 0).any():
        return None
    free = np.flatnonzero(~lk)
    if free.size == 0:  # only locks: still refuse a locked all-or-nothing need left partly served
        got = p.need_load(x)
        return None if p.partly_served(got).any() else x
    order, need_of, starts, ends = _need_runs(p, free, should_stop)
    cap_l, qty_l, proj = cap_left.tolist(), qty_left.tolist(), projects.tolist()
    limit = p.group_limit.tolist()
    minq = p.min_qty.tolist()
    group = p.group.tolist()
    res_of = p.pair_res[order].tolist()
    order_l = order.tolist()
    aon = p.aon.tolist()
    xs = x.tolist()
    for n, (s, e) in enumerate(zip(starts.tolist(), ends.tolist())):
        if n % STOP_EVERY == STOP_EVERY - 1:
            check_stop(should_stop)
        j = int(need_of[s])
        if qty_l[j] == 0:
            continue
        taken: list[tuple[int, int, int]] = []
        for k in range(s, e):
            if qty_l[j] == 0:
                break
            i = res_of[k]
            g = group[i]
            if limit[g] >= 0 and proj[g] >= limit[g]:
                continue
            amount = min(cap_l[i], qty_l[j])
            if amount < minq[i] or amount <= 0:
                continue
            xs[order_l[k]] = amount
            cap_l[i] -= amount
            qty_l[j] -= amount
            proj[g] += 1
            taken.append((order_l[k], i, amount))
        if aon[j] and qty_l[j] > 0:
            for pair, i, amount in taken:  # roll back a partial all-or-nothing need
                xs[pair] = 0
                cap_l[i] += amount
                qty_l[j] += amount
                proj[group[i]] -= 1
    x = np.asarray(xs, dtype=np.int64)
    # a locked all-or-nothing need left partly served cannot be rolled back
    if p.partly_served(p.need_load(x)).any():
        return None
    return x


def _need_runs(p: Problem, free: np.ndarray, should_stop) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The free pairs grouped by need, nearest first, the needs by weight (highest first) then
    index: (pair order, need of each, start and end of each need's run)."""
    fneed = p.pair_need[free]
    check_stop(should_stop)
    order = free[np.lexsort((p.pair_res[free], p.pair_dist[free], fneed, -p.weight[fneed]))]
    check_stop(should_stop)
    need_of = p.pair_need[order]
    starts = np.flatnonzero(np.r_[True, need_of[1:] != need_of[:-1]])
    return order, need_of, starts, np.r_[starts[1:], order.size]


def solve(problem: Problem, options: SolveOptions) -> Solution:
    t0 = time.perf_counter()
    options.note(stage="greedy")
    x = greedy_quantities(problem, options.should_stop)
    if x is None:
        return Solution.empty(problem, Status.UNKNOWN, NAME,
                              "greedy could not complete the locked all-or-nothing needs; try cpsat",
                              stop=StopReason.HEURISTIC)
    return Solution.of(problem, Status.FEASIBLE, x, NAME, bound=problem.value_upper_bound(),
                       stop=StopReason.HEURISTIC, stats=SolverStats(seconds=time.perf_counter() - t0))
