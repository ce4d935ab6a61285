"""``/metrics``: prometheus-client text, a token of its own, bounded labels, every gunicorn worker counted."""
from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from apihelpers import wait_for
from matcher.store import repo

METRICS_TOKEN = "scraper-token-for-the-tests"
SCRAPE = {"Authorization": f"Bearer {METRICS_TOKEN}"}
ROUND_FILE = Path(__file__).parent / "data" / "huzhou_after_school.json"


def samples(text: str) -> dict[tuple, float]:
    """{(name, (label, value), ...): value} of an exposition text."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, *sorted(s.labels.items()))] = s.value
    return out


def requests_of(got: dict, method: str, endpoint: str, status: int) -> float:
    key = ("matcher_http_requests_total", ("endpoint", endpoint), ("method", method), ("status", str(status)))
    return got.get(key, 0.0)


@pytest.fixture
def scraping(app):
    app.config["METRICS_TOKEN"] = METRICS_TOKEN
    return app


def test_metrics_after_a_solve(scraping, client, auth, sample_round):
    assert client.post("/api/v1/rounds", json=sample_round, headers=auth).status_code == 201
    client.get("/api/v1/rounds", headers={"Authorization": "Bearer nope"})
    r = client.get("/metrics", headers=SCRAPE)
    assert r.status_code == 200 and r.mimetype == "text/plain"
    got = samples(r.get_data(as_text=True))
    assert requests_of(got, "POST", "/api/v1/rounds", 201) == 1
    assert requests_of(got, "GET", "/api/v1/rounds", 401) == 1
    assert got[("matcher_rounds", ("status", "optimal"))] == 1 and got[("matcher_rounds", ("status", "queued"))] == 0
    assert got[("matcher_solve_seconds_count",)] == 1 and got[("matcher_solve_seconds_bucket", ("le", "+Inf"))] == 1
    assert got[("matcher_http_request_seconds_count", ("endpoint", "/api/v1/rounds"), ("method", "POST"))] == 1


def test_metrics_need_their_own_token(app, client, auth):
    r = client.get("/metrics")
    assert r.status_code == 403 and "MATCHER_METRICS_TOKEN" in r.json["detail"]  # off unless configured
    app.config["METRICS_TOKEN"] = METRICS_TOKEN
    for headers in ({}, auth, {"Authorization": "Bearer " + METRICS_TOKEN[:-1]}, {"Authorization": METRICS_TOKEN}):
        r = client.get("/metrics", headers=headers)  # a committee's token is not enough
        assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
        assert "matcher_rounds" not in r.get_data(as_text=True)
    assert client.get("/metrics", headers=SCRAPE).status_code == 200


def test_metrics_labels_stay_bounded(scraping, client, auth):
    rng = random.Random(14)
    client.get("/healthz")
    before = client.get("/metrics", headers=SCRAPE).get_data(as_text=True).count("\n")
    for k in range(3000):
        method = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(rng.randint(3, 9)))
        path = rng.choice([f"/api/v1/rounds/{k}", f"/made/up/{k}", "/healthz", f"/api/v1/rounds/{k}/projects"])
        client.open(path, method=method, headers=auth)
    text = client.get("/metrics", headers=SCRAPE).get_data(as_text=True)
    got = samples(text)
    methods = {dict(k[1:]).get("method") for k in got if k[0] == "matcher_http_requests_total"}
    endpoints = {dict(k[1:]).get("endpoint") for k in got if k[0] == "matcher_http_requests_total"}
    assert methods == {"GET", "other"}
    assert endpoints <= {"/healthz", "/metrics", "(unmatched)", "/api/v1/rounds/<round_id>",
                         "/api/v1/rounds/<round_id>/projects"}
    assert sum(v for k, v in got.items() if k[0] == "matcher_http_requests_total" and ("method", "other") in k) == 3000
    assert text.count("\n") - before < 120  # a few label sets, not one per request


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_gunicorn_workers_are_counted_together(tmp_path):
    """Real gunicorn, 2 workers, PROMETHEUS_MULTIPROC_DIR: a scrape of any worker counts every worker's requests."""
    db_url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    (tmp_path / "prom").mkdir()
    conf = tmp_path / "gunicorn.conf.py"
    conf.write_text("from matcher.web.metrics import child_exit  # noqa: F401\n")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHER_")}
    env.update({"MATCHER_DATABASE_URL": db_url, "MATCHER_METRICS_TOKEN": METRICS_TOKEN, "MATCHER_SOLVER_WORKERS": "1",
                "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"), "PYTHONPATH": str(Path(__file__).parents[2])})
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    log = open(tmp_path / "gunicorn.log", "w+")
    proc = subprocess.Popen([gunicorn, "-c", str(conf), "--workers", "2", "--bind", f"127.0.0.1:{port}",
                             "api:create_app()"], cwd=Path(__file__).parents[2], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def get(path: str, headers=None):
        try:
            with urllib.request.urlopen(urllib.request.Request(base + path, headers=headers or {}), timeout=10) as r:
                return r.status, r.read().decode()
        except OSError:
            return None, ""

    try:
        assert wait_for(lambda: get("/healthz")[0] == 200, 60), Path(log.name).read_text()
        from matcher.store import Database
        tok = repo.create_token(Database(db_url), "metrics")
        body = json.dumps(json.loads(ROUND_FILE.read_text(encoding="utf-8"))).encode()
        req = urllib.request.Request(base + "/api/v1/rounds", data=body, method="POST",
                                     headers={"Authorization": f"Bearer {tok}", "Content-Type": "application/json"})
        assert urllib.request.urlopen(req, timeout=60).status == 201
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(8) as pool:  # concurrent: one sync worker cannot take them all
            assert [s for s, _ in pool.map(lambda _: get("/healthz"), range(80))] == [200] * 80
        pids = {f.stem.rsplit("_", 1)[-1] for f in (tmp_path / "prom").glob("counter_*.db")}
        assert len(pids) >= 2, pids  # both workers counted requests
        for _ in range(10):
            status, text = get("/metrics", SCRAPE)
            assert status == 200
            got = samples(text)
            assert requests_of(got, "GET", "/healthz", 200) >= 81  # every worker's count, whichever answers
            assert requests_of(got, "POST", "/api/v1/rounds", 201) == 1
            assert got[("matcher_rounds", ("status", "optimal"))] == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
