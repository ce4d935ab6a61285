"""The v1.1 data as arrays: effective priority under ageing, weights, names, previous plan, targets."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from matcher.service import solve_round
from matcher.tables import NO_LIMIT, build_tables
from matcher.validation import parse_round

from .builders import make_round, need, resource


def tables_of(doc):
    return build_tables(parse_round(doc))


def aged(priority: int, rounds_unmet: int, every: int, top: int) -> int:
    """The contract's formula, written out on its own."""
    return max(priority, min(top, priority + rounds_unmet // every))


GRID = list(itertools.product([1, 3, 5], [0, 1, 2, 5, 1000], [1, 2, 3, 10**6], [1, 2, 4, 5]))


def test_effective_priority_is_the_contracts_formula():
    needs = []
    for k, (prio, unmet, _, _) in enumerate(GRID):
        needs.append(need(f"N{k}", priority=prio, rounds_unmet=unmet))
    for every, top in {(e, t) for _, _, e, t in GRID}:
        doc = make_round([resource("R0")], needs, priority_aging={"every_rounds": every, "max_priority": top})
        t = tables_of(doc)
        want = [aged(p, u, every, top) for p, u, _, _ in GRID]
        assert t.need_eff_priority.tolist() == want, (every, top)
        assert t.need_priority.tolist() == [p for p, _, _, _ in GRID]


def test_examples_of_ageing():
    doc = make_round([resource("R0")], [need("N0", priority=2, rounds_unmet=5), need("N1", priority=4, rounds_unmet=9),
                                        need("N2", priority=3, rounds_unmet=1)],
                     priority_aging={"every_rounds": 2, "max_priority": 4})
    t = tables_of(doc)
    # 2 + 5 // 2 = 4; 4 stays 4 (cap 4); 3 + 1 // 2 = 3
    assert t.need_eff_priority.tolist() == [4, 4, 3]
    assert t.need_weight.tolist() == [8, 8, 4]


def test_a_cap_below_the_priority_never_lowers_it():
    doc = make_round([resource("R0")], [need("N0", priority=5, rounds_unmet=10)],
                     priority_aging={"every_rounds": 1, "max_priority": 2})
    assert tables_of(doc).need_eff_priority.tolist() == [5]


def test_without_ageing_rounds_unmet_changes_nothing():
    doc = make_round([resource("R0")], [need("N0", priority=2, rounds_unmet=50)], priority_weights={"2": 7})
    t = tables_of(doc)
    assert t.need_eff_priority.tolist() == [2] and t.need_weight.tolist() == [7]


def test_the_aged_need_wins_the_last_place():
    # one place; N0 priority 3 (weight 4), N1 priority 2 but 4 rounds short: aged to 4 (weight 8)
    res = [resource("R0", 0, capacity=1)]
    needs = [need("N0", 10, priority=3), need("N1", 20, priority=2, rounds_unmet=4)]
    plain = solve_round(make_round(res, needs), workers=1).document
    assert [p["need_id"] for p in plain["projects"]] == ["N0"]
    doc = make_round(res, needs, priority_aging={"every_rounds": 2, "max_priority": 5})
    out = solve_round(doc, workers=1).document
    assert [p["need_id"] for p in out["projects"]] == ["N1"]
    assert out["objective"]["served_value"] == 8


def test_names_are_carried_and_none_when_absent():
    doc = make_round([resource("R0", name="夜间车位"), resource("R1")],
                     [need("N0", community="C2", name="停车"), need("N1", community="C1")])
    doc["providers"][0]["name"] = "某机关"
    doc["communities"] = [{"id": "C1", "name": "核桃园社区"}, {"id": "C2", "name": "龙泽园社区"},
                          {"id": "C3", "name": "无需求社区"}]
    t = tables_of(doc)
    assert t.res_names == ["夜间车位", None] and t.need_names == ["停车", None]
    assert t.prov_names == ["某机关"]
    assert t.communities == ["C2", "C1"] and t.community_names == ["龙泽园社区", "核桃园社区"]
    assert tables_of(make_round([resource("R0")], [need("N0")])).community_names == [None]


def test_previous_plan_and_targets_as_arrays():
    doc = make_round([resource("R0", provider="U1"), resource("R1", provider="U2")], [need("N0"), need("N1")])
    doc["previous"] = [{"need_id": "N1", "resource_id": "R0", "quantity": 3},
                       {"need_id": "N0", "resource_id": "R1", "quantity": 1}]
    doc["providers"][1]["target_projects"] = 2
    t = tables_of(doc)
    assert t.has_previous
    assert (t.prev_res.tolist(), t.prev_need.tolist(), t.prev_qty.tolist()) == ([0, 1], [1, 0], [3, 1])
    assert t.prov_target_projects.tolist() == [NO_LIMIT, 2]
    plain = tables_of(make_round([resource("R0")], [need("N0")]))
    assert not plain.has_previous and plain.prev_qty.size == 0 and plain.prev_qty.dtype == np.int64


@pytest.mark.parametrize("extra", [{"name": "名"}, {"note": "备注"}, {"rounds_unmet": 3}])
def test_new_fields_alone_change_no_result(extra):
    res = [resource("R0", 0, capacity=2), resource("R1", 500, capacity=1)]
    needs = [need("N0", 100, quantity=2, priority=4), need("N1", 300, quantity=2)]
    plain = solve_round(make_round(res, needs), workers=1, timings=False).document
    needs[1].update(extra)
    res[0].update({k: v for k, v in extra.items() if k != "rounds_unmet"})
    with_fields = make_round(res, needs)
    with_fields["communities"] = [{"id": "C1", "name": "社区"}]
    doc = solve_round(with_fields, workers=1, timings=False).document
    assert doc.pop("round_sha256") != plain.pop("round_sha256")  # another round, the same result
    assert doc == plain
