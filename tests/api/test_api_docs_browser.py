"""The API's docs page in headless Chromium: drawn from /openapi.json, nothing fetched from outside."""
from __future__ import annotations

import json
import tempfile
import urllib.request

import pytest

from browser import chromium_or_skip, launch_offline
from test_api_server import Server


def test_docs_page_renders_offline_in_chromium(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    chromium_or_skip()
    server = Server(f"sqlite:///{tmp_path / 'matcher.sqlite'}", tmp_path, POLL_S=0.5)
    try:
        spec = json.loads(urllib.request.urlopen(f"{server.base}/openapi.json", timeout=30).read())
        operations = sum(1 for item in spec["paths"].values() for m in item if m in ("get", "post", "delete", "put", "patch"))
        requests: list[str] = []
        blocked: list[str] = []
        errors: list[str] = []
        with tempfile.TemporaryDirectory() as profile, sync_api.sync_playwright() as pw:
            ctx = launch_offline(pw, profile)
            try:
                def route(r):
                    url = r.request.url
                    if url.startswith((server.base, "data:", "about:")):
                        r.continue_()
                    else:
                        blocked.append(url)
                        r.abort()

                ctx.route("**/*", route)
                page = ctx.pages[0] if ctx.pages else ctx.new_page()
                page.on("request", lambda req: requests.append(req.url))
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.goto(f"{server.base}/docs", wait_until="networkidle")
                page.wait_for_function("() => !document.querySelector('#ops').textContent.startsWith('Loading')",
                                       timeout=15_000)
                text = page.inner_text("#ops")
                rendered = page.evaluate("() => document.querySelectorAll('#ops .body').length")
                png = page.screenshot(full_page=True)
            finally:
                ctx.close()
    finally:
        server.stop()
    assert not blocked, f"the docs page tried to leave the machine: {blocked}"
    assert not errors, errors
    assert rendered == operations, (rendered, operations)
    for path in spec["paths"]:
        assert path in text
    assert len(png) > 10_000
