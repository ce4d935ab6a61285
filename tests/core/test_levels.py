"""Levels 3 (churn) and 4 (participation) against the independent references of
tests/core/reference_levels.py: seeded re-runs of a previous plan with 10 % of its
pairs forbidden and resources withdrawn or cut, plain rounds (flow) and rounds
with side rules (CP-SAT); tiny rounds against enumeration."""
from __future__ import annotations

import copy
import random

import pytest

from matcher.errors import UnsupportedSolverError
from matcher.service import solve_round

from .builders import make_round, need, resource
from .reference_levels import brute_force, milp_levels
from .test_reference_levels import tiny_round
from .tiers import seeds

EXACT = ("auto", "flow", "cpsat")


def solve(doc: dict, solver: str) -> dict:
    return solve_round(copy.deepcopy(doc), solver=solver, workers=1, timings=False).document


def levels(out: dict) -> tuple:
    o = out["objective"]
    return o["served_value"], o.get("churn_units", 0), o.get("participation_shortfall", 0), o["total_distance_m"]


def random_round(seed: int, side_rules: bool) -> dict:
    rnd = random.Random(seed)
    resources = [resource(f"R{i}", rnd.uniform(0, 3000), provider=f"P{i % 4}", capacity=rnd.randint(1, 6),
                          **({"min_quantity": 2} if side_rules and rnd.random() < 0.2 else {})) for i in range(12)]
    needs = [need(f"N{j}", rnd.uniform(0, 3000), community=f"C{j % 3}", quantity=rnd.randint(1, 5),
                  priority=rnd.randint(1, 5), **({"all_or_nothing": True} if side_rules and rnd.random() < 0.15
                                                 else {})) for j in range(14)]
    limits = {f"P{k}": (rnd.choice([2, 3, None]) if side_rules else None) for k in range(4)}
    return make_round(resources, needs, providers=limits, max_distance_m=900)


