"""What every view of the API needs from a request: the caller, the JSON body, the query arguments.

- :func:`authenticate`: a ``before_request`` hook; the bearer token's committee becomes ``g.committee_id``
  (failures are counted per client address, :mod:`.ratelimit`).
- :func:`read_json`: Content-Type check, size limit, UTF-8 and JSON decoding of the body, kept as received;
  :func:`read_body`: the raw body within the size limit (for bodies other than JSON).
- :func:`read_document`: the decoded body, which must be a JSON object.
- :func:`int_arg`: an integer query argument within bounds.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..errors import ApiError, FieldIssue, RoundValidationError
from ..store import Database, repo
from ..store.models import RoundRow
from ..validation import ROOT, decode_json
from . import ratelimit


def db() -> Database:
    return current_app.extensions["matcher_db"]


def bearer_token() -> str:
    """The token of ``Authorization: Bearer <token>`` ("" without one)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def unauthorized(detail: str = "a valid 'Authorization: Bearer <token>' header is required") -> ApiError:
    return ApiError(401, "Unauthorized", detail, headers={"WWW-Authenticate": 'Bearer realm="matcher"'})


def authenticate() -> None:
    """``before_request`` of the committee blueprints: 401 unless the token is a live one of a committee
    (a wrong, expired or revoked token alike); 429 while the client address is over its failures
    (:mod:`.ratelimit`)."""
    client = ratelimit.guard()
    token = bearer_token()
    info = repo.token_info(db(), token) if token else None
    if info is None:
        ratelimit.failed(client)
        raise unauthorized()
    g.committee_id, g.actor = info.committee_id, info.actor  # one read for both


@dataclass(frozen=True)
class JsonBody:
    """A request body as received (``text``, ``size`` in bytes) and decoded (``data``)."""

    text: str
    data: Any
    size: int


def _read_bytes() -> bytes:
    if request.mimetype != "application/json":  # parameters (charset=utf-8) are fine; no type or +json is not
        raise ApiError(415, "Unsupported Media Type", "send the document with 'Content-Type: application/json'")
    return read_body()


def read_body() -> bytes:
    """The raw body within the size limit (413 too large, 408 it did not arrive in time)."""
    # Content-Length over MAX_CONTENT_LENGTH: werkzeug refuses (413) before reading anything. A streamed
    # (chunked) body is cut at the limit by werkzeug; reaching the limit means it is too large.
    try:
        body = request.stream.read()
    except OSError:  # the client stalled past the server's read timeout (gunicorn_worker) or went away
        raise ApiError(408, "Request Timeout", "the request body did not arrive in time") from None
    limit = request.max_content_length
    if request.content_length is None and limit is not None and len(body) >= limit:
        raise RequestEntityTooLarge()
    return body


def read_json() -> JsonBody:
    """The JSON body (400 unreadable, 413 too large, 415 not JSON); ``data`` is a JSON object or 422."""
    raw = _read_bytes()
    data = decode_json(raw)  # DocumentError -> 400: not UTF-8 / not JSON
    if not isinstance(data, dict):
        raise RoundValidationError([FieldIssue(ROOT, "a round document must be a JSON object")])
    return JsonBody(raw.decode("utf-8-sig"), data, len(raw))


def read_document() -> dict:
    """The body decoded: a JSON object (see :func:`read_json`)."""
    return read_json().data


def int_arg(name: str, default: int, lo: int, hi: int) -> int:
    """Query argument ``name`` as an integer in ``[lo, hi]`` (400 otherwise)."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "Bad Request", f"query parameter {name!r} must be an integer") from None
    if not lo <= value <= hi:
        raise ApiError(400, "Bad Request", f"query parameter {name!r} must be between {lo} and {hi}")
    return value


def current_actor() -> str:
    """The name bound to the request's bearer token (``token <id>`` when it has none)."""
    if "actor" not in g:
        g.actor = repo.actor_for_token(db(), bearer_token())
    return g.actor


def owned(round_id: str) -> RoundRow:
    row = repo.get_round(db(), g.committee_id, round_id)
    if row is None:  # another committee's round looks exactly like a missing one
        raise ApiError(404, "Not Found", "no such round")
    return row
