"""POST /api/v1/whatif: the what-if comparison of `matcher whatif --json`, in the request, nothing stored."""
from __future__ import annotations

import copy

URL = "/api/v1/whatif"


def _body(base: dict, *scenarios: dict) -> dict:
    return {"base": base, "scenarios": list(scenarios)}


def _strip_times(comparison: dict) -> dict:
    out = copy.deepcopy(comparison)
    for c in out["cases"]:
        c["kpis"].pop("solve_seconds", None)
    return out


def test_whatif_compares_scenarios_with_the_base(client, auth, sample_round):
    more = {"name": "more capacity", "changes": [{"op": "scale_capacity", "factor": 2},
                                                 {"op": "add_capacity", "resource_id": "R003", "amount": 40}]}
    same = {"name": "unchanged", "changes": []}
    r = client.post(URL, json=_body(sample_round, more, same), headers=auth)
    assert r.status_code == 200, r.get_data(as_text=True)
    out = r.json
    assert out["base"] == "base"
    assert [c["label"] for c in out["cases"]] == ["base", "more capacity", "unchanged"]
    base, bigger, unchanged = (c["kpis"] for c in out["cases"])
    assert bigger["served_value"] >= base["served_value"]
    assert bigger["served_quantity"] >= base["served_quantity"]
    assert "diff" not in out["cases"][0]
    assert out["cases"][2]["diff"] == {"new": [], "dropped": [], "changed": []}
    assert unchanged["served_value"] == base["served_value"]
    assert out["cases"][1]["name"] == "more capacity"


def test_whatif_answers_what_the_cli_comparison_gives(client, auth, sample_round):
    from matcher.validation import parse_round
    from matcher.whatif import compare, scenario

    changes = [{"op": "add_demand", "need_id": "N001", "amount": 15}, {"op": "remove", "list": "resources", "id": "R003"}]
    r = client.post(URL, json=_body(sample_round, {"name": "s1", "changes": changes}), headers=auth)
    assert r.status_code == 200, r.get_data(as_text=True)
    doc = scenario.apply_changes(sample_round, scenario.parse_scenario({"base": "x", "changes": changes}).changes)
    doc["name"] = "s1"
    expected = compare.compare([compare.solve_case("base", parse_round(sample_round)),
                                compare.solve_case("s1", parse_round(doc))])
    assert _strip_times(r.json) == _strip_times(expected)


