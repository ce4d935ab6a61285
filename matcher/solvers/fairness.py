"""Level 1 of the round contract: fairness over community coverage, exactly, by CP-SAT.

Given the best served value ``V*`` without fairness (the caller's plain solve),
only results with ``V >= ceil(r * V*)`` count. A community's coverage is
``s_c / D_c`` (served units over servable demand: the quantity of its needs that
have a candidate pair); communities with ``D_c = 0`` take no part.

*leximin* compares the coverages sorted ascending, lexicographically. For any
finite set of results, the k-th smallest coverage is at least ``t`` exactly
when at most ``k - 1`` communities are below ``t``; and below ``t`` means
``s_c < ceil(t * D_c)`` (``s_c`` is an integer). Stage ``k`` therefore finds the
largest candidate ``t_k`` (a fraction ``a / D_c``) for which a result exists
with, for every ``j <= k``, at most ``j - 1`` communities below ``t_j``: a
binary search over the sorted candidates (feasibility is monotone in ``t``),
starting at ``t_{k-1}``, which stage ``k - 1``'s result already satisfies.
After the last stage the sorted coverage vector is fixed and is the leximin
optimum; *maxmin* is stage 1 alone. Fairness couples every part that holds a
community, so the whole round is one model. The later levels (served value,
churn, participation, distance) then run as in :mod:`matcher.solvers.cpsat`
with the fairness counts kept as constraints.

The result is ``optimal`` only when ``V*`` was proven, every check was decided
(a feasible result found, or infeasibility proven) and every later level proven.
A stop request ends the search at once with the fairest result found so far
(it meets the value floor and every stage finished before the stop).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np

from ..parallel import Stopped
from ..problem import Problem, Solution, SolveOptions, SolverStats, Status, StopReason
from . import cpsat

NAME = "cpsat"


@dataclass(frozen=True)
class FairnessSpec:
    mode: str  # "maxmin" | "leximin"
    ratio: Fraction  # min_value_ratio as the decimal written


def servable_demand(p: Problem, need_comm: np.ndarray, n_comm: int) -> np.ndarray:
    """``D_c``: the quantity of the community's needs that have at least one candidate pair."""
    has_pair = np.zeros(p.qty.size, dtype=bool)
    has_pair[p.pair_need] = True
    return np.bincount(need_comm[has_pair], weights=p.qty[has_pair], minlength=n_comm).astype(np.int64)


class _Model:
    """The whole round in CP-SAT, plus served units per community and the fairness counts."""

    def __init__(self, cp_model, p: Problem, need_comm: np.ndarray, demand: np.ndarray, options: SolveOptions,
                 deadline: float):
        self.cp_model, self.p = cp_model, p
        self.m = m = cp_model.CpModel()
        poll = cpsat.Poll(options.should_stop)
        options.note(stage="fairness model")
        self.f, self.x = cpsat._quantities(m, p, poll)
        self.fy, self.y, self.targeted = cpsat._projects(cp_model, m, p, self.f, self.x, poll)
        cpsat._limits(cp_model, m, p, self.f, self.x, poll)
        self.value = cp_model.LinearExpr.weighted_sum(list(self.x), self.f["weight"].tolist())
        self.comms = np.flatnonzero(demand > 0).tolist()
        self.demand = demand
        comm_of_pair = need_comm[self.f["need"].to_numpy()]
        self.served = {c: cp_model.LinearExpr.sum(list(self.x[comm_of_pair == c])) for c in self.comms}
        self.runner = cpsat._Runner(cp_model, m, p, self.x, options, deadline)
        self.decided = True  # every check so far answered for sure

    def below_at_most(self, t: Fraction, allowed: int):
        """A literal that, when true, allows at most ``allowed`` communities below coverage ``t``."""
        on = self.m.new_bool_var("")
        below = []
        for c in self.comms:
            need = math.ceil(t * int(self.demand[c]))
            if need == 0:
                continue
            b = self.m.new_bool_var("")
            self.m.add(self.served[c] >= need).only_enforce_if([on, b.Not()])
            below.append(b)
        self.m.add(self.cp_model.LinearExpr.sum(below) <= allowed).only_enforce_if(on)
        return on

    def feasible(self, kept: list, trial) -> np.ndarray | None:
        """A result under the kept counts and the trial one, or None (infeasible or undecided)."""
        self.m.clear_objective()
        self.m.clear_assumptions()
        self.m.add_assumptions([*kept, trial])
        st = self.runner.run("fairness")
        if st in (Status.OPTIMAL, Status.FEASIBLE):
            return self.runner.values()
        if st is Status.UNKNOWN:
            self.decided = False
        return None


def _candidates(demand: np.ndarray) -> list[Fraction]:
    return sorted({Fraction(a, int(d)) for d in demand[demand > 0].tolist() for a in range(int(d) + 1)})


