"""Exact solve of the full contract by OR-Tools CP-SAT, in two levels.

Variables over the pairs frame: ``x`` (quantity, 0..hi) for every pair, ``y``
(project opened) where a minimum lot or a binding provider limit needs it,
``z`` (served in full) for all-or-nothing needs. Level 1 maximizes the served
value; level 2 fixes it and minimizes the distance. Both start from a hint
(the caller's, else the greedy result). The wall-clock limit covers both
levels; a level stopped early gives ``feasible`` with the best bound.
"""
from __future__ import annotations

import math
import os
import threading
import time

import numpy as np
import pandas as pd

from ..errors import SolverFailed
from ..problem import Problem, Solution, SolveOptions, Status

NAME = "cpsat"
DETERMINISTIC_PAIRS = 5000  # parts up to this many pairs run single-worker by default


def _status(cp_model, code, stopped: bool) -> Status:
    """The status of a level; ``stopped``: the time limit or a stop request ended it.
    ``UNKNOWN`` without a stop, ``MODEL_INVALID`` and anything else are faults."""
    known = {cp_model.OPTIMAL: Status.OPTIMAL, cp_model.FEASIBLE: Status.FEASIBLE,
             cp_model.INFEASIBLE: Status.INFEASIBLE}
    if code in known:
        return known[code]
    if code == cp_model.UNKNOWN and stopped:
        return Status.UNKNOWN
    raise SolverFailed(NAME, f"CP-SAT ended with status {cp_model.CpSolver().status_name(code)}"
                       + ("" if code != cp_model.UNKNOWN else " before its time limit, without a stop request"))


def solve(problem: Problem, options: SolveOptions) -> Solution:
    from ortools.sat.python import cp_model  # lazy: heavy import

    t0 = time.perf_counter()
    deadline = t0 + options.time_limit_s
    p = problem
    hi = p.pair_hi()
    lk = p.locked
    frame = pd.DataFrame({
        "res": p.pair_res, "need": p.pair_need, "group": p.group[p.pair_res],
        "dist": p.pair_dist, "weight": p.weight[p.pair_need], "hi": hi, "lock": p.pair_lock,
        "minq": np.where(lk, 0, p.min_qty[p.pair_res]),
    })
    usable = np.flatnonzero((hi > 0) | lk)
    f = frame.iloc[usable]
    m = cp_model.CpModel()
    lo = f["lock"].to_numpy()
    x = m.new_int_var_series("x", f.index, lower_bounds=pd.Series(lo, index=f.index),
                             upper_bounds=f["hi"])

    binding = p.binding_groups()
    targeted = p.target_groups()
    needs_y = (binding | targeted)[f["group"].to_numpy()] | (f["minq"].to_numpy() > 1)
    fy = f[needs_y]
    y = None
    if len(fy):
        y = m.new_bool_var_series("y", fy.index)
        for k, xv, yv, h, mq, l in zip(fy.index, x[fy.index], y, fy["hi"], fy["minq"], fy["lock"]):
            if l > 0:
                m.add(yv == 1)
                continue
            m.add(xv <= int(h) * yv)
            m.add(xv >= max(1, int(mq)) * yv)  # y = 1 only for a real project (targets count them)
        for g, idx in fy.groupby("group").groups.items():
            if binding[g]:
                m.add(cp_model.LinearExpr.sum(list(y[idx])) <= int(p.group_limit[g]))

    for r, idx in f.groupby("res").groups.items():
        if f.loc[idx, "hi"].sum() > p.cap[r]:
            m.add(cp_model.LinearExpr.sum(list(x[idx])) <= int(p.cap[r]))
    for n, idx in f.groupby("need").groups.items():
        if p.aon[n] and p.qty[n] > 1:
            z = m.new_bool_var(f"z{n}")
            m.add(cp_model.LinearExpr.sum(list(x[idx])) == int(p.qty[n]) * z)
        elif f.loc[idx, "hi"].sum() > p.qty[n]:
            m.add(cp_model.LinearExpr.sum(list(x[idx])) <= int(p.qty[n]))

    value = cp_model.LinearExpr.weighted_sum(list(x), f["weight"].tolist())
    distance = cp_model.LinearExpr.weighted_sum(list(x), f["dist"].tolist())
    stages = [("served value", value, -1)]
    if p.has_previous:
        stages.append(("churn", _churn_expr(cp_model, m, p, f, x), 1))
    if targeted.any():
        stages.append(("participation", _shortfall_expr(cp_model, m, p, fy, y, targeted), 1))
    stages.append(("distance", distance, 1))

    hint = options.hint
    if hint is None:
        from .greedy import greedy_quantities
        hint = greedy_quantities(p)
    if hint is not None:
        for xv, h in zip(x, np.asarray(hint)[usable].tolist()):
            m.add_hint(xv, int(h))

    # one worker is deterministic (same input, same projects) and fast on small parts;
    # large parts use every core unless the caller fixes the number of workers
    workers = options.workers or (1 if len(f) <= DETERMINISTIC_PAIRS else (os.cpu_count() or 1))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = 0

    class Watch(cp_model.CpSolverSolutionCallback):
        def __init__(self, level: str):
            super().__init__()
            self.level = level

        def on_solution_callback(self) -> None:
            options.say(f"cpsat {self.level}: objective {self.objective_value:.0f}, bound {self.best_objective_bound:.0f}")
            if options.should_stop is not None and options.should_stop():
                self.stop_search()

    def run(level: str) -> Status:
        limit = max(0.05, deadline - time.perf_counter())
        solver.parameters.max_time_in_seconds = limit
        began = time.perf_counter()
        code = run_code(level)
        ran_out = time.perf_counter() - began >= 0.9 * limit - 0.01
        return _status(cp_model, code, ran_out or (options.should_stop is not None and options.should_stop()))

    def run_code(level: str) -> int:
        if options.should_stop is None:
            return solver.solve(m, Watch(level))
        # should_stop is also polled off the solution callback, so that a stop
        # request is honoured within a fraction of a second even while CP-SAT
        # finds no new solution (proving bounds can take long).
        finished = threading.Event()

        def poll() -> None:
            while not finished.wait(0.2):
                if options.should_stop():
                    solver.stop_search()

        poller = threading.Thread(target=poll, name="cpsat-should-stop", daemon=True)
        poller.start()
        try:
            return solver.solve(m, Watch(level))
        finally:
            finished.set()
            poller.join()

    def why() -> str:
        requested = options.should_stop is not None and options.should_stop()
        return "stopped on request" if requested else "stopped by the time limit"

    def values() -> np.ndarray:
        out = np.zeros(p.n_pairs, dtype=np.int64)
        out[usable] = solver.values(x).to_numpy()
        return out

    options.say(f"cpsat: {len(f)} pairs, {len(fy)} project indicators")
    return _run_stages(cp_model, m, solver, p, x, stages, run, values, why, t0)


