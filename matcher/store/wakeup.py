"""Waking workers in other processes when a round is queued, on PostgreSQL: ``LISTEN/NOTIFY``.

:func:`announce_queued` (called in the transaction that queues a round) sends
``NOTIFY matcher_queued``; PostgreSQL delivers it when that transaction commits.
:class:`Listener` holds one connection of its own in autocommit mode with
``LISTEN matcher_queued`` and calls ``wake()`` for every notice, so an idle worker
polls at once instead of at its next ``poll_s``. On SQLite there is no such channel:
:func:`listener_for` returns None and the short poll (and, within one process,
``worker.notify_queued``) does the waking. A notice is only a hint: the worker
still reads the queue, so a lost notice costs at most one poll interval.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Optional

from sqlalchemy import text
from sqlalchemy.orm import Session

from .db import Database

CHANNEL = "matcher_queued"
WAIT_S = 1.0  # the listener looks at its stop flag at least this often
RETRY_S = 1.0  # after a lost connection, the listener connects again after this long

log = logging.getLogger("matcher.worker")


def announce_queued(s: Session) -> None:
    """In a write transaction that queues a round: notify the listeners when it commits (PostgreSQL)."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text(f"NOTIFY {CHANNEL}"))


class Listener:
    """A daemon thread that calls ``wake()`` at every ``NOTIFY matcher_queued`` until :meth:`stop`."""

    def __init__(self, db: Database, wake: Callable[[], None]):
        self.db, self.wake = db, wake
        self.stopping = threading.Event()
        self.listening = threading.Event()  # set once LISTEN holds (for tests and logs)
        self.thread = threading.Thread(target=self._run, name="pg-listen", daemon=True)

    def start(self) -> Listener:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(WAIT_S + 1.0)

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                self._listen()
            except Exception as exc:  # the poll still finds the rounds: log, wait, connect again
                self.listening.clear()
                log.warning("queue listener: %s; connecting again in %.0f s", type(exc).__name__, RETRY_S)
                self.stopping.wait(RETRY_S)

    def _listen(self) -> None:
        raw = self.db.engine.raw_connection()
        try:
            conn = raw.driver_connection
            conn.rollback()
            conn.autocommit = True
            conn.execute(f"LISTEN {CHANNEL}")
            self.listening.set()
            while not self.stopping.is_set():
                for _ in conn.notifies(timeout=WAIT_S, stop_after=1):
                    self.wake()
        finally:
            raw.invalidate()  # an autocommit LISTEN connection never goes back to the pool


def listener_for(db: Database, wake: Callable[[], None]) -> Optional[Listener]:
    """A started :class:`Listener` on PostgreSQL; None on other databases."""
    if db.engine.dialect.name != "postgresql":
        return None
    return Listener(db, wake).start()
