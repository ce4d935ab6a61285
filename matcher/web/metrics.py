"""``/metrics`` through ``prometheus-client``: requests handled (every process), rounds and solve times (the database).

- ``matcher_http_requests_total{method,endpoint,status}`` and the
  ``matcher_http_request_seconds{method,endpoint}`` histogram, counted in each
  process. Labels stay bounded whatever clients send: a method outside
  :data:`METHODS` is ``other``, the endpoint is the route rule
  (``/api/v1/rounds/<round_id>``) or ``(unmatched)``, never the raw path.
- ``matcher_rounds{status}`` and the ``matcher_solve_seconds`` histogram, read
  from the database at each scrape, so every process answers the same.

Under gunicorn, set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory before
it starts (prometheus-client's multiprocess mode): each worker writes its
counts there and a scrape of any worker adds them all up. Add
``child_exit = matcher.web.metrics.child_exit`` to the gunicorn configuration
so that a dead worker's files are marked dead.
"""
from __future__ import annotations

import os
import time

from flask import Flask, Response, g, request
from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, disable_created_metrics,
                               generate_latest, multiprocess)
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily

from ..store import STATUSES, Database, repo

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
SOLVE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
disable_created_metrics()


class DatabaseCollector:
    """Rounds by status and the solve-time histogram, from the stored rounds."""

    def __init__(self, db: Database):
        self.db = db

    def collect(self):
        rounds = GaugeMetricFamily("matcher_rounds", "Stored rounds by status.", labels=["status"])
        by_status = repo.counts_by_status(self.db)
        for status in STATUSES:
            rounds.add_metric([status], by_status.get(status, 0))
        yield rounds
        cum, count, total = repo.solve_durations(self.db, SOLVE_BUCKETS)
        buckets = [(str(b), n) for b, n in zip(SOLVE_BUCKETS, cum, strict=True)] + [("+Inf", count)]
        yield HistogramMetricFamily("matcher_solve_seconds", "Wall-clock seconds of finished solves (stored rounds).",
                                    buckets=buckets, sum_value=total)


class Metrics:
    """The request metrics of one app and the registry a scrape reads."""

    def __init__(self, db: Database):
        self.registry = CollectorRegistry()  # this app's request metrics (one process)
        self.requests = Counter("matcher_http_requests_total", "HTTP requests handled.",
                                ["method", "endpoint", "status"], registry=self.registry)
        self.seconds = Histogram("matcher_http_request_seconds", "Time spent handling HTTP requests.",
                                 ["method", "endpoint"], buckets=REQUEST_BUCKETS, registry=self.registry)
        self.database = DatabaseCollector(db)

    def observe(self, method: str, endpoint: str, status: int, seconds: float) -> None:
        method = method if method in METHODS else "other"
        self.requests.labels(method, endpoint, str(status)).inc()
        self.seconds.labels(method, endpoint).observe(seconds)

    def render(self) -> bytes:
        """The exposition text: every process's requests in multiprocess mode, this one's otherwise."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        else:
            registry = self.registry
        return generate_latest(registry) + generate_latest(_Single(self.database))

    def response(self) -> Response:
        return Response(self.render(), content_type=CONTENT_TYPE_LATEST)


class _Single:
    """A registry of one collector (``generate_latest`` takes anything with ``collect``)."""

    def __init__(self, collector):
        self.collector = collector

    def collect(self):
        return self.collector.collect()


def install(app: Flask) -> None:
    """Count every request of ``app``; ``app.extensions["matcher_metrics"]`` renders them."""
    metrics = Metrics(app.extensions["matcher_db"])
    app.extensions["matcher_metrics"] = metrics

    @app.before_request
    def _start() -> None:
        g._t0 = time.perf_counter()

    @app.after_request
    def _count(resp):
        endpoint = request.url_rule.rule if request.url_rule is not None else "(unmatched)"
        seconds = time.perf_counter() - g.get("_t0", time.perf_counter())
        metrics.observe(request.method, endpoint, resp.status_code, seconds)
        return resp


def child_exit(server, worker) -> None:  # pragma: no cover - called by gunicorn's arbiter
    """gunicorn hook: a worker's multiprocess files stop counting as live once it exits."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)