def rerun(doc: dict, seed: int) -> dict:
    """The round again with the plain solve as ``previous``: 10 % of its pairs forbidden,
    a resource withdrawn and one capacity cut."""
    rnd = random.Random(seed + 1000)
    plan = solve(doc, "auto")["projects"]
    new = copy.deepcopy(doc)
    new["previous"] = [{"need_id": p["need_id"], "resource_id": p["resource_id"], "quantity": p["quantity"]}
                       for p in plan if not p["locked"]]
    banned = rnd.sample(new["previous"], max(1, len(new["previous"]) // 10)) if new["previous"] else []
    new["forbidden"] += [{"need_id": p["need_id"], "resource_id": p["resource_id"]} for p in banned]
    gone = rnd.choice(new["resources"])["id"]
    new["resources"] = [r for r in new["resources"] if r["id"] != gone]
    new["previous"] = [p for p in new["previous"] if p["resource_id"] != gone]
    new["forbidden"] = [p for p in new["forbidden"] if p["resource_id"] != gone]
    cut = rnd.choice(new["resources"])
    cut["capacity"] = max(1, cut["capacity"] // 2)
    return new


def check_exact(doc: dict, solvers=EXACT) -> None:
    ref = milp_levels(doc)
    expect = (ref["served_value"], ref["churn"], ref["shortfall"], ref["total_distance"])
    for name in solvers:
        out = solve(doc, name)
        assert out["status"] == "optimal", (name, out.get("message"))
        assert levels(out) == expect, name
    greedy = solve(doc, "greedy")
    assert greedy["status"] == "feasible"


@pytest.mark.parametrize("seed", range(6))
def test_churn_plain_rounds_flow(seed):
    doc = rerun(random_round(seed, side_rules=False), seed)
    check_exact(doc)
    plain = copy.deepcopy(doc)
    del plain["previous"]
    again = solve(plain, "flow")
    out = solve(doc, "flow")
    # churn of the plain re-solve, counted against the same previous plan
    prev = {(p["need_id"], p["resource_id"]): p["quantity"] for p in doc["previous"]}
    now = {(p["need_id"], p["resource_id"]): p["quantity"] for p in again["projects"]}
    plain_churn = sum(abs(now.get(k, 0) - prev.get(k, 0)) for k in set(prev) | set(now))
    assert out["objective"]["churn_units"] <= plain_churn
    assert out["objective"]["served_value"] == again["objective"]["served_value"]


@pytest.mark.parametrize("seed", range(4))
def test_churn_side_rule_rounds_cpsat(seed):
    doc = rerun(random_round(seed, side_rules=True), seed)
    check_exact(doc, ("auto", "cpsat"))


@pytest.mark.parametrize("seed", range(4))
def test_participation_shortfall_minimal(seed):
    doc = rerun(random_round(seed, side_rules=True), seed)
    rnd = random.Random(seed)
    for p in doc["providers"]:
        p["target_projects"] = rnd.randint(0, 4)
    check_exact(doc, ("auto", "cpsat"))


def test_target_makes_the_part_side_constrained():
    # U1's space is on the spot; the member M1 (target 1) is 200 m off: it gets one unit anyway
    doc = make_round([resource("R1", 300, capacity=2, provider="M1"), resource("R2", 100, capacity=2, provider="U1")],
                     [need("N1", 100, quantity=2)], max_distance_m=500)
    doc["providers"][0]["target_projects"] = 1
    out = solve(doc, "auto")
    assert out["objective"]["participation_shortfall"] == 0
    assert {p["resource_id"]: p["quantity"] for p in out["projects"]} == {"R1": 1, "R2": 1}
    with pytest.raises(UnsupportedSolverError):
        solve(doc, "flow")
    doc["providers"][0]["target_projects"] = 0  # a target of 0 cannot bind: flow is fine
    out = solve(doc, "flow")
    assert out["objective"]["participation_shortfall"] == 0
    assert {p["resource_id"]: p["quantity"] for p in out["projects"]} == {"R2": 2}


def test_churn_block_by_id():
    doc = make_round([resource("R1", 0, capacity=3), resource("R2", 0, capacity=3)],
                     [need("N1", 100, quantity=3), need("N2", 100, quantity=2)], max_distance_m=500)
    doc["previous"] = [{"need_id": "N1", "resource_id": "R1", "quantity": 3},
                       {"need_id": "N2", "resource_id": "R1", "quantity": 1},
                       {"need_id": "N2", "resource_id": "R2", "quantity": 1}]
    doc["resources"][0]["capacity"] = 3
    doc["forbidden"] = [{"need_id": "N2", "resource_id": "R1"}]
    out = solve(doc, "auto")
    c = out["churn"]
    assert c["pairs_kept"] == 1
    assert c["removed"] == [{"need_id": "N2", "resource_id": "R1", "quantity": 1}]
    assert c["changed"] == [{"need_id": "N2", "resource_id": "R2", "previous_quantity": 1, "quantity": 2}]
    assert c["added"] == []
    assert c["units"] == out["objective"]["churn_units"] == 2
    assert {p["resource_id"]: p["previous_quantity"] for p in out["projects"]} == {"R1": 3, "R2": 1}


def test_without_previous_no_churn_fields():
    doc = make_round([resource("R1", 0)], [need("N1", 100)], max_distance_m=500)
    out = solve(doc, "auto")
    assert "churn" not in out and "churn_units" not in out["objective"]
    assert "participation_shortfall" not in out["objective"]
    assert "previous_quantity" not in out["projects"][0]


@pytest.mark.parametrize("seed", seeds(20, quick=6))
def test_tiny_rounds_against_enumeration(seed):
    doc = tiny_round(seed)
    bf = brute_force(doc)
    for name in ("auto", "cpsat"):
        out = solve(doc, name)
        if bf is None:
            assert out["status"] == "infeasible"
            continue
        assert out["status"] == "optimal"
        assert levels(out) == (bf["served_value"], bf["churn"], bf["shortfall"], bf["total_distance"]), name


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(6, 30))
def test_churn_many_rounds(seed):
    check_exact(rerun(random_round(seed, side_rules=seed % 2 == 1), seed),
                EXACT if seed % 2 == 0 else ("auto", "cpsat"))


def test_verify_recomputes_churn_and_shortfall():
    from matcher.service import prepare
    from matcher.verify import verify

    doc = make_round([resource("R1", 0, capacity=3, provider="M1")], [need("N1", 100, quantity=3)],
                     max_distance_m=500)
    doc["providers"][0]["target_projects"] = 2
    doc["previous"] = [{"need_id": "N1", "resource_id": "R1", "quantity": 1}]
    t = prepare(doc).tables
    assert verify(t, [0], [0], [3], churn_units=2, participation_shortfall=1) == []
    assert verify(t, [0], [0], [3], churn_units=0, participation_shortfall=0) == [
        "churn_units 0 != recomputed 2", "participation_shortfall 0 != recomputed 1"]
