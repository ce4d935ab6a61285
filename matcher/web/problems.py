"""The one JSON error handler: everything becomes RFC 9457 ``application/problem+json``.

Errors of :mod:`matcher.errors` carry their HTTP status (``http_status``);
this module maps them with that one lookup.
"""
from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Optional

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from ..errors import ApiError, InputError, MatcherError

log = logging.getLogger("matcher.web")
PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: Optional[str] = None, errors: Optional[list] = None,
            headers: Optional[dict] = None):
    body = {"type": "about:blank", "title": title, "status": status}
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
    log.exception("unhandled error")
    return problem(500, "Internal Server Error", "matcher failed; the error was logged")


def register(app: Flask) -> None:
    app.register_error_handler(Exception, handle)
