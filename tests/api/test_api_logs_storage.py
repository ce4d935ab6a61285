"""Issue 10 items 6 and 13 in process: no personal data in logs; a full or read-only database.

- personal data: names and phone numbers sent in bodies, query strings and a request whose database
  write fails never reach the captured logs (SQLAlchemy ``hide_parameters``);
- storage: a full disk / read-only database answers a problem+json 503, the CLI one line; the SQLite
  WAL is bounded (``journal_size_limit``, ``Database.checkpoint``); the worker id is opaque.
"""
from __future__ import annotations

import json
import logging
import os
import re
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from matcher.store import Database

SECRET_NAME, SECRET_PHONE = "张颖", "13812345678"
SECRET = f"{SECRET_NAME} {SECRET_PHONE}"
MATCHER = str(Path(sys.executable).with_name("matcher"))


def _with_secret(round_doc: dict) -> dict:
    doc = json.loads(json.dumps(round_doc))
    doc["name"] = SECRET
    doc["providers"][0]["name"] = SECRET
    return doc


def _db_file(app) -> str:
    return app.config["DATABASE_URL"].removeprefix("sqlite:///")


def _assert_clean(caplog, capsys):
    out = capsys.readouterr()
    everything = "\n".join([caplog.text, out.out, out.err] + [
        logging.Formatter().format(r) for r in caplog.records])
    for part in (SECRET_NAME, SECRET_PHONE, quote(SECRET_NAME)):
        assert part not in everything


def test_personal_data_not_in_logs(app, client, auth, sample_round, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    doc = _with_secret(sample_round)
    assert client.post("/api/v1/rounds", json=doc, headers=auth).status_code in (201, 202)
    bad = dict(doc, needs=[dict(doc["needs"][0], quantity=0, name=SECRET)])
    assert client.post("/api/v1/rounds", json=bad, headers=auth).status_code == 422
    assert client.get(f"/api/v1/rounds?provider={quote(SECRET)}&status={quote(SECRET)}",
                      headers=auth).status_code == 400
    with sqlite3.connect(_db_file(app)) as con:  # every new round now fails in the database
        con.execute("CREATE TRIGGER no_rounds BEFORE INSERT ON rounds BEGIN SELECT RAISE(ABORT, 'forced'); END")
    r = client.post("/api/v1/rounds", json=doc, headers=auth)
    assert r.status_code == 500 and SECRET_NAME not in r.get_data(as_text=True)
    assert any(rec.exc_info for rec in caplog.records), "the forced database error was logged"
    _assert_clean(caplog, capsys)


def test_personal_data_not_in_serve_access_log(tmp_path):
    from matcher.cli.serve import _path_only_handler

    handler = _path_only_handler().__new__(_path_only_handler())
    handler.command, handler.request_version = "GET", "HTTP/1.1"
    handler.path = f"/api/v1/rounds?provider={quote(SECRET)}"
    handler.requestline = f"GET {handler.path} HTTP/1.1"
    seen = []
    handler.log = lambda _type, fmt, *args: seen.append(fmt % args)
    handler.log_request(400, 10)
    assert seen and "GET /api/v1/rounds HTTP/1.1" in seen[0] and "provider" not in seen[0]
    assert handler.path.endswith(quote(SECRET))  # restored for whatever runs next


@pytest.mark.parametrize("message, why", [("database or disk is full", "disk is full"),
                                          ("attempt to write a readonly database", "read-only")])
def test_disk_full_or_read_only_database_answers_503(app, client, auth, sample_round, monkeypatch, message, why):
    db = app.extensions["matcher_db"]

    def fail(*_a, **_k):
        raise OperationalError("INSERT INTO rounds ...", {}, sqlite3.OperationalError(message))

    monkeypatch.setattr(db, "write", fail)
    r = client.post("/api/v1/rounds", json=sample_round, headers=auth)
    assert r.status_code == 503 and r.mimetype == "application/problem+json"
    assert r.json["title"] == "Service Unavailable"
    assert r.json["detail"].startswith("storage unavailable: ") and why in r.json["detail"]
    assert r.headers["Retry-After"]


def test_read_only_database_cli_one_line(tmp_path):
    path = tmp_path / "matcher.sqlite"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHER_")}
    env["MATCHER_DATABASE_URL"] = f"sqlite:///{path}"
    subprocess.run([MATCHER, "token", "create", "--committee", "A"], env=env, check=True, capture_output=True,
                   timeout=120)
    env["MATCHER_DATABASE_URL"] = f"sqlite:///file:{path}?mode=ro&uri=true"  # read-only, even for root
    out = subprocess.run([MATCHER, "token", "create", "--committee", "B"], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 70
    assert out.stderr.strip() == "error: storage unavailable: the database is read-only", out.stderr


def test_sqlite_wal_bounded(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'w.sqlite'}")
    with db.engine.connect() as c:
        assert c.execute(text("PRAGMA journal_size_limit")).scalar() == 64 * 1024 * 1024
        c.execute(text("CREATE TABLE t (x BLOB)"))
        for _ in range(50):
            c.execute(text("INSERT INTO t VALUES (randomblob(20000))"))
        c.commit()
    wal = tmp_path / "w.sqlite-wal"
    assert wal.stat().st_size > 500_000
    db.checkpoint()
    assert wal.stat().st_size == 0
    db.dispose()


def test_worker_id_opaque(app, db, client, auth, sample_round, run_worker):
    from matcher.worker import Worker, WorkerSettings

    w = Worker(db, WorkerSettings.from_config(app.config))
    assert re.fullmatch(r"w-[0-9a-f]{16}", w.id)
    rid = client.post("/api/v1/rounds", json=sample_round, headers={**auth, "Prefer": "respond-async"}).json["id"]
    assert w.run_once()
    shown = json.dumps(client.get(f"/api/v1/rounds/{rid}", headers=auth).json)
    assert w.id in shown  # "attempt 1 by worker w-..."
    assert socket.gethostname() not in shown and f":{os.getpid()}:" not in shown
