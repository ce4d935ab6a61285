"""A client generated from /openapi.json by openapi-python-client works against the app.

The generator must report no warning (a dropped operation or an unreadable
schema is a warning); the generated package then creates, reads and lists
rounds, their projects and unmet needs, runs a what-if and asks for best fits, all through the
app in-process (httpx's WSGI transport).
"""
from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from matcher.results import Result

DEMO = Path(__file__).resolve().parents[2] / "matcher" / "data" / "demo_round.json"
PACKAGE = "matcher_generated_client"


@pytest.fixture
def generated(tmp_path, client, monkeypatch):
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(client.get("/openapi.json").json, ensure_ascii=False), encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text("post_hooks: []\n", encoding="utf-8")
    tool = Path(sys.executable).parent / "openapi-python-client"
    proc = subprocess.run([str(tool), "generate", "--path", str(spec), "--output-path", str(tmp_path / PACKAGE),
                           "--meta", "none", "--config", str(config), "--fail-on-warning"],
                          check=False, capture_output=True, text=True, timeout=300)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "warning" not in output.lower(), output
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]
    yield importlib.import_module(PACKAGE)
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def _api(pkg, app, auth):
    http = httpx.Client(base_url="http://matcher.test", transport=httpx.WSGITransport(app=app), headers=auth)
    return pkg.AuthenticatedClient(base_url="http://matcher.test", token="unused").set_httpx_client(http)


@pytest.mark.slow
def test_generated_client_drives_every_round_operation(generated, app, auth):
    from importlib import import_module

    api = _api(generated, app, auth)
    models = import_module(f"{PACKAGE}.models")
    rounds = {name: import_module(f"{PACKAGE}.api.rounds.{name}")
              for name in ("create_round", "get_round", "list_rounds", "get_round_input")}
    results = {name: import_module(f"{PACKAGE}.api.results.{name}") for name in ("list_projects", "list_unmet")}
    demo = json.loads(DEMO.read_text(encoding="utf-8"))

    created = rounds["create_round"].sync_detailed(client=api, body=models.Round.from_dict(demo))
    assert created.status_code == 201, created.content
    detail = created.parsed
    assert isinstance(detail, models.RoundDetail) and detail.status == models.RoundStatus.OPTIMAL
    typed = Result.model_validate(detail.output.to_dict())
    assert typed.status == "optimal" and typed.projects

    again = rounds["get_round"].sync(detail.id, client=api)
    assert again.id == detail.id and again.output.to_dict() == detail.output.to_dict()
    assert [e.status for e in again.history][-1] == models.RoundStatus.OPTIMAL
    page = rounds["list_rounds"].sync(client=api, per_page=10)
    assert [r.id for r in page.items] == [detail.id] and page.total == 1 and page.next_ is None
    assert rounds["get_round_input"].sync(detail.id, client=api).to_dict()["name"] == demo["name"]

    projects = results["list_projects"].sync(detail.id, client=api)
    assert projects.count == len(typed.projects)
    assert [p.project_id for p in projects.items] == [p.project_id for p in typed.projects]
    assert all(p.approved is False for p in projects.items)
    one = results["list_projects"].sync(detail.id, client=api, need=typed.projects[0].need_id)
    assert {p.need_id for p in one.items} == {typed.projects[0].need_id}
    unmet = results["list_unmet"].sync(detail.id, client=api)
    assert [(u.need_id, u.quantity, str(u.reason)) for u in unmet.items] == [
        (u.need_id, u.quantity, u.reason) for u in typed.unmet]

    missing = rounds["get_round"].sync_detailed("no-such-round", client=api)
    assert missing.status_code == 404 and isinstance(missing.parsed, models.ProblemDetails)


@pytest.mark.slow
def test_generated_client_runs_a_whatif(generated, app, auth):
    from importlib import import_module

    api = _api(generated, app, auth)
    models = import_module(f"{PACKAGE}.models")
    whatif = import_module(f"{PACKAGE}.api.what_if.whatif")
    demo = json.loads(DEMO.read_text(encoding="utf-8"))
    body = models.WhatIfRequest.from_dict({"base": demo, "scenarios": [
        {"name": "more parking", "changes": [{"op": "scale_capacity", "category": "parking", "factor": 2.0}]}]})
    reply = whatif.sync_detailed(client=api, body=body)
    assert reply.status_code == 200, reply.content
    cases = reply.parsed.cases
    assert reply.parsed.base == "base" and [c.label for c in cases] == ["base", "more parking"]
    assert cases[1].kpis.served_quantity >= cases[0].kpis.served_quantity
    assert isinstance(cases[1].diff, models.ProjectDiff)

    bad = models.WhatIfRequest.from_dict({"base": demo, "scenarios": [
        {"name": "base", "changes": [{"op": "lock", "need_id": "N-none", "resource_id": "R000", "quantity": 1}]}]})
    refused = whatif.sync_detailed(client=api, body=bad)
    assert refused.status_code == 422 and refused.parsed.errors


