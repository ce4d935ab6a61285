"""Why a solver stopped (StopReason), apart from what it found (Status), and its typed stats."""
from __future__ import annotations

import random

import numpy as np
import pytest

from matcher.problem import Solution, SolveOptions, SolverStats, Status, StopReason
from matcher.service import prepare, solve_prepared
from matcher.solvers import cpsat, merge

from .builders import make_round, need, resource
from .test_time_policy import neighbourhood


def plain_round() -> dict:
    return make_round([resource("R1", 0, capacity=2), resource("R2", 500)],
                      [need("N1", 100, quantity=2), need("N2", 400)])


@pytest.mark.parametrize("solver", ["auto", "flow", "cpsat"])
def test_exact_solvers_stop_proven(solver):
    result = solve_prepared(prepare(plain_round()), solver=solver, timings=False)
    assert result.status is Status.OPTIMAL and result.solution.stop is StopReason.PROVEN


def test_greedy_proves_nothing():
    sol = solve_prepared(prepare(plain_round()), solver="greedy", timings=False).solution
    assert sol.status is Status.FEASIBLE and sol.stop is StopReason.HEURISTIC
    assert isinstance(sol.stats, SolverStats) and sol.stats.seconds is not None


def test_locks_over_a_capacity_stop_infeasible():
    doc = plain_round()
    doc["locked"] = [{"need_id": "N1", "resource_id": "R2", "quantity": 2}]
    result = solve_prepared(prepare(doc), timings=False)
    assert result.status is Status.INFEASIBLE and result.solution.stop is StopReason.INFEASIBLE


def test_auto_reports_its_plan_in_typed_stats():
    stats = solve_prepared(prepare(plain_round()), timings=False).solution.stats
    assert (stats.components, stats.components_flow, stats.components_cpsat, stats.flow_tasks) == (1, 1, 0, 1)
    assert stats.cpsat_passes is None  # no CP-SAT part


def hard_round() -> dict:
    resources, needs, providers = neighbourhood(random.Random(7), 0, hard=True)
    return make_round(resources, needs, providers=providers)


@pytest.mark.parametrize("solver", ["cpsat", "auto"])
def test_a_stop_request_stops_cancelled(solver):
    prep = prepare(hard_round())
    stages: list[str] = []
    result = solve_prepared(prep, solver=solver, timings=False, should_stop=lambda: "CP-SAT model" in stages,
                            on_progress=lambda **f: stages.append(f.get("stage", "")))
    assert result.status is Status.FEASIBLE, result.solution.message  # the start result is kept
    assert result.solution.stop is StopReason.CANCELLED


@pytest.mark.parametrize("solver", ["cpsat", "auto"])
def test_a_stop_request_before_anything_stops_cancelled(solver):
    result = solve_prepared(prepare(hard_round()), solver=solver, timings=False, should_stop=lambda: True)
    assert result.status in (Status.FEASIBLE, Status.UNKNOWN), result.solution.message
    assert result.solution.stop is StopReason.CANCELLED and "stopped on request" in result.solution.message


def test_cpsat_stats_time_each_level(monkeypatch):
    prep = prepare(hard_round())
    sol = cpsat.solve(prep.problem, SolveOptions(time_limit_s=10, workers=1))
    assert sol.status is Status.OPTIMAL
    assert sol.stats.build_seconds is not None and len(sol.stats.level_seconds) == 1  # all levels weighted
    monkeypatch.setattr(cpsat, "WEIGHTED_PAIRS", 0)  # the levels one by one
    staged = cpsat.solve(prep.problem, SolveOptions(time_limit_s=10, workers=1))
    assert staged.status is Status.OPTIMAL and len(staged.stats.level_seconds) == 2  # value, distance
    assert (staged.served_value, staged.total_distance) == (sol.served_value, sol.total_distance)


def test_a_status_and_its_stop_reason_agree():
    x = np.zeros(0, dtype=np.int64)
    with pytest.raises(ValueError):
        Solution(Status.FEASIBLE, x, "test")  # a feasible result must say what stopped it
    with pytest.raises(ValueError):
        Solution(Status.OPTIMAL, x, "test", stop=StopReason.TIME_LIMIT)
    with pytest.raises(ValueError):
        Solution(Status.FEASIBLE, x, "test", stop=StopReason.PROVEN)
    assert Solution(Status.INFEASIBLE, x, "test").stop is StopReason.INFEASIBLE


def test_merged_parts_name_the_strongest_limit():
    prep = prepare(plain_round())
    p = prep.problem
    results = merge.PartResults(p)
    part = np.arange(p.n_pairs)
    sub = p.restrict(part)
    feasible = Solution.of(sub, Status.FEASIBLE, np.zeros(sub.n_pairs), "cpsat", stop=StopReason.TIME_LIMIT)
    results.add(0, part, sub, feasible)
    assert results.solution(p, SolverStats()).stop is StopReason.TIME_LIMIT
    assert results.solution(p, SolverStats(), cancelled=True).stop is StopReason.CANCELLED
    results.add(0, part, sub, Solution.of(sub, Status.OPTIMAL, np.zeros(sub.n_pairs), "cpsat"))
    assert results.solution(p, SolverStats(), cancelled=True).stop is StopReason.PROVEN
