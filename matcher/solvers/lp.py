"""LP relaxation of a side-constrained part: a proven bound and a rounding heuristic.

The relaxation (HiGHS dual simplex through :func:`scipy.optimize.linprog`)
keeps the capacity and quantity rows and, for every provider whose limit can
bind, the row ``sum_e x_e / hi_e <= max_projects``: a project of pair ``e``
carries at most ``hi_e = min(capacity, quantity)`` units, so its indicator
``y_e >= x_e / hi_e`` and the provider's ``sum_e y_e <= max_projects`` imply
the row. Minimum lots and all-or-nothing needs are relaxed away (an
all-or-nothing need keeps ``sum x <= quantity``); locked pairs are fixed.

**The bound is proven independently of the LP solver's accuracy.** For any
multipliers ``pi, sigma, lambda >= 0`` of the capacity, quantity and provider
rows, every feasible result has served value at most the Lagrangian value::

    L = sum pi_r cap_r + sum sigma_n qty_n + sum lambda_g limit_g
        + sum_e max(lo_e * red_e, hi_e * red_e),
    red_e = weight_e - pi_r - sigma_n - lambda_g / hi_e

(``lo_e = hi_e = lock`` for a locked pair, else ``lo_e = 0``), because the
relaxed rows only add non-negative slack terms. :func:`lp_bound` evaluates
``L`` at the duals HiGHS returns (clipped to ``>= 0``), adds an upper estimate
of the floating-point error and rounds down (values are integers). A
near-optimal dual gives the LP optimum; an inaccurate one only a weaker, still
valid bound.

**The heuristic** (:func:`dive`) solves the same LP over a smaller set of
pairs (the first LP's support, a start result's pairs, each need's nearest
pairs), with a tiny distance term as a tie-break, then repeatedly fixes the
providers the LP splits over more pairs than their limit (each keeps its
``max_projects`` pairs the LP uses most) and solves again. The LP is nearly
integral (the flow rows are totally unimodular), so a few rounds leave few
violations; rounding down and :func:`matcher.solvers.heuristics.repair` make the
result feasible.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Optional

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, vstack

from .. import parallel
from ..problem import Problem, rank_in_runs

TIE_BREAK = 1e-7  # distance weight per metre in the heuristic LPs (value weights are >= 1)


@dataclass
class LPResult:
    x: np.ndarray  # float per pair of the problem (0 outside the columns)
    value: float  # LP optimum of the served value (without the tie-break term)
    duals: Optional[tuple[np.ndarray, np.ndarray, np.ndarray]]  # pi (res), sigma (need), lambda (group), >= 0
    seconds: float


def _rows(p: Problem, cols: np.ndarray, hi: np.ndarray):
    """Constraint matrix over the columns ``cols``; rows that cannot bind are left out."""
    r, n = p.pair_res[cols], p.pair_need[cols]
    u = hi[cols].astype(np.float64)
    g = p.group[r]
    m = cols.size
    j = np.arange(m)
    nr, nn, ng = p.cap.size, p.qty.size, p.group_limit.size
    res_load = np.bincount(r, weights=u, minlength=nr)
    need_load = np.bincount(n, weights=u, minlength=nn)
    group_count = np.bincount(g, minlength=ng)
    res_on = res_load > p.cap
    need_on = need_load > p.qty
    group_on = (p.group_limit >= 0) & (group_count > p.group_limit)
    blocks = []
    sel = res_on[r]
    res_rows = np.flatnonzero(res_on)
    res_pos = np.cumsum(res_on) - 1
    blocks.append(coo_matrix((np.ones(int(sel.sum())), (res_pos[r[sel]], j[sel])), shape=(res_rows.size, m)))
    sel = need_on[n]
    need_rows = np.flatnonzero(need_on)
    need_pos = np.cumsum(need_on) - 1
    blocks.append(coo_matrix((np.ones(int(sel.sum())), (need_pos[n[sel]], j[sel])), shape=(need_rows.size, m)))
    sel = group_on[g]
    group_rows = np.flatnonzero(group_on)
    group_pos = np.cumsum(group_on) - 1
    blocks.append(coo_matrix((1.0 / u[sel], (group_pos[g[sel]], j[sel])), shape=(group_rows.size, m)))
    a = vstack(blocks).tocsr()
    b = np.concatenate([p.cap[res_rows], p.qty[need_rows], p.group_limit[group_rows]]).astype(np.float64)
    return a, b, (res_rows, need_rows, group_rows)


def _linprog(c: np.ndarray, bounds: np.ndarray, options: dict, kw: dict):
    """HiGHS dual simplex: (status, x, inequality marginals), or None when it refuses the model."""
    try:
        res = linprog(c, bounds=bounds, method="highs-ds", options=options, **kw)
    except (ValueError, MemoryError):
        return None
    marginals = None if res.x is None or "A_ub" not in kw else np.asarray(res.ineqlin.marginals, dtype=np.float64)
    return res.status, res.x, marginals


def solve_lp(p: Problem, cols: Optional[np.ndarray] = None, tie_break: float = 0.0,
             time_limit_s: Optional[float] = None, should_stop=None) -> Optional[LPResult]:
    """The LP relaxation over the pairs ``cols`` (default: every usable pair);
    ``None`` when HiGHS does not reach the optimum (time limit, numerics).

    HiGHS cannot be interrupted through scipy: with ``should_stop``, an LP of at
    least ``parallel.STOPPABLE_MIN_PAIRS`` columns runs in a forked child that a
    stop request kills at once (:class:`matcher.parallel.Stopped` is raised)."""
    t0 = time.perf_counter()
    hi = p.pair_hi()
    usable = p.usable()
    cols = np.flatnonzero(usable) if cols is None else cols[usable[cols]]
    lk = p.locked[cols]
    w = p.weight[p.pair_need[cols]].astype(np.float64)
    c = -w + tie_break * p.pair_dist[cols]
    lo = np.where(lk, p.pair_lock[cols], 0).astype(np.float64)
    up = hi[cols].astype(np.float64)
    x = np.zeros(p.n_pairs)
    nr, nn, ng = p.cap.size, p.qty.size, p.group_limit.size
    if cols.size == 0:
        return LPResult(x, 0.0, (np.zeros(nr), np.zeros(nn), np.zeros(ng)), time.perf_counter() - t0)
    a, b, (res_rows, need_rows, group_rows) = _rows(p, cols, hi)
    options = {"presolve": True}
    if time_limit_s is not None:
        options["time_limit"] = max(0.1, float(time_limit_s))
    kw = {"A_ub": a, "b_ub": b} if b.size else {}
    args = (c, np.c_[lo, up], options, kw)
    if should_stop is not None and cols.size >= parallel.STOPPABLE_MIN_PAIRS:
        res = parallel.call_stoppable(_linprog, args, should_stop)
    else:
        res = _linprog(*args)
    if res is None or res[0] != 0 or res[1] is None:
        return None
    _status, res_x, marginals = res
    x[cols] = res_x
    pi, sigma, lam = np.zeros(nr), np.zeros(nn), np.zeros(ng)
    if b.size:
        dual = np.maximum(-marginals, 0.0)
        dual = np.nan_to_num(dual, nan=0.0, posinf=0.0, neginf=0.0)
        pi[res_rows] = dual[:res_rows.size]
        sigma[need_rows] = dual[res_rows.size:res_rows.size + need_rows.size]
        lam[group_rows] = dual[res_rows.size + need_rows.size:]
    return LPResult(x, float(np.dot(w, res_x)), (pi, sigma, lam), time.perf_counter() - t0)


def lagrangian_bound(p: Problem, pi: np.ndarray, sigma: np.ndarray, lam: np.ndarray) -> int:
    """A proven upper bound on the served value of ``p`` from any multipliers
    (negative ones are taken as 0), evaluated over every pair of ``p``."""
    pi, sigma, lam = (np.maximum(np.nan_to_num(np.asarray(v, dtype=np.float64), nan=0.0, posinf=0.0), 0.0)
                      for v in (pi, sigma, lam))
    lam = np.where(p.group_limit >= 0, lam, 0.0)  # no row for providers without a limit
    hi = p.pair_hi()
    cols = np.flatnonzero(p.usable())
    r, n = p.pair_res[cols], p.pair_need[cols]
    u = hi[cols].astype(np.float64)
    lk = p.locked[cols]
    lo = np.where(lk, p.pair_lock[cols], 0).astype(np.float64)
    red = p.weight[n] - pi[r] - sigma[n] - lam[p.group[r]] / u
    pair_terms = np.maximum(lo * red, u * red)
    terms = [pi * p.cap, sigma * p.qty, lam * np.maximum(p.group_limit, 0), pair_terms]
    total = math.fsum(float(v) for t in terms for v in (t.sum(),))
    magnitude = sum(float(np.abs(t).sum()) for t in terms) + float(np.abs(red).sum()) + 1.0
    error = 1e-9 * magnitude + 1e-6  # far above float64 rounding of these sums
    if not math.isfinite(total):
        return p.value_upper_bound()
    return int(math.floor(total + error))


def lp_bound(p: Problem, time_limit_s: Optional[float] = None,
             should_stop=None) -> tuple[Optional[int], Optional[LPResult]]:
    """The proven LP bound of ``p`` (``None`` when the LP did not solve) and the LP itself
    (:class:`matcher.parallel.Stopped` on a stop request)."""
    res = solve_lp(p, time_limit_s=time_limit_s, should_stop=should_stop)
    if res is None:
        return None, None
    return min(lagrangian_bound(p, *res.duals), p.value_upper_bound()), res


def nearest_pairs(p: Problem, k: int) -> np.ndarray:
    """Mask of each need's ``k`` nearest usable pairs."""
    hi = p.pair_hi()
    order = np.lexsort((p.pair_res, p.pair_dist, p.pair_need))
    order = order[hi[order] > 0]
    need = p.pair_need[order]
    rank = rank_in_runs(need)
    mask = np.zeros(p.n_pairs, dtype=bool)
    mask[order[rank < k]] = True
    return mask


