"""The API on PostgreSQL: a real server process, the worker, isolation and parallel writes.

Runs when ``MATCHER_TEST_POSTGRES_URL`` names a PostgreSQL database (CI's
``.ci/run`` installs and starts one); skipped otherwise.
"""
from __future__ import annotations

import json
import os
import threading
import uuid

import pytest

from apihelpers import verify_output, wait_for
from test_api_server import ROUND_FILE, Server, http, token

PG_URL = os.environ.get("MATCHER_TEST_POSTGRES_URL", "")
pytestmark = pytest.mark.skipif(not PG_URL, reason="set MATCHER_TEST_POSTGRES_URL to a PostgreSQL database")


@pytest.fixture(scope="module")
def pg_server(tmp_path_factory):
    s = Server(PG_URL, tmp_path_factory.mktemp("pg"), POLL_S=0.1)
    yield s
    s.stop()


def test_round_is_solved_by_the_worker_on_postgres(pg_server):
    tok = token(PG_URL, "西城区 PostgreSQL")
    assert http("GET", f"{pg_server.base}/readyz")[0] == 200
    doc = json.loads(ROUND_FILE.read_text(encoding="utf-8"))
    status, body, headers = http("POST", f"{pg_server.base}/api/v1/rounds", tok, doc, {"Prefer": "respond-async"})
    assert status == 202, body
    url = pg_server.base + headers["Location"]
    final = wait_for(lambda: (lambda b: b if b["status"] not in ("queued", "running") else None)(http("GET", url, tok)[1]), 120)
    assert final and final["status"] == "optimal", final
    assert verify_output(doc, final["output"]) == []
    status, _projects, _ = http("GET", url + "/projects", tok)
    assert status == 200
    assert http("GET", url, token(PG_URL, "another committee on PostgreSQL"))[0] == 404


def test_parallel_posts_on_postgres_lose_nothing(pg_server):
    tok = token(PG_URL, f"海淀区 PostgreSQL {uuid.uuid4().hex[:8]}")  # a fresh committee on a reused database
    doc = json.loads(ROUND_FILE.read_text(encoding="utf-8"))
    results: list[int] = []
    lock = threading.Lock()

    def post() -> None:
        for _ in range(3):
            status, _body, _ = http("POST", f"{pg_server.base}/api/v1/rounds", tok, doc, {"Prefer": "respond-async"})
            with lock:
                results.append(status)

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(202) == 18, results
    status, listing, _ = http("GET", f"{pg_server.base}/api/v1/rounds?per_page=100", tok)
    assert status == 200
    assert listing["total"] == 18 and len(listing["items"]) == 18


def test_progress_and_cancel_on_postgres(pg_server):
    import time

    from apihelpers import slow_round

    tok = token(PG_URL, f"进度 {uuid.uuid4().hex[:8]}")
    doc = slow_round(time_limit_s=120)
    status, _body, headers = http("POST", f"{pg_server.base}/api/v1/rounds", tok, doc, {"Prefer": "respond-async"})
    assert status == 202
    url = pg_server.base + headers["Location"]
    running = wait_for(lambda: (lambda b: b if (b["progress"] or {}).get("best_value") else None)(
        http("GET", url, tok)[1]), 120, 0.1)
    assert running and running["status"] == "running", http("GET", url, tok)[1]
    assert running["progress"]["best_value"] <= running["progress"]["bound"]
    assert http("DELETE", url, tok)[0] == 202
    asked = time.monotonic()
    assert wait_for(lambda: http("GET", url, tok)[1]["status"] == "cancelled", 30, 0.02)
    assert time.monotonic() - asked < 2.0
    final = wait_for(lambda: (lambda b: b if b["output"] else None)(http("GET", url, tok)[1]), 60, 0.1)
    assert final["progress"] is None and final["output"]["status"] == "feasible"
    assert verify_output(doc, final["output"]) == []


def _queue_one(db, committee: str) -> tuple[str, str]:
    from matcher.store import repo
    doc = ROUND_FILE.read_text(encoding="utf-8")
    cid = repo.committee_for_token(db, repo.create_token(db, committee))
    row, _ = repo.create_round(db, repo.NewRound(cid, doc, repo.body_digest(json.loads(doc)), None))
    return cid, row.id


def test_a_round_queued_elsewhere_wakes_a_postgres_worker_at_once():
    # pick-up within 50 ms (issue 14): the worker LISTENs; a round queued by another process NOTIFYs at commit
    import time

    from matcher.store import Database, repo, wakeup
    from matcher.worker import Worker, WorkerSettings
    listen_db, other_db = Database(PG_URL), Database(PG_URL)
    woken = threading.Event()
    listener = wakeup.listener_for(listen_db, woken.set)
    try:
        assert listener is not None and listener.listening.wait(10)
        _queue_one(other_db, f"PostgreSQL wake {uuid.uuid4().hex[:8]}")
        assert woken.wait(2.0)
    finally:
        listener.stop()
    worker = Worker(listen_db, WorkerSettings(poll_s=30.0))  # without the notice it would wait 30 s
    thread = threading.Thread(target=worker.run_forever, daemon=True)
    thread.start()
    try:
        assert wait_for(lambda: not repo.has_queued(listen_db) or None, 60)  # warmed, queue drained, idle
        time.sleep(0.5)
        cid, rid = _queue_one(other_db, f"PostgreSQL worker {uuid.uuid4().hex[:8]}")
        began = time.monotonic()
        assert wait_for(lambda: repo.get_round(other_db, cid, rid).status != "queued" or None, 10)
        assert time.monotonic() - began < 5.0  # far from the 30 s poll
    finally:
        worker.stop()
        thread.join(30)
        listen_db.dispose()
        other_db.dispose()
