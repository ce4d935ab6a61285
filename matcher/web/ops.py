"""Operations: health, readiness, metrics (its failed tokens count towards the rate limit, :mod:`.ratelimit`),
the OpenAPI document and its offline docs page."""
from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app

from ..errors import ApiError
from . import ratelimit
from .helpers import bearer_token, unauthorized
from .hygiene import docs_html
from .openapi import openapi_document

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    try:
        current_app.extensions["matcher_db"].ping()
    except Exception as exc:
        current_app.logger.warning("readiness check failed: %s", exc)
        raise ApiError(503, "Service Unavailable", "database not reachable") from None
    return {"status": "ready"}


@bp.get("/metrics")
def prometheus():
    """Prometheus text for the bearer of ``METRICS_TOKEN`` only: it shows every committee's round counts."""
    want = current_app.config["METRICS_TOKEN"]
    if not want:
        raise ApiError(403, "Forbidden", "metrics are off: set MATCHER_METRICS_TOKEN and scrape with that bearer token")
    client = ratelimit.guard()
    if not hmac.compare_digest(bearer_token().encode("utf-8"), want.encode("utf-8")):
        ratelimit.failed(client)
        raise unauthorized("/metrics needs 'Authorization: Bearer <MATCHER_METRICS_TOKEN>'")
    return current_app.extensions["matcher_metrics"].response()


@bp.get("/openapi.json")
def openapi():
    return openapi_document()


@bp.get("/docs")
def docs():
    return Response(docs_html(), mimetype="text/html")
