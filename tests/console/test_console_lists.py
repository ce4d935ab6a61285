"""The lists pages: tables, filters and search, add / change / withdraw with errors in Chinese by the field."""
from __future__ import annotations

import re

from consolehelpers import text_of
from matcher.store import lists


def _add(console, list_name, **form):
    console.get(f"/console/lists/{list_name}/new")
    return console.post(f"/console/lists/{list_name}/new", form)


def seed(console):
    assert _add(console, "communities", id="C-1", name="核桃园社区", lat="39.91", lon="116.35").status_code == 302
    assert _add(console, "communities", id="C-2", name="龙泽园社区").status_code == 302
    assert _add(console, "providers", id="U-1", name="某机关", kind="unit", max_projects="5").status_code == 302
    assert _add(console, "resources", id="R-1", provider_id="U-1", category="parking", capacity="20", name="夜间车位",
                lat="39.9075", lon="116.3512", windows="周一至周五 19:00-07:30", tags="").status_code == 302
    assert _add(console, "needs", id="N-1", community_id="C-1", category="parking", quantity="8", name="胡同停车",
                lat="39.9101", lon="116.3490", priority="4", all_or_nothing="on").status_code == 302
    assert _add(console, "needs", id="N-2", community_id="C-2", category="after_school", quantity="3",
                lat="39.9101", lon="116.3490").status_code == 302
    console.get("/console/")  # shows (and so clears) the last "added" message


def test_added_entries_are_the_api_entries(console, db, token):
    seed(console)
    need = lists.get(db, _committee(db), "need", "N-1")
    assert need["all_or_nothing"] is True and need["priority"] == 4 and need["quantity"] == 8
    res = lists.get(db, _committee(db), "resource", "R-1")
    assert res["windows"] == [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "19:00", "end": "07:30"}]
    assert "tags" not in res  # blank fields are left out
    page = text_of(console.get("/console/lists/needs"))
    assert "N-1" in page and "胡同停车" in page and "N-2" in page and "（2 条）" in page


def _committee(db):
    from sqlalchemy import select

    from matcher.store.models import Committee
    with db.read() as s:
        return s.scalar(select(Committee.id).where(Committee.name == "西城区党建协调委员会"))


def test_filters_and_search(console):
    seed(console)
    assert "N-2" not in text_of(console.get("/console/lists/needs?category=parking"))
    assert "N-1" in text_of(console.get("/console/lists/needs?category=parking"))
    only = text_of(console.get("/console/lists/needs?community=C-2"))
    assert "N-2" in only and "N-1" not in only
    found = text_of(console.get("/console/lists/needs?q=胡同"))
    assert "N-1" in found and "N-2" not in found


def test_field_errors_are_in_chinese_next_to_their_field(console):
    seed(console)
    r = _add(console, "needs", id="N-3", community_id="C-1", category="parking", quantity="0", lat="95", lon="x")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert re.search(r'id="f-quantity"[^>]*aria-invalid="true"', html)
    assert re.search(r'id="e-quantity">须不小于 1<', html)
    assert re.search(r'id="e-lon">须为数字（填写的是 &#39;x&#39;）<', html)
    assert 'value="N-3"' in html  # what was typed stays in the form
    r = _add(console, "needs", id="N-3", community_id="C-1", category="parking", quantity="2", lat="95", lon="116")
    assert re.search(r'id="e-lat">须不大于 90(\.0)?<', r.get_data(as_text=True))
    r = _add(console, "needs", id="N-1", community_id="C-1", category="parking", quantity="2", lat="39", lon="116")
    assert r.status_code == 409 and "编号 N-1 已在清单中" in text_of(r)
    r = _add(console, "resources", id="R-2", provider_id="U-1", category="parking", capacity="2", lat="39",
             lon="116", windows="周八 10:00-11:00")
    assert r.status_code == 422 and "没有 '周八' 这一天" in text_of(r)


def test_change_and_withdraw(console, db):
    seed(console)
    console.get("/console/lists/needs/N-1/edit")
    form = {"community_id": "C-1", "category": "parking", "quantity": "12", "name": "", "lat": "39.9101",
            "lon": "116.349", "priority": "5", "id": "N-1"}
    assert console.post("/console/lists/needs/N-1/edit", form).status_code == 302
    need = lists.get(db, _committee(db), "need", "N-1")
    assert need["quantity"] == 12 and need["priority"] == 5 and "name" not in need and need["all_or_nothing"] is False
    bad = console.post("/console/lists/needs/N-1/edit", {**form, "quantity": "abc"})
    assert bad.status_code == 422 and "须为整数" in text_of(bad)
    assert console.post("/console/lists/needs/N-1/withdraw", {"note": "居民已自行解决"}).status_code == 302
    assert lists.get(db, _committee(db), "need", "N-1")["status"] == "withdrawn"
    console.get("/console/")
    assert "N-1" not in text_of(console.get("/console/lists/needs"))
    assert "N-1" in text_of(console.get("/console/lists/needs?status=withdrawn"))
    again = console.post("/console/lists/needs/N-1/withdraw")
    assert again.status_code == 409


def test_another_committees_entries_are_not_found(console, other_console):
    seed(console)
    for path in ("/console/lists/needs/N-1/edit", "/console/lists/nope"):
        assert other_console.get(path).status_code == 404
    assert other_console.post("/console/lists/needs/N-1/withdraw").status_code == 404
    assert other_console.post("/console/lists/needs/N-1/edit", {"quantity": "1"}).status_code == 404
    assert "N-1" not in text_of(other_console.get("/console/lists/needs?status=all"))


def test_pagination(console):
    _add(console, "communities", id="C-1", name="社区")
    for k in range(30):
        assert _add(console, "communities", id=f"C-{k + 2:02d}", name=f"社区{k}").status_code == 302
    console.get("/console/")
    first, second = text_of(console.get("/console/lists/communities")), text_of(console.get("/console/lists/communities?page=2"))
    assert "第 1 / 2 页" in first and "C-31" in second and "C-31" not in first
