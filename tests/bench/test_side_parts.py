"""Large side-constrained parts: relaxed-flow bound and repaired start, never worse than greedy."""
from __future__ import annotations

import pytest

from benchmarks.generate import dumps, generate
from matcher.service import prepare, solve_prepared
from matcher.problem import SolveOptions
from matcher.solvers import flow, heuristics, plan
from matcher.solvers.greedy import greedy_quantities
from matcher.verify import verify


@pytest.mark.parametrize("rules,seed", [("members", 1), ("members", 2), ("full", 2), ("full", 3)])
def test_repair_is_feasible_and_bounded(rules, seed):
    prep = prepare(dumps(generate("S", seed=seed, rules=rules, resources=200, needs=80)))
    p = prep.problem
    relax = flow.solve(heuristics.relaxed(p), SolveOptions())
    x = heuristics.repair(p, relax.x)
    on = x > 0
    assert verify(prep.tables, p.pair_res[on], p.pair_need[on], x[on]) == []
    greedy = greedy_quantities(p)
    best = heuristics.better(p, greedy, x)
    assert p.objective(best)[0] >= p.objective(greedy)[0]
    assert p.objective(x)[0] <= relax.served_value
    exact = solve_prepared(prep, timings=False)
    assert exact.status.value == "optimal" and exact.solution.served_value <= relax.served_value


@pytest.mark.parametrize("seed", [2, 3])
def test_time_limited_part_keeps_best_heuristic_with_valid_bound(monkeypatch, seed):
    monkeypatch.setattr(plan, "HEURISTIC_PAIRS", 0)
    prep = prepare(dumps(generate("S", seed=seed, rules="full", resources=200, needs=80)))
    exact = solve_prepared(prep, timings=False)
    quick = solve_prepared(prep, timings=False, time_limit_s=0.01)
    assert quick.status.value in ("feasible", "optimal")
    assert quick.solution.served_value <= exact.solution.served_value <= quick.solution.bound_served_value
    assert quick.solution.served_value >= prep.problem.objective(greedy_quantities(prep.problem))[0]
