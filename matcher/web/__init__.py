"""The Flask side of the API service: blueprints, error handler, OpenAPI and docs.

:func:`create_app` is the app factory (the top-level ``api.py`` re-exports it for gunicorn).
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from flask import Flask

from ..store import Database, migrate
from . import metrics, problems
from .ops import bp as ops_bp
from .rounds import bp as rounds_bp
from .whatif import bp as whatif_bp


def create_app(config: Optional[Mapping[str, Any]] = None) -> Flask:
    """Build the app: settings from ``MATCHER_*`` env vars (``config`` wins), database migrated."""
    from . import config as settings

    app = Flask("matcher")
    app.config.update(settings.load(config))
    init_app(app)
    return app


def init_app(app: Flask) -> Database:
    db = Database(app.config["DATABASE_URL"])
    migrate(db)
    app.extensions["matcher_db"] = db
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    problems.register(app)
    metrics.install(app)
    app.register_blueprint(rounds_bp)
    app.register_blueprint(whatif_bp)
    app.register_blueprint(ops_bp)
    if app.config.get("RUN_WORKER"):
        from ..worker import WorkerSettings, start_in_thread
        app.extensions["matcher_worker"] = start_in_thread(db, WorkerSettings.from_config(app.config))
    return db
