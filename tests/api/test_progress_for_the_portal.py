"""Issue 10 item 12, progress for the portal: a running round's progress in GET /rounds/<id>, its
server-sent events stream, POST /rounds?validate_only=true and GET /demo-round (in-process app and worker)."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from apihelpers import slow_round, wait_for

DEMO = Path(__file__).resolve().parents[2] / "matcher" / "data" / "demo_round.json"


def post(client, doc, headers):
    return client.post("/api/v1/rounds", data=json.dumps(doc, ensure_ascii=False),
                       headers={**headers, "Content-Type": "application/json"})


@pytest.fixture
def worker_thread(app, db):
    """Start one background worker in a thread (stopped at the end)."""
    from matcher.worker import Worker, WorkerSettings

    started = []

    def start():
        worker = Worker(db, WorkerSettings.from_config(app.config), worker_id="w-progress")
        thread = threading.Thread(target=worker.run_forever, daemon=True)
        thread.start()
        started.append((worker, thread))
        return worker

    yield start
    for worker, thread in started:
        worker.stop()
        thread.join(timeout=120)


def parse_events(chunks) -> list[tuple[str, object]]:
    """(event, data) of a text/event-stream body, comments and retry lines left out."""
    out = []
    for block in "".join(chunks).split("\n\n"):
        lines = [line for line in block.split("\n") if line and not line.startswith((":", "retry:"))]
        if lines:
            fields = dict(line.split(": ", 1) for line in lines)
            out.append((fields["event"], json.loads(fields["data"])))
    return out


def test_running_round_shows_its_progress_then_none_when_done(client, auth, worker_thread):
    rid = post(client, slow_round(time_limit_s=60), {**auth, "Prefer": "respond-async"}).json["id"]
    assert client.get(f"/api/v1/rounds/{rid}", headers=auth).json["progress"] is None  # queued: nothing yet
    worker_thread()

    def progressing():
        got = client.get(f"/api/v1/rounds/{rid}", headers=auth).json
        prog = got["progress"]
        return got if prog and prog["stage"].startswith(("CP-SAT level 1", "CP-SAT all levels")) and prog["best_value"] else None

    got = wait_for(progressing, 60, 0.1)
    assert got, client.get(f"/api/v1/rounds/{rid}", headers=auth).json
    prog = got["progress"]
    assert got["status"] == "running"
    assert set(prog) == {"stage", "elapsed_s", "best_value", "bound", "parts_done", "parts_total"}
    assert 0 < prog["best_value"] <= prog["bound"] and prog["elapsed_s"] >= 0
    later = wait_for(lambda: (lambda p: p if p and p["elapsed_s"] > prog["elapsed_s"] else None)(
        client.get(f"/api/v1/rounds/{rid}", headers=auth).json["progress"]), 10, 0.1)
    assert later, "elapsed_s does not advance"
    assert client.delete(f"/api/v1/rounds/{rid}", headers=auth).status_code == 202
    final = wait_for(lambda: (lambda b: b if b["output"] is not None else None)(
        client.get(f"/api/v1/rounds/{rid}", headers=auth).json), 30, 0.1)
    assert final["status"] == "cancelled" and final["progress"] is None
    assert final["output"]["objective"]["served_value"] >= prog["best_value"]  # the best result so far, kept


def test_event_stream_follows_a_round_to_its_end(app, client, auth, worker_thread):
    app.config.update(EVENTS_POLL_S=0.1)
    rid = post(client, slow_round(time_limit_s=6), {**auth, "Prefer": "respond-async"}).json["id"]
    worker_thread()
    began = time.monotonic()
    resp = client.get(f"/api/v1/rounds/{rid}/events", headers=auth, buffered=False)
    assert resp.status_code == 200 and resp.mimetype == "text/event-stream"
    assert resp.headers["Cache-Control"] == "no-store"
    events = parse_events(chunk.decode() for chunk in resp.response)
    resp.close()
    assert time.monotonic() - began < 40
    kinds = [k for k, _ in events]
    assert kinds[-1] == "end" and kinds.count("end") == 1
    statuses = [d["status"] for k, d in events if k == "status"]
    assert statuses[-1] in ("optimal", "feasible"), events
    assert "running" in statuses
    progress = [d for k, d in events if k == "progress"]
    assert progress and {"stage", "elapsed_s", "best_value", "bound"} <= set(progress[0])
    assert any(p["best_value"] for p in progress), events
    final = client.get(f"/api/v1/rounds/{rid}", headers=auth).json
    assert events[-1][1]["status"] == final["status"] and final["output"] is not None


def test_event_stream_is_bounded_in_time_and_number(app, client, auth, other_auth, sample_round):
    app.config.update(EVENTS_MAX_S=0.6, EVENTS_MAX_STREAMS=1, EVENTS_POLL_S=0.05)
    rid = post(client, sample_round, {**auth, "Prefer": "respond-async"}).json["id"]  # queued, no worker
    assert client.get(f"/api/v1/rounds/{rid}/events", headers=other_auth).status_code == 404
    assert client.get(f"/api/v1/rounds/{rid}/events").status_code == 401
    began = time.monotonic()
    first = client.get(f"/api/v1/rounds/{rid}/events", headers=auth, buffered=False)
    chunks = iter(first.response)
    assert next(chunks).decode().startswith("retry:")
    busy = client.get(f"/api/v1/rounds/{rid}/events", headers=auth)
    assert busy.status_code == 503 and busy.headers["Retry-After"] and busy.mimetype == "application/problem+json"
    events = parse_events(c.decode() for c in chunks)
    first.close()
    assert 0.5 < time.monotonic() - began < 10
    assert events[0] == ("status", {"status": "queued", "message": None, "finished_at": None})
    assert events[-1][0] == "reconnect"
    again = client.get(f"/api/v1/rounds/{rid}/events", headers=auth)  # the slot is free again
    assert again.status_code == 200 and "event: reconnect" in again.get_data(as_text=True)


def test_event_stream_of_a_finished_round_ends_at_once(client, auth, sample_round):
    rid = post(client, sample_round, auth).json["id"]  # solved in the request
    text = client.get(f"/api/v1/rounds/{rid}/events", headers=auth).get_data(as_text=True)
    assert [k for k, _ in parse_events([text])] == ["status", "end"]


def test_validate_only_checks_and_stores_nothing(client, auth, sample_round):
    r = client.post("/api/v1/rounds?validate_only=true", json=sample_round, headers=auth)
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.json
    assert body["valid"] is True and body["solved_in_request"] is True and body["queue_reason"] is None
    assert (body["resources"], body["needs"]) == (len(sample_round["resources"]), len(sample_round["needs"]))
    assert body["possible_pairs"] >= 1
    queued = client.post("/api/v1/rounds?validate_only=1", json=sample_round,
                         headers={**auth, "Prefer": "respond-async"}).json
    assert queued["solved_in_request"] is False and "respond-async" in queued["queue_reason"]
    bad = json.loads(json.dumps(sample_round))
    bad["needs"][1]["quantity"] = 0
    bad["resources"][0]["provider_id"] = "nobody"
    r = client.post("/api/v1/rounds?validate_only=true", json=bad, headers=auth)
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    paths = {e["path"] for e in r.json["errors"]}
    assert "needs[1].quantity" in paths and "resources[0].provider_id" in paths
    r = client.post("/api/v1/rounds?validate_only=maybe", json=sample_round, headers=auth)
    assert r.status_code == 400 and "validate_only" in r.json["detail"]
    assert client.get("/api/v1/rounds", headers=auth).json["total"] == 0  # nothing stored by any of them


def test_demo_round_is_the_bundled_one_and_solves(client, auth):
    r = client.get("/api/v1/demo-round", headers=auth)
    assert r.status_code == 200
    assert r.json == json.loads(DEMO.read_text(encoding="utf-8"))
    assert client.get("/api/v1/demo-round").status_code == 401
    solved = post(client, r.json, auth)
    assert solved.status_code == 201 and solved.json["status"] == "optimal"


def test_new_operations_are_in_the_openapi_document(client):
    spec = client.get("/openapi.json").json
    paths = spec["paths"]
    events = paths["/api/v1/rounds/{round_id}/events"]["get"]
    assert "text/event-stream" in events["responses"]["200"]["content"]
    assert paths["/api/v1/demo-round"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Round"}
    params = {p["name"] for p in paths["/api/v1/rounds"]["post"]["parameters"]}
    assert "validate_only" in params
    assert "progress" in spec["components"]["schemas"]["RoundDetail"]["properties"]
    assert set(spec["components"]["schemas"]["RoundProgress"]["properties"]) == {
        "stage", "elapsed_s", "best_value", "bound", "parts_done", "parts_total"}
