"""Default solver: split into independent parts, solve each exactly and fast.

Three steps, one module each:

1. **plan** (:func:`matcher.solvers.plan.plan`, pure): the parts (linked by
   candidate pairs and by providers whose ``max_projects`` or target can
   bind), each part's method (min-cost flow for plain parts, CP-SAT for the
   others, the LP bound and dive first for large ones), its size and its
   share of the time, and the flow calls;
2. **run** (:func:`matcher.solvers.run.run`): the flow calls where
   :func:`matcher.parallel.choose` says (here, forked local processes or a
   Dask cluster), then the CP-SAT parts largest first, revisiting the parts
   not proven yet while time is left;
3. **merge** (:class:`matcher.solvers.merge.PartResults`): the parts' results
   as the round's one :class:`~matcher.problem.Solution`.

Parts share nothing, so the lexicographic optimum of the round is the sum of
the parts' optima, and the round is proven optimal when every part is.
"""
from __future__ import annotations

import time

from ..problem import Problem, Solution, SolveOptions, SolverStats
from .merge import NAME, PartResults
from .plan import Method, plan
from .run import run

__all__ = ["NAME", "solve"]


def solve(problem: Problem, options: SolveOptions) -> Solution:
    t0 = time.perf_counter()
    the_plan = plan(problem)
    merged = PartResults(problem, options)
    report = run(problem, the_plan, options, t0 + options.time_limit_s, merged)
    stats = SolverStats(components=len(the_plan.parts), components_flow=the_plan.count(Method.FLOW),
                        components_cpsat=the_plan.count(Method.CPSAT, Method.LP_HEURISTICS),
                        flow_tasks=report.flow_tasks, cpsat_passes=report.cpsat_passes,
                        seconds=time.perf_counter() - t0)
    return merged.solution(problem, stats, cancelled=report.cancelled)
