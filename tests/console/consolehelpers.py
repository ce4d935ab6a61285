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
        r.get_data()
        r.close()  # a static file's answer holds the file open until closed
        text = r.get_data(as_text=True) if r.mimetype == "text/html" else ""
        if CSRF.search(text):
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
    """The page's text without tags, runs of white space as one space (for 'the page says ...' checks)."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", r.get_data(as_text=True))))


def committee_id(db, name: str = "西城区党建协调委员会") -> str:
    from sqlalchemy import select

    from matcher.store.models import Committee
    with db.read() as s:
        return s.scalar(select(Committee.id).where(Committee.name == name))


COMMUNITIES = [{"id": "C-HTY", "name": "核桃园社区", "lat": 39.9101, "lon": 116.349},
               {"id": "C-LZY", "name": "龙泽园社区", "lat": 39.915, "lon": 116.36}]
PROVIDERS = [{"id": "U-001", "name": "某部委机关", "kind": "unit", "max_projects": 5},
             {"id": "M-001", "name": "张颖", "kind": "member", "max_projects": 2, "community_id": "C-LZY",
              "min_projects_year": 4}]
RESOURCES = [
    {"id": "R-001", "provider_id": "U-001", "category": "parking", "capacity": 30, "name": "机关大院夜间车位",
     "lat": 39.9075, "lon": 116.3512},
    {"id": "R-002", "provider_id": "U-001", "category": "parking", "capacity": 6, "name": "后院车位",
     "lat": 39.9140, "lon": 116.3580},
    {"id": "R-003", "provider_id": "M-001", "category": "skill", "capacity": 3, "name": "法律咨询",
     "lat": 39.9120, "lon": 116.3550, "tags": ["法律援助"]},
]
NEEDS = [
    {"id": "N-001", "community_id": "C-HTY", "category": "parking", "quantity": 12, "name": "胡同居民夜间停车",
     "lat": 39.9101, "lon": 116.3490, "priority": 4},
    {"id": "N-002", "community_id": "C-LZY", "category": "parking", "quantity": 10, "name": "龙泽园停车",
     "lat": 39.9150, "lon": 116.3600, "priority": 3},
    {"id": "N-003", "community_id": "C-LZY", "category": "parking", "quantity": 20, "name": "远处停车",
     "lat": 39.9600, "lon": 116.4200, "priority": 2},
    {"id": "N-004", "community_id": "C-HTY", "category": "skill", "quantity": 1, "name": "法律咨询",
     "lat": 39.9105, "lon": 116.3500, "required_tags": ["法律援助"]},
    {"id": "N-005", "community_id": "C-HTY", "category": "skill", "quantity": 1, "name": "书法课",
     "lat": 39.9105, "lon": 116.3500, "required_tags": ["书法"]},
    {"id": "N-006", "community_id": "C-LZY", "category": "after_school", "quantity": 3, "name": "课后托管",
     "lat": 39.9150, "lon": 116.3600},
]


def seed_lists(db, committee: str, actor: str = "王书记") -> None:
    """The committee's lists through the store (the functions the API and the console forms call)."""
    from matcher.store import lists

    for kind, items in (("community", COMMUNITIES), ("provider", PROVIDERS), ("resource", RESOURCES),
                        ("need", NEEDS)):
        for item in items:
            lists.create(db, committee, actor, kind, item)
