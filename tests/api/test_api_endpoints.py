"""Every endpoint and status code of the API, through Flask's test client."""
from __future__ import annotations

import io
import json
import threading

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text

from apihelpers import slow_round, verify_output, wait_for
from matcher.model import Round
from matcher.web import openapi
from matcher.store import repo
from matcher.store.db import alembic_config
from matcher.store.models import ProjectRow, RoundRow, StatusEvent

PROBLEM = "application/problem+json"


def post(client, doc, headers, **kw):
    body = doc if isinstance(doc, (bytes, str)) else json.dumps(doc, ensure_ascii=False)
    return client.post("/api/v1/rounds", data=body, headers=headers, content_type=kw.pop("content_type", "application/json"), **kw)


def stored_counts(db) -> tuple[int, int, int]:
    with db.read() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (RoundRow, StatusEvent, ProjectRow))


# --- ops ---------------------------------------------------------------------

def test_healthz_and_readyz(client):
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").json == {"status": "ready"}


def test_readyz_503_when_database_unreachable(client, db, monkeypatch):
    def broken():
        raise RuntimeError("connection refused")
    monkeypatch.setattr(db, "ping", broken)
    r = client.get("/readyz")
    assert r.status_code == 503 and r.mimetype == PROBLEM and r.json["status"] == 503


def test_schema_migrated_with_wal_and_foreign_keys(db):
    with db.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
        head = ScriptDirectory.from_config(alembic_config(db)).get_current_head()  # the newest shipped migration
        assert head is not None and c.execute(text("SELECT version_num FROM alembic_version")).scalar() == head


