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

Every stage polls ``options.should_stop`` and reports its name and the part's
best value and bound so far (``options.note``); a stop keeps the best result
found so far (:class:`_Start`), or, when there is none yet, the part's locks or
its greedy result (:func:`matcher.solvers.merge.unsolved`).
"""
from __future__ import annotations

import time
from dataclasses import replace
from typing import Optional

import numpy as np

from .. import parallel
from ..errors import NotApplicable
from ..problem import Problem, Solution, SolveOptions, Status, StopReason
from . import cpsat, flow
from .greedy import greedy_quantities
from .heuristics import better, polish, relaxed, repair
from .merge import STOPPED_MESSAGE, unsolved

NAME = "auto"
DIVE_NEAREST = 10  # the dive's LPs use each need's this many nearest pairs (plus the LP's and the start's)
DIVE_SHARE = 0.8  # the bound LP and the dive end by this share of the part's time limit
CPSAT_PAIRS_PER_S = 2_000  # after the dive, CP-SAT runs on the whole part only with >= 1 s per this many pairs


def too_large_for_cpsat(sub: Problem, seconds: float) -> bool:
    """Is ``seconds`` too short for CP-SAT's presolve on a large part (``CPSAT_PAIRS_PER_S``)?"""
    return seconds * CPSAT_PAIRS_PER_S < sub.n_pairs


def solve_side(sub: Problem, options: SolveOptions, heuristics: bool = False) -> Solution:
    """One side-constrained part: CP-SAT from the best start at hand (see the module docstring);
    ``heuristics``: the part is large, first the relaxed flow and the LP bound and dive. A stop
    request keeps the best result so far (``cancelled``)."""
    t0 = time.perf_counter()
    deadline = t0 + options.time_limit_s
    st = _Start(sub, options)
    try:
        options.note(stage="greedy")
        st.take(greedy_quantities(sub, options.should_stop))
        if heuristics:
            _heuristics(sub, options, st, t0)
    except parallel.Stopped:
        return st.stopped()
    if options.stopped():
        return st.stopped()
    start, bounds = st.x, st.bounds()
    heuristic_bound = min(bounds)
    left = deadline - time.perf_counter()
    if start is not None and st.lp_value is not None and too_large_for_cpsat(sub, left):
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


class _Start:
    """The best result of a part the heuristics found so far, and the bounds they proved."""

    def __init__(self, sub: Problem, options: SolveOptions):
        self.sub, self.options = sub, options
        self.x: Optional[np.ndarray] = None
        self.relax_value: Optional[int] = None
        self.relax_x: Optional[np.ndarray] = None
        self.lp_value: Optional[int] = None

    def bounds(self) -> list[int]:
        return [b for b in (self.lp_value, self.relax_value, self.sub.value_upper_bound()) if b is not None]

    def take(self, x: Optional[np.ndarray]) -> None:
        """Keep ``x`` when it is better; report the part's best value and bound."""
        self.x = better(self.sub, self.x, x)
        if self.x is not None:
            self.options.note(best_value=self.sub.objective(self.x)[0], bound=min(self.bounds()))

    def stopped(self) -> Solution:
        """The part's result when a stop request ended the heuristics."""
        if self.x is None:
            return unsolved(self.sub, STOPPED_MESSAGE)
        return Solution.of(self.sub, Status.FEASIBLE, self.x, NAME, bound=min(self.bounds()),
                           message=STOPPED_MESSAGE, stop=StopReason.CANCELLED)


def _heuristics(sub: Problem, options: SolveOptions, st: _Start, t0: float) -> None:
    """The relaxed flow (a bound and, repaired and polished, a start) and, when a provider limit
    binds, the LP bound and the LP dive, which end by ``DIVE_SHARE`` of the part's time from ``t0``;
    their results and bounds go to ``st``. A stop request raises :class:`matcher.parallel.Stopped`."""
    from . import lp  # lazy: only large side-constrained parts need it

    stop = options.should_stop
    options.note(stage="relaxed flow")
    try:
        r = flow.solve(relaxed(sub), SolveOptions(workers=options.workers, should_stop=stop))
        if r.status is Status.OPTIMAL:
            st.relax_value, st.relax_x = r.served_value, r.x
            st.take(repair(sub, r.x, stop))
            st.take(polish(sub, st.x, should_stop=stop))
    except NotApplicable:
        pass
    if st.x is None or not sub.binding_groups().any():
        return
    lp_end = t0 + DIVE_SHARE * options.time_limit_s
    options.note(stage="LP bound")
    st.lp_value, res = lp.lp_bound(sub, time_limit_s=max(0.1, 0.5 * (lp_end - time.perf_counter())),
                                   should_stop=stop)
    if res is None:
        return
    st.take(None)  # reports the new bound
    options.say(f"auto: LP bound {st.lp_value} (relaxed flow {st.relax_value}) in {res.seconds:.1f} s")
    cols = lp.nearest_pairs(sub, DIVE_NEAREST) | (res.x > 1e-6) | (st.x > 0) | sub.locked
    if st.relax_x is not None:
        cols |= st.relax_x > 0
    options.note(stage="LP dive")
    rounded = lp.dive(sub, cols, lp_end, say=options.say, should_stop=stop)
    if rounded is not None:
        st.take(polish(sub, repair(sub, rounded, stop), should_stop=stop))
    options.say(f"auto: LP dive result {sub.objective(st.x)[0]}")
