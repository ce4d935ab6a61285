"""What the API and the worker do with the database, one short transaction each."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import string
from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import IdempotencyConflict
from ..results import Project
from . import audit, tokens
from .db import Database
from .wakeup import announce_queued
from .models import Committee, ProjectRow, RoundRow, StatusEvent, Token, utcnow

# Columns of a stored project: the fields every project of an output document has.
PROJECT_FIELDS = tuple(name for name, f in Project.model_fields.items() if f.is_required())


ID_ALPHABET = string.ascii_letters + string.digits
ID_LENGTH = 24  # 62**24: about 143 random bits


def new_id() -> str:
    """A round id nobody can guess, of letters and digits only: it never starts with ``-``, so the
    CLI never takes it for an option (``matcher decide -3Xy…`` failed to parse)."""
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def body_digest(data: Any) -> str:
    """Digest of a decoded JSON document, independent of key order and spacing."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- committees and tokens -------------------------------------------------

def create_token(db: Database, committee: str, actor: Optional[str] = None,
                 expires_in: Optional[dt.timedelta] = None) -> str:
    """A new bearer token for ``committee`` (created if new), bound to ``actor`` (the name its
    audit events carry), valid for ``expires_in`` when given (else until revoked); only its sha256 is stored."""
    token = secrets.token_urlsafe(32)
    expires_at = None if expires_in is None else utcnow() + expires_in

    def run(s: Session) -> None:
        c = s.scalar(select(Committee).where(Committee.name == committee))
        if c is None:
            c = Committee(id=secrets.token_hex(16), name=committee)
            s.add(c)
            s.flush()
        s.add(Token(committee_id=c.id, token_hash=hash_token(token), actor=actor, expires_at=expires_at))

    db.write(run)
    return token


def committee_for_token(db: Database, token: str) -> Optional[str]:
    """The committee of a live token (:func:`matcher.store.tokens.live`); None for a wrong, expired or revoked one."""
    with db.read() as s:
        return s.scalar(select(Token.committee_id).where(Token.token_hash == hash_token(token), tokens.live()))


def actor_for_token(db: Database, token: str) -> str:
    """The name bound to a live token; ``token <id>`` when it has none, ``""`` for no live token."""
    with db.read() as s:
        row = s.execute(select(Token.id, Token.actor).where(Token.token_hash == hash_token(token),
                                                             tokens.live())).first()
    if row is None:
        return ""
    return row.actor or f"token {row.id}"


@dataclass(frozen=True)
class TokenInfo:
    """A live token's row id, committee and the actor name its events carry."""

    id: int
    committee_id: str
    actor: str


def token_info(db: Database, token: str) -> Optional[TokenInfo]:
    """The live token ``token`` (not revoked, not expired), or None: what the console's sign-in keeps."""
    with db.read() as s:
        row = s.execute(select(Token.id, Token.committee_id, Token.actor).where(
            Token.token_hash == hash_token(token), tokens.live())).first()
    return None if row is None else TokenInfo(row.id, row.committee_id, row.actor or f"token {row.id}")


def live_committee_name(db: Database, token_id: int, committee_id: str) -> Optional[str]:
    """The committee's name while the token of row ``token_id`` exists for it and is live (not revoked,
    not expired: :func:`matcher.store.tokens.live`), else None."""
    with db.read() as s:
        return s.scalar(select(Committee.name).join(Token, Token.committee_id == Committee.id).where(
            Token.id == token_id, Token.committee_id == committee_id, tokens.live()))


# --- rounds ----------------------------------------------------------------

def status_of_document(doc: dict) -> str:
    """Round status for an output document: unknown (nothing found in time) is a failed solve."""
    return doc["status"] if doc["status"] in ("optimal", "feasible", "infeasible") else "failed"


def _event(s: Session, row: RoundRow, status: str, message: Optional[str] = None, at=None) -> None:
    at = at or utcnow()
    row.status, row.updated_at = status, at
    event = StatusEvent(round_id=row.id, status=status, message=message, at=at)
    if "events" in row.__dict__:  # loaded (or new): keep the history in hand complete
        row.events.append(event)
    else:
        s.add(event)


