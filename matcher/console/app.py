"""Wiring of the console: session cookie settings, signing key, the blueprint and its pages."""
from __future__ import annotations

from flask import Flask

from . import auth
from .pages import bp
from .secret import secret_key

bp.before_request(auth.guard)

# the pages register their routes on ``bp`` when imported
from . import views_cycle, views_figures, views_home, views_import, views_lists, views_rounds, views_wish  # noqa: E402, F401


def install(app: Flask) -> None:
    cfg = app.config
    app.secret_key = secret_key(cfg.get("SECRET_KEY") or "", cfg["DATABASE_URL"])
    cfg.update(SESSION_COOKIE_NAME="matcher_console", SESSION_COOKIE_PATH="/console",
               SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Strict",
               SESSION_COOKIE_SECURE=bool(cfg.get("COOKIE_SECURE")))
    app.register_blueprint(bp)
