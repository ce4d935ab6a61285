"""The committee's bans: pairs it rejected last, listed with the rejection, and lifted by an audit event.

A ban is a pair (need, resource) whose last decision is ``rejected`` and that
no lift followed (:func:`matcher.cycle.build.current_bans` over the history of
:func:`matcher.store.cycle.history`), so the list here is exactly what the
next round built from the lists forbids (a pair that is also locked is shown
too: the lock wins in the round, the ban stays on record). :func:`lift`
appends a ``ban.lifted`` event (subject: the rejected project, ``after``: the
pair) after locking the committee's row; the history reads those events back,
so from then on the pair is no longer forbidden, until it is rejected again.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ..cycle.build import ProjectRecord, current_bans
from ..errors import FieldIssue, InputError, NotFound
from . import audit
from .cycle import BAN_LIFTED, history
from .db import Database

MAX_ID, MAX_NOTE = 200, 2000
LIFT_FIELDS = ("need_id", "resource_id", "note")


def view(record: ProjectRecord) -> dict:
    """A ban as the API shows it: the pair, and the project, round, time and reason of its rejection."""
    return {"need_id": record.need_id, "resource_id": record.resource_id, "project_id": record.project_id,
            "round_id": record.round_id, "rejected_at": record.decided_at, "reason": record.reason}


def list_bans(db: Database, committee_id: str) -> list[dict]:
    """The committee's current bans, by need then resource id."""
    with db.read() as s:
        bans = current_bans(history(s, committee_id))
    return [view(bans[pair]) for pair in sorted(bans)]


def _text(data: dict, key: str, limit: int, problems: list[FieldIssue], required: bool = True) -> Any:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(FieldIssue(key, "is required (a non-empty string)" if value is None
                                   else "must be a non-empty string"))
    elif len(value) > limit:
        problems.append(FieldIssue(key, f"must be at most {limit} characters"))
    return value


def parse_lift(data: Any) -> tuple[str, str, str | None]:
    """``(need_id, resource_id, note)`` of a lift request; InputError naming each bad field."""
    if not isinstance(data, dict):
        raise InputError([FieldIssue("", "must be a JSON object")])
    problems = [FieldIssue(k, "unknown field") for k in sorted(data) if k not in LIFT_FIELDS]
    need_id = _text(data, "need_id", MAX_ID, problems)
    resource_id = _text(data, "resource_id", MAX_ID, problems)
    note = _text(data, "note", MAX_NOTE, problems, required=False)
    if problems:
        raise InputError(problems, "invalid ban lift")
    return need_id, resource_id, note


def lift(db: Database, committee_id: str, actor: str, request: Any) -> dict:
    """Lift the committee's ban on a pair (NotFound when the pair is not banned); the ban as it was,
    with ``lifted_at`` and ``note``."""
    need_id, resource_id, note = parse_lift(request)

    def run(s: Session) -> dict:
        audit.lock_committee(s, committee_id)
        ban = current_bans(history(s, committee_id)).get((need_id, resource_id))
        if ban is None:  # another committee's ban looks exactly as absent
            raise NotFound(f"no ban on need {need_id!r} with resource {resource_id!r}")
        event = audit.append(s, committee_id, actor, BAN_LIFTED, ban.project_id, view(ban),
                             {"need_id": need_id, "resource_id": resource_id}, note)
        return {**view(ban), "lifted_at": event.at, "note": note}

    return db.write(run)