def _store_result(s: Session, row: RoundRow, doc: dict, status: str, extra_timings: dict,
                  event: bool = True) -> None:
    """The result on the row, its projects and (when solved) the audit event. The row is complete
    before its one flush; the projects go in one executemany on the connection, no ORM objects
    (on a small round these writes cost more than the solve did)."""
    row.output_json = json.dumps(doc, ensure_ascii=False)
    row.message = doc.get("message")
    stats = doc.get("stats", {})
    row.solve_seconds = stats.get("total_seconds")
    timings = {"stage_seconds": stats.get("stage_seconds"), **extra_timings}
    row.timings_json = json.dumps(timings)
    row.lease_owner = row.lease_expires_at = None
    row.progress_json = None
    if event:
        row.finished_at = utcnow()
        _event(s, row, status, doc.get("message"), at=row.finished_at)
    if doc["projects"]:
        s.flush()  # the round row first: the projects' foreign key
        s.connection().execute(insert(ProjectRow.__table__), [
            {"round_id": row.id, **{k: p[k] for k in PROJECT_FIELDS}}
            for p in doc["projects"]])
    if status in ("optimal", "feasible"):
        _solved_event(s, row, doc)


def global_project_id(round_id: str, project_id: str) -> str:
    """A project's id across the committee's rounds (``P-0001`` repeats in every round)."""
    return f"{round_id}.{project_id}"


def _solved_event(s: Session, row: RoundRow, doc: dict) -> None:
    projects = [{"project_id": global_project_id(row.id, p["project_id"]),
                 **{k: p[k] for k in ("need_id", "resource_id", "provider_id", "community_id", "quantity")}}
                for p in doc["projects"]]
    audit.append(s, row.committee_id, row.actor or "api", "round.solved", row.id, None, {"projects": projects},
                 note="from the lists" if row.from_lists else None)


@dataclass
class NewRound:
    """A round document as received (``text``), its canonical ``digest`` (:func:`body_digest`) and name."""

    committee_id: str
    text: str
    digest: str
    idempotency_key: Optional[str]
    name: Optional[str] = None
    actor: Optional[str] = None
    from_lists: bool = False


def _existing(s: Session, new: NewRound) -> Optional[RoundRow]:
    if new.idempotency_key is None:
        return None
    row = s.scalar(select(RoundRow).where(RoundRow.committee_id == new.committee_id,
                                          RoundRow.idempotency_key == new.idempotency_key))
    if row is not None and row.input_sha256 != new.digest:
        raise IdempotencyConflict()
    return row


def find_idempotent(db: Database, new: NewRound) -> Optional[RoundRow]:
    with db.read() as s:
        return _existing(s, new)


def create_round(db: Database, new: NewRound, document: Optional[dict] = None,
                 failure: Optional[str] = None) -> tuple[RoundRow, bool]:
    """Store a round: solved already (``document``), failed, or queued. Returns (row, created).

    A new row comes back with its history in hand (``row.events``), so that the
    answer needs no second read; an existing one (same Idempotency-Key) is read anew.
    """

    def run(s: Session) -> tuple[RoundRow, bool]:
        old = _existing(s, new)
        if old is not None:
            return old, False
        now = utcnow()
        row = RoundRow(id=new_id(), committee_id=new.committee_id, name=new.name, status="queued",
                       input_json=new.text, input_sha256=new.digest, idempotency_key=new.idempotency_key,
                       created_at=now, updated_at=now, attempts=0, cancel_requested=False, events=[],
                       actor=new.actor, from_lists=new.from_lists)
        s.add(row)
        _event(s, row, "queued", at=now)
        if document is not None:
            row.started_at, row.attempts = now, 1
            _event(s, row, "running", at=now)
            _store_result(s, row, document, status_of_document(document), {"queued_seconds": 0.0})
        elif failure is not None:
            row.message, row.finished_at = failure, now
            _event(s, row, "failed", failure, at=now)
        else:
            announce_queued(s)
        s.flush()
        return row, True

    try:
        return db.write(run)
    except IntegrityError:  # a concurrent request with the same key won the race
        row = find_idempotent(db, new)
        if row is None:
            raise
        return row, False


def get_round(db: Database, committee_id: str, round_id: str) -> Optional[RoundRow]:
    with db.read() as s:
        row = s.scalar(select(RoundRow).where(RoundRow.id == round_id, RoundRow.committee_id == committee_id))
        if row is not None:
            _ = row.events  # load the history while the session is open
        return row


@dataclass(frozen=True)
class RoundState:
    """What a round's event stream watches: a few columns, read without the documents."""

    status: str
    message: Optional[str]
    progress_json: Optional[str]
    started_at: Optional[dt.datetime]
    finished_at: Optional[dt.datetime]
    settled: bool  # nothing will change any more: final status and no worker holds it


def round_state(db: Database, committee_id: str, round_id: str) -> Optional[RoundState]:
    with db.read() as s:
        r = s.execute(select(RoundRow.status, RoundRow.message, RoundRow.progress_json, RoundRow.started_at,
                             RoundRow.finished_at, RoundRow.lease_owner, RoundRow.lease_expires_at)
                      .where(RoundRow.id == round_id, RoundRow.committee_id == committee_id)).first()
    if r is None:
        return None
    held = r.lease_owner is not None and r.lease_expires_at is not None and r.lease_expires_at > utcnow()
    return RoundState(r.status, r.message, r.progress_json, r.started_at, r.finished_at,
                      r.status not in ("queued", "running") and not held)


