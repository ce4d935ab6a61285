"""HTTP hygiene of every answer: security headers, caching, the docs page's CSP, and CORS.

- every answer: ``X-Content-Type-Options: nosniff``, ``Cache-Control: no-store``
  (answers carry a committee's data), ``X-Frame-Options: DENY`` and a CSP with
  ``frame-ancestors 'none'``; JSON answers get ``default-src 'none'``, ``/docs``
  ``default-src 'self'`` plus the hashes of its one inline script and style;
- CORS: origins listed in ``MATCHER_CORS_ORIGINS`` (comma- or space-separated,
  ``*`` for any) get ``Access-Control-Allow-Origin``; a preflight (``OPTIONS`` with
  ``Access-Control-Request-Method``) is answered 204 here, before authentication,
  which a browser never sends with it.
"""
from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from importlib import resources

from flask import Flask, Response, current_app, request

ALLOW_METHODS = "GET, POST, PATCH, DELETE, OPTIONS"
ALLOW_HEADERS = "Authorization, Content-Type, Idempotency-Key, Prefer"
EXPOSE_HEADERS = "Location, Retry-After, WWW-Authenticate"
API_CSP = "default-src 'none'; frame-ancestors 'none'"


def docs_html() -> str:
    return resources.files("matcher.web").joinpath("static/docs.html").read_text(encoding="utf-8")


def _hashes(tag: str, html: str) -> str:
    bodies = re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.S)
    digests = (base64.b64encode(hashlib.sha256(b.encode("utf-8")).digest()).decode() for b in bodies)
    return " ".join(f"'sha256-{d}'" for d in digests)


@lru_cache(maxsize=1)
def docs_csp() -> str:
    """The CSP of ``/docs``: own origin only, the inline script and style by hash."""
    html = docs_html()
    return (f"default-src 'self'; script-src {_hashes('script', html)}; style-src {_hashes('style', html)}; "
            "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
            "object-src 'none'; frame-ancestors 'none'")


def allowed_origins(setting: str) -> frozenset[str]:
    return frozenset(o.rstrip("/") for o in re.split(r"[\s,]+", setting or "") if o)


def _cors_origin() -> str:
    """The ``Access-Control-Allow-Origin`` value for this request ("" when none)."""
    origin = request.headers.get("Origin", "")
    allowed = current_app.extensions["matcher_cors"]
    if not origin or not allowed:
        return ""
    if "*" in allowed:
        return "*"
    return origin if origin.rstrip("/") in allowed else ""


def preflight():
    """``before_request``: a CORS preflight is answered here, before any authentication."""
    if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers:
        return None
    resp = Response(status=204)
    if _cors_origin():
        resp.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
        resp.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
        resp.headers["Access-Control-Max-Age"] = "600"
    return resp


def secure(resp: Response) -> Response:
    """``after_request``: the headers every answer carries."""
    h = resp.headers
    h["X-Content-Type-Options"] = "nosniff"
    h["X-Frame-Options"] = "DENY"
    h["Cache-Control"] = "no-store"
    h["Referrer-Policy"] = "no-referrer"
    h.setdefault("Content-Security-Policy", docs_csp() if request.path == "/docs" else API_CSP)
    origin = _cors_origin()
    if origin:
        h["Access-Control-Allow-Origin"] = origin
        h["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
    if current_app.extensions["matcher_cors"]:
        h.add("Vary", "Origin")
    return resp


def install(app: Flask) -> None:
    app.extensions["matcher_cors"] = allowed_origins(app.config["CORS_ORIGINS"])
    app.before_request(preflight)
    app.after_request(secure)
