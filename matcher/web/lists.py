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
from .cycle import optional_note
from .helpers import current_actor
from .helpers import authenticate, db, int_arg, read_json

bp = Blueprint("lists", __name__, url_prefix="/api/v1/lists")
bp.before_request(authenticate)
MAX_PER_PAGE = 100
FILTERS = {"status": "status", "category": "category", "community": "community_id"}


def _kind(list_name: str) -> str:
    if list_name not in lists.PLURALS:
        raise NotFound(f"no list {list_name}; lists are {', '.join(lists.PLURALS)}")
    return lists.PLURALS[list_name]


@bp.get("/<list_name>")
def list_entries(list_name: str):
    kind = _kind(list_name)
    page = int_arg("page", 1, 1, 1_000_000)
    per_page = int_arg("per_page", int(current_app.config["PAGE_SIZE"]), 1, MAX_PER_PAGE)
    args = {arg: request.args[arg] for arg in FILTERS if arg in request.args}
    if args.get("status", "active") not in lists.ENTRY_STATUSES:
        raise ApiError(400, "Bad Request", "query parameter 'status' must be active or withdrawn")
    items, total = lists.listing(db(), g.committee_id, kind, {FILTERS[a]: v for a, v in args.items()},
                                 (page - 1) * per_page, per_page)
    more = page * per_page < total
    return {"items": items, "page": page, "per_page": per_page, "total": total,
            "next": url_for("lists.list_entries", list_name=list_name, page=page + 1, per_page=per_page, **args)
            if more else None}


@bp.post("/<list_name>")
def create_entry(list_name: str):
    kind = _kind(list_name)
    entry = lists.create(db(), g.committee_id, current_actor(), kind, read_json().data)
    return entry, 201, {"Location": url_for("lists.get_entry", list_name=list_name, entry_id=entry["id"])}


@bp.get("/<list_name>/<entry_id>")
def get_entry(list_name: str, entry_id: str):
    return lists.get(db(), g.committee_id, _kind(list_name), entry_id)


@bp.patch("/<list_name>/<entry_id>")
def change_entry(list_name: str, entry_id: str):
    kind = _kind(list_name)
    return lists.change(db(), g.committee_id, current_actor(), kind, entry_id, read_json().data)


@bp.post("/<list_name>/<entry_id>/withdraw")
def withdraw_entry(list_name: str, entry_id: str):
    kind = _kind(list_name)
    return lists.withdraw(db(), g.committee_id, current_actor(), kind, entry_id, optional_note())
