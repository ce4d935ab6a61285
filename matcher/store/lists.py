"""The committee's lists (communities, providers, resources, needs) in the database.

An entry is its round fields (``matcher.model``'s item models check them, with
the messages of :mod:`matcher.validation`) plus ``status`` (``active`` /
``withdrawn``), ``created_at``, ``updated_at`` and, for needs,
``origin_project_id``; providers may carry ``min_projects_year``. A
resource's ``provider_id``, a need's ``community_id`` and a provider's
``community_id`` must name an entry of the lists. Every change is written
together with its audit event (``need.created``, ``need.changed``,
``need.withdrawn``, the same for the other kinds) in one transaction.
"""
from __future__ import annotations

import json
from typing import Any, Optional

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..cycle import audit as chain
from ..cycle.build import Lists
from ..errors import ConflictError, FieldIssue, InputError, NotFound
from ..model import Community, Need, Provider, Resource
from ..validation import issues_of
from . import audit
from .db import Database
from .models import ListEntry

MODELS = {"community": Community, "provider": Provider, "resource": Resource, "need": Need}
PLURALS = {"communities": "community", "providers": "provider", "resources": "resource", "needs": "need"}
ENTRY_STATUSES = ("active", "withdrawn")
MAX_MIN_PROJECTS_YEAR = 366
REFERENCES = {"resource": ("provider_id", "provider"), "need": ("community_id", "community"),
              "provider": ("community_id", "community")}


def view(row: ListEntry) -> dict:
    """An entry as the API shows it and its audit events carry it."""
    out = {**json.loads(row.data_json), "status": row.status, "created_at": row.created_at,
           "updated_at": row.updated_at}
    if row.kind == "need":
        out["origin_project_id"] = row.origin_project_id
    return out


def field_problems(kind: str, data: Any) -> list[FieldIssue]:
    """What is wrong with ``data`` as an entry of ``kind`` by the round contract's rules (references aside)."""
    if not isinstance(data, dict):
        return [FieldIssue("", "must be a JSON object")]
    fields = dict(data)
    problems = []
    if kind == "provider":
        if "target_projects" in fields:
            problems.append(FieldIssue("target_projects", "is computed by each round from min_projects_year"))
        minimum = fields.pop("min_projects_year", None)
        if minimum is not None and (isinstance(minimum, bool) or not isinstance(minimum, int)
                                    or not 0 <= minimum <= MAX_MIN_PROJECTS_YEAR):
            problems.append(FieldIssue("min_projects_year", f"must be an integer from 0 to {MAX_MIN_PROJECTS_YEAR}"))
    try:
        MODELS[kind].model_validate(fields)
    except ValidationError as exc:
        problems += issues_of(exc)
    return problems


def find_row(s: Session, committee_id: str, kind: str, entry_id: str) -> Optional[ListEntry]:
    return s.scalar(select(ListEntry).where(ListEntry.committee_id == committee_id, ListEntry.kind == kind,
                                            ListEntry.entry_id == entry_id))


def _check(s: Session, committee_id: str, kind: str, data: Any) -> None:
    problems = field_problems(kind, data)
    if not problems and kind in REFERENCES:
        key, target = REFERENCES[kind]
        ref = data.get(key)
        if ref is not None and find_row(s, committee_id, target, ref) is None:
            problems.append(FieldIssue(key, f"no {target} {ref!r} in the lists"))
    if problems:
        raise InputError(sorted(problems), title=f"invalid {kind}")


def _owned(s: Session, committee_id: str, kind: str, entry_id: str) -> ListEntry:
    row = find_row(s, committee_id, kind, entry_id)
    if row is None:  # another committee's entries look exactly as absent
        raise NotFound(f"no {kind} {entry_id}")
    return row


def _put(row: ListEntry, data: dict) -> None:
    row.data_json = json.dumps(data, ensure_ascii=False)
    row.category = data.get("category")
    row.community_id = data.get("community_id")


def insert(s: Session, committee_id: str, actor: str, kind: str, data: Any,
           origin_project_id: Optional[str] = None, note: Optional[str] = None) -> dict:
    """Add an entry (validated, id new in its list) and its ``KIND.created`` event, in ``s``'s transaction."""
    audit.lock_committee(s, committee_id)
    _check(s, committee_id, kind, data)
    if find_row(s, committee_id, kind, data["id"]) is not None:
        raise ConflictError([FieldIssue("id", f"{kind} {data['id']} is already in the lists")])
    at = chain.timestamp(audit.now())
    row = ListEntry(committee_id=committee_id, kind=kind, entry_id=data["id"], status="active",
                    origin_project_id=origin_project_id, created_at=at, updated_at=at)
    _put(row, data)
    s.add(row)
    s.flush()
    out = view(row)
    audit.append(s, committee_id, actor, f"{kind}.created", row.entry_id, None, out, note)
    return out