def _churn_expr(cp_model, m, p: Problem, f: pd.DataFrame, x):
    """Level 3: ``sum |x - previous|`` over all pairs (a constant for the unusable ones)."""
    prev = p.pair_prev[f.index.to_numpy()]
    terms, constant = [], int(p.pair_prev.sum() - prev.sum()) + p.prev_outside
    for xv, q, h in zip(x, prev.tolist(), f["hi"].tolist()):
        if q == 0:
            terms.append(xv)
            continue
        d = m.new_int_var(0, max(q, int(h)), "")
        m.add(d >= xv - q)
        m.add(d >= q - xv)
        terms.append(d)
    return cp_model.LinearExpr.sum(terms) + constant


def _shortfall_expr(cp_model, m, p: Problem, fy: pd.DataFrame, y, targeted: np.ndarray):
    """Level 4: ``sum over providers of max(0, target - projects)``."""
    by_group = {} if y is None else {g: list(y[idx]) for g, idx in fy.groupby("group").groups.items()}
    terms = []
    for g in np.flatnonzero(targeted).tolist():
        target = int(p.group_target[g])
        s = m.new_int_var(0, target, "")
        m.add(s >= target - cp_model.LinearExpr.sum(by_group.get(g, [])))
        terms.append(s)
    return cp_model.LinearExpr.sum(terms)


def _run_stages(cp_model, m, solver, p: Problem, x, stages: list, run, values, why, t0: float) -> Solution:
    """Optimize the levels one after the other, each fixed at its optimum before the next;
    a level not proven ends the solve with ``feasible`` and the best result so far."""
    built = time.perf_counter()
    seconds: dict[str, float] = {"build_seconds": built - t0}
    best_x, best_value = None, None
    for k, (name, expr, sense) in enumerate(stages):
        (m.maximize if sense < 0 else m.minimize)(expr)
        if best_x is not None:
            m.clear_hints()
            for xv, h in zip(x, best_x[x.index.to_numpy()].tolist()):
                m.add_hint(xv, int(h))
        began = time.perf_counter()
        st = run(f"level {k + 1} ({name})")
        seconds[f"level{k + 1}_seconds"] = time.perf_counter() - began
        if k == 0 and st in (Status.INFEASIBLE, Status.UNKNOWN):
            msg = "the locks cannot all hold together" if st is Status.INFEASIBLE else f"{why()} before any result was found"
            return Solution.empty(p, st, NAME, msg)
        if st is not Status.OPTIMAL:
            if k == 0:
                bound = int(math.floor(solver.best_objective_bound + 1e-6))
                return Solution.of(p, Status.FEASIBLE, values(), NAME, bound=bound,
                                   message=f"{why()} before the served value was proven", **seconds)
            found = values() if st is Status.FEASIBLE else best_x
            if _key(p, found) > _key(p, best_x):
                found = best_x
            return Solution.of(p, Status.FEASIBLE, found, NAME, bound=best_value, message=(
                f"{', '.join(s[0] for s in stages[:k])} proven; {why()} before the {name} was proven minimal"),
                **seconds)
        best_x = values()
        optimum = int(round(solver.objective_value))
        if k == 0:
            best_value = optimum
        m.add(expr >= optimum if sense < 0 else expr <= optimum)
    return Solution.of(p, Status.OPTIMAL, best_x, NAME, **seconds)


def _key(p: Problem, x: np.ndarray) -> tuple:
    """The lexicographic key of ``x`` to minimize: (-value, churn, shortfall, distance)."""
    v, c, s, d = p.levels(x)
    return -v, c, s, d