def list_rounds(db: Database, committee_id: str, offset: int, limit: int,
                status: Optional[str] = None) -> tuple[list[RoundRow], int]:
    with db.read() as s:
        q = select(RoundRow).where(RoundRow.committee_id == committee_id)
        if status:
            q = q.where(RoundRow.status == status)
        total = s.scalar(select(func.count()).select_from(q.subquery()))
        rows = s.scalars(q.order_by(RoundRow.created_at.desc(), RoundRow.id).offset(offset).limit(limit)).all()
        return list(rows), int(total or 0)


def list_projects(db: Database, round_id: str, filters: dict[str, str]) -> list[ProjectRow]:
    with db.read() as s:
        q = select(ProjectRow).where(ProjectRow.round_id == round_id)
        for col, value in filters.items():
            q = q.where(getattr(ProjectRow, col) == value)
        return list(s.scalars(q.order_by(ProjectRow.project_id)).all())


def request_cancel(db: Database, committee_id: str, round_id: str) -> Optional[RoundRow]:
    """Cancel a queued round at once; ask the worker to stop a running one. None when not found."""

    def run(s: Session) -> Optional[RoundRow]:
        row = s.scalar(select(RoundRow).where(RoundRow.id == round_id, RoundRow.committee_id == committee_id))
        if row is None:
            return None
        if row.status == "queued":
            row.cancel_requested = True
            row.finished_at = utcnow()
            _event(s, row, "cancelled", "cancelled before it started")
        elif row.status == "running" and not row.cancel_requested:
            row.cancel_requested = True
            row.updated_at = utcnow()
            s.add(StatusEvent(round_id=row.id, status="running", message="cancel requested"))
        s.flush()
        _ = row.events  # loaded while the session is open
        return row

    return db.write(run)


# --- worker side -----------------------------------------------------------

@dataclass
class Job:
    id: str
    input_json: str
    attempts: int
    created_at: dt.datetime


def reap_expired(db: Database, max_attempts: int) -> list[str]:
    """Take back rounds whose worker stopped renewing its lease: run again, or fail after max_attempts."""

    def run(s: Session) -> list[str]:
        now = utcnow()
        rows = s.scalars(select(RoundRow).where(RoundRow.status == "running",
                                                RoundRow.lease_expires_at < now)).all()
        for row in rows:
            row.lease_owner = row.lease_expires_at = None
            row.progress_json = None
            if row.cancel_requested:
                row.finished_at = now
                _event(s, row, "cancelled", "worker lost while cancelling; no result kept")
            elif row.attempts >= max_attempts:
                row.finished_at = now
                row.message = f"worker lost during the solve ({row.attempts} attempts)"
                _event(s, row, "failed", row.message)
            else:
                _event(s, row, "queued", "worker lost during the solve; queued again")
        return [r.id for r in rows]

    return db.write(run)


def has_queued(db: Database) -> bool:
    """Whether any round waits (a read: idle polling takes no write lock)."""
    with db.read() as s:
        return s.scalar(select(RoundRow.id).where(RoundRow.status == "queued").limit(1)) is not None


def claim_next(db: Database, worker_id: str, lease_s: float) -> Optional[Job]:
    def run(s: Session) -> Optional[Job]:
        q = (select(RoundRow).where(RoundRow.status == "queued").order_by(RoundRow.created_at, RoundRow.id)
             .limit(1).with_for_update(skip_locked=True))
        row = s.scalar(q)
        if row is None:
            return None
        now = utcnow()
        row.attempts = (row.attempts or 0) + 1
        row.started_at = now
        row.lease_owner = worker_id
        row.lease_expires_at = now + dt.timedelta(seconds=lease_s)
        _event(s, row, "running", f"attempt {row.attempts} by worker {worker_id}", at=now)
        return Job(row.id, row.input_json, row.attempts, row.created_at)

    return db.write(run)


HELD = ("running", "cancelled")  # a worker's lease holds a running round, and a cancelled one until its result is in


def renew_lease(db: Database, round_id: str, worker_id: str, lease_s: float) -> Optional[bool]:
    """Extend the lease; returns cancel_requested, or None when the lease is lost."""

    def run(s: Session) -> Optional[bool]:
        res = s.execute(update(RoundRow)
                        .where(RoundRow.id == round_id, RoundRow.lease_owner == worker_id,
                               RoundRow.status.in_(HELD))
                        .values(lease_expires_at=utcnow() + dt.timedelta(seconds=lease_s)))
        if res.rowcount != 1:
            return None
        return bool(s.scalar(select(RoundRow.cancel_requested).where(RoundRow.id == round_id)))

    return db.write(run)


