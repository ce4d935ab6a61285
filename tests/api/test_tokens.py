"""Tokens from the command line (`matcher token create --expires-in | list | revoke`, CliRunner on the app's
database) and what the API answers to them: a revoked or expired token is refused with 401 exactly like a
wrong one; a listing never shows a secret; another committee's token is not found."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from matcher.cli import main
from matcher.store import repo, tokens

ROUNDS = "/api/v1/rounds"
XICHENG, HUZHOU = "西城区党建协调委员会", "湖州某街道委员会"


def cli(app, *args: str):
    return CliRunner().invoke(main, [*args, "--database-url", app.config["DATABASE_URL"]])


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def listing(app, *args: str) -> list[dict]:
    out = cli(app, "token", "list", "--json", *args)
    assert out.exit_code == 0, out.output
    return json.loads(out.output)


def test_list_shows_every_token_but_never_its_secret(app, db):
    made = cli(app, "token", "create", "--committee", XICHENG, "--actor", "李委员", "--expires-in", "30d")
    assert made.exit_code == 0, made.output
    secret, other = made.output.strip(), repo.create_token(db, HUZHOU)
    rows = listing(app)
    assert [(r["committee"], r["actor"], r["state"], r["revoked_at"]) for r in rows] == [
        (XICHENG, "李委员", "live", None), (HUZHOU, None, "live", None)]
    created, expires = (dt.datetime.fromisoformat(rows[0][k].replace("Z", "+00:00")) for k in ("created_at",
                                                                                               "expires_at"))
    assert abs((expires - created) - dt.timedelta(days=30)) < dt.timedelta(seconds=5)
    assert rows[1]["expires_at"] is None
    table = cli(app, "token", "list").output
    assert table.splitlines()[0].split() == ["id", "committee", "actor", "created_at", "expires_at", "revoked_at",
                                             "state"]
    assert len(table.splitlines()) == 3
    for text in (table, json.dumps(rows, ensure_ascii=False)):
        for token in (secret, other):
            assert token not in text and repo.hash_token(token) not in text
    assert [r["id"] for r in listing(app, "--committee", HUZHOU)] == [rows[1]["id"]]
    missing = cli(app, "token", "list", "--committee", "无此委员会")
    assert missing.exit_code == 2 and "no committee '无此委员会'" in missing.output


def test_a_revoked_token_answers_401_like_a_wrong_one_and_the_revocation_is_audited(app, db, client):
    first, second = repo.create_token(db, XICHENG, actor="甲"), repo.create_token(db, XICHENG, actor="乙")
    assert client.get(ROUNDS, headers=bearer(first)).status_code == 200
    token_id = next(r["id"] for r in listing(app) if r["actor"] == "甲")
    out = cli(app, "token", "revoke", str(token_id), "--committee", XICHENG, "--actor", "王主任")
    assert out.exit_code == 0 and f"token {token_id} of {XICHENG} revoked at" in out.output, out.output
    refused, wrong = client.get(ROUNDS, headers=bearer(first)), client.get(ROUNDS, headers=bearer("no-such-token"))
    assert refused.status_code == wrong.status_code == 401
    assert refused.json == wrong.json and refused.headers["WWW-Authenticate"] == wrong.headers["WWW-Authenticate"]
    assert client.get(ROUNDS, headers=bearer(second)).status_code == 200
    (event,) = client.get("/api/v1/events?kind=token.revoked", headers=bearer(second)).json["items"]
    assert event["actor"] == "王主任" and event["subject"] == f"token {token_id}"
    assert event["before"] == {"revoked_at": None} and event["after"]["actor"] == "甲"
    assert [r["state"] for r in listing(app) if r["id"] == token_id] == ["revoked"]
    again = cli(app, "token", "revoke", str(token_id))
    assert again.exit_code == 2 and f"token {token_id} was revoked at" in again.output


def test_another_committees_token_is_not_found(app, db, client):
    token = repo.create_token(db, XICHENG)
    repo.create_token(db, HUZHOU)
    token_id = next(r["id"] for r in listing(app, "--committee", XICHENG))
    out = cli(app, "token", "revoke", str(token_id), "--committee", HUZHOU)
    assert out.exit_code == 2 and f"no token {token_id} of committee '{HUZHOU}'" in out.output
    assert client.get(ROUNDS, headers=bearer(token)).status_code == 200
    assert token_id not in [r["id"] for r in listing(app, "--committee", HUZHOU)]
    assert cli(app, "token", "revoke", "999").exit_code == 2


def test_an_expired_token_answers_401(app, client, monkeypatch):
    out = cli(app, "token", "create", "--committee", XICHENG, "--expires-in", "30s")
    assert out.exit_code == 0, out.output
    token = out.output.strip()
    assert client.get(ROUNDS, headers=bearer(token)).status_code == 200
    # 31 s later (the store's clock moved, not the test's: a loaded machine took over 1 s from create to GET)
    later = tokens.utcnow() + dt.timedelta(seconds=31)
    monkeypatch.setattr(tokens, "utcnow", lambda: later)
    r = client.get(ROUNDS, headers=bearer(token))
    assert r.status_code == 401 and r.json == client.get(ROUNDS, headers=bearer("wrong")).json
    assert [row["state"] for row in listing(app)] == ["expired"]


@pytest.mark.parametrize("value", ["0d", "soon", "-3d", "3y", "999999999w"])
def test_expires_in_must_be_a_positive_duration(app, value):
    out = cli(app, "token", "create", "--committee", XICHENG, "--expires-in", value)
    assert out.exit_code == 2 and "--expires-in" in out.output and "Traceback" not in out.output
    assert listing(app) == []
