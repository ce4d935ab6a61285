"""Issue 10 item 15, HTTP hygiene: security and cache headers, the docs CSP, CORS, Content-Type, problem titles."""
from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest

PROBLEM = "application/problem+json"


def test_http_hygiene_headers_on_api_answers(client, auth):
    for r in (client.get("/api/v1/rounds", headers=auth), client.get("/api/v1/rounds"), client.get("/healthz"),
              client.get("/api/v1/rounds/nope", headers=auth), client.get("/openapi.json")):
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Cache-Control"] == "no-store"
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
        assert "default-src 'none'" in r.headers["Content-Security-Policy"]


def test_http_hygiene_docs_csp_allows_exactly_its_inline_script_and_style(client):
    r = client.get("/docs")
    csp = r.headers["Content-Security-Policy"]
    html = r.get_data(as_text=True)
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    for tag, directive in (("script", "script-src"), ("style", "style-src")):
        bodies = re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.S)
        assert bodies
        for body in bodies:
            digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in csp.split(directive, 1)[1].split(";", 1)[0]
    assert ' style="' not in html  # inline style attributes would need 'unsafe-inline'



@pytest.fixture
def cors_app(tmp_path):
    from api import create_app
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'm.sqlite'}", "RUN_WORKER": False,
                      "CORS_ORIGINS": "https://portal.example, https://other.example"})
    yield app
    app.extensions["matcher_db"].dispose()


def test_http_hygiene_cors_preflight_answered_before_auth(cors_app):
    c = cors_app.test_client()
    pre = {"Origin": "https://portal.example", "Access-Control-Request-Method": "POST",
           "Access-Control-Request-Headers": "authorization, content-type"}
    r = c.options("/api/v1/rounds", headers=pre)  # no token: a browser never sends one with a preflight
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == "https://portal.example"
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in r.headers["Access-Control-Allow-Headers"]
    r = c.options("/api/v1/rounds", headers={**pre, "Origin": "https://evil.example"})
    assert r.status_code == 204 and "Access-Control-Allow-Origin" not in r.headers
    r = c.get("/api/v1/rounds", headers={"Origin": "https://other.example"})  # the real request still needs a token
    assert r.status_code == 401 and r.headers["Access-Control-Allow-Origin"] == "https://other.example"
    assert "Origin" in r.headers.get_all("Vary")


def test_http_hygiene_no_cors_by_default(client):
    r = client.get("/healthz", headers={"Origin": "https://portal.example"})
    assert "Access-Control-Allow-Origin" not in r.headers


def test_http_hygiene_cors_origins_from_environment(tmp_path, monkeypatch):
    from api import create_app
    monkeypatch.setenv("MATCHER_CORS_ORIGINS", "*")
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'm.sqlite'}"})
    r = app.test_client().get("/healthz", headers={"Origin": "https://any.example"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    app.extensions["matcher_db"].dispose()


@pytest.mark.parametrize("ctype", [None, "application/evil+json", "text/plain", "application/x-www-form-urlencoded"])
def test_http_hygiene_content_type_enforced(client, auth, sample_round, ctype):
    headers = dict(auth) if ctype is None else {**auth, "Content-Type": ctype}
    body = json.dumps(sample_round).encode()
    for url in ("/api/v1/rounds", "/api/v1/whatif"):
        r = client.post(url, data=body, headers=headers)
        assert r.status_code == 415 and r.mimetype == PROBLEM, (url, ctype)
        assert r.json["title"] == "Unsupported Media Type"


def test_http_hygiene_json_with_charset_accepted(client, auth, sample_round):
    r = client.post("/api/v1/rounds", data=json.dumps(sample_round).encode(),
                    headers={**auth, "Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 201


def test_http_hygiene_problem_title_is_status_phrase(client, auth, sample_round):
    bad = dict(sample_round, needs=[dict(sample_round["needs"][0], quantity=0)])
    r = client.post("/api/v1/rounds", json=bad, headers=auth)
    assert r.status_code == 422 and r.json["type"] == "about:blank"
    assert r.json["title"] == "Unprocessable Entity"
    assert r.json["detail"] == "invalid round: 1 problem(s) in the round document"
    assert r.json["errors"] == [{"path": "needs[0].quantity", "message": r.json["errors"][0]["message"]}]
    for resp, phrase in ((client.get("/api/v1/rounds"), "Unauthorized"), (client.get("/nowhere"), "Not Found"),
                         (client.get("/api/v1/rounds/x", headers=auth), "Not Found"),
                         (client.put("/healthz"), "Method Not Allowed")):
        assert resp.json["title"] == phrase and resp.json["type"] == "about:blank"
