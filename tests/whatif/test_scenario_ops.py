"""Every scenario operation, its rounding rule and its error paths."""
from __future__ import annotations

import json

import pytest

from matcher.errors import InputError
from matcher.whatif.scenario import ScenarioError, apply_changes, load, parse_scenario, resolve, scaled


def base_doc() -> dict:
    win = [{"days": ["mon"], "start": "19:00", "end": "07:00"}]
    return {
        "name": "base",
        "params": {"max_distance_m": 1000},
        "providers": [{"id": "U-001", "kind": "unit"}, {"id": "U-002", "kind": "unit", "max_projects": 2},
                      {"id": "M-001", "kind": "member", "max_projects": 1, "community_id": "C-A"}],
        "resources": [
            {"id": "R-001", "provider_id": "U-001", "category": "parking", "capacity": 10, "lat": 39.91, "lon": 116.37, "windows": win},
            {"id": "R-002", "provider_id": "U-001", "category": "parking", "capacity": 5, "lat": 39.912, "lon": 116.371},
            {"id": "R-003", "provider_id": "U-002", "category": "care", "capacity": 3, "lat": 39.913, "lon": 116.372},
            {"id": "R-004", "provider_id": "M-001", "category": "care", "capacity": 1, "lat": 39.911, "lon": 116.369},
        ],
        "needs": [
            {"id": "N-001", "community_id": "C-A", "category": "parking", "quantity": 7, "lat": 39.911, "lon": 116.37},
            {"id": "N-002", "community_id": "C-B", "category": "parking", "quantity": 3, "lat": 39.914, "lon": 116.374, "priority": 5},
            {"id": "N-003", "community_id": "C-B", "category": "care", "quantity": 2, "lat": 39.912, "lon": 116.373},
        ],
        "locked": [{"need_id": "N-001", "resource_id": "R-001", "quantity": 2}],
        "forbidden": [{"need_id": "N-002", "resource_id": "R-002"}, {"need_id": "N-003", "resource_id": "R-004"}],
    }


def apply(*changes):
    sc = parse_scenario({"base": "x.json", "changes": list(changes)})
    return apply_changes(base_doc(), sc.changes)


def by_id(doc, key):
    return {x["id"]: x for x in doc[key]}


def paths(exc):
    return [str(p) for p in exc.value.problems]


def test_rounding_rule():
    assert scaled(10, 1.25) == 13  # 12.5 rounds half up
    assert scaled(10, 1.2) == 12
    assert scaled(3, 0.5) == 2  # 1.5 -> 2
    assert scaled(1, 0.1) == 1  # never below 1
    assert scaled(7, 1) == 7


def test_add_items_and_item():
    doc = apply({"op": "add", "list": "providers", "item": {"id": "U-009", "kind": "unit"}},
                {"op": "add", "list": "resources", "items": [
                    {"id": "R-009", "provider_id": "U-009", "category": "parking", "capacity": 4, "lat": 39.91, "lon": 116.37}]},
                {"op": "add", "list": "needs", "item": {"id": "N-009", "community_id": "C-Z", "category": "care",
                                                        "quantity": 1, "lat": 39.91, "lon": 116.37}},
                {"op": "add", "list": "forbidden", "item": {"need_id": "N-009", "resource_id": "R-003"}})
    assert "R-009" in by_id(doc, "resources") and "N-009" in by_id(doc, "needs") and "U-009" in by_id(doc, "providers")
    assert {"need_id": "N-009", "resource_id": "R-003"} in doc["forbidden"]


def test_add_duplicate_refused():
    with pytest.raises(ScenarioError) as e:
        apply({"op": "add", "list": "resources", "item": dict(base_doc()["resources"][0])})
    assert paths(e) == ["changes[0].item.id: resource 'R-001' already exists"]


