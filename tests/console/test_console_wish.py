"""A new micro-wish: ranked best fits with their displacement chains, and applying one."""
from __future__ import annotations

from consolehelpers import committee_id, seed_lists, text_of
from matcher.store import audit, lists

WISH = {"id": "W-001", "community_id": "C-HTY", "category": "parking", "quantity": "2", "name": "老人临时停车",
        "lat": "39.9102", "lon": "116.3492", "priority": "5"}


def _round(console):
    console.get("/console/rounds/new")
    r = console.post("/console/rounds/new", {"walk": "1500", "walk_unit": "metres", "name": "一轮"})
    return r.headers["Location"].rsplit("/", 1)[-1]


def test_ask_shows_ranked_options_and_apply_adds_the_need(console, db):
    cid = committee_id(db)
    seed_lists(db, cid)
    rid = _round(console)
    console.get(f"/console/wish?round={rid}")
    r = console.post("/console/wish", {"round": rid, **WISH})
    html, text = r.get_data(as_text=True), text_of(r)
    assert r.status_code == 200 and 'data-rank="1"' in html and "方案 1" in text
    assert "R-001" in text and "步行" in text
    assert "需要调整的已有项目" in text or "不需要调整已有项目" in text
    applied = console.post("/console/wish/apply", {"round": rid, "option": "1", **WISH})
    assert applied.status_code == 302
    need = lists.get(db, cid, "need", "W-001")
    assert need["quantity"] == 2 and need["priority"] == 5
    events, _ = audit.list_events(db, cid, audit.EventFilter(kind="recommend.applied"))
    assert len(events) == 1 and events[0]["after"]["round_id"] == rid and events[0]["after"]["rank"] == 1 and events[0]["after"]["kind"] == "need"
    assert events[0]["actor"] == "王书记"
    again = console.post("/console/wish/apply", {"round": rid, "option": "1", **WISH})
    assert again.status_code == 409 and "编号 W-001 已在清单中" in text_of(again)


def test_bad_wishes_are_told_by_the_field(console, db):
    seed_lists(db, committee_id(db))
    rid = _round(console)
    console.get("/console/wish")
    r = console.post("/console/wish", {"round": rid, **WISH, "quantity": "0"})
    assert r.status_code == 422 and 'id="e-quantity">须不小于 1<' in r.get_data(as_text=True)
    r = console.post("/console/wish", {"round": rid, **WISH, "id": "N-001"})
    assert r.status_code == 422 and 'id="e-id">编号 N-001 已在这一轮中<' in r.get_data(as_text=True)
    r = console.post("/console/wish/apply", {"round": rid, "option": "9", **WISH})
    assert r.status_code == 422 and "没有方案 9" in text_of(r)


def test_another_committees_round_is_not_found(console, other_console, db):
    seed_lists(db, committee_id(db))
    rid = _round(console)
    other_console.get("/console/wish")
    assert other_console.post("/console/wish", {"round": rid, **WISH}).status_code == 404
    assert other_console.post("/console/wish/apply", {"round": rid, "option": "1", **WISH}).status_code == 404
