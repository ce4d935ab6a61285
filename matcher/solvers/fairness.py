"""Level 1 of the round contract: fairness over community coverage, exactly.

Given the best served value ``V*`` without fairness (the caller's plain solve,
``base``), only results with ``V >= ceil(r * V*)`` count. A community's coverage
is ``s_c / D_c`` (served units over servable demand); communities with
``D_c = 0`` take no part. The plain result meets the value floor and every
community is at least at its own smallest coverage ``t0``, so every search
starts there, and a result always exists.

Plain rounds go to :mod:`matcher.solvers.fairflow` (min-cost flows with
coverage floors): ``maxmin`` exactly; ``leximin`` by saturation stages, exact
until a stage ends in an integrality tie, from which CP-SAT takes over. Rounds
with side rules (and ``params.solver = "cpsat"``) go to CP-SAT alone.

CP-SAT: the whole round in one model (fairness couples every part that holds a
community), with the floors already settled as constraints. *leximin* compares
the coverages sorted ascending, lexicographically; for any finite set of
results, the k-th smallest coverage is at least ``t`` exactly when at most
``k - 1`` communities are below ``t``, i.e. ``s_c < ceil(t * D_c)``. Stage ``k``
finds the largest candidate ``t_k`` (a fraction ``a / D_c``) for which a result
exists with, for every ``j <= k``, at most ``j - 1`` communities below ``t_j``
(:func:`matcher.solvers.coverage.largest`; feasibility is monotone in ``t``),
starting at ``t_{k-1}``, which stage ``k - 1``'s result satisfies; *maxmin* is
stage 1 alone. Each check is hinted with the last result found. The later
levels (served value, churn, participation, distance) then run as in
:mod:`matcher.solvers.cpsat` with the fairness counts kept as constraints,
hinted with that result, which is kept when they find nothing better in time.

The result is ``optimal`` only when ``V*`` was proven, every check was decided
(a feasible result found, or infeasibility proven) and every later level proven.
A check CP-SAT leaves undecided (``UNKNOWN``, whatever the reason) counts as not
passed, which makes the result ``feasible`` (stop reason ``time_limit``), never an
error. A stop request ends the search at once with the fairest result found so far
(it meets the value floor and every stage finished before the stop), ``cancelled``.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..errors import NotApplicable, SolverFailed
from ..parallel import Stopped
from ..problem import Problem, Solution, SolveOptions, SolverStats, Status, StopReason
from . import cpsat, fairflow
from .coverage import largest, min_coverage, served, servable_demand

__all__ = ["FairnessSpec", "servable_demand", "solve"]

_LIMITS = (StopReason.CANCELLED, StopReason.TIME_LIMIT, StopReason.HEURISTIC)
CHECK_SHARE = 0.75  # CP-SAT's coverage checks end by this share of the time limit; the later levels get the rest


@dataclass(frozen=True)
class FairnessSpec:
    mode: str  # "maxmin" | "leximin"
    ratio: Fraction  # min_value_ratio as the decimal written


@dataclass
class _Round:
    """What every fairness method of one solve shares."""

    p: Problem
    need_comm: np.ndarray
    demand: np.ndarray
    comms: list[int]  # communities with servable demand
    spec: FairnessSpec
    base: Solution
    value_floor: int
    options: SolveOptions
    t0: float

    @property
    def deadline(self) -> float:
        return self.t0 + self.options.time_limit_s

    def stop_at(self, end: float):
        """``stop()`` for a search: True from ``end`` on, or once a stop is requested."""
        should = self.options.should_stop
        return lambda: time.perf_counter() >= end or (should is not None and should())

    def units(self, x: np.ndarray) -> np.ndarray:
        return served(self.p, self.need_comm, self.demand.size, x)

    def requested(self) -> bool:
        """A stop was requested."""
        should = self.options.should_stop
        return should is not None and should()

    def result(self, x: np.ndarray, proven: bool, message: str, stop: StopReason | None = None,
               **stats) -> Solution:
        """The solution: ``optimal`` when fairness and every later level are proven and so is ``V*``;
        else ``feasible`` with ``stop`` (by default: a stop request, else the plain solve's limit
        when fairness itself was proven, else the time limit)."""
        base_ok = self.base.status is Status.OPTIMAL
        if not base_ok:
            message = "; ".join(m for m in (self.base.message or "the best value without fairness is not proven",
                                            message) if m)
        ok = proven and base_ok
        if not ok and stop is None:
            stop = (StopReason.CANCELLED if self.requested() else
                    self.base.stop if proven and self.base.stop in _LIMITS else StopReason.TIME_LIMIT)
        return Solution.of(self.p, Status.OPTIMAL if ok else Status.FEASIBLE, x, self.base.solver,
                           bound=None if ok else self.base.bound_served_value, message="" if ok else message,
                           stop=None if ok else stop,
                           stats=SolverStats(value_without_fairness=self.base.served_value,
                                             fairness_mode=self.spec.mode, **stats))

    def stopped(self, x: np.ndarray, stats: dict) -> Solution:
        """The result of a solve ended by a stop request: ``x``, the fairest found so far."""
        return self.result(x, False, "stopped on request during the fairness level; kept the fairest result "
                                     "found so far", stop=StopReason.CANCELLED, **stats)


def solve(p: Problem, need_comm: np.ndarray, n_comm: int, spec: FairnessSpec, base: Solution,
          options: SolveOptions) -> Solution:
    """Fairness first, then the plain levels, starting from the plain result ``base``."""
    t0 = time.perf_counter()
    demand = servable_demand(p, need_comm, n_comm)
    comms = np.flatnonzero(demand > 0).tolist()
    rnd = _Round(p, need_comm, demand, comms, spec, base, math.ceil(spec.ratio * base.served_value), options, t0)
    if not comms:  # nobody takes part: the plain result is the fair one
        return rnd.result(base.x, True, "", fairness_method="none")
    start = min_coverage(rnd.units(base.x), demand, comms)
    if p.is_plain() and base.solver != "cpsat":
        try:
            return _by_flow(rnd, start)
        except NotApplicable:
            pass
    floors = np.zeros(demand.size, dtype=np.int64)  # every fair result reaches the plain result's minimum
    floors[comms] = [math.ceil(start * int(demand[c])) for c in comms]
    return _by_cpsat(rnd, floors, comms, 0, start, base.x, True, {"fairness_method": "cpsat"})


def _by_flow(rnd: _Round, start: Fraction) -> Solution:
    rnd.options.note(stage=f"fairness search (flow, {rnd.spec.mode})")
    net = fairflow.FairFlow(rnd.p, rnd.need_comm, rnd.demand)
    search = fairflow.Search(net, rnd.value_floor, rnd.stop_at(rnd.deadline))
    stage = fairflow.maxmin if rnd.spec.mode == "maxmin" else fairflow.leximin
    out = stage(search, rnd.comms, start, rnd.base.x)
    stats = {"fairness_method": "flow", "fairness_checks": net.checks, "fairness_stages": out.stages,
             "fairness_search_seconds": time.perf_counter() - rnd.t0}
    if rnd.requested():
        return rnd.stopped(out.x, stats)
    if out.free:  # a leximin tie: the counting stages in CP-SAT, from the floors settled so far
        stats["fairness_method"] = "flow+cpsat"
        return _by_cpsat(rnd, out.floors, out.free, 1, out.level, out.x, out.decided, stats)
    x = net.final(out.floors)
    if (rnd.units(x) < out.floors).any() or rnd.p.objective(x)[0] < rnd.value_floor or not rnd.p.is_feasible(x):
        raise SolverFailed(fairflow.NAME, "the final fairness flow misses a floor or the value floor")
    return rnd.result(x, out.decided, "" if out.decided else
                      f"fairness not proven: {_why(rnd)} during the coverage search (the best floors found are kept)",
                      **stats)


def _why(rnd: _Round) -> str:
    return "stopped on request" if rnd.requested() else "stopped by the time limit"


class _Runner(cpsat._Runner):
    """cpsat's runner, except that CP-SAT's ``UNKNOWN`` is always a status here (an undecided
    check, or later levels without a result), never a fault: the caller holds a result.
    With the full linear relaxation: the coverage counts over flow constraints are what
    the LP cuts prove quickly (with the default level, one worker could search a tiny
    infeasible check for a minute). Presolve as in cpsat (off up to ``PRESOLVE_PAIRS`` pairs:
    measured, the fairness tests take the same time either way)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.solver.parameters.linearization_level = 2

    def run(self, level: str, value_of=None) -> Status:
        if self.stop_requested():
            return Status.UNKNOWN
        self.options.note(stage=f"CP-SAT {level}")
        self.solver.parameters.max_time_in_seconds = max(0.05, self.deadline - time.perf_counter())
        code = self._run_code(level, value_of)
        if code == self.cp_model.UNKNOWN:
            return Status.UNKNOWN
        return cpsat._status(self.cp_model, code, True)


