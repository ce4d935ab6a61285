"""The key that signs the console's session cookie.

``MATCHER_SECRET_KEY`` when it is set. Otherwise a random key made once and
kept in a file that every process serving the same database reads: beside the
SQLite file (``matcher.sqlite.console-key``), or, for another database, in
``instance/console-key`` under the working directory (gunicorn's workers of
one host share it). The file is created atomically (written under a temporary
name, then linked to its final name, which fails if another worker was first),
readable by its owner only. Several hosts serving one PostgreSQL database must
all be given the same ``MATCHER_SECRET_KEY``.

Why not a table: the key is not committee data and must exist before any
request; a file beside the database needs no migration and is lost (signing
everybody out, nothing else) exactly when the database file is replaced.
"""
from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from sqlalchemy.engine import make_url

from ..errors import FieldIssue, InputError

KEY_BYTES = 32


def key_file(database_url: str) -> Path:
    """Where the generated key is kept for ``database_url``."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        db = Path(url.database)
        return db.with_name(db.name + ".console-key")
    return Path.cwd() / "instance" / "console-key"


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(KEY_BYTES))
        with contextlib.suppress(FileExistsError):  # another process made the key first
            os.link(tmp, path)  # atomic
    finally:
        tmp.unlink(missing_ok=True)


def secret_key(configured: str, database_url: str) -> str:
    """``configured`` when given, else the key kept beside the database (made on first use)."""
    if configured:
        return configured
    path = key_file(database_url)
    if not path.exists():
        _create(path)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < KEY_BYTES:
        raise InputError([FieldIssue("MATCHER_SECRET_KEY", f"unset, and the key file {path} is damaged: "
                                                           "delete it to make a new one")], "invalid settings")
    return key
