"""POST /api/v1/lists/import: a workbook or CSV file as a multipart upload or the raw body; preview, then apply
with the preview's digest; 422 naming every bad row with nothing changed; 409 on a stale digest; 415, 413 and
hostile workbooks refused; committees kept apart; the same on PostgreSQL."""
from __future__ import annotations

import io
import os
import threading
import uuid
import zipfile
from pathlib import Path

import pytest

from matcher.store import repo
from matcher.tabular.sheets import SheetOut, csv_text, write_xlsx
from matcher.tabular.templates import NEED_ROWS, template_sheets, write_templates

URL = "/api/v1/lists/import"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LISTS = ("社区", "提供方", "资源清单", "需求清单")
PG_URL = os.environ.get("MATCHER_TEST_POSTGRES_URL", "")


def workbook(tmp_path: Path, edit=None, name: str = "三单.xlsx") -> bytes:
    by_title = {s.title: SheetOut(s.title, list(s.headers), [list(r) for r in s.rows])
                for s in template_sheets() if s.title in LISTS}
    if edit is not None:
        edit(by_title)
    write_xlsx(tmp_path / name, list(by_title.values()))
    return (tmp_path / name).read_bytes()


def upload(client, auth, data: bytes, name: str = "三单.xlsx", **query):
    return client.post(URL, query_string=query, headers=auth,
                       data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def needs_sheet(edit) -> SheetOut:
    sheet = next(s for s in template_sheets() if s.title == "需求清单")
    rows = [list(r) for r in sheet.rows]
    edit(rows)
    return SheetOut(sheet.title, list(sheet.headers), rows)


def more_parking(rows: list[list]) -> None:
    rows[0][3] = 160  # N-001: 150 -> 160


def entries(client, auth, plural: str) -> list[dict]:
    return client.get(f"/api/v1/lists/{plural}", query_string={"per_page": 100}, headers=auth).json["items"]


def events(client, auth) -> list[dict]:
    return client.get("/api/v1/events", query_string={"per_page": 100}, headers=auth).json["items"]


def test_preview_then_apply_with_its_digest(client, auth, tmp_path):
    data = workbook(tmp_path)
    preview = upload(client, auth, data)
    assert preview.status_code == 200, preview.json
    body = preview.json
    assert body["applied"] is False and body["errors"] == [] and body["kinds"] == [
        "communities", "providers", "resources", "needs"]
    assert [a["id"] for a in body["added"] if a["kind"] == "need"] == [r[0] for r in NEED_ROWS]
    assert entries(client, auth, "needs") == [] and events(client, auth) == []
    applied = upload(client, auth, data, apply="true", expect=body["digest"])
    assert applied.status_code == 200 and applied.json["applied"] is True
    assert applied.json["digest"] == body["digest"]
    assert [n["id"] for n in entries(client, auth, "needs")] == [r[0] for r in NEED_ROWS]
    assert len(events(client, auth)) == len(body["added"])
    again = upload(client, auth, data).json
    assert (again["added"], again["changed"], again["withdrawn"], again["unchanged"]) == ([], [], [],
                                                                                           len(body["added"]))


def test_raw_bodies_csv_xlsx_and_octet_stream(client, auth, tmp_path):
    data = workbook(tmp_path)
    assert upload(client, auth, data, apply="true").status_code == 200
    sheet = needs_sheet(more_parking)
    text = csv_text(sheet.headers, sheet.rows).encode("utf-8")
    for body, content_type in ((text, "text/csv"), (text, "application/octet-stream"),
                               (data, XLSX), (data, "application/octet-stream")):
        r = client.post(URL, data=body, content_type=content_type, headers=auth)
        assert r.status_code == 200, (content_type, r.json)
    long_name = upload(client, auth, text, "需求清单" * 60 + ".csv")  # cut to a name the file system takes
    assert long_name.status_code == 200 and long_name.json["kinds"] == ["needs"]
    r = client.post(URL, data=text, content_type="text/csv; charset=utf-8", headers=auth).json
    assert r["kinds"] == ["needs"] and r["changed"] == [{
        "kind": "need", "id": "N-001", "sheet": "upload.csv", "row": 2,
        "fields": [{"field": "quantity", "before": 150, "after": 160}]}]


def test_bad_rows_answer_422_naming_each_and_nothing_changes(client, auth, tmp_path):
    assert upload(client, auth, workbook(tmp_path), apply="true").status_code == 200
    before_needs, before_events = entries(client, auth, "needs"), events(client, auth)

    def broken(s: dict[str, SheetOut]) -> None:
        s["需求清单"].rows[2][3] = 0
        s["需求清单"].rows[3][1] = "C-404"
        s["需求清单"].rows[0][3] = 999  # a good change, not applied either

    r = upload(client, auth, workbook(tmp_path, broken), apply="true")
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert r.json["errors"] == [
        {"path": "三单.xlsx [需求清单] row 4 (需求编号 N-003)", "message": "数量: must be >= 1"},
        {"path": "三单.xlsx [需求清单] row 5 (需求编号 N-004)", "message": "社区编号: no community 'C-404' in "
                                                                    "三单.xlsx [社区]"}]
    assert "nothing was changed" in r.json["detail"]
    assert entries(client, auth, "needs") == before_needs and events(client, auth) == before_events


def test_a_stale_digest_answers_409_and_changes_nothing(client, auth, tmp_path):
    assert upload(client, auth, workbook(tmp_path), apply="true").status_code == 200
    data = workbook(tmp_path, lambda s: more_parking(s["需求清单"].rows))
    digest = upload(client, auth, data).json["digest"]
    assert client.patch("/api/v1/lists/needs/N-002", json={"quantity": 13}, headers=auth).status_code == 200
    before = entries(client, auth, "needs")
    r = upload(client, auth, data, apply="true", expect=digest)
    assert r.status_code == 409 and r.json["errors"][0]["path"] == "expect"
    assert entries(client, auth, "needs") == before


def test_refused_requests(client, auth, app, tmp_path):
    data = workbook(tmp_path)
    assert client.post(URL, json={"needs": []}, headers=auth).status_code == 415
    assert client.post(URL, data={"other": "x"}, headers=auth, content_type="multipart/form-data").status_code == 400
    assert upload(client, auth, data, apply="maybe").status_code == 400
    assert upload(client, auth, data, apply="true", expect="not-a-digest").status_code == 400
    assert client.post(URL, data=data, content_type=XLSX).status_code == 401
    old = upload(client, auth, b"\xd0\xcf\x11\xe0" + b"\0" * 100, name="三单.xls")
    assert old.status_code == 422 and ".xls" in old.json["errors"][0]["message"]
    notabook = client.post(URL, data=b"not a zip", content_type=XLSX, headers=auth)
    assert notabook.status_code == 422 and "not a readable .xlsx workbook" in notabook.json["errors"][0]["message"]
    app.config["MAX_CONTENT_LENGTH"] = len(data) - 1
    assert upload(client, auth, data).status_code == 413
    assert client.post(URL, data=data, content_type=XLSX, headers=auth).status_code == 413
    assert events(client, auth) == []


def test_a_hostile_workbook_is_refused(client, auth, tmp_path):
    sound = workbook(tmp_path)
    bomb = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(sound)) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
        dst.writestr("xl/media/padding.bin", b"\0" * (8 * 2**20))  # 8 MB of zeros, packed about 1000:1
    r = upload(client, auth, bomb.getvalue())
    assert r.status_code == 422 and "refused" in r.json["errors"][0]["message"]


