"""Running an ``auto`` plan (:mod:`matcher.solvers.plan`) into :class:`~matcher.solvers.merge.PartResults`.

First the flow calls, where :func:`matcher.parallel.map_tasks` runs them
(here, on forked local processes or on a Dask cluster: :func:`matcher.parallel.choose`
alone decides, with the identical result); a part whose flow cannot be built
(cost range) moves to CP-SAT (:meth:`~matcher.solvers.plan.Plan.with_cpsat`).
Then the CP-SAT parts, largest first, each by :func:`matcher.solvers.side.solve_side`:

* here, one after the other, each with its share of the time left (unused
  time carries over); while at least ``REVISIT_MIN_S`` is left, the parts not
  proven yet are revisited in another pass, the time left again shared by
  size, each CP-SAT run starting from the part's best result as its hint; a
  revisit's result replaces the earlier one only when it is proven or better;
  passes go on until every part is proven, the limit is reached or a stop is
  requested;
* on a Dask cluster, side by side in one pass, each with its share of the time
  left times the parallelism.

A stop request (``options.should_stop``) is honoured at once: the flow calls
not finished by then are stopped (:func:`matcher.parallel.map_tasks`) and keep
their locks, the CP-SAT parts not reached yet keep their locks (or the greedy
result: :func:`matcher.solvers.merge.unsolved`), and the revisits end. Each
part's progress figures reach ``options.note`` as the round's
(:meth:`~matcher.solvers.merge.PartResults.part_options`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any, Optional

import numpy as np

from .. import parallel
from ..errors import NotApplicable
from ..problem import Problem, Solution, SolveOptions, Status
from . import cpsat, flow
from .heuristics import better
from .merge import STOPPED_MESSAGE, PartResults, unsolved
from .plan import Method, Plan
from .side import solve_side, too_large_for_cpsat

REVISIT_MIN_S = 0.2  # unproven parts are revisited while at least this much of the limit is left


@dataclass(frozen=True)
class Task:
    """One part (or flow call) to solve, as shipped to another process."""

    method: Method
    problem: Problem
    time_limit_s: float
    workers: int


@dataclass(frozen=True)
class RunReport:
    """What running a plan tells besides the parts' results."""

    flow_tasks: Optional[int] = None  # flow calls made (None: no plain part)
    cpsat_passes: Optional[int] = None  # passes over the CP-SAT parts (None: none ran here)
    cancelled: bool = False  # a stop was requested


def run_task(task: Task) -> Optional[Solution]:
    """Solve one task on a worker; ``None`` when flow cannot model it."""
    options = SolveOptions(time_limit_s=task.time_limit_s, workers=task.workers)
    return solve_by(task.method, task.problem, options)


def solve_by(method: Method, sub: Problem, options: SolveOptions) -> Any:
    """One part by its planned method; ``None`` when flow cannot model it, :data:`matcher.parallel.STOPPED`
    when a stop request ended its flow."""
    if method is Method.FLOW:
        try:
            return flow.solve(sub, options)
        except NotApplicable:
            return None
        except parallel.Stopped:
            return parallel.STOPPED
    return solve_side(sub, options, heuristics=method is Method.LP_HEURISTICS)


def run(p: Problem, plan: Plan, options: SolveOptions, deadline: float, merged: PartResults) -> RunReport:
    """Execute ``plan`` on ``p`` within ``deadline`` (a ``time.perf_counter()`` time), each part's
    result into ``merged``."""
    merged.parts_total = len(plan.flow_batches) + len(plan.cpsat_order)
    flow_tasks = None
    if plan.count(Method.FLOW):
        flow_tasks = len(plan.flow_batches)
        plan = plan.with_cpsat(_run_flows(p, plan, options, merged))
    ordered = plan.cpsat_order
    passes = None
    if ordered and parallel.choose(parallel.current(), len(ordered), 0, options.workers) == "dask":
        _run_cpsat_remote(p, plan, ordered, deadline, options, merged)
    elif ordered:
        passes = _run_cpsat_here(p, plan, ordered, deadline, options, merged)
    return RunReport(flow_tasks, passes, options.stopped())


def _run_flows(p: Problem, plan: Plan, options: SolveOptions, merged: PartResults) -> list[int]:
    """The flow calls, longest first; returns the parts whose flow could not be built (cost range).
    Flows a stop request left unsolved keep their locks only."""
    batches = plan.flow_batches
    subs = [p.compact(sel) for sel in batches]
    order = sorted(range(len(subs)), key=lambda b: -subs[b].n_pairs)
    tasks = [Task(Method.FLOW, subs[b], options.time_limit_s, options.workers) for b in order]
    flow.preload()  # before forking workers that will use it
    options.note(stage="min-cost flow")
    done = parallel.map_tasks(run_task, tasks, [t.problem.n_pairs for t in tasks], options.workers,
                              here=lambda t: solve_by(t.method, t.problem, options),
                              say=lambda m: options.say(f"auto: flows: {m}"), should_stop=options.should_stop)
    back: list[int] = []
    for b, sol in zip(order, done):
        if sol is parallel.STOPPED:
            sol = unsolved(subs[b], STOPPED_MESSAGE)
        elif sol is None:  # cost range too wide for one flow: let CP-SAT take those parts
            moved = np.unique(plan.label[batches[b]]).tolist()
            back += moved
            merged.parts_total += len(moved) - 1  # counted again as CP-SAT parts
            continue
        merged.add(-1 - b, batches[b], subs[b], sol, zero_if_unknown=False)
    return back


