"""The benchmark generator: deterministic, valid, city-like."""
from __future__ import annotations

import pytest

from benchmarks.generate import dumps, generate
from matcher.service import prepare


def test_same_seed_same_document():
    assert dumps(generate("S", seed=7)) == dumps(generate("S", seed=7))


def test_different_seed_different_document():
    assert dumps(generate("S", seed=7)) != dumps(generate("S", seed=8))


@pytest.mark.parametrize("rules", ["plain", "members", "full"])
def test_generated_round_is_valid_and_matchable(rules):
    doc = generate("S", seed=3, rules=rules)
    prep = prepare(dumps(doc))
    assert prep.tables.n_res == len(doc["resources"]) and prep.tables.n_need == len(doc["needs"])
    assert len(prep.pairs) > 0
    cats = {n["category"] for n in doc["needs"]}
    assert {"parking", "after_school", "elderly_meal", "skill", "venue"} <= cats
    members = [p for p in doc["providers"] if p["kind"] == "member"]
    assert members and any(p["kind"] == "unit" for p in doc["providers"])
    limited = [p for p in members if "max_projects" in p]
    if rules == "plain":
        assert not limited and prep.problem.is_plain()
    else:
        assert limited and all(p["max_projects"] in (1, 2) for p in limited)