class _Model:
    """The whole round in CP-SAT, plus served units per community and the fairness counts."""

    def __init__(self, cp_model, rnd: _Round, floors: np.ndarray):
        p = rnd.p
        self.cp_model, self.p, self.demand = cp_model, p, rnd.demand
        self.m = m = cpsat.new_model()
        self.poll = poll = cpsat.Poll(rnd.options.should_stop)
        rnd.options.note(stage="fairness model")
        self.f, self.x = cpsat._quantities(m, p, poll)
        self.fy, self.y, self.targeted = cpsat._projects(cp_model, m, p, self.f, self.x, poll)
        cpsat._limits(cp_model, m, p, self.f, self.x, poll)
        self.value = cp_model.LinearExpr.weighted_sum(list(self.x), self.f["weight"].tolist())
        m.add(self.value >= rnd.value_floor)
        comm_of_pair = rnd.need_comm[self.f["need"].to_numpy()]
        self.served = {c: cp_model.LinearExpr.sum(list(self.x[comm_of_pair == c])) for c in rnd.comms}
        for c in rnd.comms:
            if floors[c] > 0:
                m.add(self.served[c] >= int(floors[c]))
        self.runner = _Runner(cp_model, m, p, self.x, rnd.options, rnd.deadline)
        self.decided = True  # every check so far answered for sure

    def below_at_most(self, t: Fraction, allowed: int, comms: list[int]):
        """A literal that, when true, allows at most ``allowed`` of ``comms`` below coverage ``t``."""
        on = self.m.new_bool_var("")
        below = []
        for c in comms:
            need = math.ceil(t * int(self.demand[c]))
            if need == 0:
                continue
            b = self.m.new_bool_var("")
            self.m.add(self.served[c] >= need).only_enforce_if([on, b.Not()])
            below.append(b)
        self.m.add(self.cp_model.LinearExpr.sum(below) <= allowed).only_enforce_if(on)
        return on

    def hint(self, x: np.ndarray) -> None:
        """Hint every quantity with ``x`` (raises :class:`Stopped` on a stop request)."""
        self.m.clear_hints()
        cpsat.add_hints(self.m, self.x, np.asarray(x)[self.f.index.to_numpy()], self.poll)

    def feasible(self, kept: list, trial, hint: np.ndarray):
        """A result under the kept counts and the trial one, or None (infeasible or undecided)."""
        self.m.clear_objective()
        self.m.clear_assumptions()
        self.m.add_assumptions([*kept, trial])
        try:
            self.hint(hint)
        except Stopped:
            self.decided = False
            return None
        st = self.runner.run("fairness")
        if st in (Status.OPTIMAL, Status.FEASIBLE):
            return self.runner.values()
        if st is Status.UNKNOWN:
            self.decided = False
        return None


