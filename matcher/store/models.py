"""Tables of the API service (SQLAlchemy 2, declarative).

A committee owns tokens (stored as sha256 hex only; optionally expiring, and
revocable) and rounds; ``auth_failures`` counts failed authentications per
client address for the rate limit, shared by every process. A round keeps
its input document, its output document once solved, timings and a status
history; its projects are also rows, so that they can be filtered and decided
one by one (``status`` along the lifecycle of :mod:`matcher.cycle.lifecycle`).
The committee's lists live in ``list_entries`` (one row per community,
provider, resource or need, its round fields as JSON) and every change is an
``audit_events`` row, hash-chained per committee (:mod:`matcher.store.audit`).
``lease_owner``/``lease_expires_at`` let a worker hold a running round; a
lease that expires (the worker died) is taken back. ``progress_json`` is the
worker's latest progress of a running round (``None`` otherwise).
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import (Boolean, DateTime, Float, ForeignKey, Index, Integer, MetaData, String, Text, false,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

STATUSES = ("queued", "running", "optimal", "feasible", "infeasible", "failed", "cancelled")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Committee(Base):
    __tablename__ = "committees"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Token(Base):
    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    committee_id: Mapped[str] = mapped_column(ForeignKey("committees.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime, nullable=True)
    actor: Mapped[Optional[str]] = mapped_column(String(200), nullable=True)
    expires_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime, nullable=True)


class AuthFailure(Base):
    """Failed authentications of one client address in its current window (:mod:`matcher.store.ratelimit`)."""

    __tablename__ = "auth_failures"
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    failures: Mapped[int] = mapped_column(Integer)


class RoundRow(Base):
    __tablename__ = "rounds"
    __table_args__ = (
        UniqueConstraint("committee_id", "idempotency_key", name="uq_rounds_committee_idempotency"),
        Index("ix_rounds_committee_created", "committee_id", "created_at"),
        Index("ix_rounds_status", "status"),
    )
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    committee_id: Mapped[str] = mapped_column(ForeignKey("committees.id", ondelete="CASCADE"))
    name: Mapped[Optional[str]] = mapped_column(String(500), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    message: Mapped[Optional[str]] = mapped_column(Text, nullable=True)
    input_json: Mapped[str] = mapped_column(Text)
    input_sha256: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[Optional[str]] = mapped_column(String(200), nullable=True)
    output_json: Mapped[Optional[str]] = mapped_column(Text, nullable=True)
    timings_json: Mapped[Optional[str]] = mapped_column(Text, nullable=True)
    progress_json: Mapped[Optional[str]] = mapped_column(Text, nullable=True)  # while a worker solves it
    solve_seconds: Mapped[Optional[float]] = mapped_column(Float, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    lease_owner: Mapped[Optional[str]] = mapped_column(String(100), nullable=True)
    lease_expires_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime, nullable=True)
    actor: Mapped[Optional[str]] = mapped_column(String(200), nullable=True)
    from_lists: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    events: Mapped[list[StatusEvent]] = relationship(
        back_populates="round", order_by="StatusEvent.id", cascade="all, delete-orphan")
    projects: Mapped[list[ProjectRow]] = relationship(
        back_populates="round", order_by="ProjectRow.id", cascade="all, delete-orphan", lazy="raise_on_sql")


class StatusEvent(Base):
    __tablename__ = "status_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    round_id: Mapped[str] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    message: Mapped[Optional[str]] = mapped_column(Text, nullable=True)
    round: Mapped[RoundRow] = relationship(back_populates="events")


class ProjectRow(Base):
    __tablename__ = "projects"
    __table_args__ = (
        UniqueConstraint("round_id", "project_id", name="uq_projects_round_project"),
        Index("ix_projects_round_community", "round_id", "community_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    round_id: Mapped[str] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    project_id: Mapped[str] = mapped_column(String(32))
    need_id: Mapped[str] = mapped_column(String(200))
    resource_id: Mapped[str] = mapped_column(String(200))
    provider_id: Mapped[str] = mapped_column(String(200))
    community_id: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    distance_m: Mapped[int] = mapped_column(Integer)
    walk_minutes: Mapped[float] = mapped_column(Float)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    approved: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="proposed", server_default="proposed")
    decided_at: Mapped[Optional[str]] = mapped_column(String(32), nullable=True)  # audit timestamp text
    reason: Mapped[Optional[str]] = mapped_column(Text, nullable=True)
    round: Mapped[RoundRow] = relationship(back_populates="projects")


LIST_KINDS = ("community", "provider", "resource", "need")


class ListEntry(Base):
    """One entry of a committee's lists: its round fields as JSON (``data_json``) plus the list-only ones."""

    __tablename__ = "list_entries"
    __table_args__ = (
        UniqueConstraint("committee_id", "kind", "entry_id", name="uq_list_entries_committee_kind_entry"),
        Index("ix_list_entries_committee_kind_status", "committee_id", "kind", "status"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    committee_id: Mapped[str] = mapped_column(ForeignKey("committees.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    entry_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="active")
    category: Mapped[Optional[str]] = mapped_column(String(200), nullable=True)
    community_id: Mapped[Optional[str]] = mapped_column(String(200), nullable=True)
    data_json: Mapped[str] = mapped_column(Text)
    origin_project_id: Mapped[Optional[str]] = mapped_column(String(300), nullable=True)
    created_at: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[str] = mapped_column(String(32))


class AuditEventRow(Base):
    """One event of a committee's audit log, every field kept as the chain hashed it."""

    __tablename__ = "audit_events"
    __table_args__ = (
        UniqueConstraint("committee_id", "seq", name="uq_audit_events_committee_seq"),
        Index("ix_audit_events_committee_kind", "committee_id", "kind"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    committee_id: Mapped[str] = mapped_column(ForeignKey("committees.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(300))
    before_json: Mapped[str] = mapped_column(Text)
    after_json: Mapped[str] = mapped_column(Text)
    note: Mapped[Optional[str]] = mapped_column(Text, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
