"""The two independent references agree with each other on levels 2-5.

They share only the eligibility of tests/core/reference.py; one enumerates,
the other solves MILP stages, so an error in either shows up here."""
from __future__ import annotations

import random
from fractions import Fraction

import pytest

from .builders import make_round, need, resource
from .reference_levels import brute_force, milp_levels


def tiny_round(seed: int) -> dict:
    rnd = random.Random(seed)
    resources = [resource(f"R{i}", rnd.uniform(0, 900), provider=f"P{i % 2}", capacity=rnd.randint(1, 3),
                          **({"min_quantity": 2} if rnd.random() < 0.2 else {})) for i in range(3)]
    needs = [need(f"N{j}", rnd.uniform(0, 900), community=f"C{j % 2}", quantity=rnd.randint(1, 2),
                  priority=rnd.randint(1, 5), rounds_unmet=rnd.randint(0, 4),
                  **({"all_or_nothing": True} if rnd.random() < 0.2 else {})) for j in range(3)]
    doc = make_round(resources, needs, providers={"P0": rnd.choice([None, 1, 2]), "P1": None}, max_distance_m=700)
    doc["providers"][0]["target_projects"] = rnd.randint(0, 2)
    doc["previous"] = [{"need_id": f"N{rnd.randrange(3)}", "resource_id": f"R{i}", "quantity": rnd.randint(1, 2)}
                       for i in range(rnd.randint(0, 3))]
    doc["previous"] = list({(p["need_id"], p["resource_id"]): p for p in doc["previous"]}.values())
    if rnd.random() < 0.5:
        doc["params"]["priority_aging"] = {"every_rounds": 2, "max_priority": 5}
    return doc


@pytest.mark.parametrize("seed", range(25))
def test_enumeration_and_milp_stages_agree(seed):
    doc = tiny_round(seed)
    bf, mi = brute_force(doc), milp_levels(doc)
    assert (bf is None) == (mi is None)
    if bf is not None:
        assert (bf["served_value"], bf["churn"], bf["shortfall"], bf["total_distance"]) == (
            mi["served_value"], mi["churn"], mi["shortfall"], mi["total_distance"])


def test_leximin_prefers_the_poorer_community():
    # one space, two one-unit needs of equal priority: the farther one is in a community
    # with no other need, the nearer one's community is already served by a second space
    doc = make_round([resource("R1", 0), resource("R2", 2000, capacity=1)],
                     [need("N1", 100, community="A"), need("N2", 300, community="B"),
                      need("N3", 2100, community="A")], max_distance_m=500)
    doc["params"]["fairness"] = {"group": "community", "mode": "leximin", "min_value_ratio": 1}
    best = brute_force(doc)
    # without fairness R1 would serve the nearer N1 (A 2/2, B 0/1); leximin gives A 1/2, B 1/1
    assert best["x"] == {("R1", "N2"): 1, ("R2", "N3"): 1}
    assert best["fairness_key"] == (Fraction(1, 2), Fraction(1))
    del doc["params"]["fairness"]
    assert brute_force(doc)["x"] == {("R1", "N1"): 1, ("R2", "N3"): 1}
