"""Eligibility (contract rules 1-5, locks) of matcher.candidates.candidate_pairs,
checked by hand on tiny rounds and against a brute-force pure-Python reference."""
from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from matcher.geo import haversine_m
from matcher.service import prepare

from . import reference
from .builders import LON0, at, haversine, make_round, need, resource
from .strategies import rounds


def pair_set(doc) -> set[tuple[str, str, int]]:
    prep = prepare(doc)
    t, p = prep.tables, prep.pairs
    return {(t.res_ids[i], t.need_ids[j], int(q)) for i, j, q in zip(p.res.tolist(), p.need.tolist(), p.lock.tolist())}


def resources_for(doc, nid: str = "N0") -> set[str]:
    return {r for r, n, _ in pair_set(doc) if n == nid}


# ---- rule 1: category ---------------------------------------------------------------

def test_pairs_only_within_one_category():
    doc = make_round([resource("R0", category="parking"), resource("R1", category="care")],
                     [need("N0", category="care"), need("N1", category="parking")])
    assert pair_set(doc) == {("R1", "N0", 0), ("R0", "N1", 0)}


# ---- rule 2: tags ---------------------------------------------------------------------

def test_required_tags_must_be_a_subset():
    res = [resource("R0", tags=["law", "art"]), resource("R1", tags=["law"]), resource("R2", tags=[]),
           resource("R3", tags=["art", "law", "health"])]
    doc = make_round(res, [need("N0", required_tags=["law", "art"]), need("N1", required_tags=[]),
                           need("N2", required_tags=["law"])])
    assert resources_for(doc, "N0") == {"R0", "R3"}
    assert resources_for(doc, "N1") == {"R0", "R1", "R2", "R3"}
    assert resources_for(doc, "N2") == {"R0", "R1", "R3"}


def test_tags_are_compared_exactly():
    doc = make_round([resource("R0", tags=["法律援助"]), resource("R1", tags=["Law"])],
                     [need("N0", required_tags=["法律援助"]), need("N1", required_tags=["law"])])
    assert pair_set(doc) == {("R0", "N0", 0)}


# ---- rule 3: distance -------------------------------------------------------------------

def exact_distance(y: float) -> float:
    d = float(haversine_m(at(0), LON0, at(y), LON0))
    assert abs(d - haversine(at(0), LON0, at(y), LON0)) < 1e-6
    return d


@pytest.mark.parametrize("who", ["params", "resource", "need"])
@pytest.mark.parametrize("y", [37.0, 500.0, 1000.0, 2999.0])
def test_distance_exactly_at_the_limit_is_included_and_one_metre_beyond_is_not(who, y):
    d = exact_distance(y)

    def doc_with(limit):
        r, n = resource("R0", 0), need("N0", y)
        params = {"max_distance_m": 5000.0}
        if who == "params":
            params["max_distance_m"] = limit
        elif who == "resource":
            r["max_distance_m"] = limit
        else:
            n["max_distance_m"] = limit
        return make_round([r], [n], **params)

    assert pair_set(doc_with(d)) == {("R0", "N0", 0)}
    assert pair_set(doc_with(d - 1.0)) == set()
    assert pair_set(doc_with(d + 1.0)) == {("R0", "N0", 0)}


@pytest.mark.parametrize("g,r,n,expected", [
    # limits of params / resource / need; the need is 700 m from R0 and 550 m from R1
    (3000, 800, 600, {"R1"}),
    (3000, 600, 800, {"R1"}),
    (600, 800, 800, {"R1"}),
    (3000, None, None, {"R0", "R1"}),
    (650, None, None, {"R1"}),
    (3000, None, 500, set()),
    (3000, 701, None, {"R0", "R1"}),
    (500, 5000, 5000, set()),
])
def test_the_smallest_of_the_three_limits_applies(g, r, n, expected):
    res = [resource("R0", 0, max_distance_m=r), resource("R1", 150, max_distance_m=r)]
    doc = make_round(res, [need("N0", 700, max_distance_m=n)], max_distance_m=g)
    assert resources_for(doc) == expected


def test_default_global_limit_is_3000():
    doc = make_round([resource("R0", 0), resource("R1", 3100)], [need("N0", 10), need("N1", 3200)])
    del doc["params"]
    assert pair_set(doc) == {("R0", "N0", 0), ("R1", "N1", 0)}


def test_distance_is_great_circle_and_rounded():
    r = resource("R0")
    n = need("N0", lat=39.9, lon=116.4)
    r.update(lat=39.91, lon=116.41)
    prep = prepare(make_round([r], [n]))
    d = haversine(39.91, 116.41, 39.9, 116.4)
    assert prep.pairs.dist_m[0] == pytest.approx(d, abs=1e-6)
    assert int(prep.pairs.dist[0]) == round(d)


