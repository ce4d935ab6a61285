"""The HTML round report: escaped, self-contained, and drawn in headless Chromium without any network request."""
from __future__ import annotations

import io
import os
import re
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from browser import chromium_or_skip, launch_offline

from matcher.report import render_report
from matcher.service import solve_round
from matcher.validation import parse_round

DATA = Path(__file__).resolve().parents[2] / "tests" / "data"
CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
EVIL = '<script>alert("x")</script>'


def _evil_round() -> dict:
    doc = parse_round((DATA / "huzhou_locked_forbidden.json").read_bytes()).model_dump(mode="json")
    doc["name"] = "湖州 课后托管 " + EVIL
    doc["providers"][0]["name"] = '红色联盟"><img src=x onerror=alert(1)>'
    doc["needs"][0]["community_id"] = "C00<b>社区</b>"
    return doc


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    rnd = parse_round(_evil_round())
    result = solve_round(rnd, timings=False).document
    assert result["projects"] and result["unmet"]
    html = render_report(rnd, result, generated="2026-12-01 10:00")
    out = tmp_path_factory.mktemp("report") / "report.html"
    out.write_text(html, encoding="utf-8")
    return out


def test_user_text_is_escaped(page):
    html = page.read_text(encoding="utf-8")
    assert EVIL not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html  # Jinja2 autoescape
    assert "<img" not in html and "<b>社区</b>" not in html
    assert html.count("<script>") == 1  # only the page's own inlined script


def test_page_is_self_contained(page):
    html = page.read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "项目清单" in html and "未满足需求" in html


HOSTILE = """<script>alert('&amp;')</script>&"'"""


def h(value: str) -> str:
    return value + HOSTILE


def _hostile_round() -> dict:
    """The Huzhou round with every id, category, tag and name ending in :data:`HOSTILE`."""
    doc = parse_round((DATA / "huzhou_locked_forbidden.json").read_bytes()).model_dump(mode="json")
    doc["name"] = h(doc["name"])
    for p in doc["providers"]:
        p["id"], p["name"] = h(p["id"]), h(p["name"] or "提供方")
    for r in doc["resources"]:
        r["id"], r["provider_id"], r["category"] = h(r["id"]), h(r["provider_id"]), h(r["category"])
        r["tags"] = [h(t) for t in r["tags"]]
    for n in doc["needs"]:
        n["id"], n["community_id"], n["category"] = h(n["id"]), h(n["community_id"]), h(n["category"])
        n["required_tags"] = [h(t) for t in n["required_tags"]]
    for pair in doc["locked"] + doc["forbidden"]:
        pair["need_id"], pair["resource_id"] = h(pair["need_id"]), h(pair["resource_id"])
    return doc


