"""The cycle over the API: a round from the lists, decisions all or nothing, the lifecycle with feedback
and reopening, projects across rounds, events and figures, and concurrent decisions (one wins)."""
from __future__ import annotations

import json
import os
import threading
import uuid

import pytest
from test_lists_api import seed_lists

from matcher.store import repo

from matcher.cycle import figures as fig


def solved_round(client, auth, **params) -> dict:
    r = client.post("/api/v1/rounds", json={"from_lists": True, "params": {"rounds_per_year": 12, **params}},
                    headers=auth)
    assert r.status_code == 201, r.json
    assert r.json["status"] == "optimal", r.json
    return r.json


def projects_of(client, auth, round_id: str) -> dict[str, dict]:
    items = client.get(f"/api/v1/projects?round={round_id}&per_page=100", headers=auth).json["items"]
    return {p["need_id"]: p for p in items}


def all_events(client, auth, **query) -> list[dict]:
    return client.get("/api/v1/events", query_string={"per_page": 100, **query}, headers=auth).json["items"]


def test_round_from_the_lists_is_stored_as_built_and_audited(client, auth):
    seed_lists(client, auth)
    rnd = solved_round(client, auth)
    doc = client.get(f"/api/v1/rounds/{rnd['id']}/input", headers=auth).json
    assert [n["id"] for n in doc["needs"]] == ["N1", "N2"] and doc["locked"] == [] and "previous" not in doc
    assert doc["providers"][0]["target_projects"] == 1  # 4 a year, 12 rounds left: ceil(4 / 12)
    assert "min_projects_year" not in doc["providers"][0] and "status" not in doc["needs"][0]
    (solved,) = all_events(client, auth, kind="round.solved")
    assert solved["subject"] == rnd["id"]
    assert sorted(p["need_id"] for p in solved["after"]["projects"]) == ["N1", "N2"]
    assert all(p["project_id"].startswith(rnd["id"] + ".") for p in solved["after"]["projects"])
    assert {p["status"] for p in projects_of(client, auth, rnd["id"]).values()} == {"proposed"}
    r = client.post("/api/v1/rounds", json={"from_lists": True, "solver": "x"}, headers=auth)
    assert r.status_code == 422 and r.json["errors"][0]["path"] == "solver"


def test_decisions_all_or_nothing_and_the_next_round_keeps_them(client, auth):
    seed_lists(client, auth)
    rnd = solved_round(client, auth)
    p = projects_of(client, auth, rnd["id"])
    url = f"/api/v1/rounds/{rnd['id']}/decisions"
    bad = [{"project_id": p["N1"]["project_id"], "to": "approved"},
           {"project_id": p["N2"]["project_id"], "to": "done"}]
    r = client.post(url, json={"decisions": bad}, headers=auth)
    assert r.status_code == 409 and r.json["errors"][0]["path"] == "decisions[1].to"
    assert "proposed -> done is not allowed" in r.json["errors"][0]["message"]
    assert client.post(url, json={"decisions": [{"project_id": p["N2"]["project_id"], "to": "rejected"}]},
                       headers=auth).json["errors"] == [{"path": "decisions[0].reason",
                                                         "message": "is required for rejected"}]
    assert client.post(url, json={"decisions": [{"project_id": "P-9999", "to": "approved"}]},
                       headers=auth).status_code == 404
    assert {x["status"] for x in projects_of(client, auth, rnd["id"]).values()} == {"proposed"}
    good = [{"project_id": p["N1"]["project_id"], "to": "approved", "note": "ok"},
            {"project_id": p["N2"]["project_id"], "to": "rejected", "reason": "too far"}]
    r = client.post(url, json={"decisions": good}, headers=auth)
    assert r.status_code == 200 and [x["status"] for x in r.json["items"]] == ["approved", "rejected"]
    moves = all_events(client, auth, kind="project.transition")
    assert [(e["before"], e["after"]) for e in moves] == [
        ({"status": "proposed"}, {"status": "approved"}),
        ({"status": "proposed"}, {"status": "rejected", "reason": "too far"})]
    doc = client.get(f"/api/v1/rounds/{solved_round(client, auth)['id']}/input", headers=auth).json
    assert doc["locked"] == [{"need_id": "N1", "resource_id": "R1", "quantity": p["N1"]["quantity"]}]
    assert doc["forbidden"] == [{"need_id": "N2", "resource_id": "R1"}]
    assert next(n for n in doc["needs"] if n["id"] == "N2")["rounds_unmet"] == 1


def test_lifecycle_feedback_reopens_a_need(client, auth):
    seed_lists(client, auth)
    rnd = solved_round(client, auth)
    p = projects_of(client, auth, rnd["id"])["N1"]
    client.post(f"/api/v1/rounds/{rnd['id']}/decisions",
                json={"decisions": [{"project_id": p["project_id"], "to": "approved"}]}, headers=auth)
    events_url = f"/api/v1/projects/{p['id']}/events"
    r = client.post(events_url, json={"resolved": True}, headers=auth)
    assert r.status_code == 409 and "approved -> confirmed is not allowed" in r.json["errors"][0]["message"]
    assert client.post(events_url, json={"to": "approved"}, headers=auth).status_code == 409
    assert client.post(events_url, json={"to": "in_service"}, headers=auth).json["status"] == "in_service"
    r = client.post(events_url, json={"to": "done", "satisfaction": 6}, headers=auth)
    assert r.status_code == 422 and r.json["errors"][0]["path"] == "satisfaction"
    assert client.post(events_url, json={"to": "done", "satisfaction": 2}, headers=auth).json["status"] == "done"
    r = client.post(events_url, json={"resolved": False, "comment": "still broken"}, headers=auth)
    assert r.status_code == 200 and r.json["status"] == "reopened"
    need = r.json["reopened_need"]
    assert need["origin_project_id"] == p["id"] and need["quantity"] == p["quantity"]
    assert need["community_id"] == "C1" and need["category"] == "health" and need["rounds_unmet"] == 1
    assert client.get(f"/api/v1/lists/needs/{need['id']}", headers=auth).json == need
    assert client.get(f"/api/v1/projects/{p['id']}", headers=auth).json["status"] == "reopened"
    assert client.get("/api/v1/projects?status=reopened", headers=auth).json["total"] == 1
    doc = client.get(f"/api/v1/rounds/{solved_round(client, auth)['id']}/input", headers=auth).json
    assert need["id"] in [n["id"] for n in doc["needs"]]