def test_remove_provider_removes_its_resources_and_pairs():
    doc = apply({"op": "remove", "list": "providers", "id": "U-001"})
    assert set(by_id(doc, "resources")) == {"R-003", "R-004"}
    assert doc["locked"] == []
    assert doc["forbidden"] == [{"need_id": "N-003", "resource_id": "R-004"}]


def test_remove_resource_need_lock_forbid():
    doc = apply({"op": "remove", "list": "needs", "id": "N-003"})
    assert "N-003" not in by_id(doc, "needs") and len(doc["forbidden"]) == 1
    doc = apply({"op": "remove", "list": "resources", "id": "R-002"})
    assert "R-002" not in by_id(doc, "resources") and doc["forbidden"] == [{"need_id": "N-003", "resource_id": "R-004"}]
    doc = apply({"op": "remove", "list": "locked", "need_id": "N-001", "resource_id": "R-001"})
    assert doc["locked"] == []
    doc = apply({"op": "remove", "list": "forbidden", "need_id": "N-002", "resource_id": "R-002"})
    assert len(doc["forbidden"]) == 1


def test_scale_capacity_filters():
    doc = apply({"op": "scale_capacity", "category": "parking", "factor": 1.25})
    caps = {k: v["capacity"] for k, v in by_id(doc, "resources").items()}
    assert caps == {"R-001": 13, "R-002": 6, "R-003": 3, "R-004": 1}
    doc = apply({"op": "scale_capacity", "provider_id": "U-002", "factor": 2})
    assert by_id(doc, "resources")["R-003"]["capacity"] == 6 and by_id(doc, "resources")["R-001"]["capacity"] == 10
    doc = apply({"op": "scale_capacity", "resource_id": "R-002", "factor": 0.5})
    assert by_id(doc, "resources")["R-002"]["capacity"] == 3
    doc = apply({"op": "scale_capacity", "factor": 3})
    assert sum(r["capacity"] for r in doc["resources"]) == 57


def test_scale_demand_filters():
    doc = apply({"op": "scale_demand", "community_id": "C-B", "factor": 1.5})
    q = {k: v["quantity"] for k, v in by_id(doc, "needs").items()}
    assert q == {"N-001": 7, "N-002": 5, "N-003": 3}
    doc = apply({"op": "scale_demand", "category": "parking", "factor": 0.5, "need_id": "N-001"})
    assert by_id(doc, "needs")["N-001"]["quantity"] == 4 and by_id(doc, "needs")["N-002"]["quantity"] == 3


def test_add_capacity_and_demand():
    doc = apply({"op": "add_capacity", "resource_id": "R-002", "amount": 50},
                {"op": "add_demand", "need_id": "N-003", "amount": -1})
    assert by_id(doc, "resources")["R-002"]["capacity"] == 55
    assert by_id(doc, "needs")["N-003"]["quantity"] == 1
    with pytest.raises(ScenarioError) as e:
        apply({"op": "add_demand", "need_id": "N-003", "amount": -2})
    assert paths(e) == ["changes[0].amount: would leave quantity 0 < 1 (use remove)"]


def test_set_param():
    doc = apply({"op": "set_param", "path": "max_distance_m", "value": 1200},
                {"op": "set_param", "path": "params.priority_weights.5", "value": 32},
                {"op": "set_param", "path": "solver", "value": "cpsat"})
    assert doc["params"] == {"max_distance_m": 1200, "priority_weights": {"5": 32}, "solver": "cpsat"}
    with pytest.raises(ScenarioError) as e:
        apply({"op": "set_param", "path": "speed", "value": 1})
    assert paths(e)[0].startswith("changes[0].path: unknown parameter 'speed'")


def test_set_field_and_priority():
    doc = apply({"op": "set", "list": "resources", "id": "R-001", "field": "windows", "value": None},
                {"op": "set_priority", "community_id": "C-B", "priority": 1},
                {"op": "set_priority", "need_id": "N-001", "priority": 4})
    assert by_id(doc, "resources")["R-001"]["windows"] is None
    assert [n["priority"] for n in doc["needs"]] == [4, 1, 1]
    with pytest.raises(ScenarioError) as e:
        apply({"op": "set", "list": "needs", "id": "N-001", "field": "colour", "value": 1})
    assert paths(e) == ["changes[0].field: unknown field 'colour' of needs"]


