"""The audit log in the database: append an event in the caller's write transaction, read, verify.

Each committee has its own chain (:mod:`matcher.cycle.audit`). :func:`append`
first locks the committee's row (``SELECT ... FOR UPDATE`` on PostgreSQL;
SQLite's ``BEGIN IMMEDIATE`` already serialises writers), then reads the head
and inserts the next event, so that two concurrent writers of one committee
queue instead of forking the chain; ``unique (committee_id, seq)`` refuses a
fork if anything slipped past. ``before``/``after`` are stored as the JSON
text that was hashed and read back with :func:`json.loads`, which gives back
the same values (``4.0`` stays ``4.0``).
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ..cycle import audit as chain
from .db import Database, is_sqlite
from .models import AuditEventRow, Committee


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def to_event(row: AuditEventRow) -> dict:
    """A stored row as the event dict the chain hashes (``committee`` is the committee id)."""
    return {"seq": row.seq, "at": row.at, "actor": row.actor, "committee": row.committee_id, "kind": row.kind,
            "subject": row.subject, "before": json.loads(row.before_json), "after": json.loads(row.after_json),
            "note": row.note, "prev_hash": row.prev_hash, "hash": row.hash}


def lock_committee(s: Session, committee_id: str) -> None:
    """Serialise this committee's writers until the transaction ends (nothing to do on SQLite, whose
    write transactions hold the database's lock from their start)."""
    if not is_sqlite(s.get_bind()):
        s.execute(select(Committee.id).where(Committee.id == committee_id).with_for_update())


def _head(s: Session, committee_id: str) -> Optional[chain.Head]:
    row = s.execute(select(AuditEventRow.seq, AuditEventRow.hash).where(AuditEventRow.committee_id == committee_id)
                    .order_by(AuditEventRow.seq.desc()).limit(1)).first()
    return None if row is None else chain.Head(row.seq, row.hash)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def append(s: Session, committee_id: str, actor: str, kind: str, subject: str, before: Any = None,
           after: Any = None, note: Optional[str] = None, at: Optional[dt.datetime] = None) -> chain.Event:
    """Append the next event of the committee's chain in the session's transaction."""
    lock_committee(s, committee_id)
    event = chain.next_event(_head(s, committee_id), at=at or now(), actor=actor, committee=committee_id,
                             kind=kind, subject=subject, before=before, after=after, note=note)
    s.connection().execute(insert(AuditEventRow.__table__).values(
        committee_id=committee_id, seq=event.seq, at=event.at, actor=event.actor, kind=event.kind,
        subject=event.subject, before_json=_text(event.before), after_json=_text(event.after), note=event.note,
        prev_hash=event.prev_hash, hash=event.hash))
    return event


@dataclass
class EventFilter:
    """Filters of ``GET /events``: exact kind, subject, actor; ``start <= at < end`` (log timestamps)."""

    kind: Optional[str] = None
    subject: Optional[str] = None
    actor: Optional[str] = None
    start: Optional[str] = None
    end: Optional[str] = None


def list_events(db: Database, committee_id: str, flt: EventFilter, offset: int = 0,
                limit: Optional[int] = None) -> tuple[list[dict], int]:
    """The committee's events in ``seq`` order matching ``flt``, one page, and how many match in all."""
    q = select(AuditEventRow).where(AuditEventRow.committee_id == committee_id)
    for col in ("kind", "subject", "actor"):
        if getattr(flt, col) is not None:
            q = q.where(getattr(AuditEventRow, col) == getattr(flt, col))
    if flt.start is not None:
        q = q.where(AuditEventRow.at >= flt.start)
    if flt.end is not None:
        q = q.where(AuditEventRow.at < flt.end)
    with db.read() as s:
        total = s.scalar(select(func.count()).select_from(q.subquery()))
        rows = s.scalars(q.order_by(AuditEventRow.seq).offset(offset).limit(limit)).all()
        return [to_event(r) for r in rows], int(total or 0)


def all_events(db: Database, committee_id: str) -> list[dict]:
    return list_events(db, committee_id, EventFilter())[0]


def verify(db: Database, committee_id: str) -> tuple[int, Optional[chain.Break]]:
    """``(events checked, first break or None)`` of the committee's stored chain.

    A row whose JSON no longer decodes is a break at that row.
    """
    with db.read() as s:
        rows = s.scalars(select(AuditEventRow).where(AuditEventRow.committee_id == committee_id)
                         .order_by(AuditEventRow.seq)).all()
        events = []
        for index, row in enumerate(rows):
            try:
                events.append(to_event(row))
            except ValueError as exc:
                return len(rows), (chain.verify_chain(events)
                                   or chain.Break(index, row.seq, f"before/after is not JSON: {exc}"))
        return len(rows), chain.verify_chain(events)
