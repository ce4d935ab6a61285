"""Provider limits over unit pairs (micro-wishes of quantity 1, members with max_projects) solved by the
flow with provider nodes, against the independent two-level MILP of tests/core/reference.py."""
from __future__ import annotations

import random

import pytest

from matcher.service import prepare, solve_round
from matcher.solvers.plan import Method, plan

from . import reference
from .builders import make_round, need, resource
from .tiers import seeds


def member_round(seed: int, locks: bool = False) -> dict:
    rng = random.Random(seed)
    res = [resource(f"R{i}", rng.uniform(0, 2500), capacity=rng.randint(1, 4), provider=f"M{i % 9}")
           for i in range(14)]
    nds = [need(f"W{j}", rng.uniform(0, 2500), quantity=1, priority=rng.randint(1, 5)) for j in range(24)]
    provs = {f"M{g}": rng.choice([None, 1, 1, 2, 3]) for g in range(9)}
    doc = make_round(res, nds, providers=provs, max_distance_m=900)
    if locks:  # a lock or two: they take their provider's projects and capacity
        doc = make_round(res, nds, providers=provs, max_distance_m=900,
                         locked=[(f"W{j}", f"R{j % 14}", 1) for j in rng.sample(range(24), 2)])
    return doc


@pytest.mark.parametrize("seed", seeds(60, 15))
def test_unit_limited_rounds_by_flow_equal_the_milp(seed):
    doc = member_round(seed, locks=seed % 3 == 0)
    want = reference.optimum(doc)
    result = solve_round(doc, solver="auto", workers=1)
    if want is None:
        assert result.status.value == "infeasible"
        return
    assert result.status.value == "optimal"
    assert (result.solution.served_value, result.solution.total_distance) == want
    p = prepare(doc).problem
    if p.binding_groups().any():  # the limits bind, and the plan still sends every part to the flow
        assert all(pp.method is Method.FLOW for pp in plan(p).parts)
        assert result.document["stats"]["components_cpsat"] == 0


def test_a_limit_over_pairs_of_two_units_stays_with_cpsat():
    doc = make_round([resource("R0", 0, capacity=2, provider="M"), resource("R1", 100, capacity=2, provider="M")],
                     [need("W0", 10, quantity=2), need("W1", 110, quantity=1)], providers={"M": 1})
    p = prepare(doc).problem
    assert not p.flow_models() and p.unit_groups().tolist() == [False]
    assert [pp.method for pp in plan(p).parts] == [Method.CPSAT]
    result = solve_round(doc, solver="auto", workers=1)
    assert (result.solution.served_value, result.solution.total_distance) == reference.optimum(doc)


def test_the_flow_solver_itself_takes_unit_limits():
    doc = member_round(4)
    assert prepare(doc).problem.binding_groups().any()
    flow = solve_round(doc, solver="flow", workers=1)
    assert flow.status.value == "optimal"
    assert (flow.solution.served_value, flow.solution.total_distance) == reference.optimum(doc)
