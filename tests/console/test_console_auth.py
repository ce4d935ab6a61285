"""Sign-in, the server-checked session, CSRF and the console's headers."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from consolehelpers import Console, text_of
from matcher.store.models import Token


def _cookie(client, name="matcher_console"):
    return client.get_cookie(name, path="/console")


def test_signed_out_pages_redirect_to_the_sign_in_page(app):
    c = app.test_client()
    for path in ("/console/", "/console/signout"):
        r = c.get(path)
        assert r.status_code in (302, 404, 405)
    r = c.get("/console/")
    assert r.status_code == 302 and r.headers["Location"].endswith("/console/signin")


def test_sign_in_keeps_no_token_in_the_cookie_or_the_page(app, token):
    c = Console(app.test_client())
    r = c.sign_in(token)
    assert r.headers["Location"].endswith("/console/")
    cookie = _cookie(c.client)
    assert cookie is not None and token not in cookie.value
    assert cookie.http_only and cookie.same_site == "Strict" and cookie.path == "/console"
    home = c.get("/console/")
    assert home.status_code == 200 and token not in home.get_data(as_text=True)
    assert "西城区党建协调委员会" in text_of(home) and "王书记" in text_of(home)
    from flask.sessions import SecureCookieSessionInterface
    s = SecureCookieSessionInterface().get_signing_serializer(app)
    stored = s.loads(cookie.value)
    assert set(stored) == {"tid", "cid", "actor", "since", "csrf"}


def test_a_wrong_token_is_refused_in_chinese(app, token):
    c = Console(app.test_client())
    c.get("/console/signin")
    r = c.post("/console/signin", {"token": token + "x"})
    assert r.status_code == 401 and "令牌无效或已停用" in text_of(r)
    assert c.client.get("/console/").status_code == 302


def test_a_post_without_the_csrf_token_is_refused(app, token, console):
    fresh = Console(app.test_client())
    fresh.get("/console/signin")
    assert fresh.post("/console/signin", {"token": token}, csrf=False).status_code == 403
    assert fresh.post("/console/signin", {"token": token, "csrf_token": "forged"}, csrf=False).status_code == 403
    r = console.post("/console/signout", csrf=False)
    assert r.status_code == 403 and "表单已过期" in text_of(r)
    assert console.get("/console/").status_code == 200  # still signed in


def test_sign_out_ends_the_session(console):
    r = console.post("/console/signout")
    assert r.status_code == 302 and r.headers["Location"].endswith("/console/signin")
    assert console.get("/console/").status_code == 302


def test_a_revoked_token_ends_the_session_at_the_next_request(console, db):
    assert console.get("/console/").status_code == 200
    db.write(lambda s: s.execute(update(Token).values(revoked_at=dt.datetime(2026, 1, 1))))
    r = console.get("/console/")
    assert r.status_code == 302 and "ended=1" in r.headers["Location"]
    page = console.get(r.headers["Location"])
    assert "登录已失效" in text_of(page)
    assert console.get("/console/").status_code == 302  # the session is gone, not only refused once


def test_a_session_signed_with_another_key_is_ignored(app, token, tmp_path):
    from api import create_app

    c = Console(app.test_client())
    c.sign_in(token)
    other = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'matcher.sqlite'}", "SECRET_KEY": "another key " * 4})
    try:
        oc = other.test_client()
        oc.set_cookie("matcher_console", _cookie(c.client).value, path="/console")
        assert oc.get("/console/").status_code == 302
    finally:
        other.extensions["matcher_db"].dispose()


def test_every_console_answer_has_the_security_headers(app, console):
    for path in ("/console/", "/console/signin", "/console/static/console.css", "/console/no-such-page"):
        r = console.get(path)
        csp = r.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert "unsafe-inline" not in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert console.get("/console/no-such-page").status_code == 404


def test_gunicorn_workers_share_the_generated_key(tmp_path):
    from matcher.console.secret import key_file, secret_key

    url = f"sqlite:///{tmp_path / 'db' / 'matcher.sqlite'}"
    first = secret_key("", url)
    assert secret_key("", url) == first and len(first) >= 32
    path = key_file(url)
    assert path.parent == tmp_path / "db" and oct(path.stat().st_mode & 0o777) == "0o600"
    assert secret_key("set by MATCHER_SECRET_KEY", url) == "set by MATCHER_SECRET_KEY"
