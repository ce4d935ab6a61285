"""Operations: health, readiness, metrics, the OpenAPI document and its offline docs page."""
from __future__ import annotations

from importlib import resources

from flask import Blueprint, Response, current_app

from . import metrics
from .openapi import openapi_document
from ..errors import ApiError

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
        raise ApiError(503, "Service Unavailable", "database not reachable")
    return {"status": "ready"}


@bp.get("/metrics")
def prometheus():
    return Response(metrics.render(current_app), mimetype="text/plain", content_type="text/plain; version=0.0.4; charset=utf-8")


@bp.get("/openapi.json")
def openapi():
    return openapi_document()


@bp.get("/docs")
def docs():
    html = resources.files("matcher.web").joinpath("static/docs.html").read_text(encoding="utf-8")
    return Response(html, mimetype="text/html")
