"""WSGI entry point of the matcher API service.

    gunicorn 'api:create_app()'     # production (run `matcher worker` beside it)
    matcher serve                   # development server with a worker thread
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from flask import Flask


def create_app(config: Optional[Mapping[str, Any]] = None) -> Flask:
    """Build the app: settings from ``MATCHER_*`` env vars (``config`` wins), database migrated."""
    from matcher.web import config as settings
    from matcher.web import init_app

    app = Flask("matcher")
    app.config.update(settings.load(config))
    init_app(app)
    return app
