"""Exact solve of the full contract by OR-Tools CP-SAT, one stage per objective level.

Variables over the pairs frame: ``x`` (quantity, 0..hi) for every usable pair,
``y`` (project opened, ``y = 1`` exactly when ``x > 0``) where a minimum lot, a
binding provider limit or a provider target needs it, ``z`` (served in full)
for all-or-nothing needs, ``|x - previous|`` per pair with a previous plan and
a shortfall per targeted provider. The stages: maximize the served value;
with ``previous`` minimize the churn; with targets minimize the shortfall;
minimize the distance. Each stage fixes its optimum before the next and starts
from the previous stage's result (the first from the caller's hint, else the
greedy result). The wall-clock limit covers all stages; a stage stopped early
gives ``feasible`` with the best result so far and the served-value bound.
"""
from __future__ import annotations

import math
import os
import threading
import time

import numpy as np
import pandas as pd

from ..errors import SolverFailed
from ..problem import Problem, Solution, SolveOptions, SolverStats, Status, StopReason

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
    p = problem
    m = cp_model.CpModel()
    f, x = _quantities(m, p)
    fy, y, targeted = _projects(cp_model, m, p, f, x)
    _limits(cp_model, m, p, f, x)
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
        for xv, h in zip(x, np.asarray(hint)[f.index.to_numpy()].tolist()):
            m.add_hint(xv, int(h))
    runner = _Runner(cp_model, m, p, x, options, t0 + options.time_limit_s)
    options.say(f"cpsat: {len(f)} pairs, {len(fy)} project indicators")
    return _run_stages(m, runner, p, x, stages, t0)


def _quantities(m, p: Problem):
    """The frame of usable pairs (index = pair index) and their quantity variables."""
    hi, lk = p.pair_hi(), p.locked
    frame = pd.DataFrame({
        "res": p.pair_res, "need": p.pair_need, "group": p.group[p.pair_res],
        "dist": p.pair_dist, "weight": p.weight[p.pair_need], "hi": hi, "lock": p.pair_lock,
        "minq": np.where(lk, 0, p.min_qty[p.pair_res]),
    })
    f = frame.iloc[np.flatnonzero(p.usable())]
    x = m.new_int_var_series("x", f.index, lower_bounds=pd.Series(f["lock"].to_numpy(), index=f.index),
                             upper_bounds=f["hi"])
    return f, x


def _projects(cp_model, m, p: Problem, f: pd.DataFrame, x):
    """Project indicators ``y`` where a minimum lot, a binding provider limit or a
    target needs them (``y = 1`` exactly when the pair carries a quantity), and the limits."""
    binding = p.binding_groups()
    targeted = p.target_groups()
    needs_y = (binding | targeted)[f["group"].to_numpy()] | (f["minq"].to_numpy() > 1)
    fy = f[needs_y]
    if not len(fy):
        return fy, None, targeted
    y = m.new_bool_var_series("y", fy.index)
    for xv, yv, h, mq, lock in zip(x[fy.index], y, fy["hi"], fy["minq"], fy["lock"]):
        if lock > 0:
            m.add(yv == 1)
            continue
        m.add(xv <= int(h) * yv)
        m.add(xv >= max(1, int(mq)) * yv)
    for g, idx in fy.groupby("group").groups.items():
        if binding[g]:
            m.add(cp_model.LinearExpr.sum(list(y[idx])) <= int(p.group_limit[g]))
    return fy, y, targeted


def _limits(cp_model, m, p: Problem, f: pd.DataFrame, x) -> None:
    """Capacities, quantities and all-or-nothing needs (only the constraints that can bind)."""
    for r, idx in f.groupby("res").groups.items():
        if f.loc[idx, "hi"].sum() > p.cap[r]:
            m.add(cp_model.LinearExpr.sum(list(x[idx])) <= int(p.cap[r]))
    for n, idx in f.groupby("need").groups.items():
        if p.aon[n] and p.qty[n] > 1:
            z = m.new_bool_var(f"z{n}")
            m.add(cp_model.LinearExpr.sum(list(x[idx])) == int(p.qty[n]) * z)
        elif f.loc[idx, "hi"].sum() > p.qty[n]:
            m.add(cp_model.LinearExpr.sum(list(x[idx])) <= int(p.qty[n]))