def _violations(p: Problem, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Providers the (fractional) ``x`` splits over more pairs than their limit,
    and per pair whether it is among the pairs its provider keeps (locked
    first, then the largest share of the pair's room, then value)."""
    hi = p.pair_hi()
    on = np.flatnonzero((x > 1e-6) | p.locked)
    g = p.group[p.pair_res[on]]
    share = x[on] / np.maximum(hi[on], 1)
    value = x[on] * p.weight[p.pair_need[on]]
    order = on[np.lexsort((p.pair_dist[on], -value, -share, ~p.locked[on], g))]
    over = p.beyond_limit(order)
    keep = np.zeros(p.n_pairs, dtype=bool)
    keep[order[~over]] = True
    return np.unique(p.group[p.pair_res[order[over]]]), keep


def dive(p: Problem, cols: np.ndarray, deadline: float, max_rounds: int = 12,
         say=lambda message: None, should_stop=None) -> Optional[np.ndarray]:
    """Rounded quantities (before repair) from LPs over the pairs ``cols`` (a mask),
    fixing the providers the LP splits until none is left, ``max_rounds`` LPs
    were solved, time runs out or ``should_stop()`` (which also cuts the LP under
    way); ``None`` when not even one LP was solved."""
    allowed = cols.copy()
    best = None
    pg = p.group[p.pair_res]
    for k in range(max_rounds):
        left = deadline - time.perf_counter()
        if left <= 0.2 or (should_stop is not None and should_stop()):
            break
        try:
            res = solve_lp(p, np.flatnonzero(allowed), tie_break=TIE_BREAK, time_limit_s=left,
                           should_stop=should_stop)
        except parallel.Stopped:
            break
        if res is None:
            break
        best = res.x
        split, keep = _violations(p, res.x)
        say(f"lp dive {k + 1}: LP value {res.value:.0f}, {split.size} providers split, {res.seconds:.1f} s")
        if split.size == 0:
            break
        fix = np.zeros(p.group_limit.size, dtype=bool)
        fix[split] = True
        allowed &= ~fix[pg] | keep
    if best is None:
        return None
    x = np.floor(best + 1e-6).astype(np.int64)
    return np.where(p.locked, p.pair_lock, x)
