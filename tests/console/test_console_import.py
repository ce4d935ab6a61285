"""The import page: upload a list, see the preview (new / changed / withdrawn, bad rows by row), apply all of it."""
from __future__ import annotations

import io


from consolehelpers import committee_id, text_of
from matcher.store import lists

CSV_COMMUNITIES = "社区编号,社区名称\nC-HTY,核桃园社区\nC-LZY,龙泽园社区\n"


def _upload(console, name: str, text: str):
    console.get("/console/lists/import")
    return console.client.post("/console/lists/import", data={
        "csrf_token": console.csrf, "file": (io.BytesIO(text.encode("utf-8-sig")), name)},
        content_type="multipart/form-data")


def test_the_template_downloads(console):
    r = console.client.get("/console/lists/template.xlsx")
    assert r.status_code == 200 and r.data.startswith(b"PK")
    from openpyxl import load_workbook
    assert "需求清单" in load_workbook(io.BytesIO(r.data)).sheetnames


def test_preview_then_apply(console, db):
    r = _upload(console, "社区.csv", CSV_COMMUNITIES)
    text = text_of(r)
    assert r.status_code == 200 and "新增 2" in text and "C-LZY" in text
    assert lists.listing(db, committee_id(db), "community", {}, 0, None)[1] == 0  # a preview writes nothing
    html = r.get_data(as_text=True)
    import re
    form = {k: v for k, v in re.findall(r'<input type="hidden" name="(name|expect|data)" value="([^"]*)"', html)}
    applied = console.post("/console/lists/import/apply", form)
    assert applied.status_code == 302
    assert {e["id"] for e in lists.listing(db, committee_id(db), "community", {}, 0, None)[0]} == {"C-HTY", "C-LZY"}
    bad = _upload(console, "社区.csv", CSV_COMMUNITIES + "C-X,\n")
    assert bad.status_code == 422 and "什么都没有改" in text_of(bad)
    stale = console.post("/console/lists/import/apply", form)  # the lists changed since that preview
    assert stale.status_code == 409
