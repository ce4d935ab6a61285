"""``GET /api/v1/rounds/<id>/events``: a round's status and progress as server-sent events.

The stream (``text/event-stream``) starts with the round's ``status`` and, while
a worker solves it, its ``progress``; then it sends each change (the round is
read every ``EVENTS_POLL_S``, a few columns, never its documents) and a comment
line every ``KEEPALIVE_S`` when nothing changes. It ends with an ``end`` event
once the round has settled (a final status, and no worker holds it any more: a
cancelled round's best result is stored). It also ends after ``EVENTS_MAX_S``
(a ``reconnect`` event first; ``EventSource`` reconnects by itself after the
``retry`` delay and gets the current state again), so that no stream holds a
server thread for long; and each web process serves at most
``EVENTS_MAX_STREAMS`` streams at once (more answer 503 with ``Retry-After``).
Under the shipped gunicorn set-up (``gthread`` workers,
:mod:`matcher.web.gunicorn_worker`) a stream occupies one of a process's
threads, never the process.
"""
from __future__ import annotations

import json
import threading
import time
import weakref
from collections.abc import Iterator
from typing import Any, Optional

from flask import Blueprint, Response, current_app, g

from ..errors import ApiError
from ..store import Database, repo
from .helpers import authenticate, db, owned
from .rounds import _iso, progress_of

bp = Blueprint("events", __name__, url_prefix="/api/v1")
bp.before_request(authenticate)
KEEPALIVE_S = 10.0  # a comment line this often keeps proxies from closing a quiet stream
RETRY_MS = 2000  # EventSource waits this long before reconnecting
_SLOTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # app -> semaphore of its open streams


def _slots() -> threading.BoundedSemaphore:
    app = current_app._get_current_object()
    if app not in _SLOTS:
        _SLOTS[app] = threading.BoundedSemaphore(int(app.config["EVENTS_MAX_STREAMS"]))
    return _SLOTS[app]


def sse(event: str, data: Any) -> str:
    """One server-sent event (the data as one line of JSON)."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _changes(state: repo.RoundState, last: dict) -> Iterator[str]:
    """The events that tell what changed since ``last`` (updated in place)."""
    status = {"status": state.status, "message": state.message, "finished_at": _iso(state.finished_at)}
    if status != last.get("status"):
        last["status"] = status
        yield sse("status", status)
    progress = progress_of(state.status, state.progress_json, state.started_at, state.finished_at)
    figures = None if progress is None else {k: v for k, v in progress.items() if k != "elapsed_s"}
    if progress is not None and figures != last.get("progress"):
        last["progress"] = figures
        yield sse("progress", progress)


def stream(database: Database, committee_id: str, round_id: str, max_s: float, poll_s: float) -> Iterator[str]:
    """The event stream of one round, for at most ``max_s`` seconds."""
    end = time.monotonic() + max_s
    quiet_since = time.monotonic()
    last: dict = {}
    yield f"retry: {RETRY_MS}\n\n"
    while True:
        state: Optional[repo.RoundState] = repo.round_state(database, committee_id, round_id)
        if state is None:  # deleted meanwhile
            yield sse("end", {"status": None})
            return
        for event in _changes(state, last):
            quiet_since = time.monotonic()
            yield event
        if state.settled:
            yield sse("end", {"status": state.status})
            return
        if time.monotonic() >= end:
            yield sse("reconnect", {"after_ms": RETRY_MS})
            return
        if time.monotonic() - quiet_since >= KEEPALIVE_S:
            quiet_since = time.monotonic()
            yield ": keepalive\n\n"
        time.sleep(min(poll_s, max(0.0, end - time.monotonic())))


@bp.get("/rounds/<round_id>/events")
def round_events(round_id: str):
    owned(round_id)  # 404 for another committee's round, before any stream starts
    slots = _slots()
    if not slots.acquire(blocking=False):
        raise ApiError(503, "Service Unavailable", "too many event streams open; try again shortly",
                       headers={"Retry-After": "2"})
    cfg = current_app.config
    body = stream(db(), g.committee_id, round_id, float(cfg["EVENTS_MAX_S"]), float(cfg["EVENTS_POLL_S"]))
    resp = Response(body, mimetype="text/event-stream")
    resp.headers["X-Accel-Buffering"] = "no"  # nginx: pass events on as they come
    resp.call_on_close(slots.release)
    return resp
