"""The committee's bans over HTTP: ``GET /api/v1/bans`` and ``POST /api/v1/bans/lift``.

A ban is a pair the committee rejected last (CYCLE.md: forbidden "until the
committee lifts it"), shown with the project, round, time and reason of the
rejection; lifting one (``{need_id, resource_id, note?}``) is a ``ban.lifted``
audit event, after which the next round built from the lists no longer
forbids the pair (:mod:`matcher.store.bans`). A pair that is not banned, or
is another committee's, answers 404.
"""
from __future__ import annotations

from flask import Blueprint, g

from ..store import bans
from .helpers import authenticate, current_actor, db, read_json

bp = Blueprint("bans", __name__, url_prefix="/api/v1/bans")
bp.before_request(authenticate)


@bp.get("")
def list_bans():
    items = bans.list_bans(db(), g.committee_id)
    return {"count": len(items), "items": items}


@bp.post("/lift")
def lift_ban():
    return bans.lift(db(), g.committee_id, current_actor(), read_json().data)
