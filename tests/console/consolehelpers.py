"""A signed-in console test client: pages by GET, forms by POST with the session's CSRF token."""
from __future__ import annotations

import re
from html import unescape

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    m = CSRF.search(html)
    assert m, "no CSRF field on the page"
    return m.group(1)


class Console:
    """Wraps Flask's test client; ``csrf`` is read from the last page that had a form."""

    def __init__(self, client):
        self.client = client
        self.csrf = ""

    def get(self, path: str, **kw):
        r = self.client.get(path, **kw)
        text = r.get_data(as_text=True)
        r.close()  # a static file's answer holds the file open until closed
        if r.mimetype == "text/html" and CSRF.search(text):
            self.csrf = csrf_of(text)
        return r

    def post(self, path: str, data: dict | None = None, csrf: bool = True, **kw):
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.csrf)
        return self.client.post(path, data=form, **kw)

    def sign_in(self, token: str):
        self.get("/console/signin")
        r = self.post("/console/signin", {"token": token})
        assert r.status_code == 302, r.get_data(as_text=True)[:500]
        self.get("/console/")
        return r


def text_of(r) -> str:
    """The page's text without tags (for 'the page says ...' checks)."""
    return unescape(re.sub(r"<[^>]+>", " ", r.get_data(as_text=True)))
