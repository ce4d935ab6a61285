"""Level 1 (fairness) against enumeration of every feasible result (tests/core/reference_levels.py)."""
from __future__ import annotations

import random
from fractions import Fraction

import pytest

from matcher.service import solve_round

from .builders import make_round, need, resource
from .reference_levels import brute_force


def fair_round(seed: int, mode: str) -> dict:
    rnd = random.Random(seed)
    resources = [resource(f"R{i}", rnd.uniform(0, 800), provider=f"P{i % 2}", capacity=rnd.randint(1, 3),
                          **({"min_quantity": 2} if rnd.random() < 0.15 else {})) for i in range(3)]
    needs = [need(f"N{j}", rnd.uniform(0, 800), community=f"C{j % 3}", quantity=rnd.randint(1, 2),
                  priority=rnd.randint(1, 5), **({"all_or_nothing": True} if rnd.random() < 0.15 else {}))
             for j in range(4)]
    doc = make_round(resources, needs, providers={"P0": rnd.choice([None, 1, 2]), "P1": None}, max_distance_m=600)
    doc["params"]["fairness"] = {"group": "community", "mode": mode,
                                 "min_value_ratio": rnd.choice([1.0, 0.9, 0.7, 0.5])}
    return doc


@pytest.mark.parametrize("mode", ["maxmin", "leximin"])
@pytest.mark.parametrize("seed", range(30))
def test_fairness_equals_enumeration(seed, mode):
    doc = fair_round(seed, mode)
    best = brute_force(doc)
    out = solve_round(doc, timings=False).result
    assert out.status == "optimal"
    cov = {c: v for c, v in (out.fairness.coverage_by_community or {}).items()}
    got = sorted(Fraction(v).limit_denominator(100) for v in cov.values())
    want = sorted(best["coverages"].values())
    if mode == "maxmin":
        assert (got[:1] or [None]) == (want[:1] or [None])
    else:
        assert got == want
    assert out.objective.served_value == best["served_value"]
    assert out.objective.total_distance_m == best["total_distance"]
    assert out.fairness.value_without_fairness == best["value_without_fairness"]


def test_leximin_serves_the_poorer_community_first():
    doc = make_round([resource("R1", 0), resource("R2", 2000)],
                     [need("N1", 100, community="A"), need("N2", 300, community="B"), need("N3", 2100, community="A")],
                     max_distance_m=500)
    doc["params"]["fairness"] = {"group": "community", "mode": "leximin", "min_value_ratio": 1}
    out = solve_round(doc, timings=False).result
    assert {(p.resource_id, p.need_id) for p in out.projects} == {("R1", "N2"), ("R2", "N3")}
    assert out.fairness.min_coverage == 0.5 and out.fairness.binding_communities == ["A"]
    assert out.fairness.price_of_fairness == 0.0
    del doc["params"]["fairness"]
    plain = solve_round(doc, timings=False).result
    assert {(p.resource_id, p.need_id) for p in plain.projects} == {("R1", "N1"), ("R2", "N3")}
    assert plain.fairness is None


def test_a_lower_value_floor_buys_coverage_and_reports_its_price():
    # one space, an urgent need in A next to it, a minor one in B a little farther
    doc = make_round([resource("R1", 0)], [need("N1", 50, community="A", priority=5),
                                           need("N2", 200, community="B", priority=1)], max_distance_m=500)
    doc["params"]["fairness"] = {"group": "community", "mode": "maxmin", "min_value_ratio": 0.05}
    out = solve_round(doc, timings=False).result
    # both communities cannot be served with one unit: maxmin is 0 either way, so value decides
    assert out.objective.served_value == 16 and out.fairness.price_of_fairness == 0.0
    doc["resources"][0]["capacity"] = 2
    doc["needs"][0]["quantity"] = 2
    out = solve_round(doc, timings=False).result
    # 2 units: serving A fully (value 32) leaves B at 0; one each lifts the minimum to 1/2
    assert out.fairness.min_coverage == 0.5
    assert out.objective.served_value == 17
    assert out.fairness.value_without_fairness == 32
    assert out.fairness.price_of_fairness == round(15 / 32, 4)


def test_priority_aging_is_shown_on_every_project_and_unmet_row():
    doc = make_round([resource("R1", 0)], [need("N1", 50, priority=2, rounds_unmet=4),
                                           need("N2", 60, priority=3, quantity=2)], max_distance_m=500)
    doc["params"]["priority_aging"] = {"every_rounds": 2, "max_priority": 5}
    out = solve_round(doc, timings=False).result
    # N1 ages from 2 to 4 and outranks N2 (3): the one space goes to N1
    assert [(p.need_id, p.priority, p.effective_priority) for p in out.projects] == [("N1", 2, 4)]
    assert [(u.need_id, u.priority, u.effective_priority) for u in out.unmet] == [("N2", 3, 3)]
    del doc["params"]["priority_aging"]
    plain = solve_round(doc, timings=False).result
    assert [p.need_id for p in plain.projects] == ["N2"] and plain.projects[0].priority is None
    assert "effective_priority" not in plain.document()["unmet"][0]
