"""The stored audit chain: values come back byte-faithfully, appends are serialised per committee, and
editing any byte of any stored event makes ``matcher audit verify`` fail and name that event."""
from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from sqlalchemy import select, update

from test_lists_api import seed_lists

from matcher.store import audit, repo
from matcher.store.models import AuditEventRow, Committee

COMMITTEE = "西城区党建协调委员会"  # the `auth` fixture's committee
COLUMNS = ("at", "actor", "kind", "subject", "before_json", "after_json", "note", "prev_hash", "hash")


def committee_id(db) -> str:
    with db.read() as s:
        return s.scalar(select(Committee.id).where(Committee.name == COMMITTEE))


def verify_cli(app) -> subprocess.CompletedProcess:
    env = {**os.environ, "MATCHER_DATABASE_URL": app.config["DATABASE_URL"]}
    return subprocess.run([sys.executable, "-m", "matcher.cli", "audit", "verify", "--committee", COMMITTEE],
                          env=env, capture_output=True, text=True, timeout=120)


def flip(text: str, index: int) -> str:
    ch = text[index]
    return text[:index] + ("1" if ch != "1" else "2") + text[index + 1:]


def test_values_come_back_exactly(db, auth):
    cid = committee_id(db)
    value = {"x": 4.0, "y": 4, "z": "区", "n": None, "l": [1.5, True]}
    db.write(lambda s: audit.append(s, cid, "王", "test.kind", "S1", value, [value], note="n"))
    (event,) = audit.all_events(db, cid)
    assert event["before"] == value and type(event["before"]["x"]) is float and type(event["before"]["y"]) is int
    assert audit.verify(db, cid) == (1, None)


def test_parallel_appends_make_one_chain(db, auth):
    cid = committee_id(db)

    def write(k: int) -> None:
        for i in range(5):
            subject = f"{k}-{i}"
            db.write(lambda s, subject=subject: audit.append(s, cid, f"a{k}", "test.kind", subject))

    threads = [threading.Thread(target=write, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    events = audit.all_events(db, cid)
    assert [e["seq"] for e in events] == list(range(1, 21))
    assert audit.verify(db, cid) == (20, None)


def test_editing_any_byte_of_a_stored_event_is_found_and_named(app, client, db, auth):
    seed_lists(client, auth)
    ok = verify_cli(app)
    assert ok.returncode == 0 and "holds: 5 events" in ok.stdout, ok.stderr
    cid = committee_id(db)
    with db.read() as s:
        rows = {(r.seq, c): getattr(r, c) for r in s.scalars(select(AuditEventRow)) for c in COLUMNS}
    for seq in (1, 3, 5):
        for column in COLUMNS:
            original = rows[(seq, column)]
            for index in {0, len(original or "x") // 2, len(original or "x") - 1}:
                edited = flip(original or "x", index)
                _set(db, cid, seq, column, edited)
                _, broken = audit.verify(db, cid)
                assert broken is not None and broken.seq == seq, (seq, column, index, broken)
                _set(db, cid, seq, column, original)
    assert audit.verify(db, cid) == (5, None)
    _set(db, cid, 3, "after_json", rows[(3, "after_json")].replace('"capacity": 10', '"capacity": 11'))
    bad = verify_cli(app)
    assert bad.returncode == 1 and "event 3" in bad.stderr, (bad.stdout, bad.stderr)


def test_a_renumbered_event_is_found(db, client, auth):
    seed_lists(client, auth)
    cid = committee_id(db)
    _set(db, cid, 2, "seq", 9)
    _, broken = audit.verify(db, cid)
    assert broken is not None and broken.index == 1 and broken.seq == 3


def _set(db, cid: str, seq: int, column: str, value) -> None:
    db.write(lambda s: s.execute(update(AuditEventRow).where(AuditEventRow.committee_id == cid,
                                                             AuditEventRow.seq == seq).values({column: value})))


@pytest.mark.parametrize("actor", ["王主任", None])
def test_token_create_binds_an_actor(app, actor):
    env = {**os.environ, "MATCHER_DATABASE_URL": app.config["DATABASE_URL"]}
    args = ["token", "create", "--committee", "海淀"] + (["--actor", actor] if actor else [])
    out = subprocess.run([sys.executable, "-m", "matcher.cli", *args], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    name = repo.actor_for_token(app.extensions["matcher_db"], out.stdout.strip())
    assert name == actor if actor else name.startswith("token ")