def test_figures_are_those_of_the_log(client, auth):
    seed_lists(client, auth)
    rnd = solved_round(client, auth)
    p = projects_of(client, auth, rnd["id"])
    client.post(f"/api/v1/rounds/{rnd['id']}/decisions",
                json={"decisions": [{"project_id": p["N1"]["project_id"], "to": "approved"},
                                    {"project_id": p["N2"]["project_id"], "to": "rejected", "reason": "x"}]},
                headers=auth)
    for body in ({"to": "in_service"}, {"to": "done", "satisfaction": 5}):
        client.post(f"/api/v1/projects/{p['N1']['id']}/events", json=body, headers=auth)
    out = client.get("/api/v1/figures?by=community", headers=auth).json
    group = out["groups"]["C1"]
    assert group["needs_posted"] == 2 and group["units_demanded"] == 9
    assert group["units_served"] == p["N1"]["quantity"] and group["approval_rate"] == 0.5
    assert group["completion_rate"] == 1.0 and group["satisfaction_mean"] == 5
    assert out["members"]["U1"] == {"projects": 1, "min_projects_year": 4, "shortfall": 3}
    recount = fig.figures(all_events(client, auth), start=out["from"], end=out["to"], by="community")
    assert out["groups"] == json.loads(json.dumps(recount))
    assert client.get("/api/v1/figures?by=planet", headers=auth).status_code == 400
    assert client.get("/api/v1/events?from=yesterday", headers=auth).status_code == 400


def test_another_committee_cannot_decide_or_see(client, auth, other_auth):
    seed_lists(client, auth)
    rnd = solved_round(client, auth)
    p = projects_of(client, auth, rnd["id"])["N1"]
    r = client.post(f"/api/v1/rounds/{rnd['id']}/decisions",
                    json={"decisions": [{"project_id": p["project_id"], "to": "approved"}]}, headers=other_auth)
    assert r.status_code == 404
    assert client.post(f"/api/v1/projects/{p['id']}/events", json={"to": "in_service"},
                       headers=other_auth).status_code == 404
    assert client.get(f"/api/v1/projects/{p['id']}", headers=other_auth).status_code == 404
    assert client.get("/api/v1/projects", headers=other_auth).json["total"] == 0
    assert client.get("/api/v1/events", headers=other_auth).json["total"] == 0
    assert client.get(f"/api/v1/projects/{p['id']}", headers=auth).json["status"] == "proposed"


PG_URL = os.environ.get("MATCHER_TEST_POSTGRES_URL", "")


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, app, auth):
    """(app, auth) on the test's SQLite file, or on PostgreSQL with a fresh committee when the URL is set."""
    if request.param == "sqlite":
        yield app, auth
        return
    if not PG_URL:
        pytest.skip("set MATCHER_TEST_POSTGRES_URL to a PostgreSQL database")
    from api import create_app

    pg = create_app({"DATABASE_URL": PG_URL, "RUN_WORKER": False, "SOLVER_WORKERS": 1})
    token = repo.create_token(pg.extensions["matcher_db"], f"并发 {uuid.uuid4().hex[:8]}")
    yield pg, {"Authorization": f"Bearer {token}"}
    pg.extensions["matcher_db"].dispose()


def test_concurrent_decisions_one_wins(backend):
    app, auth = backend
    client = app.test_client()
    seed_lists(client, auth)
    rnd = solved_round(client, auth)
    p = projects_of(client, auth, rnd["id"])["N1"]
    statuses: list[int] = []
    barrier = threading.Barrier(6)

    def decide(to: str) -> None:
        body = {"decisions": [{"project_id": p["project_id"], "to": to, "reason": "r"}]}
        barrier.wait()
        r = app.test_client().post(f"/api/v1/rounds/{rnd['id']}/decisions", json=body, headers=auth)
        statuses.append(r.status_code)

    threads = [threading.Thread(target=decide, args=(to,)) for to in ["approved", "rejected"] * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 409, 409, 409, 409, 409], statuses
    assert len(all_events(client, auth, kind="project.transition")) == 1


def test_a_queued_round_from_the_lists_is_audited_by_the_worker(client, db, run_worker):
    auth = {"Authorization": f"Bearer {repo.create_token(db, '西城区党建协调委员会', actor='李委员')}"}
    seed_lists(client, auth)
    r = client.post("/api/v1/rounds", json={"from_lists": True}, headers={**auth, "Prefer": "respond-async"})
    assert r.status_code == 202 and all_events(client, auth, kind="round.solved") == []
    assert run_worker()
    assert client.get(f"/api/v1/rounds/{r.json['id']}", headers=auth).json["status"] == "optimal"
    (solved,) = all_events(client, auth, kind="round.solved")
    assert solved["subject"] == r.json["id"] and solved["actor"] == "李委员"
    assert len(solved["after"]["projects"]) == len(projects_of(client, auth, r.json["id"])) == 2
