"""One path from POST /rounds to a stored round: decided before pairs, stored last, answered from the hand."""
from __future__ import annotations

import json
import statistics
import threading
import time

import pytest
from sqlalchemy import func, select

from matcher import service
from matcher.store import repo
from matcher.store.models import RoundRow
from matcher.web import intake


@pytest.fixture
def pair_calls(monkeypatch):
    """How often candidate pairs are computed (in the request or by the worker)."""
    calls = []
    real = service.candidate_pairs

    def counting(tables):
        calls.append(tables.n_need)
        return real(tables)

    monkeypatch.setattr(service, "candidate_pairs", counting)
    return calls


def rounds_stored(db) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(RoundRow))


def test_possible_pairs_bound_the_candidate_pairs(sample_round):
    from matcher.validation import parse_round

    rnd = parse_round(sample_round)
    bound = intake.possible_pairs(rnd)
    assert len(service.prepare(rnd).pairs) <= bound
    resources = {}
    for r in sample_round["resources"]:
        resources[r["category"]] = resources.get(r["category"], 0) + 1
    assert bound == sum(resources.get(n["category"], 0) for n in sample_round["needs"]) + len(rnd.locked)


def test_many_needs_and_no_resources_are_queued_without_pairs(client, auth, pair_calls, run_worker):
    """issue 10 item 3: a large body of needs and no resources is not solved in the web worker."""
    needs = [{"id": f"N-{k:05d}", "community_id": f"C-{k % 50}", "category": "room", "quantity": 3,
              "lat": 30.0 + (k % 100) * 1e-4, "lon": 120.0 + (k // 100) * 1e-4} for k in range(6000)]
    doc = {"name": "only needs", "providers": [], "resources": [], "needs": needs}
    body = json.dumps(doc)
    assert len(body) > 512 * 1024  # over SYNC_MAX_BODY_KB, 0 possible pairs
    r = client.post("/api/v1/rounds", data=body, content_type="application/json", headers=auth)
    assert r.status_code == 202 and r.json["status"] == "queued" and r.json["output"] is None
    assert pair_calls == []  # no pairs computed in the request
    assert run_worker() is True
    assert pair_calls == [6000]  # once, by the worker
    got = client.get(r.headers["Location"], headers=auth).json
    assert got["status"] == "optimal" and len(got["output"]["unmet"]) == 6000


def test_over_possible_pairs_queued_before_any_pair(app, client, auth, sample_round, pair_calls, run_worker):
    app.config["SYNC_MAX_PAIRS"] = 100  # the sample has 24 candidate pairs but 696 possible ones
    r = client.post("/api/v1/rounds", json=sample_round, headers=auth)
    assert r.status_code == 202 and pair_calls == []
    assert run_worker() is True and len(pair_calls) == 1
    app.config["SYNC_MAX_PAIRS"] = 5000
    assert client.post("/api/v1/rounds", json=sample_round, headers=auth).status_code == 201
    assert len(pair_calls) == 2  # inline: computed once


def test_body_kept_as_received_with_one_canonical_digest(client, db, auth, sample_round):
    text = json.dumps(sample_round, ensure_ascii=True, indent=3, sort_keys=True)  # \\u escapes, odd spacing
    r = client.post("/api/v1/rounds", data=text.encode(), content_type="application/json", headers=auth)
    assert r.status_code == 201
    with db.read() as s:
        row = s.get(RoundRow, r.json["id"])
    assert row.input_json == text
    assert row.input_sha256 == repo.body_digest(sample_round) == repo.body_digest(json.loads(text))
    assert client.get(f"/api/v1/rounds/{row.id}/input", headers=auth).json == sample_round


def test_answer_comes_from_the_hand_not_from_a_read_back(client, auth, sample_round, monkeypatch):
    def no_read(*_a, **_k):
        raise AssertionError("the row just written was read back")

    monkeypatch.setattr(repo, "get_round", no_read)
    r = client.post("/api/v1/rounds", json=sample_round, headers=auth)
    assert r.status_code == 201 and r.json["status"] == "optimal"
    assert [h["status"] for h in r.json["history"]] == ["queued", "running", "optimal"]
    assert r.json["output"]["objective"]["served_value"] > 0 and r.json["timings"]["queued_seconds"] == 0.0
    async_ = client.post("/api/v1/rounds", json=sample_round, headers={**auth, "Prefer": "respond-async"})
    assert async_.status_code == 202 and [h["status"] for h in async_.json["history"]] == ["queued"]


def test_a_request_that_dies_while_solving_stores_nothing(app, client, db, auth, sample_round, monkeypatch):
    """The round is written last: a crash before (here an unexpected error) leaves no round nobody was told of."""
    def crash(*_a, **_k):
        raise MemoryError()

    monkeypatch.setattr(service, "solve_prepared", crash)
    r = client.post("/api/v1/rounds", json=sample_round, headers={**auth, "Idempotency-Key": "k-1"})
    assert r.status_code == 500 and rounds_stored(db) == 0
    monkeypatch.undo()
    again = client.post("/api/v1/rounds", json=sample_round, headers={**auth, "Idempotency-Key": "k-1"})
    assert again.status_code == 201 and rounds_stored(db) == 1  # the retry creates it, once


def test_queued_round_wakes_the_worker_thread(app, client, db, auth, sample_round):
    """issue 14: picked up at once, not at the next poll (POLL_S is 5 s here)."""
    from matcher.worker import Worker, WorkerSettings

    worker = Worker(db, WorkerSettings(poll_s=5.0, lease_s=5.0, heartbeat_s=0.2, solver_workers=1), "w-wake")
    thread = threading.Thread(target=worker.run_forever, daemon=True)
    thread.start()
    try:
        time.sleep(0.2)  # idle: waiting for its 5 s poll
        waits = []
        for k in range(3):
            rid = client.post("/api/v1/rounds", json=dict(sample_round, name=f"w{k}"),
                              headers={**auth, "Prefer": "respond-async"}).json["id"]
            end = time.monotonic() + 10
            while time.monotonic() < end:
                got = client.get(f"/api/v1/rounds/{rid}", headers=auth).json
                if got["status"] not in ("queued", "running"):
                    break
                time.sleep(0.01)
            assert got["status"] == "optimal"
            waits.append(got["timings"]["queued_seconds"])
            time.sleep(0.1)  # idle again
        assert statistics.median(waits) < 0.1, waits
    finally:
        worker.stop()
        thread.join(timeout=30)
    assert not thread.is_alive()


@pytest.mark.slow
def test_separate_worker_process_picks_up_within_its_short_poll(tmp_path, sample_round):
    """issue 14 across processes (gunicorn + `matcher worker` on SQLite): the default short poll, one read each."""
    import subprocess
    from pathlib import Path

    from apihelpers import wait_for
    from servers import MATCHER, env_for, stop_process
    from matcher.web import create_app

    db_url = f"sqlite:///{tmp_path / 'poll.sqlite'}"
    app = create_app({"DATABASE_URL": db_url})
    c = app.test_client()
    auth = {"Authorization": f"Bearer {repo.create_token(app.extensions['matcher_db'], 'poll')}"}
    log = open(tmp_path / "worker.log", "w+")
    worker = subprocess.Popen([MATCHER, "worker"], env=env_for(db_url), stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        assert wait_for(lambda: "polling" in Path(log.name).read_text(), 60), Path(log.name).read_text()
        waits = []
        for k in range(5):
            rid = c.post("/api/v1/rounds", json=dict(sample_round, name=f"p{k}"),
                         headers={**auth, "Prefer": "respond-async"}).json["id"]
            got = wait_for(lambda rid=rid: (lambda b: b if b["status"] == "optimal" else None)(
                c.get(f"/api/v1/rounds/{rid}", headers=auth).json), 30, 0.02)
            assert got, Path(log.name).read_text()
            waits.append(got["timings"]["queued_seconds"])
        assert statistics.median(waits) < 0.1, waits
    finally:
        stop_process(worker)
        log.close()
        app.extensions["matcher_db"].dispose()
