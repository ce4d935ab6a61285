"""The committee cycle over HTTP: decisions, project events, projects across rounds, the audit log, figures.

- ``POST /api/v1/rounds/{round_id}/decisions``: a batch ``{decisions: [{project_id, to, reason?, note?}]}``,
  all or nothing (422 malformed, 404 unknown project, 409 a move not in the table or a pair committed
  twice, each named);
- ``POST /api/v1/projects/{id}/events``: ``in_service``, ``cancelled``, ``done``, ``failed`` (``to``) or the
  resident's feedback (``resolved``, ``satisfaction`` 1..5, ``comment``); ``resolved: false`` reopens the
  project and puts its units back in the lists as a need;
- ``GET /api/v1/projects``, ``GET /api/v1/projects/{id}``: projects across rounds (``ROUND_ID.P-0001``);
- ``GET /api/v1/events``: the audit log, ``GET /api/v1/figures``: figures recomputed from it.

:func:`matcher.web.intake.from_lists_body` is how ``POST /rounds {"from_lists": true}`` becomes a round document.
"""
from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, current_app, g, request

from ..cycle import audit as chain
from ..cycle.figures import GROUPINGS, figures, members
from ..errors import ApiError, FieldIssue, InputError
from ..store import audit, cycle
from .helpers import authenticate, current_actor, db, int_arg, owned, read_json

bp = Blueprint("cycle", __name__, url_prefix="/api/v1")
bp.before_request(authenticate)
MAX_PER_PAGE = 100
PROJECT_FILTERS = {"status": "status", "community": "community_id", "provider": "provider_id", "round": "round_id"}


def optional_note() -> str | None:
    """``note`` of an optional JSON body (``{"note": "..."}``)."""
    if not request.content_length:
        return None
    note = read_json().data.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > 2000):
        raise InputError([FieldIssue("note", "must be a string of at most 2000 characters")])
    return note


def _page() -> tuple[int, int]:
    return int_arg("page", 1, 1, 1_000_000), int_arg("per_page", int(current_app.config["PAGE_SIZE"]), 1,
                                                   MAX_PER_PAGE)


@bp.post("/rounds/<round_id>/decisions")
def decide(round_id: str):
    row = owned(round_id)
    data = read_json().data
    odd = sorted(set(data) - {"decisions"})
    if odd:
        raise InputError([FieldIssue(k, "unknown field") for k in odd])
    items = cycle.decide(db(), g.committee_id, current_actor(), row.id, data.get("decisions"))
    return {"round_id": row.id, "count": len(items), "items": items}


@bp.post("/projects/<project_id>/events")
def project_event(project_id: str):
    return cycle.record(db(), g.committee_id, current_actor(), project_id, read_json().data)


@bp.get("/projects/<project_id>")
def get_project(project_id: str):
    return cycle.get_project(db(), g.committee_id, project_id)


@bp.get("/projects")
def list_projects():
    page, per_page = _page()
    status = request.args.get("status")
    if status is not None and status not in cycle.lc.STATUSES:
        raise ApiError(400, "Bad Request", f"query parameter 'status' must be one of {', '.join(cycle.lc.STATUSES)}")
    filters = {col: request.args[arg] for arg, col in PROJECT_FILTERS.items() if arg in request.args}
    items, total = cycle.list_projects(db(), g.committee_id, filters, (page - 1) * per_page, per_page)
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def _time_arg(name: str) -> str | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, "Bad Request", f"query parameter {name!r} must be an ISO 8601 date or time") from None
    if parsed.year < 1000:
        raise ApiError(400, "Bad Request", f"query parameter {name!r} must be a year from 1000")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return chain.timestamp(parsed)


@bp.get("/events")
def list_events():
    page, per_page = _page()
    flt = audit.EventFilter(request.args.get("kind"), request.args.get("subject"), request.args.get("actor"),
                            _time_arg("from"), _time_arg("to"))
    items, total = audit.list_events(db(), g.committee_id, flt, (page - 1) * per_page, per_page)
    return {"items": items, "page": page, "per_page": per_page, "total": total}


@bp.get("/figures")
def get_figures():
    by = request.args.get("by")
    if by not in GROUPINGS:
        raise ApiError(400, "Bad Request", "query parameter 'by' must be community or provider")
    start = _time_arg("from") or chain.timestamp(datetime(1970, 1, 1, tzinfo=UTC))
    end = _time_arg("to") or chain.timestamp(audit.now())
    events = audit.all_events(db(), g.committee_id)
    year = chain.parse_timestamp(end).year
    return {"from": start, "to": end, "by": by, "groups": figures(events, start=start, end=end, by=by),
            "members": members(events, year=year, end=end)}