class _Runner:
    """Runs one level of the model within the common deadline, honouring stop requests."""

    def __init__(self, cp_model, m, p: Problem, x, options: SolveOptions, deadline: float):
        self.cp_model, self.m, self.p, self.x, self.options, self.deadline = cp_model, m, p, x, options, deadline
        # one worker is deterministic (same input, same projects) and fast on small parts;
        # large parts use every core unless the caller fixes the number of workers
        workers = options.workers or (1 if len(x) <= DETERMINISTIC_PAIRS else (os.cpu_count() or 1))
        self.solver = cp_model.CpSolver()
        self.solver.parameters.num_workers = max(1, workers)
        self.solver.parameters.random_seed = 0

    def watch(self, level: str):
        options = self.options

        class Watch(self.cp_model.CpSolverSolutionCallback):
            def on_solution_callback(self) -> None:
                options.say(f"cpsat {level}: objective {self.objective_value:.0f}, bound {self.best_objective_bound:.0f}")
                if options.should_stop is not None and options.should_stop():
                    self.stop_search()

        return Watch()

    def run(self, level: str) -> Status:
        limit = max(0.05, self.deadline - time.perf_counter())
        self.solver.parameters.max_time_in_seconds = limit
        began = time.perf_counter()
        code = self._run_code(level)
        ran_out = time.perf_counter() - began >= 0.9 * limit - 0.01
        return _status(self.cp_model, code, ran_out or self.stop_requested())

    def stop_requested(self) -> bool:
        return self.options.should_stop is not None and self.options.should_stop()

    def _run_code(self, level: str) -> int:
        if self.options.should_stop is None:
            return self.solver.solve(self.m, self.watch(level))
        # should_stop is also polled off the solution callback, so that a stop
        # request is honoured within a fraction of a second even while CP-SAT
        # finds no new solution (proving bounds can take long).
        finished = threading.Event()

        def poll() -> None:
            while not finished.wait(0.2):
                if self.options.should_stop():
                    self.solver.stop_search()

        poller = threading.Thread(target=poll, name="cpsat-should-stop", daemon=True)
        poller.start()
        try:
            return self.solver.solve(self.m, self.watch(level))
        finally:
            finished.set()
            poller.join()

    def why(self) -> str:
        return "stopped on request" if self.stop_requested() else "stopped by the time limit"

    def values(self) -> np.ndarray:
        out = np.zeros(self.p.n_pairs, dtype=np.int64)
        out[self.x.index.to_numpy()] = self.solver.values(self.x).to_numpy()
        return out


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


def _run_stages(m, runner: _Runner, p: Problem, x, stages: list, t0: float) -> Solution:
    """Optimize the levels one after the other, each fixed at its optimum before the next;
    a level not proven ends the solve with ``feasible`` and the best result so far."""
    built = time.perf_counter()
    levels: list[float] = []  # seconds of each stage
    best_x, best_value = None, None
    for k, (name, expr, sense) in enumerate(stages):
        (m.maximize if sense < 0 else m.minimize)(expr)
        if best_x is not None:
            m.clear_hints()
            for xv, h in zip(x, best_x[x.index.to_numpy()].tolist()):
                m.add_hint(xv, int(h))
        began = time.perf_counter()
        st = runner.run(f"level {k + 1} ({name})")
        levels.append(time.perf_counter() - began)
        stats = SolverStats(build_seconds=built - t0, level_seconds=tuple(levels))
        if k == 0 and st in (Status.INFEASIBLE, Status.UNKNOWN):
            msg = ("the locks cannot all hold together" if st is Status.INFEASIBLE
                   else f"{runner.why()} before any result was found")
            return Solution.empty(p, st, NAME, msg, stop=None if st is Status.INFEASIBLE else _stop_reason(runner))
        if st is not Status.OPTIMAL:
            if k == 0:
                bound = int(math.floor(runner.solver.best_objective_bound + 1e-6))
                return Solution.of(p, Status.FEASIBLE, runner.values(), NAME, bound=bound, stop=_stop_reason(runner),
                                   message=f"{runner.why()} before the served value was proven", stats=stats)
            found = runner.values() if st is Status.FEASIBLE else best_x
            if _key(p, found) > _key(p, best_x):
                found = best_x
            return Solution.of(p, Status.FEASIBLE, found, NAME, bound=best_value, stop=_stop_reason(runner), message=(
                f"{', '.join(s[0] for s in stages[:k])} proven; {runner.why()} before the {name} was proven minimal"),
                stats=stats)
        best_x = runner.values()
        optimum = int(round(runner.solver.objective_value))
        if k == 0:
            best_value = optimum
        m.add(expr >= optimum if sense < 0 else expr <= optimum)
    return Solution.of(p, Status.OPTIMAL, best_x, NAME,
                       stats=SolverStats(build_seconds=built - t0, level_seconds=tuple(levels)))


def _stop_reason(runner: _Runner) -> StopReason:
    """Why a level ended unproven: a stop request, else the time limit (as :meth:`_Runner.why` says)."""
    return StopReason.CANCELLED if runner.stop_requested() else StopReason.TIME_LIMIT


def _key(p: Problem, x: np.ndarray) -> tuple:
    """The lexicographic key of ``x`` to minimize: (-value, churn, shortfall, distance)."""
    v, c, s, d = p.levels(x)
    return -v, c, s, d
