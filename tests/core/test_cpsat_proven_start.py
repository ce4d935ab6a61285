"""CP-SAT: a start at the served value's upper bound proves level 1 without a search (same optimum)."""
from __future__ import annotations

import numpy as np
import pytest

from matcher.problem import SolveOptions
from matcher.service import prepare
from matcher.solvers import cpsat, flow
from tests.whatif.rounds import random_round


def _roomy(seed: int) -> dict:
    doc = random_round(seed, n_res=6, n_need=8, categories=("parking",))
    for r in doc["resources"]:
        r["capacity"] = 60  # room for every need it reaches
    return doc


@pytest.mark.parametrize("seed", range(4))
def test_a_start_at_the_bound_skips_the_value_search_and_keeps_the_optimum(seed):
    p = prepare(_roomy(900 + seed)).problem
    best = flow.solve(p, SolveOptions())
    assert best.served_value == p.value_upper_bound()
    s = cpsat.solve(p, SolveOptions(hint=best.x))
    assert s.status.value == "optimal" and s.stats.level_seconds[0] == 0.0
    assert (s.served_value, s.total_distance) == (best.served_value, best.total_distance)
    plain = cpsat.solve(p, SolveOptions(hint=np.zeros_like(best.x)))  # a start below the bound: searched
    assert plain.stats.level_seconds[0] > 0.0
    assert (plain.served_value, plain.total_distance) == (best.served_value, best.total_distance)


def test_an_infeasible_start_at_the_bound_proves_nothing():
    p = prepare(_roomy(950)).problem
    best = flow.solve(p, SolveOptions())
    bad = best.x.copy()
    k = int(np.flatnonzero(bad > 0)[0])
    bad[k] += int(p.cap[p.pair_res[k]])  # over its capacity; the value may exceed the bound too
    assert cpsat._proven_start(p, bad) is None
    assert cpsat._proven_start(p, best.x) is not None
