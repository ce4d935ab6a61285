"""``/api/v1/rounds``: rounds of the caller's committee (bearer token), and how they are shown.

Also ``POST /rounds?validate_only=true`` (the checks of a posted round, nothing
stored) and ``GET /demo-round`` (the bundled demo round, what ``matcher demo`` solves).
"""
from __future__ import annotations

import json
from importlib import resources
from typing import Any, Optional

from flask import Blueprint, current_app, g, request, url_for

from ..errors import ApiError
from ..store import repo
from ..store.models import STATUSES, RoundRow, utcnow
from ..validation import parse_round
from . import intake
from .helpers import authenticate, db, int_arg, owned, read_json

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.before_request(authenticate)
MAX_PER_PAGE = 100
PROJECT_FILTERS = {"community": "community_id", "provider": "provider_id", "category": "category",
                   "need": "need_id", "resource": "resource_id"}


def _iso(t) -> Optional[str]:
    return None if t is None else t.isoformat(timespec="milliseconds") + "Z"


def summary(row: RoundRow) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "status": row.status, "message": row.message,
            "created_at": _iso(row.created_at), "updated_at": _iso(row.updated_at),
            "finished_at": _iso(row.finished_at), "url": url_for("api.get_round", round_id=row.id)}


def progress_of(status: str, progress_json: Optional[str], started_at, finished_at) -> Optional[dict[str, Any]]:
    """A round's progress as clients see it, while a worker holds it (else None): the solver's
    latest figures (stage, best value and bound of the served value, parts) and the time since it started."""
    if progress_json is None or status not in ("running", "cancelled"):
        return None
    figures = json.loads(progress_json)
    end = finished_at if status != "running" and finished_at is not None else utcnow()
    elapsed = (end - started_at).total_seconds() if started_at is not None else 0.0
    return {"stage": figures.get("stage", "preparing"), "elapsed_s": round(max(0.0, elapsed), 1),
            **{k: figures.get(k) for k in ("best_value", "bound", "parts_done", "parts_total")}}


def detail(row: RoundRow, output: Optional[dict] = None) -> dict[str, Any]:
    """The round as ``GET /rounds/<id>`` shows it; ``output``: its output document when in hand."""
    out = summary(row)
    if output is None and row.output_json:
        output = json.loads(row.output_json)
    out.update({
        "started_at": _iso(row.started_at), "attempts": row.attempts, "cancel_requested": row.cancel_requested,
        "progress": progress_of(row.status, row.progress_json, row.started_at, row.finished_at),
        "history": [{"status": e.status, "at": _iso(e.at), "message": e.message} for e in row.events],
        "timings": json.loads(row.timings_json) if row.timings_json else None,
        "output": output,
        "links": {"projects": url_for("api.projects", round_id=row.id),
                  "unmet": url_for("api.unmet", round_id=row.id),
                  "input": url_for("api.round_input", round_id=row.id),
                  "events": url_for("events.round_events", round_id=row.id)},
    })
    return out


def _idempotency_key() -> Optional[str]:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not (1 <= len(key) <= 200) or not key.isprintable():
        raise ApiError(400, "Bad Request", "Idempotency-Key must be 1 to 200 printable characters")
    return key


def _flag(name: str) -> bool:
    """A boolean query argument (true/false, 1/0; absent: false); 400 otherwise."""
    raw = request.args.get(name, "false").strip().lower()
    if raw not in ("true", "1", "false", "0"):
        raise ApiError(400, "Bad Request", f"query parameter {name!r} must be true or false")
    return raw in ("true", "1")


def validation_reply(body) -> dict[str, Any]:
    """``POST /rounds?validate_only=true``: the round's checks (422 with every field problem), nothing stored."""
    rnd = parse_round(body.data)
    reason = intake.queue_reason(rnd, body.size, "respond-async" in request.headers.get("Prefer", ""))
    return {"valid": True, "name": rnd.name, "providers": len(rnd.providers), "resources": len(rnd.resources),
            "needs": len(rnd.needs), "possible_pairs": intake.possible_pairs(rnd), "solved_in_request": reason is None,
            "queue_reason": reason}


@bp.post("/rounds")
def create_round():
    validate_only = _flag("validate_only")
    key = _idempotency_key()
    prefer_async = "respond-async" in request.headers.get("Prefer", "")
    body = read_json()
    from_lists = body.data.get("from_lists") is True
    if from_lists:  # the committee cycle: the document is built from the lists (matcher.web.cycle)
        body = intake.from_lists_body(g.committee_id, body)
    if validate_only:
        return validation_reply(body), 200
    row, document, created = intake.submit(g.committee_id, body, key, prefer_async, from_lists)
    if not created:
        row, status = owned(row.id), 200
    else:
        status = 202 if row.status in ("queued", "running") else 201
    return detail(row, document), status, {"Location": url_for("api.get_round", round_id=row.id)}


@bp.get("/rounds")
def list_rounds():
    page = int_arg("page", 1, 1, 1_000_000)
    per_page = int_arg("per_page", int(current_app.config["PAGE_SIZE"]), 1, MAX_PER_PAGE)
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
        raise ApiError(409, "Conflict",
                       f"round is already {row.status}; only queued or running rounds can be cancelled")
    row = repo.request_cancel(db(), g.committee_id, round_id)
    return detail(row), (200 if row.status == "cancelled" else 202)


@bp.get("/demo-round")
def demo_round():
    """The bundled demo round document (西城 tidal parking), ready to post."""
    return json.loads(resources.files("matcher.data").joinpath("demo_round.json").read_text(encoding="utf-8"))


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
