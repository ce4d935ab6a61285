"""Bearer tokens after their creation: which are live, listing them, revoking one.

A token is *live* while it is not revoked and not past its ``expires_at``
(:func:`live`); :func:`matcher.store.repo.committee_for_token` accepts only
live ones, so an expired or revoked token answers 401 exactly like a wrong
one. A listing never shows the secret (only its sha256 is stored anyway).
Revoking writes ``revoked_at`` and a ``token.revoked`` event in the
committee's audit log, in one transaction. Creating a token is not audited
(:func:`matcher.store.repo.create_token`): the log is about the committee's
lists, rounds and decisions, and a token is made by the operator, outside it.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from ..cycle.audit import timestamp
from ..errors import ConflictError, FieldIssue, NotFound
from . import audit
from .db import Database
from .models import Committee, Token, utcnow


def live(now: Optional[dt.datetime] = None) -> ColumnElement[bool]:
    """The condition on ``tokens`` of a token that still authenticates at ``now`` (naive UTC)."""
    now = now or utcnow()
    return and_(Token.revoked_at.is_(None), or_(Token.expires_at.is_(None), Token.expires_at > now))


def committee_named(s: Session, name: str) -> str:
    """The id of the committee called ``name`` (NotFound when there is none)."""
    committee_id = s.scalar(select(Committee.id).where(Committee.name == name))
    if committee_id is None:
        raise NotFound(f"no committee {name!r}")
    return committee_id


def _when(value: Optional[dt.datetime]) -> Optional[str]:
    return None if value is None else timestamp(value.replace(tzinfo=dt.UTC))


def state(row: Token, now: dt.datetime) -> str:
    """``revoked``, ``expired`` or ``live``."""
    if row.revoked_at is not None:
        return "revoked"
    return "expired" if row.expires_at is not None and row.expires_at <= now else "live"


def view(row: Token, committee: str, now: dt.datetime) -> dict:
    """What a listing shows of a token: everything but its hash."""
    return {"id": row.id, "committee": committee, "actor": row.actor, "created_at": _when(row.created_at),
            "expires_at": _when(row.expires_at), "revoked_at": _when(row.revoked_at), "state": state(row, now)}


def list_tokens(db: Database, committee: Optional[str] = None) -> list[dict]:
    """Every token (of the committee called ``committee``, when given), by id."""
    now = utcnow()
    with db.read() as s:
        q = select(Token, Committee.name).join(Committee, Token.committee_id == Committee.id).order_by(Token.id)
        if committee is not None:
            q = q.where(Token.committee_id == committee_named(s, committee))
        return [view(row, name, now) for row, name in s.execute(q).all()]


def revoke(db: Database, token_id: int, actor: str, committee: Optional[str] = None) -> dict:
    """Revoke token ``token_id`` (of ``committee`` when given: another committee's token is not found)."""

    def run(s: Session) -> dict:
        q = select(Token, Committee.name).join(Committee, Token.committee_id == Committee.id)
        q = q.where(Token.id == token_id)
        if committee is not None:
            q = q.where(Token.committee_id == committee_named(s, committee))
        found = s.execute(q).first()
        if found is None:
            raise NotFound(f"no token {token_id}" + (f" of committee {committee!r}" if committee else ""))
        row, name = found
        if row.revoked_at is not None:
            raise ConflictError([FieldIssue("ID", f"token {token_id} was revoked at {_when(row.revoked_at)}")])
        at = audit.now()
        row.revoked_at = at.replace(tzinfo=None)
        audit.append(s, row.committee_id, actor, "token.revoked", f"token {row.id}", {"revoked_at": None},
                     {"revoked_at": timestamp(at), "actor": row.actor}, at=at)
        return view(row, name, utcnow())

    return db.write(run)
