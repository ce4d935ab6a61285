"""``/api/v1/lists/{communities|providers|resources|needs}``: the committee's lists, one entry at a time.

List (filters ``status``, ``category``, ``community``; pages as ``GET /rounds``),
get, create (``POST``), change (``PATCH``: the fields given replace the stored
ones, ``null`` removes one) and withdraw (``POST .../withdraw``). Every change is
validated with the round contract's rules (422 with field paths), a
``provider_id`` / ``community_id`` must name an entry of the lists, and each
is an audit event (:mod:`matcher.store.lists`).
"""
from __future__ import annotations

from flask import Blueprint, current_app, g, request, url_for

from ..errors import ApiError, NotFound
from ..store import lists
from .cycle import current_actor, optional_note
from .helpers import authenticate, db, int_arg, read_json

bp = Blueprint("lists", __name__, url_prefix="/api/v1/lists")
bp.before_request(authenticate)
MAX_PER_PAGE = 100
FILTERS = {"status": "status", "category": "category", "community": "community_id"}


def _kind(plural: str) -> str:
    if plural not in lists.PLURALS:
        raise NotFound(f"no list {plural}; lists are {', '.join(lists.PLURALS)}")
    return lists.PLURALS[plural]


@bp.get("/<plural>")
def list_entries(plural: str):
    kind = _kind(plural)
    page = int_arg("page", 1, 1, 1_000_000)
    per_page = int_arg("per_page", int(current_app.config["PAGE_SIZE"]), 1, MAX_PER_PAGE)
    args = {arg: request.args[arg] for arg in FILTERS if arg in request.args}
    if args.get("status", "active") not in lists.ENTRY_STATUSES:
        raise ApiError(400, "Bad Request", "query parameter 'status' must be active or withdrawn")
    items, total = lists.listing(db(), g.committee_id, kind, {FILTERS[a]: v for a, v in args.items()},
                                 (page - 1) * per_page, per_page)
    more = page * per_page < total
    return {"items": items, "page": page, "per_page": per_page, "total": total,
            "next": url_for("lists.list_entries", plural=plural, page=page + 1, per_page=per_page, **args)
            if more else None}


@bp.post("/<plural>")
def create_entry(plural: str):
    kind = _kind(plural)
    entry = lists.create(db(), g.committee_id, current_actor(), kind, read_json().data)
    return entry, 201, {"Location": url_for("lists.get_entry", plural=plural, entry_id=entry["id"])}


@bp.get("/<plural>/<entry_id>")
def get_entry(plural: str, entry_id: str):
    return lists.get(db(), g.committee_id, _kind(plural), entry_id)


@bp.patch("/<plural>/<entry_id>")
def change_entry(plural: str, entry_id: str):
    kind = _kind(plural)
    return lists.change(db(), g.committee_id, current_actor(), kind, entry_id, read_json().data)


@bp.post("/<plural>/<entry_id>/withdraw")
def withdraw_entry(plural: str, entry_id: str):
    kind = _kind(plural)
    return lists.withdraw(db(), g.committee_id, current_actor(), kind, entry_id, optional_note())