class _Collect(HTMLParser):
    """Attribute values and text as a browser reads them back (entities decoded)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.attrs: dict[str, set[str]] = {}
        self.cells: list[str] = []
        self.titles: list[str] = []
        self.tags: list[str] = []
        self._stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._stack.append(tag)
        for key, value in attrs:
            self.attrs.setdefault(key, set()).add(value)

    def handle_endtag(self, tag):
        if self._stack and self._stack[-1] == tag:
            self._stack.pop()

    def handle_data(self, data):
        where = self._stack[-1] if self._stack else ""
        if where == "td":
            self.cells.append(data)
        elif where == "title":
            self.titles.append(data)


def test_hostile_ids_and_names_are_escaped_everywhere():
    doc = _hostile_round()
    rnd = parse_round(doc)
    result = solve_round(rnd, timings=False).document
    assert result["projects"] and result["unmet"]
    html = render_report(rnd, result, generated="2026-12-01 10:00")
    assert html.count("<script") == 1 and html.count("</script") == 1  # only the page's own script
    assert HOSTILE not in html and "<script>alert(" not in html
    page_text = re.sub(r"<(style|script)>.*?</\1>", "", html, flags=re.DOTALL)
    assert not re.findall(r"&(?!(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);)", page_text), "a bare & in the page"
    seen = _Collect()
    seen.feed(html)
    assert seen.tags.count("script") == 1 and "img" not in seen.tags
    # read back by a parser, every hostile value comes out exactly as it went in: escaped, not mangled
    need_ids = {n["id"] for n in doc["needs"]}
    assert seen.attrs["data-need"] == need_ids
    assert seen.attrs["data-cat"] == {r["category"] for r in doc["resources"]} | {n["category"] for n in doc["needs"]}
    assert seen.attrs["data-project"] == {p["project_id"] for p in result["projects"]}
    cells = set(seen.cells)
    assert {p["resource_id"] for p in result["projects"]} <= cells
    assert {p["community_id"] for p in result["projects"]} <= cells and {u["need_id"] for u in result["unmet"]} <= cells
    names = {p["id"]: p["name"] for p in doc["providers"]}
    assert {names[p["provider_id"]] for p in result["projects"]} <= cells
    titles = "\n".join(seen.titles)
    assert doc["name"] + " · 匹配报告" in titles
    assert all(r["id"] in titles and r["tags"][0] in titles for r in doc["resources"] if r["tags"])
    assert all(f"需求 {n['id']} · 社区 {n['community_id']}" in titles for n in doc["needs"])


def _non_white(png: bytes) -> float:
    import numpy as np
    from PIL import Image

    px = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    return float((px.min(axis=2) < 200).mean())


def _colour_count(png: bytes) -> int:
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=64)
    return sum(1 for count, _ in img.getcolors() if count > 20)


def test_unmet_reasons_in_chinese(page):
    html = page.read_text(encoding="utf-8")
    from matcher.report.labels import REASONS_ZH

    assert any(text in html for text in REASONS_ZH.values())
    assert "capacity_exhausted" not in html and "no_candidate_distance" not in html


def test_report_draws_in_headless_chromium_offline(page):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    chromium_or_skip()
    requests: list[str] = []
    blocked: list[str] = []
    errors: list[str] = []
    with tempfile.TemporaryDirectory() as profile, sync_api.sync_playwright() as pw:
        ctx = launch_offline(pw, profile, ("--host-resolver-rules=MAP * ~NOTFOUND",),
                             viewport={"width": 1280, "height": 900})
        try:
            def route(r):
                url = r.request.url
                if url.startswith(("file:", "data:", "about:")):
                    r.continue_()
                else:
                    blocked.append(url)
                    r.abort()

            ctx.route("**/*", route)
            pg = ctx.pages[0] if ctx.pages else ctx.new_page()
            pg.on("request", lambda req: requests.append(req.url))
            pg.on("pageerror", lambda exc: errors.append(str(exc)))
            pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            pg.goto(page.as_uri(), wait_until="load")
            pg.wait_for_timeout(300)
            counts = pg.evaluate("""() => ({
                needs: document.querySelectorAll('#map-svg .need').length,
                res: document.querySelectorAll('#map-svg .res').length,
                lines: document.querySelectorAll('#map-svg .project').length,
                walks: document.querySelectorAll('#map-svg .walk').length,
                bars: document.querySelectorAll('#charts .bar').length,
                title: document.title })""")
            map_png = pg.locator("#map").screenshot()
            chart_png = pg.locator("#chart-community").screenshot()
            Path(os.environ.get("MATCHER_REPORT_SHOT") or page.with_suffix(".png")).write_bytes(
                pg.screenshot(full_page=True))
            cjk_font = None
            if CJK_FONT.exists():
                cdp = ctx.new_cdp_session(pg)
                cdp.send("DOM.enable")
                cdp.send("CSS.enable")
                root = cdp.send("DOM.getDocument")["root"]["nodeId"]
                node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "#chart-category .chart-title"})["nodeId"]
                fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
                cjk_font = " ".join(f["familyName"] for f in fonts)
            # the table row click highlights the need on the map (the script runs)
            pg.locator("#unmet-table tbody tr").first.click()
            highlighted = pg.evaluate("() => document.querySelectorAll('#map-svg .hl').length")
        finally:
            ctx.close()
    assert not blocked, f"requests left the machine: {blocked}"
    assert requests and all(u.startswith(("file:", "data:", "about:")) for u in requests), requests
    assert not errors, errors
    assert counts["needs"] > 0 and counts["res"] > 0 and counts["lines"] > 0 and counts["walks"] == counts["needs"]
    assert counts["bars"] > 0 and "湖州" in counts["title"]
    assert _non_white(map_png) > 0.02, "map looks blank"
    assert _colour_count(map_png) >= 4, "map has too few colours to be drawn"
    assert _non_white(chart_png) > 0.02, "community chart looks blank"
    assert highlighted >= 1
    if cjk_font is not None:
        print("chart title font:", cjk_font)
        assert "CJK" in cjk_font or "Noto Sans" in cjk_font, f"Chinese chart text drawn with {cjk_font!r}"
