"""One conformance suite for every solver, on small rounds whose optima are worked out by hand.

All points lie on one meridian (builders.at), so distances are differences of the
y coordinates. Default weights: priority 1..5 -> 1, 2, 4, 8, 16 per unit.
Exact solvers (flow, cpsat, auto) must reach both levels and say ``optimal``;
greedy must be feasible and never lexicographically better; flow must refuse
rounds with binding side rules.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from matcher.errors import UnsupportedSolverError
from matcher.service import prepare, solve_prepared
from matcher.verify import verify

from .builders import make_round, need, resource

SOLVERS = ["greedy", "flow", "cpsat", "auto"]


@dataclass
class Case:
    name: str
    doc: dict
    optimum: tuple[int, int] | None  # (served value, total distance) or None = infeasible
    plain: bool  # a min-cost flow can model it exactly
    message_ids: tuple[str, ...] = ()  # ids the infeasibility message must name


CASES = [
    Case("nearest_first",
         # N0 wants 3 (w4): 2 from R0 (100 m) + 1 from R1 (900 m) -> V 12, D 200 + 900
         make_round([resource("R0", 0, capacity=2), resource("R1", 1000, capacity=2)], [need("N0", 100, quantity=3)]),
         (12, 1100), True),
    Case("priority_beats_distance",
         # one place: N1 (priority 5, w16, 2000 m) beats N0 (priority 1, w1, 10 m)
         make_round([resource("R0", 0)], [need("N0", 10, priority=1), need("N1", 2000, priority=5)]),
         (16, 2000), True),
    Case("greedy_trap",
         # N0 (w16) is 400 m from R0, 600 m from R1; N1 (w8) reaches only R0 (200 m; its limit 500 m).
         # Best: N0<-R1, N1<-R0: V 24, D 800 (greedy gives N0 R0 and leaves N1 short: V 16)
         make_round([resource("R0", 0), resource("R1", 1000)],
                    [need("N0", 400, priority=5), need("N1", -200, priority=4, max_distance_m=500)]),
         (24, 800), True),
    Case("distance_among_equal_values",
         # crossing would cost 800 + 800; straight costs 100 + 100; U1 max_projects 4 cannot bind (4 pairs)
         make_round([resource("R0", 0), resource("R1", 1000)], [need("N0", 100), need("N1", 900)],
                    providers={"U1": 4}),
         (8, 200), True),
    Case("forbidden",
         # as nearest_first, but N0-R0 is forbidden: 2 from R1 (900 m)
         make_round([resource("R0", 0, capacity=2), resource("R1", 1000, capacity=2)], [need("N0", 100, quantity=3)],
                    forbidden=[("N0", "R0")]),
         (8, 1800), True),
    Case("lock_overrides_distance",
         # lock N0<-R1 x2 (900 m); N1 then takes R0 x2 (300 m): V 16, D 1800 + 600
         make_round([resource("R0", 0, capacity=2), resource("R1", 1000, capacity=2)],
                    [need("N0", 100, quantity=2), need("N1", 300, quantity=2)], locked=[("N0", "R1", 2)]),
         (16, 2400), True),
    Case("lock_of_an_ineligible_pair",
         # R0 is 5000 m away (limit 3000): only the lock's 1 unit: V 4, D 5000
         make_round([resource("R0", 5000, capacity=3)], [need("N0", 0, quantity=2)], locked=[("N0", "R0", 1)]),
         (4, 5000), True),
    Case("locks_over_capacity",
         make_round([resource("R0", 0, capacity=2)], [need("N0", 10, quantity=5), need("N1", 20, quantity=5)],
                    locked=[("N0", "R0", 2), ("N1", "R0", 1)]),
         None, True, ("R0",)),
    Case("locks_over_quantity",
         make_round([resource("R0", 0, capacity=2), resource("R1", 10, capacity=2)], [need("N0", 5, quantity=1)],
                    locked=[("N0", "R0", 1), ("N0", "R1", 1)]),
         None, True, ("N0",)),
    Case("locks_over_max_projects",
         make_round([resource("R0", 0), resource("R1", 10)], [need("N0", 5), need("N1", 6)],
                    providers={"U1": 1}, locked=[("N0", "R0", 1), ("N1", "R1", 1)]),
         None, False, ("U1",)),
    Case("all_or_nothing_cannot_be_completed",
         # N0 (w16) needs 4 in full but only 3 places exist: N1 (w1) gets the 3 at 200 m
         make_round([resource("R0", 0, capacity=3)],
                    [need("N0", 100, quantity=4, priority=5, all_or_nothing=True), need("N1", 200, quantity=3, priority=1)]),
         (3, 600), False),
    Case("all_or_nothing_across_two_resources",
         # N0 in full: 3 from R0 (100 m) + 1 from R1 (900 m): V 64, D 1200; N1 gets nothing
         make_round([resource("R0", 0, capacity=3), resource("R1", 1000, capacity=1)],
                    [need("N0", 100, quantity=4, priority=5, all_or_nothing=True), need("N1", 200, quantity=3, priority=1)]),
         (64, 1200), False),
    Case("all_or_nothing_with_a_lock",
         # lock N0<-R0 x1 (100 m); N0 all-or-nothing needs 2 more from R1 (400 m);
         # N1 (w1) gets R1's other 3 (50 m): V 12 + 3, D 100 + 800 + 150
         make_round([resource("R0", 0, capacity=1), resource("R1", 500, capacity=5)],
                    [need("N0", 100, quantity=3, all_or_nothing=True), need("N1", 450, quantity=5, priority=1)],
                    locked=[("N0", "R0", 1)]),
         (15, 1050), False),
    Case("locked_all_or_nothing_that_cannot_be_completed",
         # N0 must be served in full (3) but only the locked unit exists
         make_round([resource("R0", 0, capacity=1)], [need("N0", 100, quantity=3, all_or_nothing=True)],
                    locked=[("N0", "R0", 1)]),
         None, False, ("N0", "R0")),
    Case("min_quantity_blocks_small_needs",
         # R0 lots >= 3: N0 (qty 2, w16) cannot be served; N1 gets 4 at 200 m: V 4, D 800
         make_round([resource("R0", 0, capacity=5, min_quantity=3)],
                    [need("N0", 100, quantity=2, priority=5), need("N1", 200, quantity=4, priority=1)]),
         (4, 800), False),
    Case("min_quantity_one_lot_only",
         # 5 places in lots >= 3: only one of N0, N1 (3 each, w4); N0 is nearer: V 12, D 300
         make_round([resource("R0", 0, capacity=5, min_quantity=3)],
                    [need("N0", 100, quantity=3), need("N1", 200, quantity=3)]),
         (12, 300), False),
    Case("min_quantity_waived_for_locks",
         # the lock N0<-R0 x1 is below R0's lot of 3 but stands; N1 takes 3: V 4 + 12, D 100 + 600
         make_round([resource("R0", 0, capacity=4, min_quantity=3)], [need("N0", 100, quantity=1), need("N1", 200, quantity=5)],
                    locked=[("N0", "R0", 1)]),
         (16, 700), False),
    Case("max_projects",
         # U1 runs one project: N1 (w8) x3 from R1 (100 m); U2's R2 gives N0 1 unit (900 m):
         # V 24 + 4, D 300 + 900
         make_round([resource("R0", 0, capacity=4), resource("R1", 50, capacity=4), resource("R2", 1000, provider="U2")],
                    [need("N0", 100, quantity=3), need("N1", 150, quantity=3, priority=4)], providers={"U1": 1}),
         (28, 1200), False),
    Case("two_categories_and_tags",
         # parking: R0 -> N0 (2 x 300 m); care: only R2 has the tag: N1 gets 1 at 700 m (w16)
         make_round([resource("R0", 0, capacity=2), resource("R1", 100, category="care", capacity=5),
                     resource("R2", 1000, category="care", tags=["law"])],
                    [need("N0", 300, quantity=2), need("N1", 300, category="care", quantity=2, priority=5,
                                                         required_tags=["law"])]),
         (24, 1300), True),
    Case("nothing_to_match",
         make_round([resource("R0", 0)], [need("N0", 100, category="care")]),
         (0, 0), True),
]


def test_case_flags_match_the_problem():
    for case in CASES:
        assert prepare(case.doc).problem.is_plain() == case.plain, case.name


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_conformance(case: Case, solver: str):
    prep = prepare(case.doc)
    if solver == "flow" and not case.plain and not case.message_ids:  # (lock conflicts are found before any solver)
        with pytest.raises(UnsupportedSolverError) as info:
            solve_prepared(prep, solver="flow", workers=1)
        assert info.value.problems[0].path == "params.solver"
        return
    result = solve_prepared(prep, solver=solver, workers=1, timings=False)
    doc = result.document
    if case.optimum is None:
        if solver == "greedy":
            assert doc["status"] in ("infeasible", "unknown")
        else:
            assert doc["status"] == "infeasible"
        for ident in case.message_ids:
            assert ident in doc["message"], doc["message"]
        assert doc["projects"] == []
        return
    best_v, best_d = case.optimum
    v, d = doc["objective"]["served_value"], doc["objective"]["total_distance_m"]
    on = result.solution.x > 0
    assert verify(prep.tables, prep.pairs.res[on], prep.pairs.need[on], result.solution.x[on], v, d) == []
    assert sum(p["quantity"] * p["distance_m"] for p in doc["projects"]) == d
    if solver == "greedy":
        assert doc["status"] == "feasible"
        assert (v, -d) <= (best_v, -best_d)
    else:
        assert doc["status"] == "optimal"
        assert (v, d) == (best_v, best_d)
        assert doc["objective"]["bound_served_value"] == best_v
    for lk in case.doc["locked"]:
        rows = [p for p in doc["projects"] if (p["need_id"], p["resource_id"]) == (lk["need_id"], lk["resource_id"])]
        assert len(rows) == 1 and rows[0]["quantity"] == lk["quantity"] and rows[0]["locked"] is True


def test_greedy_is_strictly_worse_on_the_trap():
    """Guards the suite itself: the trap round really separates greedy from exact."""
    case = next(c for c in CASES if c.name == "greedy_trap")
    result = solve_prepared(prepare(case.doc), solver="greedy", workers=1)
    assert result.document["objective"]["served_value"] < case.optimum[0]


def test_solver_from_params_is_used():
    case = CASES[0]
    for name in SOLVERS:
        doc = dict(case.doc, params={"solver": name})
        assert solve_prepared(prepare(doc), workers=1).document["solver"] == name


def test_unknown_solver_name_is_an_input_error():
    """An unknown solver name given to the service (not via the validated params) is the caller's error."""
    with pytest.raises(UnsupportedSolverError) as info:
        solve_prepared(prepare(CASES[0].doc), solver="simplex")
    assert info.value.problems[0].path == "params.solver"
    assert "simplex" in info.value.problems[0].message


def test_empty_round():
    doc = make_round([], [])
    for name in SOLVERS:
        result = solve_prepared(prepare(doc), solver=name, workers=1)
        assert result.document["objective"]["served_value"] == 0
        assert result.document["projects"] == [] and result.document["unmet"] == []
        assert result.status.value in ("optimal", "feasible")
    assert np.asarray(prepare(doc).pairs.res).size == 0
