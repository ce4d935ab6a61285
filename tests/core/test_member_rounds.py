"""Member rounds (providers with max_projects 1-2): the LP bound and the LP dive.

The exact optimum is computed here by a two-level MILP (scipy HiGHS) written
from the contract over the problem's arrays, independent of matcher's solvers:
integer quantity x and project indicator y per pair, z per all-or-nothing need.
"""
from __future__ import annotations

import random
import time

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from matcher.problem import Problem
from matcher.service import prepare, solve_prepared
from matcher.solvers import heuristics, lp, plan, side
from matcher.verify import verify

from .builders import make_round, need, resource


def exact(p: Problem) -> tuple[int, int]:
    """(best served value, least distance at that value) by a two-level MILP."""
    P, nr, nn, ng = p.n_pairs, p.cap.size, p.qty.size, p.group_limit.size
    if P == 0:
        return 0, 0
    res, nd = p.pair_res.astype(int), p.pair_need.astype(int)
    top = np.minimum(p.cap[res], p.qty[nd]).astype(float)
    lock = p.pair_lock.astype(float)
    minq = p.min_qty[res].astype(float)
    nv = 2 * P + nn  # x, y, z
    lo, hi = np.zeros(nv), np.zeros(nv)
    rows, cols, vals, lb, ub = [], [], [], [], []
    nrow = 0

    def add(coefs, low, high):
        nonlocal nrow
        for k, v in coefs:
            rows.append(nrow)
            cols.append(k)
            vals.append(v)
        lb.append(low)
        ub.append(high)
        nrow += 1

    for k in range(P):
        if lock[k] > 0:
            lo[k] = hi[k] = lock[k]
            lo[P + k] = hi[P + k] = 1
        else:
            hi[k] = top[k]
            hi[P + k] = 1
            add([(k, 1), (P + k, -top[k])], -np.inf, 0)
            add([(k, 1), (P + k, -minq[k])], 0, np.inf)
    for r in range(nr):
        add([(k, 1) for k in np.flatnonzero(res == r)], -np.inf, p.cap[r])
    for n in range(nn):
        ks = [(k, 1) for k in np.flatnonzero(nd == n)]
        if p.aon[n]:
            hi[2 * P + n] = 1
            add(ks + [(2 * P + n, -float(p.qty[n]))], 0, 0)
        else:
            add(ks, -np.inf, p.qty[n])
    grp = p.group[res]
    for g in range(ng):
        if p.group_limit[g] >= 0:
            add([(P + k, 1) for k in np.flatnonzero(grp == g)], -np.inf, p.group_limit[g])
    a = coo_matrix((vals, (rows, cols)), shape=(nrow, nv)).tocsr()
    value = np.zeros(nv)
    value[:P] = p.weight[nd]
    dist = np.zeros(nv)
    dist[:P] = p.pair_dist
    cons = [LinearConstraint(a, lb, ub)]
    first = milp(-value, integrality=np.ones(nv), bounds=Bounds(lo, hi), constraints=cons)
    assert first.status == 0, first.message
    best = int(round(-first.fun))
    cons.append(LinearConstraint(value[None, :], best - 0.5, np.inf))
    second = milp(dist, integrality=np.ones(nv), bounds=Bounds(lo, hi), constraints=cons)
    assert second.status == 0, second.message
    return best, int(round(second.fun))


