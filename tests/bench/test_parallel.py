"""Decomposed and Dask-parallel solves give the single-process result."""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks.generate import dumps, generate
from matcher import parallel
from matcher.service import prepare, solve_prepared
from matcher.solvers import plan

distributed = pytest.importorskip("distributed")


def _key(result):
    doc = result.document
    projects = sorted((p["need_id"], p["resource_id"], p["quantity"]) for p in doc["projects"])
    return doc["objective"]["served_value"], doc["objective"]["total_distance_m"], projects


@pytest.fixture(scope="module")
def cluster():
    with parallel.local_cluster(2, processes=False) as runner:
        yield runner


@pytest.fixture
def small_tasks(monkeypatch):
    """Force many flow tasks even on small rounds."""
    monkeypatch.setattr(plan, "FLOW_TASK_PAIRS", 200)
    monkeypatch.setattr(plan, "FLOW_PART_PAIRS", 50)


CASES = [("plain", s) for s in (11, 12, 13)] + [("members", 21), ("full", 31)]


@pytest.mark.parametrize("rules,seed", CASES)
def test_dask_equals_single_process(cluster, small_tasks, rules, seed):
    prep = prepare(dumps(generate("S", seed=seed, rules=rules, resources=240, needs=90)))
    single = solve_prepared(prep, timings=False, workers=1)
    with parallel.using(cluster):
        spread = solve_prepared(prep, timings=False, workers=1)
    assert single.status.value == "optimal" and spread.status.value == "optimal"
    assert _key(spread) == _key(single)
    assert (single.solution.stats.flow_tasks or 0) >= 1


@pytest.mark.parametrize("seed", [41, 42])
def test_decomposed_equals_one_flow(monkeypatch, seed):
    prep = prepare(dumps(generate("S", seed=seed)))
    one = solve_prepared(prep, timings=False)
    monkeypatch.setattr(plan, "FLOW_TASK_PAIRS", 100)
    monkeypatch.setattr(plan, "FLOW_PART_PAIRS", 10)
    many = solve_prepared(prep, timings=False)
    assert many.solution.stats.flow_tasks > one.solution.stats.flow_tasks == 1
    assert _key(many)[:2] == _key(one)[:2]
    np.testing.assert_array_equal(np.bincount(prep.pairs.need, weights=many.solution.x) > 0,
                                  np.bincount(prep.pairs.need, weights=one.solution.x) > 0)


def test_flow_batches_cover_plain_parts_once():
    label = np.array([0, 0, 1, 2, 2, 2, -1, 3, 1])
    plain = np.array([True, False, True, True])
    old = plan.FLOW_TASK_PAIRS, plan.FLOW_PART_PAIRS
    try:
        plan.FLOW_TASK_PAIRS, plan.FLOW_PART_PAIRS = 1, 3
        batches = plan.flow_batches(label, plain)
    finally:
        plan.FLOW_TASK_PAIRS, plan.FLOW_PART_PAIRS = old
    got = np.sort(np.concatenate(batches))
    np.testing.assert_array_equal(got, [0, 1, 3, 4, 5, 7])
    assert any(set(b.tolist()) == {3, 4, 5} for b in batches)


@pytest.mark.parametrize("seed", [51, 52])
def test_local_process_pool_equals_single_process(small_tasks, monkeypatch, seed):
    prep = prepare(dumps(generate("S", seed=seed, resources=240, needs=90)))
    monkeypatch.setenv("MATCHER_LOCAL_POOL", "0")
    single = solve_prepared(prep, timings=False)
    monkeypatch.setenv("MATCHER_LOCAL_POOL", "1")
    monkeypatch.setattr(parallel, "FORK_MIN_COST", 0)
    pooled = solve_prepared(prep, timings=False, workers=2)
    assert single.solution.stats.flow_tasks > 1
    assert _key(pooled) == _key(single)


@pytest.mark.parametrize("rules,seed", [("plain", 61), ("full", 62)])
def test_pairs_on_forked_processes_equal_serial_pairs(monkeypatch, rules, seed):
    from matcher import candidates
    from matcher.tables import build_tables
    from matcher.validation import parse_round

    tables = build_tables(parse_round(dumps(generate("S", seed=seed, rules=rules, resources=300, needs=120))))
    monkeypatch.setenv("MATCHER_LOCAL_POOL", "0")
    serial = candidates.candidate_pairs(tables)
    monkeypatch.setenv("MATCHER_LOCAL_POOL", "1")
    monkeypatch.setattr(candidates, "PARALLEL_WORK", 0)
    assert len(candidates._shares(tables, 2)) == 2
    forked = candidates.candidate_pairs(tables, workers=2)
    assert len(serial) > 0
    for name in ("res", "need", "dist_m", "dist", "lock"):
        np.testing.assert_array_equal(getattr(forked, name), getattr(serial, name))
