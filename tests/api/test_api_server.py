"""The real thing: `matcher serve` / `matcher worker` processes on loopback with a temporary SQLite file.

- end to end: token from the CLI, POST a sample round, poll until solved, check with matcher.verify;
- concurrency: parallel POST /rounds from threads (inline solves and queued ones) against the SQLite
  default: every request answered 201/202, no "database is locked", no round lost;
- crash safety: SIGKILL the worker during a solve, restart it; nothing stored is lost or corrupted and the
  interrupted round is run again (or ends failed), never left `running`.
"""
from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from apihelpers import slow_round, verify_output, wait_for

from servers import MATCHER, Server, env_for

ROUND_FILE = Path(__file__).parent / "data" / "huzhou_after_school.json"
METRICS_TOKEN = "metrics-of-the-server-test"
SMALL_ROUNDS = sorted((Path(__file__).parents[1] / "data").glob("*_*.json"))


def http(method: str, url: str, token: str | None = None, body: dict | None = None, headers: dict | None = None):
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read() or b"null"), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null"), dict(e.headers)


def token(db_url: str, committee: str) -> str:
    out = subprocess.run([MATCHER, "token", "create", "--committee", committee], env=env_for(db_url),
                         capture_output=True, text=True, timeout=120, check=True)
    tok = out.stdout.strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", tok), out.stdout
    return tok


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("server")
    db_url = f"sqlite:///{tmp / 'matcher.sqlite'}"
    s = Server(db_url, tmp, POLL_S=0.1, METRICS_TOKEN=METRICS_TOKEN)
    s.db_url = db_url
    yield s
    s.stop()


def test_end_to_end_with_the_real_server(server):
    tok = token(server.db_url, "西城区党建协调委员会")
    assert http("GET", f"{server.base}/healthz")[0] == 200
    assert http("GET", f"{server.base}/readyz")[0] == 200
    doc = json.loads(ROUND_FILE.read_text(encoding="utf-8"))
    status, body, headers = http("POST", f"{server.base}/api/v1/rounds", tok, doc, {"Prefer": "respond-async"})
    assert status == 202 and body["status"] == "queued"
    url = server.base + headers["Location"]
    final = wait_for(lambda: (lambda b: b if b["status"] not in ("queued", "running") else None)(http("GET", url, tok)[1]), 120)
    assert final and final["status"] == "optimal", final
    assert verify_output(doc, final["output"]) == []
    assert [h["status"] for h in final["history"]] == ["queued", "running", "optimal"]
    assert http("GET", url, "not-a-token")[0] == 401
    assert http("GET", url, token(server.db_url, "another committee"))[0] == 404
    req = urllib.request.Request(f"{server.base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    metrics = urllib.request.urlopen(req, timeout=30).read().decode()
    assert 'matcher_rounds{status="optimal"}' in metrics


def test_parallel_posts_against_sqlite(server):
    tokens = [token(server.db_url, f"并发委员会{k}") for k in range(2)]
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in SMALL_ROUNDS if "fuzhou" not in p.name][:3]
    results, errors = [], []
    lock = threading.Lock()

    def client(k: int) -> None:
        for n in range(6):
            doc = dict(docs[(k + n) % len(docs)], name=f"client {k} round {n}")
            headers = {"Prefer": "respond-async"} if n % 2 else {}
            try:
                status, body, _ = http("POST", f"{server.base}/api/v1/rounds", tokens[k % 2], doc, headers)
            except Exception as exc:  # pragma: no cover - reported below
                with lock:
                    errors.append(repr(exc))
                continue
            with lock:
                results.append((k % 2, status, body))

    threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors
    assert len(results) == 48
    assert {s for _, s, _ in results} <= {201, 202}, [b for _, s, b in results if s not in (201, 202)][:3]
    for c in range(2):
        ids = {b["id"] for k, _, b in results if k == c}
        assert len(ids) == 24
        listed = http("GET", f"{server.base}/api/v1/rounds?per_page=100", tokens[c])[1]
        assert {i["id"] for i in listed["items"]} == ids  # none lost, none leaked
    done = wait_for(lambda: all(http("GET", f"{server.base}/api/v1/rounds/{b['id']}", tokens[k])[1]["status"] == "optimal"
                                for k, _, b in results), 180, 0.5)
    assert done
    assert "database is locked" not in server.text()
    assert "Traceback" not in server.text()


def _db_rows(path: Path) -> dict[str, tuple]:
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {r[0]: r[1:] for r in con.execute("SELECT id, status, input_json, output_json, attempts FROM rounds")}
    finally:
        con.close()


def test_worker_killed_during_a_solve(tmp_path):
    from api import create_app

    path = tmp_path / "crash.sqlite"
    db_url = f"sqlite:///{path}"
    app = create_app({"DATABASE_URL": db_url, "RUN_WORKER": False})
    from matcher.store import repo
    auth = {"Authorization": f"Bearer {repo.create_token(app.extensions['matcher_db'], 'crash')}"}
    c = app.test_client()
    small = json.loads(ROUND_FILE.read_text(encoding="utf-8"))
    solved = [c.post("/api/v1/rounds", json=dict(small, name=f"kept {k}"), headers=auth).json for k in range(3)]
    assert all(r["status"] == "optimal" for r in solved)
    slow = slow_round(time_limit_s=6)
    rid = c.post("/api/v1/rounds", json=slow, headers={**auth, "Prefer": "respond-async"}).json["id"]
    before = _db_rows(path)

    worker_env = env_for(db_url, LEASE_S=2, HEARTBEAT_S=0.3, POLL_S=0.1, MAX_ATTEMPTS=2)
    log = open(tmp_path / "worker.log", "w+")
    w1 = subprocess.Popen([MATCHER, "worker"], env=worker_env, stdout=log, stderr=subprocess.STDOUT)
    try:
        assert wait_for(lambda: c.get(f"/api/v1/rounds/{rid}", headers=auth).json["status"] == "running", 60)
        os.kill(w1.pid, signal.SIGKILL)
        w1.wait(timeout=30)
    finally:
        if w1.poll() is None:
            w1.kill()
    after_kill = _db_rows(path)
    assert after_kill[rid][0] == "running"  # the dead worker left it so ...
    for k, v in before.items():  # ... and nothing else changed
        if k != rid:
            assert after_kill[k] == v
    w2 = subprocess.Popen([MATCHER, "worker"], env=worker_env, stdout=log, stderr=subprocess.STDOUT)
    try:
        final = wait_for(lambda: (lambda b: b if b["status"] not in ("queued", "running") else None)(
            c.get(f"/api/v1/rounds/{rid}", headers=auth).json), 120, 0.2)
    finally:
        w2.send_signal(signal.SIGTERM)
        w2.wait(timeout=30)
        log.close()
    assert final, "round stuck after the worker was restarted"
    messages = [h["message"] or "" for h in final["history"]]
    assert any("worker lost" in m for m in messages)
    if final["status"] == "failed":
        assert final["attempts"] >= 2
    else:  # re-run to the end by the second worker
        assert final["status"] in ("optimal", "feasible") and final["attempts"] == 2
        assert verify_output(slow, final["output"]) == []
    rows = _db_rows(path)
    for r in solved:
        assert rows[r["id"]] == before[r["id"]]
        got = c.get(f"/api/v1/rounds/{r['id']}", headers=auth).json
        assert got["status"] == "optimal" and verify_output(small, got["output"]) == []
    app.extensions["matcher_db"].dispose()
