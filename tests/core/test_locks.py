"""Locks that cannot all hold together make the round infeasible, and the
message names every offending id (matcher.locks)."""
from __future__ import annotations

import pytest

from matcher.locks import LockConflict, lock_conflicts
from matcher.service import prepare, solve_round

from .builders import make_round, need, resource


def solved(doc, solver="auto"):
    return solve_round(doc, solver=solver, workers=1, timings=False).document


def conflicts_of(doc) -> list[LockConflict]:
    return lock_conflicts(prepare(doc).problem)


@pytest.mark.parametrize("solver", ["auto", "greedy", "cpsat"])
def test_regression_aon_need_short_around_its_locks_is_named(solver):
    """Issue 10 item 17: an all-or-nothing need that cannot be completed around its
    locks said only "the locks cannot all hold together", with no ids."""
    res = [resource("R0", 0, capacity=2), resource("R1", 100, capacity=1), resource("R2", 200, capacity=1)]
    doc = make_round(res, [need("N0", 50, quantity=6, all_or_nothing=True)], locked=[("N0", "R0", 2), ("N0", "R1", 1)])
    out = solved(doc, solver)
    assert out["status"] == "infeasible" and out["projects"] == [] and out["unmet"] == []
    assert out["message"] == ("locks cannot all hold together: need N0 is all_or_nothing with quantity 6: locked 3 "
                              "(resources R0, R1), and its other eligible pairs can add at most 1")


def test_the_aon_check_counts_capacity_left_after_the_locks():
    # R1 has 3, but a lock of another need takes 2 of it: N0 (4, aon, 1 locked on R0) reaches 1 + 1
    res = [resource("R0", 0, capacity=1), resource("R1", 10, capacity=3)]
    needs = [need("N0", 0, quantity=4, all_or_nothing=True), need("N1", 20, quantity=2)]
    doc = make_round(res, needs, locked=[("N0", "R0", 1), ("N1", "R1", 2)])
    assert conflicts_of(doc) == [LockConflict("all_or_nothing", 0, 1, 2)]


def test_the_aon_check_counts_minimum_lots():
    # R1 has room for 2 but runs no project below 3: nothing to add
    res = [resource("R0", 0, capacity=1), resource("R1", 10, capacity=2, min_quantity=3)]
    doc = make_round(res, [need("N0", 0, quantity=3, all_or_nothing=True)], locked=[("N0", "R0", 1)])
    assert conflicts_of(doc) == [LockConflict("all_or_nothing", 0, 1, 1)]


def test_the_aon_check_counts_the_providers_free_project_slots():
    # U1 may run 2 projects, one of them locked: of R1 and R2 (1 each) only one can be added
    res = [resource("R0", 0, provider="U1", capacity=1), resource("R1", 10, provider="U1", capacity=1),
           resource("R2", 20, provider="U1", capacity=1)]
    doc = make_round(res, [need("N0", 0, quantity=3, all_or_nothing=True)], locked=[("N0", "R0", 1)],
                     providers={"U1": 2})
    assert conflicts_of(doc) == [LockConflict("all_or_nothing", 0, 1, 2)]
    doc["providers"][0]["max_projects"] = 3
    assert conflicts_of(doc) == []
    assert solved(doc)["status"] == "optimal"


def test_an_aon_need_that_can_be_completed_is_served_in_full():
    res = [resource("R0", 0, capacity=1), resource("R1", 10, capacity=5)]
    doc = make_round(res, [need("N0", 0, quantity=4, all_or_nothing=True)], locked=[("N0", "R0", 1)])
    assert conflicts_of(doc) == []
    out = solved(doc)
    assert out["status"] == "optimal" and sum(p["quantity"] for p in out["projects"]) == 4


def test_a_fully_locked_aon_need_is_fine():
    doc = make_round([resource("R0", capacity=3)], [need("N0", quantity=3, all_or_nothing=True)],
                     locked=[("N0", "R0", 3)])
    assert conflicts_of(doc) == []
    assert solved(doc)["status"] == "optimal"


def test_over_capacity_names_the_resource_and_its_needs():
    doc = make_round([resource("R0", capacity=2)], [need("N0", quantity=5), need("N1", 10, quantity=5)],
                     locked=[("N0", "R0", 2), ("N1", "R0", 1)])
    assert solved(doc)["message"] == "locks cannot all hold together: resource R0: locked 3 > capacity 2 (needs N0, N1)"


def test_over_quantity_names_the_need_and_its_resources():
    doc = make_round([resource("R0", capacity=5), resource("R1", capacity=5)], [need("N0", quantity=3)],
                     locked=[("N0", "R0", 2), ("N0", "R1", 2)])
    assert solved(doc)["message"] == "locks cannot all hold together: need N0: locked 4 > quantity 3 (resources R0, R1)"


def test_over_max_projects_names_the_provider_and_its_locked_pairs():
    res = [resource("R0", provider="U1", capacity=5), resource("R1", provider="U1", capacity=5)]
    doc = make_round(res, [need("N0", quantity=3), need("N1", quantity=3)],
                     locked=[("N1", "R1", 1), ("N0", "R0", 1)], providers={"U1": 1})
    assert solved(doc)["message"] == ("locks cannot all hold together: provider U1: 2 locked projects > "
                                      "max_projects 1 (locked pairs (N1, R1), (N0, R0))")


def test_every_conflict_is_named_in_one_message():
    res = [resource("R0", provider="U1", capacity=1), resource("R1", provider="U1", capacity=9)]
    needs = [need("N0", quantity=2), need("N1", quantity=5, all_or_nothing=True)]
    doc = make_round(res, needs, locked=[("N0", "R0", 2), ("N1", "R1", 1)], providers={"U1": 1})
    kinds = [c.kind for c in conflicts_of(doc)]
    assert kinds == ["resource", "provider", "all_or_nothing"]
    message = solved(doc)["message"]
    for ident in ("R0", "N0", "U1", "N1", "R1"):
        assert ident in message


def test_no_locks_no_conflicts():
    assert conflicts_of(make_round([resource("R0")], [need("N0", all_or_nothing=True, quantity=3)])) == []
