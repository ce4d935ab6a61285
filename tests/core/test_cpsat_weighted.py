"""CP-SAT's one weighted run of every level (matcher.solvers.cpsat.lexicographic_weights): the
weighted optimum is the lexicographic one. Checked on the weights themselves, and on rounds with
every level (value, churn, shortfall, distance) against the independent MILP of
tests/core/reference_levels.py, with the levels one by one as a second opinion."""
from __future__ import annotations

import itertools
import random

import pytest

from matcher.problem import SolveOptions, Status
from matcher.service import prepare
from matcher.solvers import cpsat

from .reference_levels import milp_levels
from .test_levels import random_round, rerun


def test_each_level_outweighs_everything_below_it():
    rnd = random.Random(5)
    for _ in range(200):
        spans = [rnd.randint(1, 40) for _ in range(rnd.randint(1, 4))]
        stages = [cpsat.Stage(f"L{k}", None, 1, s) for k, s in enumerate(spans)]
        w = cpsat.lexicographic_weights(stages)
        assert w[-1] == 1
        for k in range(len(spans) - 1):
            below = sum(w[j] * (spans[j] - 1) for j in range(k + 1, len(spans)))
            assert w[k] > below, (spans, w)


def test_the_weighted_order_is_the_lexicographic_order():
    spans = [3, 4, 5]
    stages = [cpsat.Stage(f"L{k}", None, 1, s) for k, s in enumerate(spans)]
    w = cpsat.lexicographic_weights(stages)
    keys = list(itertools.product(*(range(s) for s in spans)))
    by_weight = sorted(keys, key=lambda key: sum(a * b for a, b in zip(key, w)))
    assert by_weight == sorted(keys)


def test_weights_that_a_double_cannot_hold_are_refused():
    stages = [cpsat.Stage("value", None, -1, 2 ** 26), cpsat.Stage("distance", None, 1, 2 ** 26)]
    assert cpsat.lexicographic_weights(stages) is not None
    assert cpsat.lexicographic_weights([*stages, cpsat.Stage("churn", None, 1, 2)]) is None


def _every_level(seed: int) -> dict:
    doc = rerun(random_round(seed, side_rules=True), seed)  # a previous plan: churn
    rnd = random.Random(seed)
    for p in doc["providers"]:
        p["target_projects"] = rnd.randint(0, 4)  # targets: participation
    return doc


@pytest.mark.parametrize("seed", range(8))
def test_one_weighted_run_proves_every_level(seed, monkeypatch):
    doc = _every_level(seed)
    p = prepare(doc).problem
    ref = milp_levels(doc)
    want = (ref["served_value"], ref["churn"], ref["shortfall"], ref["total_distance"])
    weighted = cpsat.solve(p, SolveOptions(time_limit_s=30))
    assert weighted.status is Status.OPTIMAL and len(weighted.stats.level_seconds) == 1  # the weighted run
    assert p.levels(weighted.x) == want
    monkeypatch.setattr(cpsat, "WEIGHTED_PAIRS", 0)
    staged = cpsat.solve(p, SolveOptions(time_limit_s=30))
    assert staged.status is Status.OPTIMAL and len(staged.stats.level_seconds) == 4
    assert p.levels(staged.x) == want


def test_too_wide_a_range_runs_the_levels_one_by_one(monkeypatch):
    doc = _every_level(1)
    p = prepare(doc).problem
    monkeypatch.setattr(cpsat, "EXACT_OBJECTIVE", 1000)  # as if the weights needed more than 53 bits
    sol = cpsat.solve(p, SolveOptions(time_limit_s=30))
    assert sol.status is Status.OPTIMAL and len(sol.stats.level_seconds) == 4
    ref = milp_levels(doc)
    assert p.levels(sol.x) == (ref["served_value"], ref["churn"], ref["shortfall"], ref["total_distance"])


def test_a_weighted_run_cut_short_hands_its_result_to_the_levels(monkeypatch):
    # the weighted run gets almost no time: the levels one by one start from what it found
    doc = _every_level(2)
    p = prepare(doc).problem
    monkeypatch.setattr(cpsat, "WEIGHTED_SHARE", 1e-6)
    sol = cpsat.solve(p, SolveOptions(time_limit_s=30))
    ref = milp_levels(doc)
    assert sol.status is Status.OPTIMAL
    assert p.levels(sol.x) == (ref["served_value"], ref["churn"], ref["shortfall"], ref["total_distance"])
