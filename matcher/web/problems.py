"""The one JSON error handler: everything becomes RFC 9457 ``application/problem+json``.

Errors of :mod:`matcher.errors` carry their HTTP status (``http_status``);
this module maps them with that one lookup. Every problem has ``type``
``about:blank``, so its ``title`` is the status phrase (RFC 9457 §4.2.1); the
error's own title ("invalid round", "Idempotency-Key reused") leads ``detail``.
"""
from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Optional

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from ..errors import ApiError, InputError, MatcherError
from ..store.db import storage_failure

log = logging.getLogger("matcher.web")
PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: Optional[str] = None, errors: Optional[list] = None,
            headers: Optional[dict] = None):
    """The problem answer; ``title`` other than the status phrase becomes the start of ``detail``."""
    phrase = _phrase(status)
    if title and title.lower() != phrase.lower():
        detail = f"{title}: {detail}" if detail and detail != title else title
    body = {"type": "about:blank", "title": phrase, "status": status}
    if detail:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    resp = jsonify(body)
    resp.status_code = status
    resp.mimetype = PROBLEM
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def handle(exc: Exception):
    if isinstance(exc, ApiError):
        return problem(exc.http_status, exc.title, exc.detail, exc.errors, exc.headers)
    if isinstance(exc, InputError):
        return problem(exc.http_status, exc.title, f"{len(exc.problems)} problem(s) in the round document",
                       [p.to_dict() for p in exc.problems])
    if isinstance(exc, HTTPException):
        headers = {}
        if exc.code == 405 and exc.valid_methods:
            headers["Allow"] = ", ".join(exc.valid_methods)
        return problem(exc.code or 500, exc.name, exc.description, headers=headers)
    if isinstance(exc, MatcherError) and exc.http_status < 500:
        return problem(exc.http_status, _phrase(exc.http_status), str(exc))
    storage = storage_failure(exc)
    if storage:
        log.error("storage unavailable: %s (%s)", storage, type(exc).__name__)
        return problem(503, "storage unavailable", f"{storage}; nothing was stored, try again later",
                       headers={"Retry-After": "60"})
    log.exception("unhandled error")
    return problem(500, "Internal Server Error", "matcher failed; the error was logged")


def register(app: Flask) -> None:
    app.register_error_handler(Exception, handle)
