"""Fairness on many seeded random plain rounds against the MILP stages (slow tier): the flow
method (with its CP-SAT hand-over at ties) on small and larger rounds, and CP-SAT alone."""
from __future__ import annotations

import pytest

from matcher.service import solve_round

from .fair_rounds import plain_fair_round
from .test_fairness import assert_equals_milp


@pytest.mark.parametrize("mode", ["maxmin", "leximin"])
@pytest.mark.parametrize("seed", range(20, 200))
def test_flow_fairness_equals_the_milp_stages_on_small_rounds(seed, mode):
    doc = plain_fair_round(seed, mode)
    rr = solve_round(doc, timings=False)
    assert rr.result.status == "optimal" and rr.solution.stats.fairness_method.startswith("flow")
    assert_equals_milp(doc, rr.result)


@pytest.mark.parametrize("mode", ["maxmin", "leximin"])
@pytest.mark.parametrize("seed", range(60))
def test_flow_fairness_equals_the_milp_stages_on_larger_rounds(seed, mode):
    doc = plain_fair_round(seed, mode, n_res=10, n_need=16, n_comm=5)
    rr = solve_round(doc, timings=False)
    assert rr.result.status == "optimal" and rr.solution.stats.fairness_method.startswith("flow")
    assert_equals_milp(doc, rr.result)


@pytest.mark.parametrize("mode", ["maxmin", "leximin"])
@pytest.mark.parametrize("seed", range(40))
def test_cpsat_fairness_equals_the_milp_stages(seed, mode):
    doc = plain_fair_round(seed, mode)
    doc["params"]["solver"] = "cpsat"
    rr = solve_round(doc, timings=False)
    assert rr.result.status == "optimal" and rr.solution.stats.fairness_method == "cpsat"
    assert_equals_milp(doc, rr.result)
