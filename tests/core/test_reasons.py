"""One small handcrafted round per unmet reason code."""
from __future__ import annotations

import pytest

from matcher.reasons import REASONS
from matcher.service import solve_round

from .builders import make_round, need, resource

MON_DAY = [{"days": ["mon"], "start": "08:00", "end": "18:00"}]
MON_NIGHT = [{"days": ["mon"], "start": "20:00", "end": "23:00"}]


def unmet(doc, solver="auto") -> dict[str, tuple[int, str]]:
    result = solve_round(doc, solver=solver, workers=1)
    assert result.status.value == "optimal"
    return {u["need_id"]: (u["quantity"], u["reason"]) for u in result.document["unmet"]}


def test_no_candidate_category():
    doc = make_round([resource("R0", category="parking", capacity=9)], [need("N0", category="care", quantity=2)])
    assert unmet(doc) == {"N0": (2, "no_candidate_category")}


def test_no_candidate_tags():
    doc = make_round([resource("R0", 10, tags=["art"], capacity=9)], [need("N0", required_tags=["law"], quantity=3)])
    assert unmet(doc) == {"N0": (3, "no_candidate_tags")}


def test_no_candidate_distance():
    doc = make_round([resource("R0", 4000, capacity=9)], [need("N0", quantity=1)], max_distance_m=3000)
    assert unmet(doc) == {"N0": (1, "no_candidate_distance")}


def test_no_candidate_distance_by_the_needs_own_limit():
    doc = make_round([resource("R0", 400, capacity=9)], [need("N0", quantity=1, max_distance_m=300)])
    assert unmet(doc) == {"N0": (1, "no_candidate_distance")}


def test_reason_follows_the_nearest_resource():
    # nearest (10 m) lacks the tag; the farther one has it but is out of reach: tags decide
    res = [resource("R0", 10, tags=[], capacity=9), resource("R1", 5000, tags=["law"], capacity=9)]
    doc = make_round(res, [need("N0", required_tags=["law"])])
    assert unmet(doc) == {"N0": (1, "no_candidate_tags")}
    # nearest has the tag but is closed at the need's time; a farther one lacks the tag: time decides
    res = [resource("R0", 10, tags=["law"], capacity=9, windows=MON_DAY), resource("R1", 50, capacity=9)]
    doc = make_round(res, [need("N0", required_tags=["law"], windows=MON_NIGHT)])
    assert unmet(doc) == {"N0": (1, "no_candidate_time")}


def test_no_candidate_time():
    doc = make_round([resource("R0", 10, capacity=9, windows=MON_DAY)], [need("N0", quantity=2, windows=MON_NIGHT)])
    assert unmet(doc) == {"N0": (2, "no_candidate_time")}


def test_forbidden():
    doc = make_round([resource("R0", 10, capacity=9)], [need("N0", quantity=2)], forbidden=[("N0", "R0")])
    assert unmet(doc) == {"N0": (2, "forbidden")}


def test_capacity_exhausted():
    # R0 (capacity 3) is the only resource: N0 (priority 5) takes 2, the last place goes to
    # N2 (priority 4, weight 8) rather than N1 (priority 1, weight 1)
    doc = make_round([resource("R0", 0, capacity=3)],
                     [need("N0", 10, quantity=2, priority=5), need("N1", 20, quantity=2, priority=1),
                      need("N2", 30, quantity=3, priority=4)])
    assert unmet(doc) == {"N1": (2, "capacity_exhausted"), "N2": (2, "capacity_exhausted")}


def test_all_or_nothing():
    # R0 has 2 places; N0 needs 3 all-or-nothing: serving 2 is not allowed, so nothing
    doc = make_round([resource("R0", 0, capacity=2)], [need("N0", 10, quantity=3, all_or_nothing=True)])
    assert unmet(doc) == {"N0": (3, "all_or_nothing")}


def test_provider_limit_by_max_projects():
    # U1 may run one project; N0 (priority 5) takes R0; R1 still has room for N1 but U1 is at its limit
    res = [resource("R0", 0, provider="U1", capacity=2), resource("R1", 2000, provider="U1", capacity=2)]
    needs = [need("N0", 10, quantity=2, priority=5), need("N1", 2010, quantity=2, priority=1)]
    doc = make_round(res, needs, providers={"U1": 1})
    assert unmet(doc) == {"N1": (2, "provider_limit")}


def test_provider_limit_by_min_quantity():
    # R0 only runs projects of at least 3; N0 wants 2
    doc = make_round([resource("R0", 0, capacity=5, min_quantity=3)], [need("N0", 10, quantity=2)])
    assert unmet(doc) == {"N0": (2, "provider_limit")}