# ---- rule 5 and locks -----------------------------------------------------------------

def test_forbidden_pairs_are_removed():
    doc = make_round([resource("R0"), resource("R1", 10)], [need("N0"), need("N1")], forbidden=[("N0", "R1")])
    assert pair_set(doc) == {("R0", "N0", 0), ("R0", "N1", 0), ("R1", "N1", 0)}


def test_locked_pairs_are_added_even_when_rules_2_to_4_fail():
    res = [resource("R-tags", 0, tags=[], capacity=5),
           resource("R-far", 9000, capacity=5),
           resource("R-time", 0, capacity=5, windows=[{"days": ["mon"], "start": "08:00", "end": "09:00"}]),
           resource("R-ok", 5, capacity=5)]
    nd = need("N0", quantity=10, required_tags=["law"], windows=[{"days": ["tue"], "start": "08:00", "end": "09:00"}])
    plain = make_round(res, [nd])
    assert pair_set(plain) == set()  # R-ok lacks the tag too
    locked = make_round(res, [nd], locked=[("N0", "R-tags", 1), ("N0", "R-far", 2), ("N0", "R-time", 3)])
    assert pair_set(locked) == {("R-tags", "N0", 1), ("R-far", "N0", 2), ("R-time", "N0", 3)}
    prep = prepare(locked)
    k = prep.tables.res_ids.index("R-far")
    far = [d for i, d in zip(prep.pairs.res.tolist(), prep.pairs.dist.tolist()) if i == k]
    assert far == [9000]


def test_a_locked_eligible_pair_is_marked_not_duplicated():
    doc = make_round([resource("R0", capacity=3), resource("R1", 5, capacity=3)], [need("N0", quantity=4)],
                     locked=[("N0", "R1", 2)])
    assert pair_set(doc) == {("R0", "N0", 0), ("R1", "N0", 2)}
    assert len(prepare(doc).pairs) == 2


def test_pairs_sorted_by_need_then_distance_then_resource():
    res = [resource("R0", 300), resource("R1", 100), resource("R2", -100), resource("R3", 50)]
    needs = [need("N0", 0), need("N1", 200)]
    prep = prepare(make_round(res, needs))
    rows = [(j, d, i) for i, j, d in zip(prep.pairs.res.tolist(), prep.pairs.need.tolist(), prep.pairs.dist.tolist())]
    assert rows == sorted(rows)
    # N0: R3 50, R1 100 and R2 100 (tie -> resource index), R0 300
    assert [i for j, _, i in rows if j == 0] == [3, 1, 2, 0]


# ---- random rounds against the brute-force reference --------------------------------

@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds(min_items=1, max_items=12))
def test_candidate_pairs_match_brute_force(doc):
    prep = prepare(copy.deepcopy(doc))
    t, p = prep.tables, prep.pairs
    got = [(t.res_ids[i], t.need_ids[j], int(q)) for i, j, q in zip(p.res.tolist(), p.need.tolist(), p.lock.tolist())]
    assert len(got) == len(set(got))
    assert set(got) == set(reference.pairs(doc))
    res = {r["id"]: r for r in doc["resources"]}
    needs = {n["id"]: n for n in doc["needs"]}
    for (rid, nid, _), dm, d in zip(got, p.dist_m.tolist(), p.dist.tolist()):
        exact = reference.distance(res[rid], needs[nid])
        assert dm == pytest.approx(exact, abs=1e-6)
        assert d == round(exact)
    keys = [(j, d, i) for i, j, d in zip(p.res.tolist(), p.need.tolist(), p.dist.tolist())]
    assert keys == sorted(keys)


@pytest.mark.parametrize("rules", ["plain", "full"])
def test_small_categories_measured_pair_by_pair_give_the_k_d_tree_pairs(monkeypatch, rules):
    """Up to ALL_PAIRS_MAX a category measures every pair instead of querying a k-d tree: same pairs, same order."""
    import matcher.candidates as C
    from benchmarks.generate import dumps, generate
    from matcher.tables import build_tables
    from matcher.validation import parse_round

    t = build_tables(parse_round(dumps(generate("S", 5, rules, resources=300, needs=120))))
    monkeypatch.setattr(C, "ALL_PAIRS_MAX", 0)
    by_tree = C.candidate_pairs(t)
    monkeypatch.setattr(C, "ALL_PAIRS_MAX", 10**9)
    by_all = C.candidate_pairs(t)
    assert len(by_tree) > 100
    for field in ("res", "need", "dist_m", "dist", "lock"):
        assert np.array_equal(getattr(by_tree, field), getattr(by_all, field)), field
