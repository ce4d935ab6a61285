"""The one place that wires a round through matcher.

parse -> validate -> tables -> candidate pairs -> problem -> solve -> verify
-> KPIs and reasons -> output document. The CLI, the API and the what-if
tools all call :func:`solve_round` (or :func:`prepare` + :func:`solve_prepared`
to reuse candidate pairs across several solves).
"""
from __future__ import annotations

import gc
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Optional, Union
from collections.abc import Callable

import numpy as np

from . import solvers
from .candidates import Pairs, candidate_pairs
from .errors import FieldIssue
from .errors import NotApplicable, UnsupportedSolverError, VerificationError
from .columns import RoundColumns
from .model import Params, Round
from .jsontext import to_json
from .locks import lock_conflicts, lock_message
from .output import build_output
from .parallel import Stopped
from .problem import Problem, Solution, SolveOptions, Status, StopReason
from .results import Result, round_digest
from .tables import RoundTables, build_tables
from .validation import parse_columns
from .verify import verify


@contextmanager
def paused_gc():
    """Pause Python's cyclic garbage collector for a bulk stage.

    Parsing a round builds millions of small objects (JSON values, validated
    items) that all stay alive; each allocation burst would otherwise trigger
    collections that scan every one of them again (at 100k resources x 20k
    needs that is 80 % of the parse time). Nothing in these stages makes
    reference cycles worth collecting early; the collector resumes afterwards
    (its first collection then scans the new objects once). Nested pauses
    resume only at the outermost one.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass
class Prepared:
    """A validated round with its candidate pairs, ready to solve (possibly many times)."""

    origin: Union[Round, RoundColumns]  # a big round read column by column builds its Round on first use
    tables: RoundTables
    pairs: Pairs
    problem: Problem
    seconds: dict = field(default_factory=dict)

    @property
    def round(self) -> Round:
        return self.origin if isinstance(self.origin, Round) else self.origin.round

    @property
    def params(self) -> Params:
        return self.origin.params

    @property
    def name(self) -> Optional[str]:
        return self.origin.name

    def digest(self) -> str:
        """:func:`matcher.results.round_digest` of the round."""
        return round_digest(self.origin) if isinstance(self.origin, Round) else self.origin.digest()


@dataclass
class RoundResult:
    """A solved round: its preparation, the solver's solution and the typed output document."""

    prepared: Prepared
    solution: Solution
    result: Result

    @property
    def status(self) -> Status:
        return self.solution.status

    @cached_property
    def document(self) -> dict[str, Any]:
        """The output document as a JSON-ready dict (dumped from ``result`` once, on first use)."""
        return self.result.document()

    def json(self) -> str:
        return to_json(self.document)


def previous_on_pairs(t: RoundTables, pairs: Pairs) -> tuple[np.ndarray, int]:
    """The previous plan over the candidate pairs (0 where none) and the previous
    units on pairs that are no candidates now."""
    if pairs.res.size == 0:
        return np.zeros(0, dtype=np.int64), int(t.prev_qty.sum())
    n_need = max(1, t.need_qty.size)
    key = pairs.res.astype(np.int64) * n_need + pairs.need
    prev_key = t.prev_res.astype(np.int64) * n_need + t.prev_need
    order = np.argsort(key, kind="stable")
    pos = np.minimum(np.searchsorted(key[order], prev_key), key.size - 1)
    hit = key[order][pos] == prev_key
    pair_prev = np.zeros(key.size, dtype=np.int64)
    pair_prev[order[pos[hit]]] = t.prev_qty[hit]
    return pair_prev, int(t.prev_qty[~hit].sum())