def test_openapi_round_schema_is_the_contract(client):
    spec = client.get("/openapi.json").json
    assert spec["openapi"].startswith("3.1")
    want = openapi.plain_schema(Round.model_json_schema(ref_template="#/components/schemas/{model}"))
    defs = want.pop("$defs")
    schemas = spec["components"]["schemas"]
    assert schemas["Round"] == want
    for name, schema in defs.items():
        assert schemas[name] == schema
    body = spec["paths"]["/api/v1/rounds"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Round"}


def test_docs_page_is_self_contained(client):
    r = client.get("/docs")
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert "openapi.json" in html
    assert "<script src" not in html and "<link" not in html and "//cdn" not in html and "https://" not in html


# --- auth ----------------------------------------------------------------------

@pytest.mark.parametrize("header", [None, "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer not-a-token", "Token x"])
def test_401_without_a_valid_token(client, auth, header, sample_round):
    headers = {} if header is None else {"Authorization": header}
    for r in (client.get("/api/v1/rounds", headers=headers), post(client, sample_round, headers)):
        assert r.status_code == 401 and r.mimetype == PROBLEM
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
        assert r.json["title"] == "Unauthorized"


def test_token_is_stored_hashed(db):
    token = repo.create_token(db, "A")
    with db.engine.connect() as c:
        hashes = [row[0] for row in c.execute(text("SELECT token_hash FROM tokens"))]
    assert token not in hashes and repo.hash_token(token) in hashes


# --- POST /rounds ----------------------------------------------------------------

def test_small_round_201_with_verified_output(client, auth, sample_round, expected_optima):
    r = post(client, sample_round, auth)
    assert r.status_code == 201
    body = r.json
    assert r.headers["Location"] == f"/api/v1/rounds/{body['id']}" == body["url"]
    assert body["status"] == "optimal" and body["output"]["status"] == "optimal"
    assert [h["status"] for h in body["history"]] == ["queued", "running", "optimal"]
    want = expected_optima["huzhou_after_school.json"]
    assert body["output"]["objective"]["served_value"] == want["served_value"]
    assert body["output"]["objective"]["total_distance_m"] == want["total_distance_m"]
    assert verify_output(sample_round, body["output"]) == []
    assert body["timings"]["stage_seconds"]["solve"] >= 0
    assert len(body["id"]) >= 20  # not guessable


def test_large_or_async_round_202_then_worker_solves(client, auth, sample_round, run_worker):
    r = post(client, sample_round, {**auth, "Prefer": "respond-async"})
    assert r.status_code == 202 and r.json["status"] == "queued" and r.json["output"] is None
    loc = r.headers["Location"]
    assert client.get(loc, headers=auth).json["status"] == "queued"
    assert run_worker() is True
    got = client.get(loc, headers=auth).json
    assert got["status"] == "optimal" and got["attempts"] == 1
    assert [h["status"] for h in got["history"]] == ["queued", "running", "optimal"]
    assert verify_output(sample_round, got["output"]) == []
    assert got["timings"]["queued_seconds"] >= 0
    assert run_worker() is False  # nothing left


def test_rounds_over_sync_size_are_queued(app, client, auth, sample_round):
    app.config["SYNC_MAX_PAIRS"] = 0
    r = post(client, sample_round, auth)
    assert r.status_code == 202 and r.json["status"] == "queued"


def test_round_over_the_inline_budget_is_queued(app, client, auth):
    app.config["SYNC_BUDGET_S"] = 0.0
    r = post(client, slow_round(time_limit_s=30), auth)
    assert r.status_code == 202 and r.json["status"] == "queued" and r.json["output"] is None


def test_idempotency_key(client, db, auth, sample_round):
    h = {**auth, "Idempotency-Key": "portal-2026-12-01"}
    first = post(client, sample_round, h)
    assert first.status_code == 201
    again = post(client, json.dumps(sample_round, sort_keys=True, indent=1), h)  # same document, other spelling
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    assert again.headers["Location"] == first.headers["Location"]
    before = stored_counts(db)
    other = dict(sample_round, name="another round")
    r = post(client, other, h)
    assert r.status_code == 422 and r.mimetype == PROBLEM and r.json["title"] == "Unprocessable Entity" and r.json["detail"].startswith("Idempotency-Key reused")
    assert stored_counts(db) == before
    # the same key in another committee is another round
    assert post(client, other, {**h, "Authorization": f"Bearer {repo.create_token(db, 'B')}"}).status_code == 201


def test_bad_idempotency_key_400(client, auth, sample_round):
    r = post(client, sample_round, {**auth, "Idempotency-Key": "x" * 201})
    assert r.status_code == 400 and r.mimetype == PROBLEM


def test_malformed_json_400_and_nothing_stored(client, db, auth):
    before = stored_counts(db)
    for body in (b"{", b"\xff\xfe", b'{"a": NaN}'):
        r = post(client, body, auth)
        assert r.status_code == 400 and r.mimetype == PROBLEM
        assert r.json["errors"][0]["path"] == "(document)"
    assert stored_counts(db) == before


def test_invalid_round_422_with_field_paths(client, db, auth, sample_round):
    bad = json.loads(json.dumps(sample_round))
    bad["needs"][3]["quantity"] = 0
    bad["surprise"] = 1
    bad["locked"] = [{"need_id": bad["needs"][0]["id"], "resource_id": "R-999", "quantity": 1}]
    before = stored_counts(db)
    r = post(client, bad, auth)
    assert r.status_code == 422 and r.mimetype == PROBLEM
    errors = {(e["path"], e["message"]) for e in r.json["errors"]}
    assert ("needs[3].quantity", "must be >= 1") in errors
    assert ("surprise", "unknown field") in errors
    assert ("locked[0].resource_id", "unknown resource 'R-999'") in errors
    for body in ([], json.dumps("text"), {"providers": "x"}):
        assert post(client, body, auth).status_code == 422
    assert stored_counts(db) == before


def test_solver_that_cannot_model_the_round_422(client, db, auth):
    doc = slow_round(n_res=2, n_need=3)
    doc["params"]["solver"] = "flow"  # min lots and all-or-nothing needs: flow refuses
    r = post(client, doc, auth)
    assert r.status_code == 422 and r.json["errors"][0]["path"] == "params.solver"
    assert stored_counts(db)[0] == 0


def test_415_for_non_json_content_type(client, auth, sample_round):
    r = post(client, sample_round, auth, content_type="text/plain")
    assert r.status_code == 415 and r.mimetype == PROBLEM


def test_413_over_the_body_limit_by_content_length(app, client, db, auth, sample_round):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    r = post(client, sample_round, auth)
    assert r.status_code == 413 and r.mimetype == PROBLEM
    assert stored_counts(db)[0] == 0


def test_413_over_the_body_limit_when_streamed_without_length(app, client, db, auth, sample_round):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    data = json.dumps(sample_round).encode()
    read = []

    class Stream(io.BytesIO):
        def read(self, *a):
            chunk = super().read(*a)
            read.append(len(chunk))
            return chunk

    r = client.post("/api/v1/rounds", input_stream=Stream(data), headers={**auth, "Transfer-Encoding": "chunked"},
                    content_type="application/json", environ_overrides={"wsgi.input_terminated": True})
    assert r.status_code == 413 and r.mimetype == PROBLEM
    assert sum(read) < len(data)  # refused before reading it whole
    assert stored_counts(db)[0] == 0


# --- GET /rounds ----------------------------------------------------------------

def test_list_is_paginated_and_per_committee(client, auth, other_auth, sample_round):
    ids = [post(client, dict(sample_round, name=f"r{k}"), {**auth, "Prefer": "respond-async"}).json["id"]
           for k in range(3)]
    page1 = client.get("/api/v1/rounds?per_page=2", headers=auth).json
    assert page1["total"] == 3 and len(page1["items"]) == 2 and page1["next"]
    page2 = client.get(page1["next"], headers=auth).json
    assert len(page2["items"]) == 1 and page2["next"] is None
    assert {i["id"] for i in page1["items"] + page2["items"]} == set(ids)
    assert client.get("/api/v1/rounds?status=queued", headers=auth).json["total"] == 3
    assert client.get("/api/v1/rounds?status=optimal", headers=auth).json["total"] == 0
    other = client.get("/api/v1/rounds", headers=other_auth).json
    assert other["items"] == [] and other["total"] == 0


@pytest.mark.parametrize("query", ["page=0", "page=x", "per_page=101", "per_page=0", "status=done"])
def test_list_bad_query_400(client, auth, query):
    r = client.get(f"/api/v1/rounds?{query}", headers=auth)
    assert r.status_code == 400 and r.mimetype == PROBLEM


# --- one round -------------------------------------------------------------------

def test_get_round_input_projects_unmet(client, auth, sample_round):
    created = post(client, sample_round, auth).json
    rid = created["id"]
    got = client.get(f"/api/v1/rounds/{rid}", headers=auth).json
    assert got["output"] == created["output"]
    assert client.get(f"/api/v1/rounds/{rid}/input", headers=auth).json == sample_round
    out = created["output"]
    allp = client.get(f"/api/v1/rounds/{rid}/projects", headers=auth).json
    assert allp["count"] == len(out["projects"]) > 0
    assert [{k: v for k, v in p.items() if k != "approved"} for p in allp["items"]] == out["projects"]
    assert all(p["approved"] is False for p in allp["items"])
    first = out["projects"][0]
    for arg, key in (("community", "community_id"), ("provider", "provider_id"), ("category", "category")):
        sel = client.get(f"/api/v1/rounds/{rid}/projects", query_string={arg: first[key]}, headers=auth).json
        assert sel["count"] == sum(1 for p in out["projects"] if p[key] == first[key]) >= 1
        assert all(p[key] == first[key] for p in sel["items"])
    both = client.get(f"/api/v1/rounds/{rid}/projects", headers=auth,
                      query_string={"community": first["community_id"], "category": "no-such"}).json
    assert both["count"] == 0
    unmet = client.get(f"/api/v1/rounds/{rid}/unmet", headers=auth).json
    assert unmet["items"] == out["unmet"] and unmet["count"] == len(out["unmet"])


def test_unsolved_round_has_empty_projects_and_unmet(client, auth, sample_round):
    rid = post(client, sample_round, {**auth, "Prefer": "respond-async"}).json["id"]
    for part in ("projects", "unmet"):
        body = client.get(f"/api/v1/rounds/{rid}/{part}", headers=auth).json
        assert body == {"round_id": rid, "status": "queued", "count": 0, "items": []}


def test_unknown_round_404(client, auth):
    for path in ("", "/projects", "/unmet", "/input"):
        r = client.get(f"/api/v1/rounds/does-not-exist{path}", headers=auth)
        assert r.status_code == 404 and r.mimetype == PROBLEM
    assert client.delete("/api/v1/rounds/does-not-exist", headers=auth).status_code == 404


# --- DELETE ------------------------------------------------------------------------

def test_cancel_queued_round(client, auth, sample_round, run_worker):
    rid = post(client, sample_round, {**auth, "Prefer": "respond-async"}).json["id"]
    r = client.delete(f"/api/v1/rounds/{rid}", headers=auth)
    assert r.status_code == 200 and r.json["status"] == "cancelled"
    assert run_worker() is False  # never picked up
    r = client.delete(f"/api/v1/rounds/{rid}", headers=auth)
    assert r.status_code == 409 and r.mimetype == PROBLEM


def test_cancel_finished_round_409(client, auth, sample_round):
    rid = post(client, sample_round, auth).json["id"]
    assert client.delete(f"/api/v1/rounds/{rid}", headers=auth).status_code == 409
    assert client.get(f"/api/v1/rounds/{rid}", headers=auth).json["status"] == "optimal"


def test_cancel_running_solve_keeps_best_result(app, client, db, auth):
    doc = slow_round(time_limit_s=120)
    rid = post(client, doc, {**auth, "Prefer": "respond-async"}).json["id"]
    from matcher.worker import Worker, WorkerSettings
    worker = Worker(db, WorkerSettings.from_config(app.config), worker_id="w-cancel")
    th = threading.Thread(target=worker.run_once)
    th.start()
    try:
        assert wait_for(lambda: client.get(f"/api/v1/rounds/{rid}", headers=auth).json["status"] == "running", 30)
        import time
        time.sleep(1.5)  # let CP-SAT find something
        r = client.delete(f"/api/v1/rounds/{rid}", headers=auth)
        assert r.status_code == 202 and r.json["cancel_requested"] is True
        th.join(timeout=90)
        assert not th.is_alive(), "the solve did not stop after the cancel request"
    finally:
        worker.stop()
        th.join(timeout=120)
    got = client.get(f"/api/v1/rounds/{rid}", headers=auth).json
    assert got["status"] == "cancelled"
    assert "cancel requested" in [h["message"] for h in got["history"]]
    out = got["output"]
    assert out is not None and out["status"] == "feasible" and out["projects"]  # best result so far kept
    assert verify_output(doc, out) == []
    assert client.get(f"/api/v1/rounds/{rid}/projects", headers=auth).json["count"] == len(out["projects"])


# --- errors ------------------------------------------------------------------------

def test_405_and_404_are_problems(client, auth):
    r = client.put("/api/v1/rounds", headers=auth)
    assert r.status_code == 405 and r.mimetype == PROBLEM and "POST" in r.headers["Allow"]
    r = client.get("/nowhere")
    assert r.status_code == 404 and r.mimetype == PROBLEM


def test_unexpected_error_is_a_500_problem_without_traceback(app, caplog):
    def boom():
        raise ZeroDivisionError("secret internals")
    app.add_url_rule("/boom", "boom", boom)
    r = app.test_client().get("/boom")
    assert r.status_code == 500 and r.mimetype == PROBLEM
    text_ = r.get_data(as_text=True)
    assert "Traceback" not in text_ and "secret internals" not in text_


def test_migrate_skips_alembic_at_the_newest_revision_and_upgrades_an_older_one(tmp_path, monkeypatch):
    from alembic import command

    from matcher.store.db import Database, current_revisions, head_revisions, migrate
    db = Database(f"sqlite:///{tmp_path / 'm.sqlite'}")
    try:
        command.upgrade(alembic_config(db), "0002")  # an older database: the chain runs on from there
        assert current_revisions(db) == {"0002"}
        migrate(db)
        assert current_revisions(db) == head_revisions() and head_revisions() != {"0002"}

        def no_alembic(*a, **k):
            raise AssertionError("Alembic ran on a database at the newest revision")
        monkeypatch.setattr(command, "upgrade", no_alembic)
        migrate(db)  # at head: one read, no Alembic
    finally:
        db.dispose()
