"""A crawl of every console page and asset: nothing refers outside the app, and the script and style are small.

The crawl signs in, fills the lists, runs two rounds with decisions in
between, records a lifecycle move, then follows every link, script, style
sheet, image and form action (GET forms) it finds under ``/console``.
"""
from __future__ import annotations

import gzip
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from consolehelpers import committee_id, seed_lists
from matcher.store import repo

LIMIT_GZIP = 150 * 1024
OUTSIDE = re.compile(rb"(?i)\b(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}|https?://")
ORIGIN = "http://localhost"


class Refs(HTMLParser):
    """Every URL a page refers to: href, src, action, and url() in style attributes (there should be none)."""

    def __init__(self):
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.styles: list[str] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        d = dict(attrs)
        for attr in ("href", "src", "action", "formaction", "poster", "data"):
            if d.get(attr):
                self.refs.append((tag, attr, d[attr]))
        if "style" in d:
            self.styles.append(d["style"])
        if tag == "script":
            self._in_script = "src" not in d
        if any(a.startswith("on") for a in d):
            self.inline_scripts += 1

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts += 1


def _prepare(console, db):
    seed_lists(db, committee_id(db))
    for name in ("第一轮", "第二轮"):
        console.get("/console/rounds/new")
        r = console.post("/console/rounds/new", {"walk": "1500", "walk_unit": "metres", "name": name})
        rid = r.headers["Location"].rsplit("/", 1)[-1]
        if name == "第一轮":
            first = repo.list_projects(db, rid, {})
            console.get(f"/console/rounds/{rid}")
            console.post(f"/console/rounds/{rid}/decisions", {"project_id": first[0].project_id, "to": "approved"})
            console.post(f"/console/rounds/{rid}/decisions", {"project_id": first[1].project_id, "to": "rejected",
                                                              "reason": "不合适"})
            gid = f"{rid}.{first[0].project_id}"
            console.post(f"/console/projects/{gid}/events", {"to": "in_service"})


def _crawl(console) -> dict[str, object]:
    seen: dict[str, object] = {}
    todo = ["/console/"]
    while todo and len(seen) < 400:
        path = todo.pop()
        if path in seen:
            continue
        r = console.get(path)
        seen[path] = r
        assert r.status_code == 200, f"{path}: {r.status_code}"
        if r.mimetype != "text/html" or "attachment" in r.headers.get("Content-Disposition", ""):
            continue
        parser = Refs()
        parser.feed(r.get_data(as_text=True))
        assert not parser.styles, f"{path}: inline style attributes {parser.styles[:3]}"
        assert parser.inline_scripts == 0, f"{path}: inline script"
        for tag, attr, value in parser.refs:
            url = urljoin(ORIGIN + path, value)
            parts = urlsplit(url)
            assert f"{parts.scheme}://{parts.netloc}" == ORIGIN, f"{path}: {tag} {attr}={value} leaves the app"
            if tag == "form" and attr == "action":
                continue  # POST targets are not crawled (they change things)
            if parts.path.startswith("/console/") and not parts.path.endswith("/signout"):
                todo.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return seen


def test_every_page_and_asset_stays_inside_the_app(console, db):
    _prepare(console, db)
    seen = _crawl(console)
    pages = [p for p, r in seen.items() if r.mimetype == "text/html"]
    for must in ("/console/lists/needs", "/console/rounds", "/console/projects", "/console/figures", "/console/audit",
                 "/console/wish", "/console/compare"):
        assert any(p.startswith(must) for p in pages), must
    assert any(re.fullmatch(r"/console/rounds/[\w-]+", p) for p in pages)
    for path, r in seen.items():
        body = r.get_data()
        if path.endswith(".xlsx"):
            continue  # a zip; its XML names the OOXML namespaces, which are no references
        hits = OUTSIDE.findall(body)
        assert not hits, f"{path}: refers outside the app: {hits[:3]}"
        assert r.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assets = {p: r for p, r in seen.items() if p.endswith((".js", ".css"))}
    assert {"/console/static/console.js", "/console/static/console.css"} <= set(assets)
    total = sum(len(gzip.compress(r.get_data(), 9)) for r in assets.values())
    assert total <= LIMIT_GZIP, f"JS + CSS: {total} bytes gzipped"