def _stages(rnd: _Round, model: _Model, comms: list[int], first: int, start: Fraction, x: np.ndarray,
            check_end: float) -> tuple[list, np.ndarray, bool]:
    """The counting stages ``first..`` over ``comms``: (the kept literals, a result meeting them,
    whether every stage ended before the check deadline)."""
    dens = [int(rnd.demand[c]) for c in comms]
    stages = 1 if rnd.spec.mode == "maxmin" else len(comms)
    kept: list = []
    t, complete = start, True
    latest = [x]  # the last result found: every check's hint

    def check(u: Fraction, k: int):
        lit = model.below_at_most(u, k, comms)
        y = model.feasible(kept, lit, latest[0])
        if y is None:
            return None
        latest[0] = y
        reached = max(u, min_coverage(rnd.units(y), rnd.demand, comms, k))
        if reached > u:  # the result goes further: keep the count at the level it reaches
            lit = model.below_at_most(reached, k, comms)
        return reached, (y, lit)

    for k in range(first, stages):
        if t == 1:
            break  # everyone left fully covered: the rest of the sorted vector is 1
        lo_lit = model.below_at_most(t, k, comms)  # the previous stage's result meets it
        t, (x, lit), done = largest(t, (x, lo_lit), Fraction(1), dens, lambda u, k=k: check(u, k),
                                   rnd.stop_at(check_end))
        kept.append(lit)
        complete = complete and done
    return kept, x, complete


