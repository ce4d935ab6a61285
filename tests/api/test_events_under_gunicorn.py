"""The event stream (GET /api/v1/rounds/<id>/events) under the shipped gunicorn.conf.py, for real on loopback:
events arrive as they happen (not buffered), a stream ends after MATCHER_EVENTS_MAX_S, each process serves at
most MATCHER_EVENTS_MAX_STREAMS streams (503 beyond), /healthz answers within a second while streams are open,
and a stream followed through a real `matcher worker` solve ends with its final status."""
from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from test_api_gunicorn import running_gunicorn
from servers import MATCHER, env_for, stop_process
from test_api_server import http as call, token

pytestmark = pytest.mark.slow
ROOT = Path(__file__).parents[2]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
ROUND = json.loads((Path(__file__).parent / "data" / "huzhou_after_school.json").read_text(encoding="utf-8"))
MAX_S, STREAMS, WORKERS = 3.0, 3, 2


@pytest.fixture
def served(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'matcher.sqlite'}"
    tok = token(db_url, "西城区党建协调委员会")
    with running_gunicorn(tmp_path, db_url, WORKERS, EVENTS_MAX_S=MAX_S, EVENTS_MAX_STREAMS=STREAMS,
                          EVENTS_POLL_S=0.1) as (base, port):
        yield base, port, tok, db_url, tmp_path


def follow(port: int, tok: str, rid: str, out: dict) -> None:
    """Read one event stream to its end: out gets status, the first bytes' delay, the text and the duration."""
    began = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", f"/api/v1/rounds/{rid}/events", headers={"Authorization": f"Bearer {tok}"})
    resp = conn.getresponse()
    out["status"] = resp.status
    if resp.status == 200:
        first = resp.read1(64)
        out["first_s"] = time.monotonic() - began
        out["text"] = (first + resp.read()).decode()
    else:
        out["text"] = resp.read().decode()
    out["took_s"] = time.monotonic() - began
    conn.close()


def test_streams_are_bounded_and_do_not_hold_the_server(served):
    base, port, tok, _db, _tmp = served
    status, body, _ = call("POST", f"{base}/api/v1/rounds", tok, ROUND, {"Prefer": "respond-async"})
    assert status == 202  # queued, and no worker runs: the stream has nothing to end it but its time
    many = STREAMS * WORKERS + 4
    results = [{} for _ in range(many)]
    threads = [threading.Thread(target=follow, args=(port, tok, body["id"], r)) for r in results]
    for t in threads:
        t.start()
    time.sleep(0.5)
    for _ in range(5):  # the server answers while the streams are open
        began = time.monotonic()
        assert urllib.request.urlopen(base + "/healthz", timeout=5).status == 200
        assert time.monotonic() - began < 1.0
    for t in threads:
        t.join(timeout=60)
    served_ = [r for r in results if r["status"] == 200]
    refused = [r for r in results if r["status"] == 503]
    assert len(served_) + len(refused) == many
    assert len(served_) <= STREAMS * WORKERS and len(refused) >= many - STREAMS * WORKERS
    for r in served_:
        assert r["first_s"] < 1.0  # sent as it happens, not buffered to the end
        assert MAX_S - 0.5 < r["took_s"] < MAX_S + 5
        assert "event: status" in r["text"] and r["text"].rstrip().split("\n\n")[-1].startswith("event: reconnect")
    assert all(json.loads(r["text"])["status"] == 503 for r in refused)


def test_a_stream_follows_a_real_worker_to_the_end(served):
    base, port, tok, db_url, tmp = served
    doc = dict(ROUND, params={**ROUND.get("params", {}), "time_limit_s": 10})
    status, body, _ = call("POST", f"{base}/api/v1/rounds", tok, doc, {"Prefer": "respond-async"})
    assert status == 202
    log = open(tmp / "worker.log", "w")
    worker = subprocess.Popen([MATCHER, "worker"], env=env_for(db_url, POLL_S=0.05), stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        texts = []
        for _ in range(10):  # reconnect like EventSource until the end event
            out: dict = {}
            follow(port, tok, body["id"], out)
            texts.append(out["text"])
            if "event: end" in out["text"]:
                break
        assert "event: end" in texts[-1], texts
    finally:
        stop_process(worker, 60)
        log.close()
    final = call("GET", f"{base}/api/v1/rounds/{body['id']}", tok)[1]
    assert final["status"] == "optimal" and final["progress"] is None
    end = next(b for b in texts[-1].split("\n\n") if b.startswith("event: end"))
    assert json.loads(end.split("data: ", 1)[1]) == {"status": "optimal"}
    assert "event: status" in "".join(texts) and '"status": "optimal"' in "".join(texts)
