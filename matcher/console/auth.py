"""Sign-in with a committee token, the session that follows, CSRF, sign-out.

The token is read once, from the sign-in form (a POST body), and is never put
in a cookie, a URL or the browser's storage. Flask's signed session cookie
(``HttpOnly``, ``SameSite=Strict``, ``Secure`` with ``MATCHER_COOKIE_SECURE``,
path ``/console``) keeps only the token's row id (``tid``), its committee
(``cid``), its actor name, the sign-in time and a random CSRF secret. Every
console request re-checks in the database that the token is still live
(:func:`matcher.store.repo.live_committee_name`): a revoked token ends the session at
its next request. Sessions also end :data:`SESSION_HOURS` after sign-in.

Every POST to the console (sign-in and sign-out included) must carry the
session's CSRF secret as the form field ``csrf_token`` (403 otherwise); the
sign-in page makes one before anybody is signed in, and signing in replaces
the whole session (a new secret).
"""
from __future__ import annotations

import hmac
import secrets
import time

from flask import g, redirect, request, session, url_for

from ..errors import ApiError
from ..store import repo
from ..web.helpers import db

SESSION_HOURS = 12
OPEN_ENDPOINTS = frozenset({"console.signin", "console.signin_form"})


def csrf_secret() -> str:
    """The session's CSRF secret (made on first use)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf() -> None:
    """403 unless a POST carries the session's CSRF secret."""
    if request.method != "POST":
        return
    sent = request.form.get("csrf_token", "")
    want = session.get("csrf", "")
    if not want or not sent or not hmac.compare_digest(sent.encode("utf-8"), want.encode("utf-8")):
        raise ApiError(403, "Forbidden", "the form's CSRF token is missing or wrong")


def sign_in(token: str) -> bool:
    """Start a session for a live ``token``; False (nothing changed) when it is not one."""
    info = repo.token_info(db(), token.strip()) if token.strip() else None
    if info is None:
        return False
    session.clear()
    session.update(tid=info.id, cid=info.committee_id, actor=info.actor, since=int(time.time()),
                   csrf=secrets.token_urlsafe(32))
    return True


def sign_out() -> None:
    session.clear()


def _live() -> str | None:
    """The committee's name while the session's token is live, else None."""
    tid, cid, since = session.get("tid"), session.get("cid"), session.get("since", 0)
    if not isinstance(tid, int) or not isinstance(cid, str) or not isinstance(since, int):
        return None
    if time.time() - since > SESSION_HOURS * 3600:
        return None
    return repo.live_committee_name(db(), tid, cid)


def guard():
    """``before_request`` of the console: CSRF on POST, then a live session (or the sign-in page)."""
    if request.endpoint == "console.static":
        return None
    csrf_secret()
    check_csrf()
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    name = _live()
    if name is None:
        ended = "tid" in session
        session.clear()
        csrf_secret()
        return redirect(url_for("console.signin_form", ended=1 if ended else None))
    g.committee_id, g.actor, g.committee_name = session["cid"], session["actor"], name
    return None
