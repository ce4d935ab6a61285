"""The scipy-free paths of small rounds (a tiny solve does not import scipy) against scipy itself."""
from __future__ import annotations

import random

import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from matcher import problem, reasons
from matcher.geo import to_xyz
from matcher.service import prepare

from .builders import make_round, need, resource


@pytest.mark.parametrize("seed", range(20))
def test_components_of_small_graphs_equal_scipys(seed):
    rng = np.random.default_rng(seed)
    for _ in range(100):
        n, m = int(rng.integers(1, 80)), int(rng.integers(0, 120))
        a, b = rng.integers(0, n, m), rng.integers(0, n, m)
        want = connected_components(coo_matrix((np.ones(m, dtype=np.int8), (a, b)), shape=(n, n)), directed=False)[1]
        assert problem.components(n, a, b).tolist() == want.tolist()


def test_components_of_a_long_path_and_above_the_threshold():
    a = np.arange(9_999)[::-1]
    assert problem.components(10_000, a, a + 1).tolist() == [0] * 10_000  # the deepest trees: one chain
    n = problem.SMALL_GRAPH  # the scipy path beyond the threshold gives the same labels
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, n, n // 2), rng.integers(0, n, n // 2)
    small = np.unique(problem._smallest_node(n, a, b), return_inverse=True)[1]
    assert problem.components(n, a, b).tolist() == small.tolist()


@pytest.mark.parametrize("seed", range(10))
def test_nearest_resource_compared_directly_equals_the_kd_tree(seed, monkeypatch):
    rng = random.Random(seed)
    res = [resource(f"R{i}", rng.uniform(0, 20_000), category=rng.choice(["a", "b"]), capacity=1) for i in range(40)]
    nds = [need(f"N{j}", rng.uniform(0, 20_000), category=rng.choice(["a", "b", "c"])) for j in range(60)]
    t = prepare(make_round(res, nds)).tables
    needs = np.arange(len(nds))
    direct = reasons.nearest_resource(t, needs)
    want = np.full(needs.size, -1)
    for j in needs.tolist():
        same = np.flatnonzero(t.res_cat == t.need_cat[j])
        if same.size:
            _, k = cKDTree(to_xyz(t.res_lat[same], t.res_lon[same])).query(to_xyz(t.need_lat[[j]], t.need_lon[[j]]))
            want[j] = same[int(np.asarray(k).reshape(-1)[0])]
    assert direct.tolist() == want.tolist()
    assert (direct == -1).any() or "c" not in {n["category"] for n in nds}  # category c has no resource
    monkeypatch.setattr(reasons, "SMALL_SEARCH", 0)  # the k-d tree path of big categories
    assert reasons.nearest_resource(t, needs).tolist() == want.tolist()