def cancel_requested(db: Database, round_id: str) -> bool:
    """Whether a cancel was asked for (a read by primary key: the worker polls it often)."""
    with db.read() as s:
        return bool(s.scalar(select(RoundRow.cancel_requested).where(RoundRow.id == round_id)))


def set_progress(db: Database, round_id: str, worker_id: str, progress: dict) -> bool:
    """Store the progress of a round this worker holds (one short write). Returns whether it did."""

    def run(s: Session) -> bool:
        res = s.execute(update(RoundRow)
                        .where(RoundRow.id == round_id, RoundRow.lease_owner == worker_id,
                               RoundRow.status.in_(HELD), RoundRow.output_json.is_(None))
                        .values(progress_json=json.dumps(progress, ensure_ascii=False)))
        return res.rowcount == 1

    return db.write(run)


def mark_cancelled(db: Database, round_id: str, worker_id: str, message: str) -> bool:
    """A cancelled round whose solve has stopped: status ``cancelled`` at once; the worker keeps its
    lease to attach the best result found so far (:func:`finish`) a moment later."""

    def run(s: Session) -> bool:  # two statements, without loading the round's documents
        now = utcnow()
        res = s.execute(update(RoundRow)
                        .where(RoundRow.id == round_id, RoundRow.lease_owner == worker_id,
                               RoundRow.status == "running")
                        .values(status="cancelled", finished_at=now, updated_at=now, message=message))
        if res.rowcount != 1:
            return False
        s.add(StatusEvent(round_id=round_id, status="cancelled", message=message, at=now))
        return True

    return db.write(run)


def _attach(s: Session, row: RoundRow, document: Optional[dict], failure: Optional[str]) -> None:
    """The best result of a round marked cancelled while it was being checked and stored."""
    row.progress_json = None
    if document is not None:  # the status and its history event were written by mark_cancelled
        _store_result(s, row, document, "cancelled", {"queued_seconds": _queued(row)}, event=False)
    else:
        row.lease_owner = row.lease_expires_at = None
        if failure:
            row.message = f"{row.message}; {failure}" if row.message else failure


def _queued(row: RoundRow) -> Optional[float]:
    return (row.started_at - row.created_at).total_seconds() if row.started_at else None


def finish(db: Database, round_id: str, worker_id: str, document: Optional[dict],
           failure: Optional[str] = None) -> bool:
    """Store the worker's outcome, if it still holds the lease. Returns whether it was stored.
    A round this worker marked cancelled already gets its result attached (:func:`mark_cancelled`)."""

    def run(s: Session) -> bool:
        row = s.scalar(select(RoundRow).where(RoundRow.id == round_id))
        if row is None or row.status not in HELD or row.lease_owner != worker_id:
            return False
        if row.status == "cancelled":
            _attach(s, row, document, failure)
            return True
        row.progress_json = None
        if document is not None:
            status = "cancelled" if row.cancel_requested else status_of_document(document)
            _store_result(s, row, document, status, {"queued_seconds": _queued(row)})
        else:
            row.finished_at = utcnow()
            row.lease_owner = row.lease_expires_at = None
            row.message = failure
            _event(s, row, "cancelled" if row.cancel_requested else "failed", failure)
        return True

    return db.write(run)


def release(db: Database, round_id: str, worker_id: str) -> bool:
    """A worker shutting down hands its round back to the queue."""

    def run(s: Session) -> bool:
        row = s.scalar(select(RoundRow).where(RoundRow.id == round_id))
        if row is None or row.status != "running" or row.lease_owner != worker_id:
            return False
        row.lease_owner = row.lease_expires_at = row.progress_json = None
        row.attempts = max(0, row.attempts - 1)
        _event(s, row, "queued", "worker shut down; queued again")
        return True

    return db.write(run)


def counts_by_status(db: Database) -> dict[str, int]:
    with db.read() as s:
        return dict(s.execute(select(RoundRow.status, func.count()).group_by(RoundRow.status)).all())


def solve_durations(db: Database, buckets: tuple[float, ...]) -> tuple[list[int], int, float]:
    """Cumulative histogram of stored solve times: (counts per bucket, count, sum)."""
    with db.read() as s:
        col = RoundRow.solve_seconds
        from sqlalchemy import case
        exprs = [func.sum(case((col <= b, 1), else_=0)) for b in buckets]
        row = s.execute(select(*exprs, func.count(col), func.sum(col)).where(col.is_not(None))).one()
        return [int(v or 0) for v in row[:len(buckets)]], int(row[-2] or 0), float(row[-1] or 0.0)


