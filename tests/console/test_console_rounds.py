"""Rounds in the console: new from the lists, progress, the round's page, decisions, exports, isolation."""
from __future__ import annotations

import io
import re
import zipfile

from consolehelpers import committee_id, seed_lists, text_of
from matcher.store import cycle, repo


def _new_round(console, **form):
    console.get("/console/rounds/new")
    return console.post("/console/rounds/new", {"walk": "15", "walk_unit": "minutes", **form})


def _round_id(r) -> str:
    assert r.status_code == 302, r.get_data(as_text=True)[:800]
    return r.headers["Location"].rsplit("/", 1)[-1]


def test_a_round_from_the_lists_and_its_page(console, db):
    seed_lists(db, committee_id(db))
    rid = _round_id(_new_round(console, name="十二月第一轮"))
    row = repo.get_round(db, committee_id(db), rid)
    assert row.from_lists and row.status == "optimal" and row.actor == "王书记"
    import json
    assert json.loads(row.input_json)["params"]["max_distance_m"] == 15 * 80  # minutes at 80 m a minute
    r = console.get(f"/console/rounds/{rid}")
    html, text = r.get_data(as_text=True), text_of(r)
    assert r.status_code == 200 and "十二月第一轮" in text
    for word in ("覆盖率", "项目数", "平均步行", "各社区覆盖率", "核桃园社区", "龙泽园社区"):
        assert word in text
    assert '<svg id="map-svg"' in html and 'class="min"' in html
    assert "同类资源都超出步行距离" in text and "附近的资源不具备所需技能或条件" in text  # N-003, N-005
    assert "没有同类别的资源" in text  # N-006
    assert "缺少所需技能或条件：书法" in text and "超过步行范围 1,200 米" in text  # the why panels
    projects = repo.list_projects(db, rid, {})
    assert projects and all(f'data-project="{p.project_id}"' in html for p in projects)
    listing = text_of(console.get("/console/rounds"))
    assert "十二月第一轮" in listing and "最优（已证明）" in listing


def test_decisions_per_row_and_in_bulk(console, db):
    seed_lists(db, committee_id(db))
    rid = _round_id(_new_round(console))
    ids = [p.project_id for p in repo.list_projects(db, rid, {})]
    assert len(ids) >= 3
    console.get(f"/console/rounds/{rid}")
    assert console.post(f"/console/rounds/{rid}/decisions", {"project_id": ids[0], "to": "approved"}).status_code == 302
    r = console.client.post(f"/console/rounds/{rid}/decisions", data={"csrf_token": console.csrf, "to": "held",
                                                                      "project_id": ids[1:3]})
    assert r.status_code == 302
    status = {p.project_id: p.status for p in repo.list_projects(db, rid, {})}
    assert status[ids[0]] == "approved" and status[ids[1]] == status[ids[2]] == "held"
    page = text_of(console.get(f"/console/rounds/{rid}"))
    assert "已暂缓 2 个项目" in page
    no_reason = console.post(f"/console/rounds/{rid}/decisions", {"project_id": ids[1], "to": "rejected"})
    assert no_reason.status_code == 302
    assert "须填写原因" in text_of(console.get(f"/console/rounds/{rid}"))
    assert {p.project_id: p.status for p in repo.list_projects(db, rid, {})}[ids[1]] == "held"  # nothing changed
    console.post(f"/console/rounds/{rid}/decisions", {"project_id": ids[1], "to": "rejected", "reason": "居民不同意"})
    again = console.post(f"/console/rounds/{rid}/decisions", {"project_id": ids[0], "to": "rejected", "reason": "x"})
    assert again.status_code == 302
    assert "当前状态不允许" in text_of(console.get(f"/console/rounds/{rid}"))  # approved -> rejected is refused
    rows = {p["project_id"]: p for p in cycle.list_projects(db, committee_id(db), {"round_id": rid}, 0, 100)[0]}
    assert rows[ids[1]]["status"] == "rejected" and rows[ids[1]]["reason"] == "居民不同意"


def test_exports(console, db):
    seed_lists(db, committee_id(db))
    rid = _round_id(_new_round(console))
    x = console.client.get(f"/console/rounds/{rid}/projects.xlsx")
    assert x.status_code == 200 and "attachment" in x.headers["Content-Disposition"]
    names = zipfile.ZipFile(io.BytesIO(x.data)).namelist()
    assert "xl/workbook.xml" in names
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(x.data))
    assert wb.sheetnames[0] == "项目清单" and wb["项目清单"].max_row == 1 + len(repo.list_projects(db, rid, {}))
    h = console.client.get(f"/console/rounds/{rid}/report.html")
    assert h.status_code == 200 and "<svg" in h.get_data(as_text=True) and "attachment" in h.headers["Content-Disposition"]


def test_form_errors_sit_by_their_field(console, db):
    seed_lists(db, committee_id(db))
    r = _new_round(console, walk="很远")
    assert r.status_code == 422 and re.search(r'id="e-walk">须为数字', r.get_data(as_text=True))
    r = _new_round(console, walk="0")
    assert r.status_code == 422 and re.search(r'id="e-walk">须大于 0', r.get_data(as_text=True))
    r = _new_round(console, fairness="on", ratio="2")
    assert r.status_code == 422 and re.search(r'id="e-ratio">须不大于 1', r.get_data(as_text=True))
    r = _new_round(console, rounds_per_year="0")
    assert r.status_code == 422 and "e-rounds_per_year" in r.get_data(as_text=True)


def test_fairness_block(console, db):
    seed_lists(db, committee_id(db))
    rid = _round_id(_new_round(console, fairness="on", mode="leximin", ratio="0.8"))
    text = text_of(console.get(f"/console/rounds/{rid}"))
    assert "已启用公平" in text and "逐级最大最小" in text and "最低覆盖率" in text


def test_a_queued_round_shows_its_progress_then_its_result(console, db, app):
    seed_lists(db, committee_id(db))
    rid = _round_id(_new_round(console, background="on"))
    page = console.get(f"/console/rounds/{rid}")
    assert 'data-poll="/console/rounds/' in page.get_data(as_text=True) and "排队中" in text_of(page)
    assert console.get(f"/console/rounds/{rid}/status.json").json == {
        "id": rid, "status": "queued", "status_text": "排队中", "finished": False, "message": None}
    from matcher.worker import Worker, WorkerSettings
    assert Worker(db, WorkerSettings.from_config(app.config), worker_id="t").run_once()
    assert console.get(f"/console/rounds/{rid}/status.json").json["finished"] is True
    assert "各社区覆盖率" in text_of(console.get(f"/console/rounds/{rid}"))


def test_another_committees_round_is_not_found(console, other_console, db):
    seed_lists(db, committee_id(db))
    rid = _round_id(_new_round(console))
    pid = repo.list_projects(db, rid, {})[0].project_id
    for path in ("", "/status.json", "/projects.xlsx", "/report.html"):
        assert other_console.get(f"/console/rounds/{rid}{path}").status_code == 404, path
    assert other_console.post(f"/console/rounds/{rid}/decisions", {"project_id": pid, "to": "approved"}).status_code == 404
    assert repo.list_projects(db, rid, {})[0].status == "proposed"
    assert rid not in other_console.get("/console/rounds").get_data(as_text=True)