def build_problem(t: RoundTables, pairs: Pairs) -> Problem:
    pair_prev, outside = previous_on_pairs(t, pairs) if t.has_previous else (None, 0)
    targets = t.prov_target_projects if (t.prov_target_projects >= 0).any() else None
    return Problem(
        cap=t.res_cap, min_qty=t.res_min_qty, group=t.res_provider, group_limit=t.prov_max_projects,
        qty=t.need_qty, weight=t.need_weight, aon=t.need_aon,
        pair_res=pairs.res, pair_need=pairs.need, pair_dist=pairs.dist, pair_lock=pairs.lock,
        pair_prev=pair_prev, prev_outside=outside, group_target=targets,
    )


def prepare(data: Any, source: str = "", progress: Optional[Callable[[str], None]] = None) -> Prepared:
    """Validate a round document (bytes, text, dict or :class:`Round`) and compute its pairs."""
    say = progress or (lambda message: None)
    with paused_gc():
        t0 = time.perf_counter()
        say("validating the round")
        rnd = parse_columns(data, source)
        t1 = time.perf_counter()
        say(f"computing candidate pairs ({rnd.count('resources'):,} resources x {rnd.count('needs'):,} needs)")
        tables = build_tables(rnd)
        pairs = candidate_pairs(tables)
        t2 = time.perf_counter()
        problem = build_problem(tables, pairs)
    return Prepared(rnd, tables, pairs, problem, {"parse_validate": t1 - t0, "candidates": t2 - t1})


def _solve(prep: Prepared, name: str, options: SolveOptions) -> Solution:
    """The solver's solution (lock conflicts are infeasible at once); with ``params.fairness``,
    level 1 on top of the plain optimum, within the same time limit."""
    t0 = time.perf_counter()
    t, problem = prep.tables, prep.problem
    conflicts = lock_conflicts(problem)
    if conflicts:
        return Solution.empty(problem, Status.INFEASIBLE, name, lock_message(t, conflicts))
    options.say(f"solving {len(prep.pairs):,} candidate pairs with {name}")
    try:
        solve_fn = solvers.get(name)
    except KeyError:
        raise UnsupportedSolverError([FieldIssue("params.solver", f"unknown solver {name!r}; known: "
                                                   f"{', '.join(solvers.names())}")]) from None
    try:
        sol = solve_fn(problem, options)
    except NotApplicable as exc:
        why = "; ".join(p.message for p in exc.problems)
        raise UnsupportedSolverError([FieldIssue("params.solver", f"{name!r} cannot solve this round: {why}")]) from None
    except Stopped:  # a stage with nothing to keep yet
        return Solution.empty(problem, Status.UNKNOWN, name, "stopped on request before any result was found",
                              stop=StopReason.CANCELLED)
    fair = prep.params.fairness
    if fair is None or sol.status not in (Status.OPTIMAL, Status.FEASIBLE):
        return sol
    if options.stopped():
        sol.message = "; ".join(m for m in (sol.message, "stopped on request before the fairness level") if m)
        return sol
    if name == "greedy":
        raise UnsupportedSolverError([FieldIssue("params.solver", "greedy cannot solve the fairness level; "
                                                   "use auto or cpsat")])
    from .solvers import fairness

    left = replace(options, time_limit_s=max(0.1, options.time_limit_s - (time.perf_counter() - t0)), hint=None)
    spec = fairness.FairnessSpec(fair.mode, fair.ratio())
    return fairness.solve(problem, t.need_comm, len(t.communities), spec, sol, left)