def test_lock_forbid_release():
    doc = apply({"op": "lock", "need_id": "N-002", "resource_id": "R-002", "quantity": 1},
                {"op": "forbid", "need_id": "N-001", "resource_id": "R-001"},
                {"op": "release", "need_id": "N-003", "resource_id": "R-004"})
    assert doc["locked"] == [{"need_id": "N-002", "resource_id": "R-002", "quantity": 1}]
    assert doc["forbidden"] == [{"need_id": "N-001", "resource_id": "R-001"}]


def test_unknown_ids_refused_with_paths_all_gathered():
    with pytest.raises(ScenarioError) as e:
        apply({"op": "scale_capacity", "category": "parking", "factor": 1.2},
              {"op": "remove", "list": "providers", "id": "U-404"},
              {"op": "add_capacity", "resource_id": "R-999", "amount": 50},
              {"op": "lock", "need_id": "N-404", "resource_id": "R-001", "quantity": 1},
              {"op": "scale_demand", "community_id": "C-NOPE", "factor": 2},
              {"op": "set", "list": "needs", "id": "N-777", "field": "quantity", "value": 2},
              {"op": "scale_capacity", "provider_id": "U-555", "factor": 2})
    assert paths(e) == [
        "changes[1].id: unknown provider 'U-404'",
        "changes[2].resource_id: unknown resource 'R-999'",
        "changes[3].need_id: unknown need 'N-404'",
        "changes[4].community_id: no need has community 'C-NOPE'",
        "changes[5].id: unknown need 'N-777'",
        "changes[6].provider_id: unknown provider 'U-555'",
    ]
    assert isinstance(e.value, InputError)


def test_later_changes_see_earlier_ones():
    doc = apply({"op": "remove", "list": "resources", "id": "R-002"})
    assert "R-002" not in by_id(doc, "resources")
    with pytest.raises(ScenarioError) as e:
        apply({"op": "remove", "list": "resources", "id": "R-002"},
              {"op": "add_capacity", "resource_id": "R-002", "amount": 1})
    assert paths(e) == ["changes[1].resource_id: unknown resource 'R-002'"]


def test_bad_operations_refused_by_pydantic():
    with pytest.raises(ScenarioError) as e:
        parse_scenario({"base": "b.json", "changes": [
            {"op": "scale_capacity", "factor": -1},
            {"op": "explode"},
            {"op": "add_capacity", "resource_id": "R-1", "amount": 1.5, "colour": "red"},
        ]})
    got = paths(e)
    assert "changes[0].factor: must be > 0" in got
    assert any(p.startswith("changes[1]: unknown op 'explode'") for p in got)
    assert "changes[2].amount: must be an integer" in got
    assert "changes[2].colour: unknown field" in got


def test_files_base_relative_and_result_validated(tmp_path):
    (tmp_path / "rounds").mkdir()
    (tmp_path / "rounds" / "base.json").write_text(json.dumps(base_doc()), encoding="utf-8")
    good = {"base": "rounds/base.json", "name": "wider", "changes": [{"op": "set_param", "path": "max_distance_m", "value": 1500}]}
    (tmp_path / "good.json").write_text(json.dumps(good), encoding="utf-8")
    _doc, rnd = load(tmp_path / "good.json")
    assert rnd.params.max_distance_m == 1500 and rnd.name == "wider"
    nested = {"base": "good.json", "changes": [{"op": "add_capacity", "resource_id": "R-001", "amount": 1}]}
    (tmp_path / "nested.json").write_text(json.dumps(nested), encoding="utf-8")
    _, rnd2 = load(tmp_path / "nested.json")
    assert rnd2.params.max_distance_m == 1500 and rnd2.resources[0].capacity == 11
    bad = {"base": "rounds/base.json", "changes": [{"op": "set_param", "path": "max_distance_m", "value": -5},
                                                   {"op": "set", "list": "needs", "id": "N-001", "field": "priority", "value": 9}]}
    with pytest.raises(ScenarioError) as e:
        resolve(bad, tmp_path)
    assert sorted(paths(e)) == ["needs[0].priority: must be <= 5", "params.max_distance_m: must be > 0.0"]
    assert e.value.title == "the scenario gives an invalid round"
    with pytest.raises(ScenarioError) as e:
        resolve({"base": "missing.json", "changes": []}, tmp_path)
    assert paths(e)[0].startswith("base: cannot read")