def test_a_fully_served_need_has_no_reason():
    doc = make_round([resource("R0", 0, capacity=5)], [need("N0", 10, quantity=2), need("N1", 20, quantity=3)])
    assert unmet(doc) == {}


def test_reason_codes_are_the_contracts():
    assert set(REASONS) == {"no_candidate_category", "no_candidate_tags", "no_candidate_distance",
                            "no_candidate_time", "forbidden", "capacity_exhausted", "all_or_nothing",
                            "provider_limit"}


@pytest.mark.parametrize("solver", ["greedy", "cpsat"])
def test_reasons_do_not_depend_on_the_solver_when_results_agree(solver):
    doc = make_round([resource("R0", 10, tags=["art"], capacity=9), resource("R1", 0, category="care")],
                     [need("N0", required_tags=["law"], quantity=3), need("N1", category="food")])
    result = solve_round(doc, solver=solver, workers=1)
    got = {u["need_id"]: u["reason"] for u in result.document["unmet"]}
    assert got == {"N0": "no_candidate_tags", "N1": "no_candidate_category"}


# --- ROUND.md v1.1: the settled rules ------------------------------------------


def test_a_locked_need_always_has_a_candidate():
    """A need whose only pair is its lock (here an ineligible one, 5000 m away) used
    to get a no_candidate_* reason from the nearest *other* resource; the lock is a
    candidate, so the need is short for lack of room."""
    doc = make_round([resource("R0", 5000, capacity=9)], [need("N0", 0, quantity=3)], locked=[("N0", "R0", 1)])
    assert unmet(doc) == {"N0": (2, "capacity_exhausted")}
    doc = make_round([resource("R0", 5000, capacity=9), resource("R1", 10, category="care")],
                     [need("N0", 0, quantity=3, required_tags=["law"])], locked=[("N0", "R0", 1)])
    assert unmet(doc) == {"N0": (2, "capacity_exhausted")}


def test_a_locked_need_whose_other_resources_are_full():
    # N0 has 1 locked on R1 and R0 as a free candidate, but N1 (priority 5) takes R0
    doc = make_round([resource("R0", 0, capacity=2), resource("R1", 100, capacity=1)],
                     [need("N0", 10, quantity=3), need("N1", 20, quantity=2, priority=5)],
                     locked=[("N0", "R1", 1)])
    assert unmet(doc) == {"N0": (2, "capacity_exhausted")}


def test_a_locked_need_blocked_by_a_provider_limit():
    res = [resource("R0", 0, provider="U1", capacity=5), resource("R1", 100, provider="U1", capacity=5)]
    doc = make_round(res, [need("N0", 10, quantity=4)], locked=[("N0", "R1", 1)], providers={"U1": 1})
    assert unmet(doc) == {"N0": (3, "provider_limit")}


def test_all_or_nothing_without_any_room_is_capacity_exhausted():
    """An all-or-nothing need whose resources are all used up was reported as
    all_or_nothing; with no room at all the reason is capacity_exhausted."""
    doc = make_round([resource("R0", 0, capacity=2)],
                     [need("N0", 10, quantity=2, priority=5), need("N1", 20, quantity=3, all_or_nothing=True)])
    assert unmet(doc) == {"N1": (3, "capacity_exhausted")}


def test_all_or_nothing_only_with_room_for_part():
    # R0 keeps 1 place after N0; N1 needs 3 all-or-nothing: room for part of it
    doc = make_round([resource("R0", 0, capacity=3)],
                     [need("N0", 10, quantity=2, priority=5), need("N1", 20, quantity=3, all_or_nothing=True)])
    assert unmet(doc) == {"N1": (3, "all_or_nothing")}


def test_all_or_nothing_with_room_for_all_is_a_provider_limit():
    # U1 runs one project: N0 (16) beats N1 (3 x 4 = 12); R1 still has room for all of N1
    res = [resource("R0", 0, provider="U1", capacity=1), resource("R1", 2000, provider="U1", capacity=3)]
    needs = [need("N0", 10, quantity=1, priority=5), need("N1", 2010, quantity=3, all_or_nothing=True)]
    doc = make_round(res, needs, providers={"U1": 1})
    assert unmet(doc) == {"N1": (3, "provider_limit")}


def test_forbidden_nearest_with_a_farther_resource_out_of_reach():
    doc = make_round([resource("R0", 10, capacity=9), resource("R1", 5000, capacity=9)], [need("N0", quantity=2)],
                     forbidden=[("N0", "R0")])
    assert unmet(doc) == {"N0": (2, "forbidden")}


def test_forbidden_comes_after_rules_2_to_4():
    doc = make_round([resource("R0", 10, capacity=9, windows=MON_DAY)], [need("N0", quantity=2, windows=MON_NIGHT)],
                     forbidden=[("N0", "R0")])
    assert unmet(doc) == {"N0": (2, "no_candidate_time")}