def _stage(model: _Model, kept: list, cands: list[Fraction], lo: int, allowed: int, x_lo: np.ndarray):
    """Binary search for the largest candidate index with a result; ``lo`` is known feasible."""
    hi, best = len(cands) - 1, (lo, model.below_at_most(cands[lo], allowed), x_lo)
    while lo < hi and not model.runner.stop_requested():
        mid = (lo + hi + 1) // 2
        lit = model.below_at_most(cands[mid], allowed)
        x = model.feasible(kept, lit)
        if x is None:
            hi = mid - 1
        else:
            lo, best = mid, (mid, lit, x)
    return best


def solve(p: Problem, need_comm: np.ndarray, n_comm: int, spec: FairnessSpec, base: Solution,
          options: SolveOptions) -> Solution:
    """Fairness first, then the plain levels, starting from the plain optimum ``base``."""
    from ortools.sat.python import cp_model

    t0 = time.perf_counter()
    demand = servable_demand(p, need_comm, n_comm)
    try:
        model = _Model(cp_model, p, need_comm, demand, options, t0 + options.time_limit_s)
    except Stopped:
        return _stopped(p, base, base.x, spec.mode)
    v_star = base.served_value
    floor = math.ceil(spec.ratio * v_star)
    model.m.add(model.value >= floor)
    cands = _candidates(demand)
    kept: list = []
    x = base.x  # meets the value floor and, trivially, coverage 0
    stages = 1 if spec.mode == "maxmin" else len(model.comms)
    lo = 0
    for k in range(stages):
        lo, lit, x = _stage(model, kept, cands, lo, k, x)
        if model.runner.stop_requested():
            return _stopped(p, base, x, spec.mode)  # x meets the floor and the stages kept so far
        kept.append(lit)
        if cands[lo] == 1:
            break  # everyone fully covered: the rest of the sorted vector is 1
    for lit in kept:
        model.m.add(lit == 1)
    model.m.clear_assumptions()
    sol = _later_levels(model, p, x, t0)
    if sol.status is Status.UNKNOWN and model.runner.stop_requested():
        return _stopped(p, base, x, spec.mode)
    proven = sol.status is Status.OPTIMAL and base.status is Status.OPTIMAL and model.decided
    status = Status.OPTIMAL if proven else (Status.FEASIBLE if sol.status is not Status.UNKNOWN else sol.status)
    message = sol.message or ("" if proven else "fairness not proven: the plain optimum or a fairness check "
                                                "was stopped by the time limit")
    stats = replace(sol.stats, value_without_fairness=v_star, fairness_mode=spec.mode)
    return Solution.of(p, status, sol.x, NAME, bound=base.bound_served_value if not proven else None,
                       message=message, stop=None if proven else _stop_reason(model, sol, base), stats=stats)


_LIMITS = (StopReason.CANCELLED, StopReason.TIME_LIMIT, StopReason.HEURISTIC)


def _stop_reason(model: _Model, sol: Solution, base: Solution) -> StopReason:
    """Why an unproven fairness result stopped: the later levels' limit, else the plain solve's,
    else (a fairness check left undecided) a stop request or the time limit."""
    for s in (sol, base):
        if s.stop in _LIMITS:
            return s.stop
    return StopReason.CANCELLED if model.runner.stop_requested() else StopReason.TIME_LIMIT


def _stopped(p: Problem, base: Solution, x: np.ndarray, mode: str) -> Solution:
    """The result of a fairness solve ended by a stop request: ``x``, the fairest found so far."""
    return Solution.of(p, Status.FEASIBLE, x, NAME, bound=base.bound_served_value, stop=StopReason.CANCELLED,
                       message="stopped on request during the fairness level; kept the fairest result found so far",
                       stats=SolverStats(value_without_fairness=base.served_value, fairness_mode=mode))


def _later_levels(model: _Model, p: Problem, hint: np.ndarray, t0: float) -> Solution:
    cp = model.cp_model
    stages = [("served value", model.value, -1)]
    if p.has_previous:
        stages.append(("churn", cpsat._churn_expr(cp, model.m, p, model.f, model.x), 1))
    if model.targeted.any():
        stages.append(("participation", cpsat._shortfall_expr(cp, model.m, p, model.fy, model.y, model.targeted), 1))
    stages.append(("distance", cp.LinearExpr.weighted_sum(list(model.x), model.f["dist"].tolist()), 1))
    model.m.clear_hints()
    try:
        cpsat.add_hints(model.m, model.x, np.asarray(hint)[model.f.index.to_numpy()],
                        cpsat.Poll(model.runner.options.should_stop))
    except Stopped:
        return Solution.empty(p, Status.UNKNOWN, NAME, "stopped on request", stop=StopReason.CANCELLED)
    return cpsat._run_stages(model.m, model.runner, p, model.x, stages, t0)