@pytest.mark.parametrize("factor", [1e308, 10 ** 400, 1_000_001])
def test_overflow_factor_is_a_field_error(tmp_path, factor):
    """Issue 10 item 5: ``scenario.load`` (what ``matcher whatif`` calls) raised OverflowError on huge factors."""
    (tmp_path / "base.json").write_text(json.dumps(base_doc()), encoding="utf-8")
    text = ('{"base": "base.json", "changes": [{"op": "scale_demand", "factor": %s}, '
            '{"op": "scale_capacity", "factor": %s, "category": "parking"}]}' % (repr(factor), repr(factor)))
    (tmp_path / "s.json").write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as e:
        load(tmp_path / "s.json")
    assert paths(e) == ["changes[0].factor: must be <= 1000000", "changes[1].factor: must be <= 1000000"]


def test_largest_factor_gives_a_round_error_not_an_overflow():
    doc = apply({"op": "scale_capacity", "factor": 1_000_000, "resource_id": "R-004"})
    assert by_id(doc, "resources")["R-004"]["capacity"] == 1_000_000
    # an added item with an absurd capacity is left for the round's validation to name, not scaled
    doc = apply({"op": "add", "list": "resources", "item": {"id": "R-9", "provider_id": "U-001", "category": "care",
                                                            "capacity": 10 ** 400, "lat": 39.9, "lon": 116.3}},
                {"op": "scale_capacity", "factor": 1e6, "category": "care"})
    assert by_id(doc, "resources")["R-9"]["capacity"] == 10 ** 400


def test_operations_on_malformed_added_items_give_field_errors():
    with pytest.raises(ScenarioError) as e:
        apply({"op": "add", "list": "resources", "items": [{"id": ["x"]}, {"id": "R-8", "capacity": "many"}]},
              {"op": "add", "list": "resources", "item": {"id": "R-7"}},
              {"op": "add_capacity", "resource_id": "R-8", "amount": 1},
              {"op": "remove", "list": "providers", "id": "U-001"})
    assert paths(e) == ["changes[2].resource_id: capacity of resource 'R-8' is not an integer"]


def test_every_operation_is_registered_by_its_op_name():
    from matcher.whatif.scenario import OPERATIONS, OPS

    assert OPS == ("add", "remove", "scale_capacity", "scale_demand", "add_capacity", "add_demand", "set_param",
                   "set", "set_priority", "lock", "forbid", "release")
    for name, model in OPERATIONS.items():
        assert model.model_fields["op"].annotation.__args__ == (name,)
        assert "apply" in model.__dict__ or any("apply" in b.__dict__ for b in model.__mro__[1:-3])


def test_pair_lists_with_malformed_added_pairs_do_not_crash():
    with pytest.raises(ScenarioError) as e:
        apply({"op": "add", "list": "locked", "item": {"need_id": ["N-001"], "resource_id": {"x": 1}}},
              {"op": "remove", "list": "needs", "id": "N-001"},
              {"op": "remove", "list": "resources", "id": "R-001"},
              {"op": "release", "need_id": "N-002", "resource_id": "R-003"})
    assert paths(e) == ["changes[3]: pair (N-002, R-003) is neither locked nor forbidden"]
