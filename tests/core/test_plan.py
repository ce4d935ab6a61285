"""Planning an auto solve (matcher/solvers/plan.py): a pure function of the problem, no solving."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from matcher.problem import NO_LIMIT, Problem
from matcher.solvers import cpsat, flow, plan as planning
from matcher.solvers.plan import Method, plan


def problem(pairs, cap, qty, *, group=None, limit=None, min_qty=None, aon=None, lock=None, target=None) -> Problem:
    """A problem from ``pairs`` = [(resource, need, metres)] and per-resource / per-need lists."""
    res, need, dist = (np.array(col, dtype=np.int64) for col in zip(*pairs))
    n_res, n_need = len(cap), len(qty)
    group = np.array(group if group is not None else range(n_res), dtype=np.int32)
    n_groups = int(group.max()) + 1
    return Problem(
        cap=np.array(cap, dtype=np.int64), min_qty=np.array(min_qty or [1] * n_res, dtype=np.int64), group=group,
        group_limit=np.array(limit or [NO_LIMIT] * n_groups, dtype=np.int64),
        qty=np.array(qty, dtype=np.int64), weight=np.ones(n_need, dtype=np.int64),
        aon=np.array(aon or [False] * n_need, dtype=bool),
        pair_res=res.astype(np.int32), pair_need=need.astype(np.int32), pair_dist=dist,
        pair_lock=np.array(lock or [0] * len(pairs), dtype=np.int64),
        group_target=None if target is None else np.array(target, dtype=np.int64))


@pytest.fixture
def no_solving(monkeypatch):
    """Planning must not call a solver."""
    def refuse(*args, **kwargs):
        raise AssertionError("planning called a solver")

    monkeypatch.setattr(flow, "solve", refuse)
    monkeypatch.setattr(cpsat, "solve", refuse)


def test_plain_parts_go_to_one_flow_call(no_solving):
    # two islands (R0,R1 | N0,N1) and (R2 | N2); the pair R2-N0 cannot carry a lot (min 5 > capacity 2)
    p = problem([(0, 0, 10), (1, 0, 20), (1, 1, 30), (2, 2, 40), (2, 0, 50)], cap=[2, 2, 2], qty=[3, 1, 1],
                min_qty=[1, 1, 5])
    got = plan(p)
    np.testing.assert_array_equal(got.label, [0, 0, 0, -1, -1])  # R2's pairs never carry anything
    assert [(pp.part, pp.method, pp.pairs, pp.share) for pp in got.parts] == [(0, Method.FLOW, 3, 0.0)]
    assert [b.tolist() for b in got.flow_batches] == [[0, 1, 2]]
    assert got.cpsat_order == () and got.count(Method.FLOW) == 1


@pytest.mark.parametrize("units, methods, batches", [
    # pairs of 2 units: a project is not a unit, so the flow cannot count them
    (2, [Method.CPSAT, Method.FLOW], [[2]]),
    # pairs of 1 unit: the provider's projects are its units, a provider node in the flow
    (1, [Method.FLOW, Method.FLOW], [[0, 1, 2]]),
])
def test_a_binding_provider_limit_joins_its_resources_into_one_part(no_solving, units, methods, batches):
    # R0-N0 and R1-N1 share nothing but their provider, limited to 1 project of its 2 usable pairs
    p = problem([(0, 0, 10), (1, 1, 10), (2, 2, 10)], cap=[units, units, 1], qty=[units, units, 1], group=[0, 0, 1],
                limit=[1, NO_LIMIT])
    got = plan(p)
    np.testing.assert_array_equal(got.label, [0, 0, 1])
    assert [pp.method for pp in got.parts] == methods
    if units > 1:
        assert [pp.share for pp in got.parts] == [1.0, 0.0]
    assert [b.tolist() for b in got.flow_batches] == batches


def test_a_limit_that_cannot_bind_keeps_the_parts_apart(no_solving):
    p = problem([(0, 0, 10), (1, 1, 10)], cap=[1, 1], qty=[1, 1], group=[0, 0], limit=[2])
    got = plan(p)
    assert [(pp.part, pp.method) for pp in got.parts] == [(0, Method.FLOW), (1, Method.FLOW)]


def test_cpsat_shares_follow_the_sizes_largest_first(no_solving):
    # part 0: one all-or-nothing need on 1 pair; part 1: a minimum lot over 3 pairs; part 2: plain
    p = problem([(0, 0, 5), (1, 1, 5), (1, 2, 6), (1, 3, 7), (2, 4, 8)], cap=[3, 6, 1],
                qty=[2, 2, 2, 2, 1], min_qty=[1, 2, 1], aon=[True, False, False, False, False])
    got = plan(p)
    assert [(pp.method, pp.pairs) for pp in got.parts] == [(Method.CPSAT, 1), (Method.CPSAT, 3), (Method.FLOW, 1)]
    assert [(pp.part, pp.share) for pp in got.cpsat_order] == [(1, 0.75), (0, 0.25)]
    assert sum(pp.share for pp in got.parts) == pytest.approx(1.0)
    np.testing.assert_array_equal(got.pairs_of(1), [1, 2, 3])


def test_large_side_parts_get_the_lp_heuristics(no_solving, monkeypatch):
    monkeypatch.setattr(planning, "HEURISTIC_PAIRS", 3)
    p = problem([(0, 0, 5), (1, 1, 5), (1, 2, 6), (1, 3, 7)], cap=[3, 6], qty=[2, 2, 2, 2], min_qty=[2, 2])
    assert [(pp.pairs, pp.method) for pp in plan(p).parts] == [(1, Method.CPSAT), (3, Method.LP_HEURISTICS)]


def test_a_target_that_can_bind_makes_a_side_part(no_solving):
    p = problem([(0, 0, 10), (1, 1, 10)], cap=[1, 1], qty=[1, 1], group=[0, 0], target=[2])
    got = plan(p)
    assert [(pp.method, pp.pairs) for pp in got.parts] == [(Method.CPSAT, 2)]


def test_flow_batches_pack_small_parts(no_solving, monkeypatch):
    monkeypatch.setattr(planning, "FLOW_TASK_PAIRS", 1)
    monkeypatch.setattr(planning, "FLOW_PART_PAIRS", 2)
    p = problem([(0, 0, 1), (0, 1, 2), (1, 2, 3), (2, 3, 4)], cap=[2, 1, 1], qty=[1, 1, 1, 1])
    got = plan(p)
    assert [pp.pairs for pp in got.parts] == [2, 1, 1]
    assert [b.tolist() for b in got.flow_batches] == [[0, 1], [2, 3]]  # part 0 alone, parts 1 and 2 packed


def test_moving_flow_parts_to_cpsat_recomputes_the_shares(no_solving):
    # part 0: an all-or-nothing need of 2 (CP-SAT); parts 1 (2 pairs) and 2 (1 pair): plain
    p = problem([(0, 0, 10), (1, 1, 10), (1, 2, 10), (2, 3, 10)], cap=[1, 2, 1], qty=[2, 1, 1, 1],
                aon=[True, False, False, False])
    before = plan(p)
    assert [pp.method for pp in before.parts] == [Method.CPSAT, Method.FLOW, Method.FLOW]
    after = before.with_cpsat([1])
    assert [pp.method for pp in after.parts] == [Method.CPSAT, Method.CPSAT, Method.FLOW]
    assert [(pp.part, pp.share) for pp in after.cpsat_order] == [(1, 2 / 3), (0, 1 / 3)]
    assert [pp.method for pp in before.parts] == [Method.CPSAT, Method.FLOW, Method.FLOW]  # frozen
    with pytest.raises(dataclasses.FrozenInstanceError):
        before.parts[0].share = 0.5  # type: ignore[misc]


def test_the_plan_depends_on_the_problem_only(no_solving, monkeypatch):
    p = problem([(0, 0, 10), (1, 1, 10), (2, 2, 10)], cap=[1, 1, 1], qty=[1, 1, 1], group=[0, 0, 1],
                limit=[1, NO_LIMIT])
    first = plan(p)
    monkeypatch.setenv("MATCHER_LOCAL_POOL", "0")
    again = plan(p)
    assert again.parts == first.parts
    np.testing.assert_array_equal(again.label, first.label)
    assert [b.tolist() for b in again.flow_batches] == [b.tolist() for b in first.flow_batches]


def test_nothing_usable_plans_nothing(no_solving):
    p = problem([(0, 0, 10)], cap=[1], qty=[1], min_qty=[2])
    got = plan(p)
    assert got.parts == () and got.flow_batches == () and got.label.tolist() == [-1]
