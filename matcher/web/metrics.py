"""Prometheus text exposition, by hand: request counters (this process) and
solve durations / rounds by status (from the database, so every process agrees)."""
from __future__ import annotations

import threading
import time
from collections import Counter

from flask import Flask, g, request

from ..store import STATUSES, repo

BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


class RequestCounter:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts: Counter = Counter()
        self.seconds: Counter = Counter()

    def add(self, method: str, endpoint: str, status: int, seconds: float) -> None:
        with self.lock:
            self.counts[(method, endpoint, status)] += 1
            self.seconds[(method, endpoint)] += seconds


def _esc(v: str) -> str:
    return str(v).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def install(app: Flask) -> None:
    counter = RequestCounter()
    app.extensions["matcher_requests"] = counter

    @app.before_request
    def _start() -> None:
        g._t0 = time.perf_counter()

    @app.after_request
    def _count(resp):
        endpoint = request.url_rule.rule if request.url_rule is not None else "(unmatched)"
        counter.add(request.method, endpoint, resp.status_code, time.perf_counter() - g.get("_t0", time.perf_counter()))
        return resp


def render(app: Flask) -> str:
    db = app.extensions["matcher_db"]
    counter: RequestCounter = app.extensions["matcher_requests"]
    out = ["# HELP matcher_http_requests_total HTTP requests handled by this process.",
           "# TYPE matcher_http_requests_total counter"]
    with counter.lock:
        counts, seconds = dict(counter.counts), dict(counter.seconds)
    for (method, endpoint, status), n in sorted(counts.items()):
        out.append(f'matcher_http_requests_total{{method="{_esc(method)}",endpoint="{_esc(endpoint)}",'
                   f'status="{status}"}} {n}')
    out += ["# HELP matcher_http_request_seconds_total Time spent handling HTTP requests in this process.",
            "# TYPE matcher_http_request_seconds_total counter"]
    for (method, endpoint), s in sorted(seconds.items()):
        out.append(f'matcher_http_request_seconds_total{{method="{_esc(method)}",endpoint="{_esc(endpoint)}"}} {s:.6f}')
    out += ["# HELP matcher_rounds Stored rounds by status.", "# TYPE matcher_rounds gauge"]
    by_status = repo.counts_by_status(db)
    for status in STATUSES:
        out.append(f'matcher_rounds{{status="{status}"}} {by_status.get(status, 0)}')
    out += ["# HELP matcher_solve_seconds Wall-clock seconds of finished solves (stored rounds).",
            "# TYPE matcher_solve_seconds histogram"]
    cum, count, total = repo.solve_durations(db, BUCKETS)
    for b, n in zip(BUCKETS, cum):
        out.append(f'matcher_solve_seconds_bucket{{le="{b}"}} {n}')
    out += [f'matcher_solve_seconds_bucket{{le="+Inf"}} {count}', f"matcher_solve_seconds_sum {total:.6f}",
            f"matcher_solve_seconds_count {count}"]
    return "\n".join(out) + "\n"