def create(db: Database, committee_id: str, actor: str, kind: str, data: Any) -> dict:
    return db.write(lambda s: insert(s, committee_id, actor, kind, data))


def change(db: Database, committee_id: str, actor: str, kind: str, entry_id: str, patch: Any) -> dict:
    """Merge ``patch`` into the entry (a field set to null is removed); ``id`` and ``status`` stay."""
    if not isinstance(patch, dict):
        raise InputError([FieldIssue("", "must be a JSON object")])
    fixed = [FieldIssue(k, "cannot be changed here" if k != "status" else "withdraw the entry instead")
             for k in ("status", "created_at", "updated_at", "origin_project_id") if k in patch]
    if patch.get("id", entry_id) != entry_id:
        fixed.append(FieldIssue("id", "cannot be changed"))
    if fixed:
        raise InputError(fixed, title=f"invalid {kind}")

    def run(s: Session) -> dict:
        row = _owned(s, committee_id, kind, entry_id)
        data = {k: v for k, v in {**json.loads(row.data_json), **patch}.items() if v is not None}
        return replace(s, committee_id, actor, row, data)

    return db.write(run)


def replace(s: Session, committee_id: str, actor: str, row: ListEntry, data: Any,
            note: Optional[str] = None) -> dict:
    """Give ``row`` the round fields ``data`` (validated) and write its ``KIND.changed`` event, in ``s``'s transaction."""
    before = view(row)
    _check(s, committee_id, row.kind, data)
    _put(row, data)
    row.updated_at = chain.timestamp(audit.now())
    after = view(row)
    audit.append(s, committee_id, actor, f"{row.kind}.changed", row.entry_id, before, after, note)
    return after


def retire(s: Session, committee_id: str, actor: str, row: ListEntry, note: Optional[str] = None) -> dict:
    """Mark ``row`` withdrawn and write its ``KIND.withdrawn`` event, in ``s``'s transaction; 409 when it already is."""
    if row.status == "withdrawn":
        raise ConflictError([FieldIssue("status", f"{row.kind} {row.entry_id} is already withdrawn")])
    before = view(row)
    row.status, row.updated_at = "withdrawn", chain.timestamp(audit.now())
    after = view(row)
    audit.append(s, committee_id, actor, f"{row.kind}.withdrawn", row.entry_id, before, after, note)
    return after


def withdraw(db: Database, committee_id: str, actor: str, kind: str, entry_id: str,
             note: Optional[str] = None) -> dict:
    """Mark the entry withdrawn (kept for history, never in a new round); 409 when it already is."""

    return db.write(lambda s: retire(s, committee_id, actor, _owned(s, committee_id, kind, entry_id), note))


def get(db: Database, committee_id: str, kind: str, entry_id: str) -> dict:
    with db.read() as s:
        return view(_owned(s, committee_id, kind, entry_id))


def listing(db: Database, committee_id: str, kind: str, filters: dict[str, str], offset: int,
            limit: int) -> tuple[list[dict], int]:
    """One page of entries in id order; ``filters``: ``status``, ``category``, ``community_id``."""
    q = select(ListEntry).where(ListEntry.committee_id == committee_id, ListEntry.kind == kind)
    for col, value in filters.items():
        q = q.where(getattr(ListEntry, col) == value)
    with db.read() as s:
        total = s.scalar(select(func.count()).select_from(q.subquery()))
        rows = s.scalars(q.order_by(ListEntry.entry_id).offset(offset).limit(limit)).all()
        return [view(r) for r in rows], int(total or 0)


def lists_of(s: Session, committee_id: str) -> Lists:
    """Every entry of the committee (all statuses), as :func:`matcher.cycle.build.build_round` reads them."""
    rows = s.scalars(select(ListEntry).where(ListEntry.committee_id == committee_id)
                     .order_by(ListEntry.kind, ListEntry.entry_id)).all()
    by_kind: dict[str, list[dict]] = {k: [] for k in MODELS}
    for row in rows:
        by_kind[row.kind].append(view(row))
    return Lists(providers=by_kind["provider"], resources=by_kind["resource"], needs=by_kind["need"],
                 communities=by_kind["community"])