def random_problem(seed: int) -> Problem:
    """Arrays of a small member-like part: limits 1-2, some minimum lots,
    all-or-nothing needs and locks (locks kept within every limit)."""
    rng = np.random.default_rng(seed)
    nr, nn = int(rng.integers(8, 30)), int(rng.integers(4, 14))
    ng = max(1, nr - int(rng.integers(0, nr // 2 + 1)))
    group = np.r_[np.arange(ng), rng.integers(0, ng, nr - ng)].astype(np.int32)
    rng.shuffle(group)
    limit = rng.choice([1, 2, 2, -1] if seed % 3 == 0 else [1, 2], ng).astype(np.int64)
    cap = rng.integers(1, 9, nr).astype(np.int64)
    min_qty = np.where(rng.random(nr) < 0.2, rng.integers(2, 4, nr), 1).astype(np.int64)
    qty = rng.integers(1, 25, nn).astype(np.int64)
    weight = rng.choice([1, 2, 4, 8, 16], nn).astype(np.int64)
    aon = rng.random(nn) < 0.15
    pr, pn = np.nonzero(rng.random((nr, nn)) < rng.uniform(0.15, 0.5))
    dist = rng.integers(0, 3000, pr.size).astype(np.int64)
    lock = np.zeros(pr.size, dtype=np.int64)
    cap_left, qty_left = cap.copy(), qty.copy()
    used = np.zeros(ng, dtype=np.int64)
    for k in rng.permutation(pr.size)[: int(rng.integers(0, 3))]:
        r, n = pr[k], pn[k]
        g = group[r]
        if aon[n] or cap_left[r] < 1 or qty_left[n] < 1 or (limit[g] >= 0 and used[g] >= limit[g]):
            continue
        lock[k] = 1
        cap_left[r] -= 1
        qty_left[n] -= 1
        used[g] += 1
    return Problem(cap, min_qty, group, limit, qty, weight, aon, pr.astype(np.int32), pn.astype(np.int32), dist, lock)


@pytest.mark.parametrize("seed", range(40))
def test_lp_bound_is_at_least_the_optimum(seed):
    p = random_problem(seed)
    best, _ = exact(p)
    bound, res = lp.lp_bound(p)
    assert res is not None
    assert best <= bound <= p.value_upper_bound()
    assert bound <= int(np.floor(res.value + 1e-6)) + 1  # the proof is the LP value, not a loose one
    rng = np.random.default_rng(seed)  # any multipliers give a valid bound
    for _ in range(5):
        pi, sigma, lam = (rng.exponential(rng.choice([0.1, 1.0, 5.0]), size) * (rng.random(size) < 0.7)
                          for size in (p.cap.size, p.qty.size, p.group_limit.size))
        assert lp.lagrangian_bound(p, pi, sigma, lam) >= best


@pytest.mark.parametrize("seed", range(40))
def test_dive_result_is_feasible_and_not_above_the_optimum(seed):
    p = random_problem(seed)
    best, _ = exact(p)
    bound, res = lp.lp_bound(p)
    cols = lp.nearest_pairs(p, 3) | (res.x > 1e-6) | p.locked
    rounded = lp.dive(p, cols, time.perf_counter() + 30)
    x = heuristics.repair(p, rounded)
    assert x is not None
    assert np.array_equal(x[p.locked], p.pair_lock[p.locked])
    on = x > 0
    assert (x >= 0).all() and (x <= p.pair_hi()).all()
    assert (np.bincount(p.pair_res, weights=x, minlength=p.cap.size) <= p.cap).all()
    got = np.bincount(p.pair_need, weights=x, minlength=p.qty.size)
    assert (got <= p.qty).all() and not (p.aon & (got > 0) & (got < p.qty)).any()
    assert ((x[on] >= p.min_qty[p.pair_res[on]]) | p.locked[on]).all()
    projects = np.bincount(p.group[p.pair_res[on]], minlength=p.group_limit.size)
    assert ((p.group_limit < 0) | (projects <= p.group_limit)).all()
    assert p.objective(x)[0] <= best <= bound
    assert p.is_feasible(x)  # the shared check agrees with the rule-by-rule checks above
    bad = x.copy()
    bad[0] = max(p.pair_hi()[0], p.pair_lock[0]) + 1
    assert not p.is_feasible(bad)


def member_round(seed: int) -> dict:
    """A small round document: members with 1-2 posts, two categories on one street."""
    rnd = random.Random(seed)
    providers, resources, needs = {}, [], []
    for i in range(rnd.randint(10, 24)):
        pid = f"M{i % rnd.randint(6, 14)}"
        providers.setdefault(pid, rnd.choice([1, 2]))
        extra = {"min_quantity": 2} if rnd.random() < 0.1 else {}
        resources.append(resource(f"R{i}", rnd.uniform(0, 3000), provider=pid, category=rnd.choice("ab"),
                                  capacity=rnd.randint(1, 6), **extra))
    for j in range(rnd.randint(4, 12)):
        needs.append(need(f"N{j}", rnd.uniform(0, 3000), category=rnd.choice("ab"), quantity=rnd.randint(1, 15),
                          priority=rnd.randint(1, 5), all_or_nothing=rnd.random() < 0.1))
    return make_round(resources, needs, providers=providers, max_distance_m=1200)


def _check(result, best: tuple[int, int]) -> None:
    sol, prep = result.solution, result.prepared
    on = sol.x > 0
    p = prep.problem
    assert verify(prep.tables, p.pair_res[on], p.pair_need[on], sol.x[on], sol.served_value,
                  sol.total_distance) == []
    assert sol.served_value <= best[0] <= sol.bound_served_value
    if sol.status.value == "optimal":
        assert (sol.served_value, sol.total_distance) == best


@pytest.mark.parametrize("seed", range(25))
def test_round_with_lp_dive_only(monkeypatch, seed):
    """Every part takes the LP path and CP-SAT is skipped: feasible, value <= optimum <= bound."""
    monkeypatch.setattr(plan, "HEURISTIC_PAIRS", 0)
    monkeypatch.setattr(side, "CPSAT_PAIRS_PER_S", 0)
    prep = prepare(member_round(seed))
    result = solve_prepared(prep, timings=False, solver="auto")
    assert result.status.value in ("feasible", "optimal")
    _check(result, exact(prep.problem))


@pytest.mark.parametrize("seed", range(25))
def test_round_with_lp_dive_then_cpsat_claims_only_the_true_optimum(monkeypatch, seed):
    monkeypatch.setattr(plan, "HEURISTIC_PAIRS", 0)
    prep = prepare(member_round(seed))
    result = solve_prepared(prep, timings=False, solver="auto")
    _check(result, exact(prep.problem))
    assert result.status.value == "optimal"  # small parts: CP-SAT proves both levels


@pytest.mark.parametrize("seed", range(6))
def test_time_limited_member_round_keeps_a_valid_bound(monkeypatch, seed):
    monkeypatch.setattr(plan, "HEURISTIC_PAIRS", 0)
    prep = prepare(member_round(100 + seed))
    result = solve_prepared(prep, timings=False, solver="auto", time_limit_s=0.01)
    assert result.status.value in ("feasible", "optimal")
    _check(result, exact(prep.problem))