def test_every_operation_is_documented_with_examples_that_fit_its_schemas(client):
    import jsonschema_rs

    spec = client.get("/openapi.json").json
    components = {"components": spec["components"]}
    checked = 0
    for path, item in spec["paths"].items():
        for method, op in ((m, o) for m, o in item.items() if m != "parameters"):
            assert op["summary"] and op["description"] and op["tags"], (path, method)
            media = [*op.get("requestBody", {}).get("content", {}).values()]
            media += [m for r in op["responses"].values() for m in r.get("content", {}).values()]
            assert any("example" in m for m in media), (path, method)
            for m in media:
                if "example" in m and "$ref" in m["schema"]:
                    jsonschema_rs.validator_for({**components, **m["schema"]}).validate(m["example"])
                    checked += 1
    assert checked >= 20


def test_schema_titles_are_unique_and_descriptions_plain(client):
    spec = client.get("/openapi.json").json
    schemas = spec["components"]["schemas"]
    assert all(schema["title"] == name for name, schema in schemas.items())
    assert {"Lock", "Forbid", "ChangeLock", "ChangeForbid", "Result", "WhatIfRequest", "WhatIfReply"} <= set(schemas)
    text = json.dumps(spec, ensure_ascii=False)
    assert "``" not in text and ":class:`" not in text and ":func:`" not in text and ":mod:`" not in text


@pytest.mark.slow
def test_generated_client_asks_for_best_fits(generated, app, auth):
    from importlib import import_module

    from matcher.recommend import RecommendState, recommend

    api = _api(generated, app, auth)
    models = import_module(f"{PACKAGE}.models")
    create = import_module(f"{PACKAGE}.api.rounds.create_round")
    ask = import_module(f"{PACKAGE}.api.recommend.recommend_for_round")
    apply = import_module(f"{PACKAGE}.api.recommend.apply_recommendation")
    demo = json.loads(DEMO.read_text(encoding="utf-8"))
    detail = create.sync(client=api, body=models.Round.from_dict(demo))
    need = {**demo["needs"][0], "id": "N-NEW", "quantity": 2}
    reply = ask.sync_detailed(detail.id, client=api, body=models.RecommendRequest.from_dict({"need": need, "k": 3}))
    assert reply.status_code == 200, reply.content
    answer = reply.parsed
    assert isinstance(answer, models.RecommendAnswer) and answer.round_id == detail.id
    want = recommend(RecommendState.from_documents(demo, detail.output.to_dict()), need, 3)
    assert [(o.rank, o.resource_id, o.delta_served_value, o.delta_total_distance_m) for o in answer.options] == [
        (o["rank"], o["resource_id"], o["delta_served_value"], o["delta_total_distance_m"]) for o in want["options"]]
    assert answer.best.delta_served_value == want["best"]["delta_served_value"]
    refused = ask.sync_detailed(detail.id, client=api,
                                body=models.RecommendRequest.from_dict({"need": {**need, "quantity": 0}}))
    assert refused.status_code == 422 and refused.parsed.errors[0].path == "need.quantity"
    body = models.RecommendApplyRequest.from_dict({"need": need, "option": 1, "k": 3})
    applied = apply.sync_detailed(detail.id, client=api, body=body)  # the demo's lists are empty: no community C00
    assert applied.status_code == 422 and applied.parsed.errors[0].path == "need.community_id"
    http = httpx.Client(base_url="http://matcher.test", transport=httpx.WSGITransport(app=app), headers=auth)
    assert http.post("/api/v1/lists/communities", json={"id": "C00", "name": "社区00"}).status_code == 201
    applied = apply.sync_detailed(detail.id, client=api, body=body)
    assert applied.status_code == 201, applied.content
    assert isinstance(applied.parsed, models.RecommendApplied) and applied.parsed.need.id == "N-NEW"
    assert applied.parsed.option.resource_id == want["options"][0]["resource_id"]
    assert applied.parsed.event.kind == "recommend.applied" and applied.parsed.event.after["rank"] == 1
