"""A backend status that is neither a result nor a limit is a fault: SolverFailed, not ``unknown`` as data."""
from __future__ import annotations

import pytest

from matcher.errors import SolverFailed
from matcher.problem import Status
from matcher.service import prepare, solve_prepared
from matcher.solvers import cpsat

from .builders import make_round, need, resource


def test_cpsat_statuses():
    from ortools.sat.python import cp_model

    assert cpsat._status(cp_model, cp_model.OPTIMAL, False) is Status.OPTIMAL
    assert cpsat._status(cp_model, cp_model.UNKNOWN, True) is Status.UNKNOWN  # stopped by the limit or a request
    with pytest.raises(SolverFailed, match="MODEL_INVALID"):
        cpsat._status(cp_model, cp_model.MODEL_INVALID, True)
    with pytest.raises(SolverFailed, match="before its time limit"):
        cpsat._status(cp_model, cp_model.UNKNOWN, False)


def test_flow_fault_raises(monkeypatch):
    from ortools.graph.python import min_cost_flow

    class Broken(min_cost_flow.SimpleMinCostFlow):
        def solve(self):
            return self.BAD_COST_RANGE

    monkeypatch.setattr(min_cost_flow, "SimpleMinCostFlow", Broken)
    prep = prepare(make_round([resource("R0", 0)], [need("N0", 100)]))
    with pytest.raises(SolverFailed, match="BAD_COST_RANGE") as info:
        solve_prepared(prep, solver="flow", workers=1)
    assert info.value.exit_code == 70
