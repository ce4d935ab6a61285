"""Exact solve of the full contract by OR-Tools CP-SAT: all levels weighted, or one stage per level.

Variables over the usable pairs (numpy columns, :class:`Pairs`; no pandas, which
costs more than the solve on small rounds): ``x`` (quantity, 0..hi) for every usable pair,
``y`` (project opened, ``y = 1`` exactly when ``x > 0``) where a minimum lot, a
binding provider limit or a provider target needs it, ``z`` (served in full)
for all-or-nothing needs, ``|x - previous|`` per pair with a previous plan and
a shortfall per targeted provider. The stages: maximize the served value;
with ``previous`` minimize the churn; with targets minimize the shortfall;
minimize the distance. Each stage fixes its optimum before the next and starts
from the previous stage's result (the first from the caller's hint, else the
greedy result). The wall-clock limit covers all stages; a stage stopped early
gives ``feasible`` with the best result so far and the served-value bound.
Parts of at most ``WEIGHTED_PAIRS`` pairs first try every level in one run,
weighted so that the weighted optimum is the lexicographic one
(:func:`lexicographic_weights`); proven, that is the result, else the stages
continue from its best result. Parts of at most ``PRESOLVE_PAIRS`` pairs skip
CP-SAT's presolve. See docs/solvers.md for the measurements.

A stop request (``options.should_stop``) is honoured within a fraction of a
second in every stage: building the model polls it every ``POLL_EVERY``
variables or constraints (a stop there keeps the start result), and a solve
is stopped by a thread polling it every ``STOP_POLL_S``.
"""
from __future__ import annotations

import contextlib
import functools
import math
import os
import threading
import time
from typing import NamedTuple, Optional

import numpy as np

from ..errors import SolverFailed
from ..parallel import Stopped, check_stop
from ..problem import Problem, Solution, SolveOptions, SolverStats, Status, StopReason

NAME = "cpsat"
DETERMINISTIC_PAIRS = 5000  # parts up to this many pairs run single-worker by default
POLL_EVERY = 4096  # model building polls should_stop every this many variables or constraints
STOP_POLL_S = 0.1  # a running solve polls should_stop this often
SHORT_LIMIT_S = 1.0  # an UNKNOWN within a limit this short counts as the limit's (not a fault)
WEIGHTED_PAIRS = 5000  # parts up to this many pairs first try all levels as one weighted objective
WEIGHTED_SHARE = 0.3  # ... within this share of the time left (then the levels one by one, from its result)
PRESOLVE_PAIRS = 2000  # CP-SAT presolves only larger parts: on small ones it costs more than it saves
# (measured on member rounds with lots and limits: 1.3 s -> 0.05 s for a 60-pair part; docs/solvers.md)
EXACT_OBJECTIVE = 2 ** 53  # CP-SAT reports objectives and bounds as doubles: exact below this


class Stage(NamedTuple):
    """One objective level: its expression, sense (-1 maximize, 1 minimize) and span (a bound
    such that the level's value always lies in ``[0, span)``)."""

    name: str
    expr: object
    sense: int
    span: int


class Poll:
    """Counts model-building steps and checks ``should_stop`` every ``POLL_EVERY`` of them."""

    def __init__(self, should_stop=None):
        self.should_stop, self.k = should_stop, 0

    def __call__(self) -> None:
        self.k += 1
        if self.k % POLL_EVERY == 0:
            check_stop(self.should_stop)


NO_POLL = Poll()  # never stops (no should_stop)


class Col(np.ndarray):
    """A numpy column that also answers ``to_numpy()`` (as the fairness model reads a pair column)."""

    def to_numpy(self) -> np.ndarray:
        return np.asarray(self)


class Pairs:
    """Usable pairs as numpy columns (``f["res"]``, ``f["hi"]`` ...) with their pair indices (``index``);
    ``f[mask]`` (boolean mask or positions) selects rows."""

    def __init__(self, index: np.ndarray, cols: dict[str, np.ndarray]):
        self.index = np.asarray(index).view(Col)
        self.cols = {k: np.asarray(v).view(Col) for k, v in cols.items()}

    def __getitem__(self, key):
        if isinstance(key, str):
            return self.cols[key]
        return Pairs(self.index[key], {k: v[key] for k, v in self.cols.items()})

    def __len__(self) -> int:
        return len(self.index)


