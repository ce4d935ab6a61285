"""Marginal values of plain parts from the flow's potentials, against full re-solves with one more unit."""
from __future__ import annotations

import copy

import numpy as np
import pytest

from matcher.errors import VerificationError
from matcher.recommend.residual import Added
from matcher.service import solve_round
from matcher.whatif import marginal

from .rounds import random_round


def _with_lock(doc: dict, base) -> dict:
    """The round with one unit locked on its first carrying pair (a lock the optimum already has)."""
    k = int(np.flatnonzero(base.solution.x > 0)[0])
    t, pairs = base.prepared.tables, base.prepared.pairs
    doc = copy.deepcopy(doc)
    doc["locked"] = [{"resource_id": t.res_ids[pairs.res[k]], "need_id": t.need_ids[pairs.need[k]], "quantity": 1}]
    return doc


def _check_against_resolves(doc: dict) -> list[dict]:
    base = solve_round(doc, timings=False)
    assert base.status.value == "optimal"
    v0, d0 = base.solution.served_value, base.solution.total_distance
    q0 = int(base.solution.x.sum())
    gains = marginal.resource_gains(base, resources=list(range(base.prepared.tables.n_res)))
    for g in gains:
        more = copy.deepcopy(doc)
        more["resources"][g["resource"]]["capacity"] += 1
        r = solve_round(more, timings=False)  # the independent reference: the whole round solved again
        assert r.status.value == "optimal" and g["exact"]
        assert (g["value"], g["distance_m"], g["quantity"]) == (
            r.solution.served_value - v0, r.solution.total_distance - d0, int(r.solution.x.sum()) - q0), g
        assert sum(q for _, q in g["gains"]) >= g["quantity"] and (g["gains"] or g["value"] == 0)
    return gains


@pytest.mark.parametrize("seed", range(12))
def test_flow_potentials_match_full_re_solves(seed):
    doc = random_round(500 + seed, n_res=14, n_need=22, categories=("parking",) if seed % 3 == 0 else ("parking", "care"))
    gains = _check_against_resolves(doc)
    assert gains and all(g["method"] == "flow potentials" for g in gains)


@pytest.mark.parametrize("seed", range(6))
def test_flow_potentials_with_a_lock(seed):
    doc = random_round(600 + seed, n_res=10, n_need=16, categories=("parking",))
    _check_against_resolves(_with_lock(doc, solve_round(doc, timings=False)))


@pytest.mark.parametrize("seed", range(8))
def test_mixed_rounds_use_flow_where_plain_and_re_solve_elsewhere(seed):
    doc = random_round(700 + seed, n_res=12, n_need=18, side_rules=True)
    gains = _check_against_resolves(doc)
    assert {g["method"] for g in gains} <= {"flow potentials", "re-solve"}


def test_some_round_takes_both_paths():
    methods = set()
    for seed in range(700, 720):
        base = solve_round(random_round(seed, n_res=12, n_need=18, side_rules=True), timings=False)
        methods |= {g["method"] for g in marginal.resource_gains(base, resources=list(range(12)))}
    assert methods == {"flow potentials", "re-solve"}


def test_a_flow_gain_that_breaks_a_rule_is_refused(monkeypatch):
    base = solve_round(random_round(501, n_res=14, n_need=22), timings=False)
    k = int(np.flatnonzero(base.solution.x > 0)[0])
    i = int(base.prepared.problem.pair_res[k])
    monkeypatch.setattr(marginal, "one_more_unit", lambda net, p, r: Added({}, {k: 10**6}, 1, 0))
    with pytest.raises(VerificationError, match="break a rule"):
        marginal.resource_gains(base, resources=[i])


def test_zunyi_full_resources_are_re_solved_exactly():
    """Both parts of the Zunyi round have provider limits: every full resource is re-solved (nothing plain)."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scenarios" / "zunyi_building_needs.json"
    base = solve_round(path.read_bytes(), timings=False)
    net, flow_res = marginal._flow_network(base, list(range(base.prepared.tables.n_res)))
    assert net is None and flow_res == set()
