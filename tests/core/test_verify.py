"""The verifier finds every kind of broken result (it gates what the service releases)."""
from __future__ import annotations

import pytest

from matcher.tables import build_tables
from matcher.validation import parse_round
from matcher.verify import verify

from .builders import make_round, need, resource

WEEKDAY_EVENING = [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "18:00", "end": "22:00"}]
WEEKEND = [{"days": ["sat", "sun"], "start": "09:00", "end": "17:00"}]


@pytest.fixture(scope="module")
def tables():
    res = [
        resource("R0", 0, capacity=5, provider="U0"),
        resource("R1", 0, capacity=5, provider="U1", min_quantity=3),
        resource("R2", 0, capacity=5, provider="U2", category="skills", tags=["书法"]),
        resource("R3", 0, capacity=5, provider="U3", windows=WEEKEND),
        resource("R4", 2000, capacity=5, provider="U4", max_distance_m=500),
        resource("R5", 0, capacity=5, provider="U5"),
        resource("R6", 0, capacity=5, provider="U5"),
    ]
    needs = [
        need("N0", 0, quantity=4),
        need("N1", 0, quantity=4, all_or_nothing=True),
        need("N2", 0, quantity=4, category="skills", required_tags=["法律援助"]),
        need("N3", 0, quantity=4, windows=WEEKDAY_EVENING),
        need("N4", 0, quantity=4),
    ]
    doc = make_round(res, needs, providers={"U5": 1}, locked=[("N4", "R0", 2)], forbidden=[("N0", "R5")])
    return build_tables(parse_round(doc))


def check(t, projects, value=None, distance=None):
    ri = [t.res_ids.index(r) for r, _, _ in projects]
    nj = [t.need_ids.index(n) for _, n, _ in projects]
    return verify(t, ri, nj, [q for _, _, q in projects], value, distance)


def test_a_valid_result_passes(tables):
    # weights: priority 3 -> 4 per unit; all pairs at 0 m except none here
    assert check(tables, [("R0", "N4", 2), ("R0", "N0", 3)], value=20, distance=0) == []


@pytest.mark.parametrize("projects,needle", [
    ([("R0", "N4", 2), ("R0", "N0", 0)], "quantity 0 < 1"),
    ([("R0", "N4", 2), ("R0", "N0", 1), ("R0", "N0", 1)], "pair appears twice"),
    ([("R0", "N4", 2), ("R2", "N0", 1)], "category 'skills' != 'parking'"),
    ([("R0", "N4", 3)], "locked quantity is 2, got 3"),
    ([], "locked pair R0->N4 missing"),
    ([("R0", "N4", 2), ("R1", "N0", 2)], "quantity 2 below min_quantity 3"),
    ([("R0", "N4", 2), ("R2", "N2", 1)], "missing required tags ['法律援助']"),
    ([("R0", "N4", 2), ("R4", "N0", 1)], "over the limit 500"),
    ([("R0", "N4", 2), ("R3", "N3", 1)], "resource windows do not cover the need's"),
    ([("R0", "N4", 2), ("R5", "N0", 1)], "pair is forbidden"),
    ([("R0", "N4", 2), ("R0", "N0", 4)], "resource R0: 6 used > capacity 5"),
    ([("R0", "N4", 2), ("R5", "N4", 3)], "need N4: 5 served > quantity 4"),
    ([("R0", "N4", 2), ("R0", "N1", 2)], "need N1: all_or_nothing but 2 of 4 served"),
    ([("R0", "N4", 2), ("R5", "N3", 1), ("R6", "N0", 1)], "provider U5: 2 projects > max_projects 1"),
])
def test_each_broken_rule_is_named(tables, projects, needle):
    problems = check(tables, projects)
    assert any(needle in p for p in problems), problems


def test_wrong_objective_is_named(tables):
    problems = check(tables, [("R0", "N4", 2)], value=9, distance=5)
    assert "served_value 9 != recomputed 8" in problems
    assert "total_distance_m 5 != recomputed 0" in problems
