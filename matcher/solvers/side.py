"""One side-constrained part (provider limits, minimum lots, all-or-nothing), by CP-SAT.

:attr:`~matcher.solvers.plan.Method.CPSAT` parts go to CP-SAT started from the
greedy result. :attr:`~matcher.solvers.plan.Method.LP_HEURISTICS` parts (the
large ones) first get the relaxed flow of :mod:`matcher.solvers.heuristics` (a
bound and, repaired, a start) and, when a provider limit binds, the LP
relaxation of :mod:`matcher.solvers.lp` (a much tighter proven bound) and its
dive (a near-optimal start). CP-SAT then runs on the whole part with the time
left, unless that is too short for its presolve (``CPSAT_PAIRS_PER_S``). When
CP-SAT does not prove the optimum, the best result found is kept, with the
tightest bound at hand.
"""
from __future__ import annotations

import time
from dataclasses import replace
from typing import Optional

import numpy as np

from ..errors import NotApplicable
from ..problem import Problem, Solution, SolveOptions, Status, StopReason
from . import cpsat, flow
from .greedy import greedy_quantities
from .heuristics import better, polish, relaxed, repair

NAME = "auto"
DIVE_NEAREST = 10  # the dive's LPs use each need's this many nearest pairs (plus the LP's and the start's)
DIVE_SHARE = 0.8  # the bound LP and the dive end by this share of the part's time limit
CPSAT_PAIRS_PER_S = 2_000  # after the dive, CP-SAT runs on the whole part only with >= 1 s per this many pairs


def too_large_for_cpsat(sub: Problem, seconds: float) -> bool:
    """Is ``seconds`` too short for CP-SAT's presolve on a large part (``CPSAT_PAIRS_PER_S``)?"""
    return seconds * CPSAT_PAIRS_PER_S < sub.n_pairs


def solve_side(sub: Problem, options: SolveOptions, heuristics: bool = False) -> Solution:
    """One side-constrained part: CP-SAT from the best start at hand (see the module docstring);
    ``heuristics``: the part is large, first the relaxed flow and the LP bound and dive."""
    t0 = time.perf_counter()
    deadline = t0 + options.time_limit_s
    start = greedy_quantities(sub)
    bounds: list[int] = [sub.value_upper_bound()]
    lp_value = None
    if heuristics:
        start, lp_value = _heuristic_start(sub, start, options, t0, bounds)
    heuristic_bound = min(bounds)
    left = deadline - time.perf_counter()
    if start is not None and lp_value is not None and too_large_for_cpsat(sub, left):
        proven = sub.objective(start)[0] >= heuristic_bound
        return Solution.of(sub, Status.FEASIBLE, start, NAME, bound=heuristic_bound, stop=StopReason.TIME_LIMIT,
                           message="part too large for CP-SAT in the time left; kept the LP dive result ("
                                   + ("served value proven by the LP bound, the later levels not proven)" if proven
                                      else "bound: the LP relaxation)"))
    sol = cpsat.solve(sub, replace(options, time_limit_s=max(0.05, left), hint=start))
    if sol.status in (Status.OPTIMAL, Status.INFEASIBLE) or start is None:
        return sol
    found = sol.x if sol.status is Status.FEASIBLE else None
    best = better(sub, found, start)
    if found is not None and sol.bound_served_value is not None:
        bounds.append(sol.bound_served_value)
    message = sol.message if found is not None and best is found else (
        "CP-SAT found no better result within the time limit; kept the best heuristic result")
    return Solution.of(sub, Status.FEASIBLE, best, NAME, bound=min(bounds), message=message, stop=sol.stop)


def _heuristic_start(sub: Problem, start: Optional[np.ndarray], options: SolveOptions, t0: float,
                     bounds: list[int]) -> tuple[Optional[np.ndarray], Optional[int]]:
    """The relaxed flow (its value joins ``bounds``; repaired and polished, a start) and, when a
    provider limit binds, the LP bound (joins ``bounds``) and the LP dive, which end by ``DIVE_SHARE``
    of the part's time from ``t0``: the best start and the LP bound."""
    from . import lp  # lazy: only large side-constrained parts need it

    relax_value = relax_x = None
    try:
        r = flow.solve(relaxed(sub), SolveOptions(workers=options.workers))
        if r.status is Status.OPTIMAL:
            relax_value, relax_x = r.served_value, r.x
            start = polish(sub, better(sub, start, repair(sub, r.x)))
    except NotApplicable:
        pass
    lp_value = None
    if start is not None and sub.binding_groups().any():
        lp_end = t0 + DIVE_SHARE * options.time_limit_s
        lp_value, res = lp.lp_bound(sub, time_limit_s=max(0.1, 0.5 * (lp_end - time.perf_counter())))
        if res is not None:
            options.say(f"auto: LP bound {lp_value} (relaxed flow {relax_value}) in {res.seconds:.1f} s")
            cols = lp.nearest_pairs(sub, DIVE_NEAREST) | (res.x > 1e-6) | (start > 0) | sub.locked
            if relax_x is not None:
                cols |= relax_x > 0
            rounded = lp.dive(sub, cols, lp_end, say=options.say, should_stop=options.should_stop)
            if rounded is not None:
                start = better(sub, start, polish(sub, repair(sub, rounded)))
            options.say(f"auto: LP dive result {sub.objective(start)[0]}")
    bounds.extend(b for b in (lp_value, relax_value) if b is not None)
    return start, lp_value