def _run_cpsat_remote(p: Problem, plan: Plan, ordered: tuple, deadline: float, options: SolveOptions,
                      merged: PartResults) -> None:
    """CP-SAT parts side by side on a cluster: each gets its share of the time left times the parallelism."""
    remaining = max(0.0, deadline - time.perf_counter())
    fan = max(1, min(parallel.current().workers, len(ordered)))
    total = sum(pp.pairs for pp in ordered)
    sels = [plan.pairs_of(pp.part) for pp in ordered]
    tasks = [Task(pp.method, p.compact(sel), max(0.05, min(remaining, remaining * fan * pp.pairs / max(1, total))),
                  options.workers) for pp, sel in zip(ordered, sels)]
    done = parallel.map_tasks(run_task, tasks, [0.0] * len(tasks), options.workers,
                              say=lambda m: options.say(f"auto: cpsat parts: {m}"))
    for pp, sel, task, sol in zip(ordered, sels, tasks, done):
        merged.add(pp.part, sel, task.problem, sol)


def _revisit(sub: Problem, method: Method, best: np.ndarray, options: SolveOptions) -> tuple[bool, Optional[Solution]]:
    """CP-SAT again on an unproven part, from its best result: (whether CP-SAT ran, its
    solution when it proved the part or found a better result). It does not run when the
    slice is too short for a large part (``CPSAT_PAIRS_PER_S``)."""
    if method is Method.LP_HEURISTICS and too_large_for_cpsat(sub, options.time_limit_s):
        return False, None
    sol = cpsat.solve(sub, replace(options, hint=best))
    if sol.status is Status.OPTIMAL or (sol.status is Status.FEASIBLE and better(sub, sol.x, best) is sol.x):
        return True, sol
    return True, None


def _run_cpsat_here(p: Problem, plan: Plan, ordered: tuple, deadline: float, options: SolveOptions,
                    merged: PartResults) -> int:
    """CP-SAT parts one after the other, each with a share of the time left in proportion to its
    size (unused time carries over). While time is left, the parts not proven yet are revisited,
    each continuing from its best result as a hint, until all are proven or the limit is reached.
    A stop request ends the loop at once: the parts not reached keep their locks only
    (:func:`~matcher.solvers.merge.unsolved`). Returns the number of passes."""
    todo, passes = list(ordered), 0
    while todo:
        passes += 1
        left = sum(pp.pairs for pp in todo)
        unproven = []
        for k, pp in enumerate(todo):
            if options.stopped():
                if passes == 1:
                    _not_reached(p, plan, todo[k:], merged)
                break
            sel = plan.pairs_of(pp.part)
            sub = p.restrict(sel)
            share = max(0.0, deadline - time.perf_counter()) * pp.pairs / max(1, left)
            left -= pp.pairs
            options.say(f"auto: pass {passes}, part {k + 1}/{len(todo)} with {sel.size} pairs by cpsat")
            opts = merged.part_options(pp.part, sub, replace(options, time_limit_s=max(0.05, share)))
            if passes == 1:
                sol = merged.add(pp.part, sel, sub, solve_by(pp.method, sub, opts))
                if sol.status in (Status.INFEASIBLE, Status.UNKNOWN):
                    return passes
            else:
                ran, sol = _revisit(sub, pp.method, merged.x[sel].copy(), opts)
                if sol is None:  # nothing better within the slice: the earlier result (and bound) stay
                    unproven += [pp] if ran else []
                    continue
                bound = merged.bound[pp.part]
                merged.add(pp.part, sel, sub, sol)
                merged.bound[pp.part] = min(bound, merged.bound[pp.part])
            if merged.status[pp.part] is Status.FEASIBLE:
                unproven.append(pp)
        todo = unproven if not options.stopped() and deadline - time.perf_counter() >= REVISIT_MIN_S else []
    return passes


def _not_reached(p: Problem, plan: Plan, rest: list, merged: PartResults) -> None:
    """The CP-SAT parts a stop request left unreached, together under the first one's key
    (they share nothing): their locks only, or the greedy result."""
    sel = np.flatnonzero(np.isin(plan.label, [pp.part for pp in rest]))
    sub = p.restrict(sel)
    merged.add(rest[0].part, sel, sub, unsolved(sub, STOPPED_MESSAGE), parts=len(rest))
