"""``/api/v1``: rounds of the caller's committee (bearer token)."""
from __future__ import annotations

import json
import threading
import time
from typing import Any, Optional

from flask import Blueprint, current_app, g, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from ..errors import InternalError, FieldIssue, RoundValidationError
from ..store import repo
from ..store.db import Database
from ..store.models import STATUSES, RoundRow
from ..validation import ROOT, decode_json, parse_round
from ..errors import ApiError

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_PER_PAGE = 100
PROJECT_FILTERS = {"community": "community_id", "provider": "provider_id", "category": "category",
                   "need": "need_id", "resource": "resource_id"}


def db() -> Database:
    return current_app.extensions["matcher_db"]


@bp.before_request
def authenticate() -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    committee = None
    if scheme.lower() == "bearer" and token.strip():
        committee = repo.committee_for_token(db(), token.strip())
    if committee is None:
        raise ApiError(401, "Unauthorized", "a valid 'Authorization: Bearer <token>' header is required",
                       headers={"WWW-Authenticate": 'Bearer realm="matcher"'})
    g.committee_id = committee


def _iso(t) -> Optional[str]:
    return None if t is None else t.isoformat(timespec="milliseconds") + "Z"


def summary(row: RoundRow) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "status": row.status, "message": row.message,
            "created_at": _iso(row.created_at), "updated_at": _iso(row.updated_at),
            "finished_at": _iso(row.finished_at), "url": url_for("api.get_round", round_id=row.id)}


def detail(row: RoundRow) -> dict[str, Any]:
    out = summary(row)
    out.update({
        "started_at": _iso(row.started_at), "attempts": row.attempts, "cancel_requested": row.cancel_requested,
        "history": [{"status": e.status, "at": _iso(e.at), "message": e.message} for e in row.events],
        "timings": json.loads(row.timings_json) if row.timings_json else None,
        "output": json.loads(row.output_json) if row.output_json else None,
        "links": {"projects": url_for("api.projects", round_id=row.id),
                  "unmet": url_for("api.unmet", round_id=row.id),
                  "input": url_for("api.round_input", round_id=row.id)},
    })
    return out


def owned(round_id: str) -> RoundRow:
    row = repo.get_round(db(), g.committee_id, round_id)
    if row is None:  # another committee's round looks exactly like a missing one
        raise ApiError(404, "Not Found", "no such round")
    return row


def _read_document() -> Any:
    ctype = request.mimetype or ""
    if ctype and ctype != "application/json" and not ctype.endswith("+json"):
        raise ApiError(415, "Unsupported Media Type", "send the round document as application/json")
    # Content-Length over MAX_CONTENT_LENGTH: werkzeug refuses (413) before reading anything. A streamed
    # (chunked) body is cut at the limit by werkzeug; reaching the limit means it is too large.
    body = request.stream.read()
    limit = request.max_content_length
    if request.content_length is None and limit is not None and len(body) >= limit:
        raise RequestEntityTooLarge()
    data = decode_json(body)
    if not isinstance(data, dict):  # (parse_round would decode a JSON string a second time)
        raise RoundValidationError([FieldIssue(ROOT, "a round document must be a JSON object")])
    return data


def _idempotency_key() -> Optional[str]:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not (1 <= len(key) <= 200) or not key.isprintable():
        raise ApiError(400, "Bad Request", "Idempotency-Key must be 1 to 200 printable characters")
    return key


def _solve_inline(prep) -> tuple[Optional[dict], Optional[str]]:
    """Solve within the request budget: (document, None), (None, failure) or (None, None) = queue it."""
    from ..service import solve_prepared

    cfg = current_app.config
    deadline = time.monotonic() + float(cfg["SYNC_BUDGET_S"])
    over = threading.Event()

    def should_stop() -> bool:
        if time.monotonic() > deadline:
            over.set()
        return over.is_set()

    try:
        result = solve_prepared(prep, workers=int(cfg["SOLVER_WORKERS"]), should_stop=should_stop)
    except InternalError as exc:
        current_app.logger.error("inline solve failed: %s", exc)
        return None, f"internal error: {exc}"
    return (None, None) if over.is_set() else (result.document, None)


@bp.post("/rounds")
def create_round():
    from ..service import prepare

    key = _idempotency_key()
    data = _read_document()
    prep = prepare(parse_round(data))  # InputError -> 400/422, nothing stored
    new = repo.NewRound(g.committee_id, data, repo.body_digest(data), key)
    old = repo.find_idempotent(db(), new)  # IdempotencyConflict -> 422
    if old is None:
        document = failure = None
        wants_async = "respond-async" in request.headers.get("Prefer", "")
        if not wants_async and len(prep.pairs) <= int(current_app.config["SYNC_MAX_PAIRS"]):
            document, failure = _solve_inline(prep)
        row, created = repo.create_round(db(), new, document, failure)
    else:
        row, created = old, False
    row = repo.get_round(db(), g.committee_id, row.id)
    status = 200 if not created else (202 if row.status in ("queued", "running") else 201)
    return detail(row), status, {"Location": url_for("api.get_round", round_id=row.id)}


def _int_arg(name: str, default: int, lo: int, hi: int) -> int:
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


@bp.get("/rounds")
def list_rounds():
    page = _int_arg("page", 1, 1, 1_000_000)
    per_page = _int_arg("per_page", int(current_app.config["PAGE_SIZE"]), 1, MAX_PER_PAGE)
    status = request.args.get("status")
    if status is not None and status not in STATUSES:
        raise ApiError(400, "Bad Request", f"query parameter 'status' must be one of {', '.join(STATUSES)}")
    rows, total = repo.list_rounds(db(), g.committee_id, (page - 1) * per_page, per_page, status)
    more = page * per_page < total
    args = {"status": status} if status else {}
    return {"items": [summary(r) for r in rows], "page": page, "per_page": per_page, "total": total,
            "next": url_for("api.list_rounds", page=page + 1, per_page=per_page, **args) if more else None}


@bp.get("/rounds/<round_id>")
def get_round(round_id: str):
    return detail(owned(round_id))


@bp.get("/rounds/<round_id>/input")
def round_input(round_id: str):
    return json.loads(owned(round_id).input_json)


@bp.delete("/rounds/<round_id>")
def cancel_round(round_id: str):
    row = owned(round_id)
    if row.status not in ("queued", "running"):
        raise ApiError(409, "Conflict", f"round is already {row.status}; only queued or running rounds can be cancelled")
    row = repo.request_cancel(db(), g.committee_id, round_id)
    return detail(row), (200 if row.status == "cancelled" else 202)


@bp.get("/rounds/<round_id>/projects")
def projects(round_id: str):
    row = owned(round_id)
    filters = {col: request.args[arg] for arg, col in PROJECT_FILTERS.items() if arg in request.args}
    items = [{k: getattr(p, k) for k in (*repo.PROJECT_FIELDS, "approved")}
             for p in repo.list_projects(db(), row.id, filters)]
    return {"round_id": row.id, "status": row.status, "count": len(items), "items": items}


@bp.get("/rounds/<round_id>/unmet")
def unmet(round_id: str):
    row = owned(round_id)
    items = json.loads(row.output_json)["unmet"] if row.output_json else []
    return {"round_id": row.id, "status": row.status, "count": len(items), "items": items}