def solve_prepared(prep: Prepared, *, solver: Optional[str] = None, time_limit_s: Optional[float] = None,
                   workers: int = 0, progress: Optional[Callable[[str], None]] = None,
                   should_stop: Optional[Callable[[], bool]] = None, timings: bool = True,
                   hint: Optional[np.ndarray] = None,
                   on_progress: Optional[Callable[..., None]] = None, digest: bool = True) -> RoundResult:
    """Solve a prepared round, verify the result and build the output document.

    ``should_stop`` and ``on_progress``: see :class:`matcher.problem.SolveOptions`; the
    stages after the solve are reported as ``stage`` ``verifying`` and ``output``.
    ``digest=False`` leaves ``round_sha256`` out of the output, for callers that keep only its
    figures (a sweep's rows: the digest of a big round costs as much as its output)."""
    t0 = time.perf_counter()
    params = prep.params
    name = solver or params.solver
    limit = float(time_limit_s if time_limit_s is not None else params.time_limit_s)
    t, pairs, problem = prep.tables, prep.pairs, prep.problem
    options = SolveOptions(time_limit_s=limit, workers=workers, progress=progress, should_stop=should_stop, hint=hint,
                           on_progress=on_progress)
    if on_progress is not None:
        options.note(stage=f"solving ({name})", best_value=0, bound=problem.value_upper_bound())
    sol = _solve(prep, name, options)
    t1 = time.perf_counter()
    options.note(stage="verifying")
    if sol.status in (Status.OPTIMAL, Status.FEASIBLE):
        if progress is not None:
            progress("verifying the result")
        on = sol.x > 0
        violations = verify(t, pairs.res[on], pairs.need[on], sol.x[on], sol.served_value, sol.total_distance,
                            problem.churn(sol.x) if problem.has_previous else None,
                            problem.shortfall(sol.x) if problem.group_target is not None else None)
        if sol.status is Status.OPTIMAL and sol.bound_served_value != sol.served_value:
            violations.append("optimal result whose bound differs from its value")
        if violations:
            raise VerificationError(name, violations)
    t2 = time.perf_counter()
    stats: dict[str, Any] = {
        "providers": t.n_prov, "resources": t.n_res, "needs": t.n_need,
        "candidate_pairs": int((~pairs.locked).sum()), "locked_pairs": int(pairs.locked.sum()),
    }
    for key, value in (("components", sol.stats.components), ("components_flow", sol.stats.components_flow),
                       ("components_cpsat", sol.stats.components_cpsat)):
        if value is not None:
            stats[key] = value
    options.note(stage="output")
    result = build_output(t, pairs, sol, stats)
    if digest:
        result.round_sha256 = prep.digest()
    t3 = time.perf_counter()
    if timings:
        seconds = dict(prep.seconds)
        seconds.update({"solve": t1 - t0, "verify": t2 - t1, "output": t3 - t2})
        result.stats.solve_seconds = round(t1 - t0, 4)
        result.stats.total_seconds = round(sum(seconds.values()), 4)
        result.stats.stage_seconds = {k: round(v, 4) for k, v in seconds.items()}
    return RoundResult(prep, sol, result)


def solve_round(data: Any, *, source: str = "", **kwargs) -> RoundResult:
    """Validate, solve, verify and report one round document. See :func:`solve_prepared`."""
    with paused_gc():  # one pause for both stages: the deferred collection runs once, at the end
        prep = prepare(data, source, kwargs.get("progress"))
        return solve_prepared(prep, **kwargs)


def solve_part(prep: Prepared, part: np.ndarray, x: np.ndarray, solver: str, options: SolveOptions) -> Solution:
    """Re-solve the pairs ``part`` of a prepared round with the others kept at ``x``; verified like any result.

    For targeted re-solves (what-if marginal values): ``part`` must share no
    resource, need or provider limit with the other used pairs. Returns the
    whole round's solution; raises :class:`VerificationError` when it breaks
    the round's rules.
    """
    sub = solvers.get(solver)(prep.problem.restrict(part), options)
    full = x.copy()
    full[part] = sub.x
    sol = Solution.of(prep.problem, sub.status, full, sub.solver, message=sub.message, stop=sub.stop)
    if sol.status in (Status.OPTIMAL, Status.FEASIBLE):
        on = full > 0
        violations = verify(prep.tables, prep.pairs.res[on], prep.pairs.need[on], full[on],
                            sol.served_value, sol.total_distance)
        if violations:
            raise VerificationError(solver, violations)
    return sol
