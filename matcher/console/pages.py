"""The console blueprint: its headers, its error pages, and how a page is rendered.

Every console answer carries a CSP of ``default-src 'self'`` (no inline script
or style anywhere: the pages load ``static/console.css`` and
``static/console.js`` only), ``frame-ancestors 'none'`` and ``form-action
'self'``; :mod:`matcher.web.hygiene` adds ``X-Content-Type-Options``,
``X-Frame-Options`` and ``Cache-Control: no-store`` to every answer of the app.
Errors of :mod:`matcher.errors` raised by a console view become an HTML page
with the catalog's words (404 for another committee's ids as for unknown ones).
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, current_app, g, render_template, request, session, url_for
from werkzeug.exceptions import HTTPException

from .. import i18n
from ..errors import ConflictError, InputError, MatcherError

log = logging.getLogger("matcher.console")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'")
LANG = "zh"
# the navigation: (endpoint, catalog key, url arguments); pages not built are left out
NAV = (("console.home", "nav.home", {}), ("console.list_page", "nav.lists", {"list_name": "resources"}),
       ("console.rounds", "nav.rounds", {}), ("console.board", "nav.projects", {}), ("console.wish", "nav.wish", {}),
       ("console.figures", "nav.figures", {}), ("console.audit_log", "nav.audit", {}))

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static", static_url_path="/static")


@bp.after_request
def headers(resp: Response) -> Response:
    resp.headers["Content-Security-Policy"] = CSP
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def t(key: str, **fields) -> str:
    return i18n.text(key, LANG, **fields)


@bp.context_processor
def catalog() -> dict[str, Any]:
    """What every template may use: the catalog's words and the signed-in committee."""
    views = current_app.view_functions
    nav = [(url_for(e, **args), t(key)) for e, key, args in NAV if e in views]
    return {"nav": nav, "has_page": lambda endpoint: endpoint in views, "t": t, "lang": LANG,
            "reason_text": lambda c: i18n.reason(c, LANG),
            "project_status": lambda c: i18n.project_status(c, LANG),
            "round_status": lambda c: i18n.round_status(c, LANG),
            "category_text": lambda c: i18n.category(c, LANG),
            "csrf_token": session.get("csrf", ""), "actor": g.get("actor"), "committee_name": g.get("committee_name")}


def page(template: str, code: int = 200, **ctx) -> tuple[str, int]:
    """The rendered template ``console/<template>`` with the HTTP status ``code``."""
    return render_template(f"console/{template}", **ctx), code


def _status_of(exc: Exception) -> int:
    if isinstance(exc, HTTPException):
        return exc.code or 500
    if isinstance(exc, MatcherError):
        return exc.http_status
    return 500


@bp.errorhandler(Exception)
def error_page(exc: Exception):
    """An HTML error page; unexpected errors are logged once, their text never shown."""
    status = _status_of(exc)
    if status >= 500 and not isinstance(exc, HTTPException):
        log.exception("console error on %s", request.path)
    details: list[str] = []
    if isinstance(exc, InputError):
        details = [f"{p.path}: {i18n.message(p.message, LANG)}" if p.path else i18n.message(p.message, LANG)
                   for p in exc.problems]
    key = {404: "error.404", 409: "error.409", 422: "error.422", 400: "error.400", 403: "csrf.bad",
           405: "error.400"}.get(status, "error.500")
    if isinstance(exc, ConflictError):
        key = "error.409"
    return page("error.html", status, message=t(key), details=details, http_status=status)