def test_whatif_needs_a_token(client, sample_round):
    r = client.post(URL, json=_body(sample_round, {"name": "s", "changes": []}))
    assert r.status_code == 401
    assert r.mimetype == "application/problem+json"
    assert "Bearer" in r.headers["WWW-Authenticate"]
    r = client.post(URL, json=_body(sample_round, {"name": "s", "changes": []}),
                    headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401


def test_whatif_unknown_resource_in_a_change_is_422_with_its_path(client, auth, sample_round):
    body = _body(sample_round,
                 {"name": "ok", "changes": [{"op": "add_capacity", "resource_id": "R001", "amount": 5}]},
                 {"name": "bad", "changes": [{"op": "scale_capacity", "factor": 1.5},
                                             {"op": "add_demand", "need_id": "N001", "amount": 1},
                                             {"op": "add_capacity", "resource_id": "R-999", "amount": 50}]})
    r = client.post(URL, json=body, headers=auth)
    assert r.status_code == 422
    assert r.mimetype == "application/problem+json"
    errors = r.json["errors"]
    assert {"path": "scenarios[1].changes[2].resource_id", "message": "unknown resource 'R-999'"} in errors
    assert len(errors) == 1


def test_whatif_malformed_change_is_422_with_its_path(client, auth, sample_round):
    body = _body(sample_round, {"name": "s", "changes": [{"op": "add_capacity", "resource_id": "R001"},
                                                         {"op": "teleport"}]})
    r = client.post(URL, json=body, headers=auth)
    assert r.status_code == 422
    paths = {e["path"] for e in r.json["errors"]}
    assert paths == {"scenarios[0].changes[0].amount", "scenarios[0].changes[1]"}


def test_whatif_invalid_base_is_422_with_base_paths(client, auth, sample_round):
    base = copy.deepcopy(sample_round)
    base["needs"][3]["quantity"] = 0
    base["surprise"] = True
    r = client.post(URL, json=_body(base, {"name": "s", "changes": []}), headers=auth)
    assert r.status_code == 422
    assert r.mimetype == "application/problem+json"
    paths = {e["path"] for e in r.json["errors"]}
    assert {"base.needs[3].quantity", "base.surprise"} <= paths
    assert all(p.startswith("base") for p in paths)


def test_whatif_request_shape_is_checked(client, auth, sample_round):
    too_many = [{"name": f"s{k}", "changes": []} for k in range(11)]
    for body, path in [({"scenarios": [{"name": "s"}]}, "base"),
                       ({"base": sample_round, "scenarios": []}, "scenarios"),
                       ({"base": sample_round, "scenarios": too_many}, "scenarios"),
                       ({"base": sample_round, "scenarios": [{"changes": []}]}, "scenarios[0].name"),
                       ({"base": sample_round, "scenarios": [{"name": "base"}]}, "scenarios[0].name"),
                       ({"base": sample_round, "scenarios": [{"name": "s", "base": "x.json"}]}, "scenarios[0].base"),
                       ({"base": sample_round, "scenarios": [{"name": "s"}], "extra": 1}, "extra")]:
        r = client.post(URL, json=body, headers=auth)
        assert r.status_code == 422, (body.keys(), r.get_data(as_text=True))
        assert path in {e["path"] for e in r.json["errors"]}, r.json
    r = client.post(URL, json=[1, 2], headers=auth)
    assert r.status_code == 422
    r = client.post(URL, data="{not json", headers={**auth, "Content-Type": "application/json"})
    assert r.status_code == 400
    r = client.post(URL, data="x", headers={**auth, "Content-Type": "text/plain"})
    assert r.status_code == 415


def test_whatif_refuses_rounds_too_large_for_a_request(app, client, auth, sample_round):
    app.config["SYNC_MAX_PAIRS"] = 5
    r = client.post(URL, json=_body(sample_round, {"name": "s", "changes": []}), headers=auth)
    assert r.status_code == 422
    assert r.mimetype == "application/problem+json"
    assert "SYNC_MAX_PAIRS" in r.json["detail"]
    assert {e["path"] for e in r.json["errors"]} == {"base", "scenarios[0]"}


def test_whatif_body_over_the_limit_is_413(app, client, auth, sample_round):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    r = client.post(URL, json=_body(sample_round, {"name": "s", "changes": []}), headers=auth)
    assert r.status_code == 413
    assert r.mimetype == "application/problem+json"


def test_whatif_stores_nothing_and_keeps_committees_apart(client, auth, other_auth, sample_round):
    mine = client.post("/api/v1/rounds", json=sample_round, headers=auth).json
    body = _body(sample_round, {"name": "s", "changes": [{"op": "scale_demand", "factor": 0.5}]})
    assert client.post(URL, json=body, headers=auth).status_code == 200
    assert client.post(URL, json=body, headers=other_auth).status_code == 200
    assert client.get("/api/v1/rounds", headers=auth).json["total"] == 1
    assert client.get("/api/v1/rounds", headers=other_auth).json["total"] == 0
    assert client.get(f"/api/v1/rounds/{mine['id']}", headers=other_auth).status_code == 404


def test_whatif_is_in_the_openapi_document(client):
    doc = client.get("/openapi.json").json
    op = doc["paths"]["/api/v1/whatif"]["post"]
    assert op["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/WhatIfRequest"}
    assert {"200", "401", "413", "422"} <= set(op["responses"])
    assert "WhatIfReply" in doc["components"]["schemas"]


def test_whatif_overflow_factor_is_a_field_error_not_500(client, auth, sample_round):
    """Issue 10 item 5: factor 1e308 or 10**400 was an OverflowError (HTML 500)."""
    import json

    for factor in ("1e308", "1" + "0" * 400, "1e400"):
        text = ('{"base": %s, "scenarios": [{"name": "s", "changes": [{"op": "scale_demand", "factor": %s}, '
                '{"op": "scale_capacity", "factor": %s}]}]}' % (json.dumps(sample_round), factor, factor))
        r = client.post(URL, data=text, headers={**auth, "Content-Type": "application/json"})
        assert r.status_code == 422, (factor, r.get_data(as_text=True))
        assert r.mimetype == "application/problem+json"
        assert r.json["errors"] == [
            {"path": "scenarios[0].changes[0].factor", "message": "must be <= 1000000"},
            {"path": "scenarios[0].changes[1].factor", "message": "must be <= 1000000"}]


def test_whatif_huge_amount_and_lock_are_field_errors_not_500(client, auth, sample_round):
    big = 10 ** 400
    body = _body(sample_round, {"name": "s", "changes": [
        {"op": "add_capacity", "resource_id": "R001", "amount": big},
        {"op": "lock", "need_id": "N001", "resource_id": "R001", "quantity": big}]})
    r = client.post(URL, json=body, headers=auth)
    assert r.status_code == 422, r.get_data(as_text=True)
    paths = {e["path"] for e in r.json["errors"]}
    assert paths == {"scenarios[0].changes[1].quantity"}
    body = _body(sample_round, {"name": "s", "changes": [{"op": "add_capacity", "resource_id": "R001", "amount": big}]})
    r = client.post(URL, json=body, headers=auth)
    assert r.status_code == 422, r.get_data(as_text=True)
    assert [e["path"] for e in r.json["errors"]] == ["scenarios[0]"]
    assert "capacity: must be <= 1000000" in r.json["errors"][0]["message"]
