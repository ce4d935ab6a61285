"""Failed authentications per client, counted in the database so that every process sees the same counts.

One row per client key (``auth_failures``): the start of its current window
and the failures since. A window is fixed: it starts at the first failure
after the previous window ended and lasts ``window_s`` seconds. A client with
``limit`` failures in its window is blocked until the window ends
(:func:`blocked_for`); successful requests are never counted. The count is
one atomic upsert (``INSERT ... ON CONFLICT DO UPDATE`` on SQLite and
PostgreSQL), so concurrent failures of one client, from any gunicorn worker,
all count; the same write deletes other clients' windows that have ended, so
the table holds only the clients that failed recently.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .db import Database
from .models import AuthFailure, utcnow


def blocked_for(db: Database, client: str, limit: int, window_s: float,
                now: Optional[dt.datetime] = None) -> float:
    """Seconds until ``client`` may try again: > 0 when it failed ``limit`` times in its current window."""
    now = now or utcnow()
    with db.read() as s:
        row = s.get(AuthFailure, client)
        if row is None or row.failures < limit:
            return 0.0
        return max(0.0, (row.window_start + dt.timedelta(seconds=window_s) - now).total_seconds())


def _upsert(dialect: str):
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def record_failure(db: Database, client: str, window_s: float, now: Optional[dt.datetime] = None) -> int:
    """Count one failed authentication of ``client``; its failures in the current window, this one included."""
    now = now or utcnow()
    ended = now - dt.timedelta(seconds=window_s)  # a window that started at or before this has ended

    def run(s: Session) -> int:
        stale = AuthFailure.window_start <= ended
        stmt = _upsert(s.get_bind().dialect.name)(AuthFailure).values(client=client, window_start=now, failures=1)
        stmt = stmt.on_conflict_do_update(index_elements=[AuthFailure.client], set_={
            "failures": case((stale, 1), else_=AuthFailure.failures + 1),
            "window_start": case((stale, now), else_=AuthFailure.window_start)})
        s.execute(stmt)
        s.execute(delete(AuthFailure).where(stale, AuthFailure.client != client))
        return int(s.scalar(select(AuthFailure.failures).where(AuthFailure.client == client)))

    return db.write(run)