def test_committees_are_kept_apart(client, auth, other_auth, tmp_path):
    assert upload(client, other_auth, workbook(tmp_path), apply="true").status_code == 200
    theirs = entries(client, other_auth, "needs"), events(client, other_auth)
    ours = upload(client, auth, workbook(tmp_path, lambda s: more_parking(s["需求清单"].rows)), apply="true").json
    assert not ours["changed"] and not ours["withdrawn"]  # their N-001 is not ours
    assert (entries(client, other_auth, "needs"), events(client, other_auth)) == theirs
    assert next(n for n in entries(client, auth, "needs") if n["id"] == "N-001")["quantity"] == 160


def test_the_bundled_templates_import_cleanly(client, auth, tmp_path):
    write_templates(tmp_path)
    r = upload(client, auth, (tmp_path / "三单模板.xlsx").read_bytes(), "三单模板.xlsx", apply="true")
    assert r.status_code == 200 and r.json["applied"] and len(r.json["added"]) == 17
    for name in ("社区.csv", "提供方.csv", "资源清单.csv", "需求清单.csv"):
        again = upload(client, auth, (tmp_path / name).read_bytes(), name).json
        assert (again["added"], again["changed"], again["withdrawn"]) == ([], [], []), name


@pytest.mark.slow
@pytest.mark.skipif(not PG_URL, reason="set MATCHER_TEST_POSTGRES_URL to a PostgreSQL database")
def test_apply_on_postgres_all_or_nothing_and_one_of_two_racing_applies_wins(tmp_path):
    from api import create_app

    app = create_app({"DATABASE_URL": PG_URL, "RUN_WORKER": False})
    try:
        db = app.extensions["matcher_db"]
        auth = {"Authorization": f"Bearer {repo.create_token(db, f'PostgreSQL import {uuid.uuid4().hex[:8]}')}"}
        client = app.test_client()
        assert upload(client, auth, workbook(tmp_path), apply="true").status_code == 200
        bad = workbook(tmp_path, lambda s: s["需求清单"].rows[2].__setitem__(3, 0), "bad.xlsx")
        before = events(client, auth)
        assert upload(client, auth, bad, apply="true").status_code == 422 and events(client, auth) == before
        one = workbook(tmp_path, lambda s: more_parking(s["需求清单"].rows), "one.xlsx")
        statuses: list[int] = []

        def apply(data: bytes, expect: str) -> None:
            statuses.append(upload(app.test_client(), auth, data, apply="true", expect=expect).status_code)

        same = upload(client, auth, one).json["digest"]
        threads = [threading.Thread(target=apply, args=(one, same)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(statuses) == [200, 409]  # the second found the lists already changed
        assert len(events(client, auth)) == len(before) + 1
    finally:
        app.extensions["matcher_db"].dispose()