def _by_cpsat(rnd: _Round, floors: np.ndarray, comms: list[int], first: int, start: Fraction, x: np.ndarray,
              decided: bool, stats: dict) -> Solution:
    """Counting stages from stage ``first`` over ``comms`` (their common level ``start``), the
    ``floors`` as constraints, then the later levels; hinted with ``x`` (meets all of it)."""
    from ortools.sat.python import cp_model

    began = time.perf_counter()
    try:
        model = _Model(cp_model, rnd, floors)
    except Stopped:
        return rnd.stopped(x, stats)
    check_end = max(began, rnd.t0 + CHECK_SHARE * rnd.options.time_limit_s)
    kept, x, complete = _stages(rnd, model, comms, first, start, x, check_end)
    if rnd.requested():
        return rnd.stopped(x, stats)
    for lit in kept:
        model.m.add(lit == 1)
    model.m.clear_assumptions()
    sol = _later_levels(model, rnd.p, x, began)
    proven = decided and complete and model.decided and sol.status is Status.OPTIMAL
    if sol.status not in (Status.OPTIMAL, Status.FEASIBLE) or cpsat._key(rnd.p, sol.x) > cpsat._key(rnd.p, x):
        sol = Solution.of(rnd.p, Status.FEASIBLE, x, cpsat.NAME, stop=cpsat._stop_reason(model.runner),
                          message=f"{_why(rnd)} before the later levels improved on the fair result")
    if proven:
        message = ""
    elif not (decided and complete and model.decided):
        message = f"fairness not proven: a coverage check was not decided ({_why(rnd)} or CP-SAT gave up)"
    else:
        message = sol.message or "the later levels were not proven"
    stats.update(fairness_cpsat_seconds=time.perf_counter() - began, level_seconds=sol.stats.level_seconds)
    return rnd.result(sol.x, proven, message, **stats)


def _later_levels(model: _Model, p: Problem, hint: np.ndarray, t0: float) -> Solution:
    cp = model.cp_model
    stages = cpsat.objective_stages(cp, model.m, p, model.f, model.x, model.fy, model.y, model.targeted,
                                    value=model.value)
    model.m.clear_hints()
    try:
        model.hint(hint)
    except Stopped:
        return Solution.empty(p, Status.UNKNOWN, cpsat.NAME, "stopped on request", stop=StopReason.CANCELLED)
    return cpsat._run_stages(model.m, model.runner, p, model.x, stages, t0)