class Vars:
    """CP-SAT variables, one per row of a :class:`Pairs` (``index``: their pair indices); ``x[mask]`` selects."""

    def __init__(self, items: list, index: np.ndarray):
        self.items, self.index = items, np.asarray(index).view(Col)
        self.var_ids = np.fromiter((v.index for v in items), dtype=np.int64, count=len(items))

    def __getitem__(self, key) -> Vars:
        pos = np.flatnonzero(key) if np.asarray(key).dtype == bool else np.asarray(key, dtype=np.int64)
        return Vars([self.items[k] for k in pos.tolist()], self.index[pos])

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def groups(col: np.ndarray):
    """``(key, positions)`` for each distinct value of ``col``, keys ascending, positions in row order."""
    order = np.argsort(col, kind="stable")
    keys = np.asarray(col)[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if keys.size else np.zeros(0, dtype=np.int64)
    for a, b in zip(starts.tolist(), [*starts[1:].tolist(), keys.size]):
        yield int(keys[a]), order[a:b]


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
    """The lexicographic optimum within the time limit. A stop request while the model is
    built (or before) keeps the start result (``options.hint`` or the greedy one) as ``feasible``."""
    t0 = time.perf_counter()
    hint = options.hint
    try:
        check_stop(options.should_stop)
        if hint is None:
            from .greedy import greedy_quantities
            hint = greedy_quantities(problem, options.should_stop)
        return _solve(problem, options, hint, t0)
    except Stopped:
        if hint is None:
            return Solution.empty(problem, Status.UNKNOWN, NAME, "stopped on request before any result was found",
                                  stop=StopReason.CANCELLED)
        return Solution.of(problem, Status.FEASIBLE, hint, NAME, bound=problem.value_upper_bound(),
                           stop=StopReason.CANCELLED,
                           message="stopped on request while building the model; kept the start result")


@functools.cache
def _model_class() -> type:
    from ortools.sat.python import cp_model  # lazy: heavy import

    class Model(cp_model.CpModel):
        def _add_pre_pep8_methods(self) -> None:
            pass

    return Model


def new_model():
    """A ``CpModel`` without the pre-PEP 8 method aliases that its constructor adds one by one
    (through ``dir()``, about 0.35 ms a model: more than solving a small part). Nothing here
    calls the old names; if OR-Tools drops the hook, the override is simply never called."""
    return _model_class()()


def _solve(problem: Problem, options: SolveOptions, hint, t0: float) -> Solution:
    from ortools.sat.python import cp_model  # lazy: heavy import

    p = problem
    poll = Poll(options.should_stop)
    options.note(stage="CP-SAT model")
    m = new_model()
    f, x = _quantities(m, p, poll)
    fy, y, targeted = _projects(cp_model, m, p, f, x, poll)
    _limits(cp_model, m, p, f, x, poll)
    stages = objective_stages(cp_model, m, p, f, x, fy, y, targeted, poll)
    if hint is not None:
        add_hints(m, x, np.asarray(hint)[f.index.to_numpy()], poll)
    runner = _Runner(cp_model, m, p, x, options, t0 + options.time_limit_s)
    options.say(f"cpsat: {len(f)} pairs, {len(fy)} project indicators")
    proven = _proven_start(p, hint)
    if len(f) <= WEIGHTED_PAIRS:
        sol, found = _run_weighted(m, runner, p, stages, t0, proven)
        if sol is not None:
            return sol
        if found is not None:  # a better start for the levels one by one
            hint = found
            m.clear_hints()
            add_hints(m, x, found[f.index.to_numpy()], poll)
    sol = _run_stages(m, runner, p, x, stages, t0, proven)
    if sol.status is Status.UNKNOWN and hint is not None:  # the time limit or a stop came before any result
        return Solution.of(p, Status.FEASIBLE, hint, NAME, bound=p.value_upper_bound(), stop=_stop_reason(runner),
                           message=f"{runner.why()} before CP-SAT found a result; kept the start result")
    return sol


def objective_stages(cp_model, m, p: Problem, f: Pairs, x: Vars, fy: Pairs, y, targeted: np.ndarray,
                     poll: Poll = NO_POLL, value=None) -> list[Stage]:
    """The levels in order: the served value (``value``, else built here), the churn with a
    previous plan, the participation shortfall with targets, the distance."""
    hi, weight, dist = f["hi"].to_numpy(), f["weight"].to_numpy(), f["dist"].to_numpy()
    if value is None:
        value = cp_model.LinearExpr.weighted_sum(list(x), weight.tolist())
    stages = [Stage("served value", value, -1, int(np.dot(weight, hi)) + 1)]
    if p.has_previous:
        stages.append(Stage("churn", *_churn_expr(cp_model, m, p, f, x, poll)))
    if targeted.any():
        stages.append(Stage("participation", *_shortfall_expr(cp_model, m, p, fy, y, targeted)))
    stages.append(Stage("distance", cp_model.LinearExpr.weighted_sum(list(x), dist.tolist()), 1,
                        int(np.dot(dist, hi)) + 1))
    return stages


def add_hints(m, x: Vars, values: np.ndarray, poll: Poll) -> None:
    """Hint every variable of ``x`` with its value (polling for a stop)."""
    for xv, h in zip(x, values.tolist()):
        poll()
        m.add_hint(xv, int(h))


def _quantities(m, p: Problem, poll: Poll = NO_POLL) -> tuple[Pairs, Vars]:
    """The usable pairs (``index`` = pair index) and their quantity variables."""
    use = np.flatnonzero(p.usable())
    lk, res = p.locked[use], p.pair_res[use]
    f = Pairs(use, {"res": res, "need": p.pair_need[use], "group": p.group[res], "dist": p.pair_dist[use],
                    "weight": p.weight[p.pair_need[use]], "hi": p.pair_hi()[use], "lock": p.pair_lock[use],
                    "minq": np.where(lk, 0, p.min_qty[res])})
    items = []
    for lo, hi in zip(f["lock"].tolist(), f["hi"].tolist()):
        poll()
        items.append(m.new_int_var(lo, hi, "x"))
    return f, Vars(items, f.index)


def _projects(cp_model, m, p: Problem, f: Pairs, x: Vars, poll: Poll = NO_POLL):
    """Project indicators ``y`` where a minimum lot, a binding provider limit or a
    target needs them (``y = 1`` exactly when the pair carries a quantity), and the limits."""
    binding = p.binding_groups()
    targeted = p.target_groups()
    needs_y = (binding | targeted)[f["group"].to_numpy()] | (f["minq"].to_numpy() > 1)
    fy = f[needs_y]
    if not len(fy):
        return fy, None, targeted
    ys = []
    for _ in range(len(fy)):
        poll()
        ys.append(m.new_bool_var("y"))
    y = Vars(ys, fy.index)
    for xv, yv, h, mq, lock in zip(x[needs_y], y, fy["hi"].tolist(), fy["minq"].tolist(), fy["lock"].tolist()):
        poll()
        if lock > 0:
            m.add(yv == 1)
            continue
        m.add(xv <= h * yv)
        m.add(xv >= max(1, mq) * yv)
    for g, pos in groups(fy["group"]):
        if binding[g]:
            m.add(cp_model.LinearExpr.sum(list(y[pos])) <= int(p.group_limit[g]))
    return fy, y, targeted


def _limits(cp_model, m, p: Problem, f: Pairs, x: Vars, poll: Poll = NO_POLL) -> None:
    """Capacities, quantities and all-or-nothing needs (only the constraints that can bind)."""
    hi = f["hi"].to_numpy()
    for r, pos in groups(f["res"]):
        poll()
        if hi[pos].sum() > p.cap[r]:
            m.add(cp_model.LinearExpr.sum(list(x[pos])) <= int(p.cap[r]))
    for n, pos in groups(f["need"]):
        poll()
        if p.aon[n] and p.qty[n] > 1:
            z = m.new_bool_var(f"z{n}")
            m.add(cp_model.LinearExpr.sum(list(x[pos])) == int(p.qty[n]) * z)
        elif hi[pos].sum() > p.qty[n]:
            m.add(cp_model.LinearExpr.sum(list(x[pos])) <= int(p.qty[n]))


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
        self.solver.parameters.cp_model_presolve = len(x) > PRESOLVE_PAIRS

    def watch(self, level: str, value_of=None):
        """The solution callback; ``value_of`` maps an objective value (or bound) to the served
        value, for the progress figures (None: this run's objective is not the served value)."""
        options = self.options

        class Watch(self.cp_model.CpSolverSolutionCallback):
            def on_solution_callback(self) -> None:
                options.say(f"cpsat {level}: objective {self.objective_value:.0f}, bound {self.best_objective_bound:.0f}")
                if value_of is not None:
                    options.note(best_value=round(value_of(self.objective_value)),
                                 bound=math.floor(value_of(self.best_objective_bound) + 1e-6))
                if options.should_stop is not None and options.should_stop():
                    self.stop_search()

        return Watch()

    def run(self, level: str, share: float = 1.0, value_of=None) -> Status:
        """Solve one level within ``share`` of the time left; ``UNKNOWN`` at once when a stop was
        requested already. ``value_of``: see :meth:`watch`."""
        if self.stop_requested():
            return Status.UNKNOWN
        self.options.note(stage=f"CP-SAT {level}")
        limit = max(0.05, share * (self.deadline - time.perf_counter()))
        self.solver.parameters.max_time_in_seconds = limit
        began = time.perf_counter()
        code = self._run_code(level, value_of)
        # CP-SAT may give up a little early on a very short limit (measured: 0.10 s of 0.13 s)
        ran_out = time.perf_counter() - began >= 0.9 * limit - 0.01 or limit <= SHORT_LIMIT_S
        return _status(self.cp_model, code, ran_out or self.stop_requested())

    def stop_requested(self) -> bool:
        return self.options.should_stop is not None and self.options.should_stop()

    def _run_code(self, level: str, value_of=None) -> int:
        if self.options.should_stop is None:
            return self.solver.solve(self.m, self.watch(level, value_of))
        # should_stop is also polled off the solution callback, so that a stop
        # request is honoured within a fraction of a second even while CP-SAT
        # finds no new solution (proving bounds can take long).
        finished = threading.Event()

        def poll() -> None:
            while not finished.wait(STOP_POLL_S):
                if self.options.should_stop():
                    self.solver.stop_search()  # again at every poll: a call before the solve began is lost

        poller = threading.Thread(target=poll, name="cpsat-should-stop", daemon=True)
        poller.start()
        try:
            return self.solver.solve(self.m, self.watch(level, value_of))
        finally:
            finished.set()
            poller.join()

    def why(self) -> str:
        return "stopped on request" if self.stop_requested() else "stopped by the time limit"

    def values(self) -> np.ndarray:
        out = np.zeros(self.p.n_pairs, dtype=np.int64)
        solution = np.asarray(self.solver.response_proto.solution, dtype=np.int64)
        out[self.x.index.to_numpy()] = solution[self.x.var_ids]
        return out


def _churn_expr(cp_model, m, p: Problem, f: Pairs, x: Vars, poll: Poll = NO_POLL):
    """Level 3: ``sum |x - previous|`` over all pairs (a constant for the unusable ones), its
    sense (minimize) and its span (it lies in ``[0, span)``)."""
    prev = p.pair_prev[f.index.to_numpy()]
    terms, constant = [], int(p.pair_prev.sum() - prev.sum()) + p.prev_outside
    for xv, q, h in zip(x, prev.tolist(), f["hi"].tolist()):
        poll()
        if q == 0:
            terms.append(xv)
            continue
        d = m.new_int_var(0, max(q, int(h)), "")
        m.add(d >= xv - q)
        m.add(d >= q - xv)
        terms.append(d)
    span = constant + int(np.maximum(prev, f["hi"].to_numpy()).sum()) + 1
    return cp_model.LinearExpr.sum(terms) + constant, 1, span


def _shortfall_expr(cp_model, m, p: Problem, fy: Pairs, y, targeted: np.ndarray):
    """Level 4: ``sum over providers of max(0, target - projects)``, its sense (minimize) and span."""
    by_group = {} if y is None else {g: list(y[pos]) for g, pos in groups(fy["group"])}
    terms = []
    for g in np.flatnonzero(targeted).tolist():
        target = int(p.group_target[g])
        s = m.new_int_var(0, target, "")
        m.add(s >= target - cp_model.LinearExpr.sum(by_group.get(g, [])))
        terms.append(s)
    return cp_model.LinearExpr.sum(terms), 1, int(p.group_target[targeted].sum()) + 1


def _proven_start(p: Problem, hint) -> np.ndarray | None:
    """The start quantities when they prove the served value optimal by themselves: feasible and
    reaching :meth:`Problem.value_upper_bound` (every need served as far as its pairs can carry)."""
    if hint is None:
        return None
    h = np.asarray(hint, dtype=np.int64)
    if h.size != p.n_pairs or p.objective(h)[0] != p.value_upper_bound() or not p.is_feasible(h):
        return None
    return h


def _served(objective: float) -> float:
    """Level 1's objective is the served value itself."""
    return objective


def lexicographic_weights(stages: list[Stage]) -> Optional[list[int]]:
    """Weights that make one objective of the levels, exactly lexicographic: the last level's
    weight is 1 and each level's is the product of the spans below it, so that everything the lower
    levels can add is less than one unit of the level above. ``None`` when the weighted objective
    could reach ``EXACT_OBJECTIVE`` (CP-SAT's double objective would no longer be exact)."""
    weights, w = [], 1
    for st in reversed(stages):
        weights.append(w)
        w *= st.span
    return weights[::-1] if w < EXACT_OBJECTIVE else None


def _run_weighted(m, runner: _Runner, p: Problem, stages: list[Stage], t0: float,
                  proven: Optional[np.ndarray] = None) -> tuple[Optional[Solution], Optional[np.ndarray]]:
    """Every level at once, minimizing ``sum(sense * weight * level)`` (:func:`lexicographic_weights`):
    one CP-SAT run instead of one per level (small parts of member rounds prove in half the time).
    With ``proven`` (a start at the served value's bound) the value is fixed there and the other
    levels are weighted. Within ``WEIGHTED_SHARE`` of the time left; returns (the solution when it
    ended proven optimal or infeasible, else ``None``; the best quantities found, for the levels one
    by one to start from). ``(None, None)`` at once when the weights would be too large."""
    from ortools.sat.python import cp_model

    weighted = stages[1:] if proven is not None else stages
    weights = lexicographic_weights(weighted)
    if weights is None or not weighted:
        return None, None
    if proven is not None:
        m.add(stages[0].expr >= p.objective(proven)[0])
    w0 = weights[0]
    m.minimize(cp_model.LinearExpr.weighted_sum([st.expr for st in weighted],
                                                [st.sense * w for st, w in zip(weighted, weights)]))
    began = time.perf_counter()
    # objective = -value * w0 + rest with 0 <= rest < w0, so value = -(objective // w0); a bound
    # (objective >= bound, integral) bounds the value by the same expression
    value_of = None if proven is not None else (lambda obj: -(math.ceil(obj - 1e-6) // w0))
    st = runner.run("all levels (weighted)", WEIGHTED_SHARE, value_of)
    seconds = (0.0,) * (proven is not None) + (time.perf_counter() - began,)
    stats = SolverStats(build_seconds=began - t0, level_seconds=seconds)
    if st is Status.OPTIMAL:
        return Solution.of(p, Status.OPTIMAL, runner.values(), NAME, stats=stats), None
    if st is Status.INFEASIBLE:
        return Solution.empty(p, Status.INFEASIBLE, NAME, "the locks cannot all hold together"), None
    return None, runner.values() if st is Status.FEASIBLE else None


def _run_stages(m, runner: _Runner, p: Problem, x, stages: list, t0: float, proven=None) -> Solution:
    """Optimize the levels one after the other, each fixed at its optimum before the next;
    a level not proven ends the solve with ``feasible`` and the best result so far. With
    ``proven`` (a start at the served value's upper bound) the first level needs no search."""
    built = time.perf_counter()
    levels: list[float] = []  # seconds of each stage
    best_x, best_value = None, None
    for k, (name, expr, sense, _span) in enumerate(stages):
        if k == 0 and proven is not None:
            best_x, best_value = proven, p.objective(proven)[0]
            levels.append(0.0)
            m.add(expr >= best_value)
            continue
        (m.maximize if sense < 0 else m.minimize)(expr)
        if best_x is not None:
            m.clear_hints()
            with contextlib.suppress(Stopped):  # then the level's run below answers at once: the result is kept
                add_hints(m, x, best_x[x.index.to_numpy()], Poll(runner.options.should_stop))
        began = time.perf_counter()
        st = runner.run(f"level {k + 1} ({name})", value_of=_served if k == 0 else None)
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
