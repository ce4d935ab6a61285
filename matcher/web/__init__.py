"""The Flask side of the API service, built by :func:`create_app` (``api.py`` re-exports it for gunicorn).

- :mod:`.config`: settings (defaults, ``MATCHER_*`` variables, ``test_config``);
- :mod:`.helpers`: what every view needs from a request (token, JSON body, query arguments);
- :mod:`.rounds` and :mod:`.intake`: ``/api/v1/rounds``, and the one path from a posted round to a stored one;
- :mod:`.events`: ``/api/v1/rounds/<id>/events``, a round's status and progress as server-sent events;
- :mod:`.whatif`: ``POST /api/v1/whatif``; :mod:`.recommend`: best fits for one new need against a stored round;
- :mod:`.ops`: health, readiness, metrics (:mod:`.metrics`), the OpenAPI document and the docs page;
- :mod:`.problems`: every error as ``application/problem+json``;
- :mod:`.hygiene`: security and cache headers, the docs page's CSP, CORS;
- the committee console at ``/console`` (:mod:`matcher.console`) is installed here too.
"""
from __future__ import annotations

from typing import Any, Optional
from collections.abc import Mapping

from flask import Flask

from .. import console
from ..store import Database, migrate
from . import config, hygiene, metrics, problems
from .bans import bp as bans_bp
from .cycle import bp as cycle_bp
from .events import bp as events_bp
from .lists import bp as lists_bp
from .lists_import import bp as lists_import_bp
from .ops import bp as ops_bp
from .recommend import bp as recommend_bp
from .rounds import bp as rounds_bp
from .whatif import bp as whatif_bp


def create_app(test_config: Optional[Mapping[str, Any]] = None) -> Flask:
    """The API app: settings from ``MATCHER_*`` variables (``test_config`` wins), database migrated."""
    app = Flask("matcher")
    config.configure(app.config, test_config)
    db = Database(app.config["DATABASE_URL"])
    migrate(db)
    app.extensions["matcher_db"] = db
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    problems.register(app)
    hygiene.install(app)
    metrics.install(app)
    for bp in (rounds_bp, events_bp, whatif_bp, ops_bp, lists_import_bp, lists_bp, cycle_bp, bans_bp, recommend_bp):
        app.register_blueprint(bp)
    console.install(app)
    if app.config["RUN_WORKER"]:
        from ..worker import WorkerSettings, start_in_thread
        app.extensions["matcher_worker"] = start_in_thread(db, WorkerSettings.from_config(app.config))
    return app
