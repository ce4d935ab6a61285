"""Engine, sessions and migrations.

SQLite (the default) gets WAL, foreign keys, a busy timeout and ``BEGIN
IMMEDIATE`` for write transactions, so that concurrent writers queue on the
database lock instead of failing with "database is locked" halfway through a
transaction; :func:`write` also retries the rare lock error that is left.
PostgreSQL works through ``postgresql+psycopg://`` (install ``matcher[postgres]``).
Migrations are Alembic scripts shipped in :mod:`matcher.store.migrations`,
applied by :func:`migrate` when the app or a worker starts.

Statement parameters (names, phone numbers of a round) never appear in an
error or a log line: the engine is made with ``hide_parameters=True``. The
SQLite WAL stays bounded: ``journal_size_limit`` truncates it after each
checkpoint and the worker calls :meth:`Database.checkpoint` now and then.
:func:`storage_failure` tells a full disk or a read-only database apart from
other database errors, so the web answers 503 and the CLI one line.
"""
from __future__ import annotations

import contextlib
import functools
import random
import time
from pathlib import Path
from typing import TypeVar
from collections.abc import Callable, Iterator

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_S = 30
JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024  # bytes the WAL file keeps after a checkpoint
# words of a driver message (SQLite, PostgreSQL) -> what an operator is told
_STORAGE_FAILURES = {
    "database or disk is full": "the database's disk is full",
    "no space left on device": "the database's disk is full",
    "could not extend file": "the database's disk is full",
    "readonly database": "the database is read-only",
    "read-only": "the database is read-only",
    "disk i/o error": "the database's disk failed (I/O error)",
    "unable to open database file": "the database file cannot be opened",
}
T = TypeVar("T")


def default_url() -> str:
    return "sqlite:///" + str((Path.cwd() / "instance" / "matcher.sqlite").resolve())


def make_engine(url: str) -> Engine:
    u = make_url(url)
    if u.get_backend_name() != "sqlite":
        return create_engine(u, pool_pre_ping=True, future=True, hide_parameters=True)
    if u.database and u.database != ":memory:":
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(u, connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
                           hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no branch
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute(f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT}")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def storage_failure(exc: BaseException) -> str | None:
    """What is wrong with the storage when ``exc`` is a full disk / read-only database, else None."""
    if not isinstance(exc, (OperationalError, DBAPIError)):
        return None
    text_ = str(getattr(exc, "orig", None) or exc).lower()
    return next((why for words, why in _STORAGE_FAILURES.items() if words in text_), None)


class Database:
    """An engine plus session factories: ``db.read()`` and ``db.write(fn)``."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        with self.sessions() as s:
            yield s

    def write(self, fn: Callable[[Session], T], attempts: int = 5) -> T:
        """Run ``fn(session)`` in one write transaction and commit; retry on a lock error."""
        for k in range(attempts):
            try:
                with self.sessions() as s:
                    if is_sqlite(self.engine):
                        s.connection(execution_options={"sqlite_immediate": True})
                    out = fn(s)
                    s.commit()
                    return out
            except OperationalError as exc:
                if "locked" not in str(exc).lower() or k == attempts - 1:
                    raise
                time.sleep(0.05 * (2 ** k) + random.random() * 0.05)
        raise AssertionError("unreachable")

    def ping(self) -> bool:
        with self.engine.connect() as c:
            c.execute(text("SELECT 1"))
        return True

    def checkpoint(self) -> None:
        """SQLite: move the WAL into the database and truncate it (no-op elsewhere, or while readers hold it)."""
        if is_sqlite(self.engine):
            raw = self.engine.raw_connection()  # outside any transaction: autocommit (isolation_level None)
            try:
                raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            finally:
                raw.close()

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(db: Database):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return cfg


@functools.lru_cache(maxsize=1)
def head_revisions() -> frozenset[str]:
    """The newest revision(s) of the shipped migrations."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory(str(MIGRATIONS)).get_heads())


def current_revisions(db: Database) -> frozenset[str]:
    """The revisions the database is at (empty for a new database)."""
    try:
        with db.engine.connect() as conn:
            return frozenset(r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version")))
    except DBAPIError:
        return frozenset()


def migrate(db: Database) -> None:
    """Bring the schema to the newest revision; safe when several processes start at once. A database
    already at the newest revision is left alone without running Alembic (one read)."""
    if current_revisions(db) == head_revisions():
        return
    from alembic import command

    cfg = alembic_config(db)
    with db.engine.connect() as conn:
        if is_sqlite(db.engine):
            conn = conn.execution_options(sqlite_immediate=True)
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(726354)"))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
