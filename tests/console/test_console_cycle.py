"""The cycle in the console: compare two rounds, the projects board, feedback, figures, the audit log."""
from __future__ import annotations

from sqlalchemy import update

from consolehelpers import committee_id, seed_lists, text_of
from matcher.store import cycle, lists, repo
from matcher.store.models import AuditEventRow


def _round(console, name):
    console.get("/console/rounds/new")
    r = console.post("/console/rounds/new", {"walk": "1500", "walk_unit": "metres", "name": name})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    return r.headers["Location"].rsplit("/", 1)[-1]


def _decide(console, rid, pid, to, reason=""):
    console.get(f"/console/rounds/{rid}")
    form = {"project_id": pid, "to": to}
    if reason:
        form["reason"] = reason
    assert console.post(f"/console/rounds/{rid}/decisions", form).status_code == 302


def test_the_next_round_keeps_the_approved_projects(console, db):
    seed_lists(db, committee_id(db))
    first = _round(console, "第一轮")
    projects = repo.list_projects(db, first, {})
    approved, rejected = projects[0], projects[1]
    _decide(console, first, approved.project_id, "approved")
    _decide(console, first, rejected.project_id, "rejected", "场地不合适")
    second = _round(console, "第二轮")
    r = console.get(f"/console/compare?a={first}&b={second}")
    html, text = r.get_data(as_text=True), text_of(r)
    assert r.status_code == 200
    kept = html[html.index('id="kept"'):html.index('id="added"')]
    assert approved.need_id in kept and approved.resource_id in kept and "已通过" in kept and "锁定" in kept
    pairs = {(p.need_id, p.resource_id) for p in repo.list_projects(db, second, {})}
    assert (rejected.need_id, rejected.resource_id) not in pairs  # a rejected pair is forbidden next time
    removed = html[html.index('id="removed"'):html.index('id="changed"')]
    assert rejected.need_id in removed and "不通过" in removed
    assert "指标变化" in text and "覆盖率" in text and "服务价值" in text
    assert "与上一轮未决定项目相比的变动" in text  # churn: the second round was built with previous


def test_the_board_moves_a_project_along_its_lifecycle_and_records_feedback(console, db):
    cid = committee_id(db)
    seed_lists(db, cid)
    rid = _round(console, "一轮")
    p = next(p for p in repo.list_projects(db, rid, {}) if p.need_id == "N-002")
    gid = f"{rid}.{p.project_id}"
    page = console.get("/console/projects")
    assert f'data-id="{gid}"' in page.get_data(as_text=True)
    assert console.post(f"/console/projects/{gid}/decide", {"to": "approved"}).status_code == 302
    for to in ("in_service", "done"):
        console.get("/console/projects")
        assert console.post(f"/console/projects/{gid}/events", {"to": to}).status_code == 302
    assert cycle.get_project(db, cid, gid)["status"] == "done"
    console.get("/console/projects")
    refused = console.post(f"/console/projects/{gid}/events", {"to": "in_service"})
    assert refused.status_code == 302 and "当前状态不允许" in text_of(console.get("/console/projects"))
    r = console.post(f"/console/projects/{gid}/events", {"resolved": "no", "satisfaction": "2", "comment": "车位太远"})
    assert r.status_code == 302
    assert cycle.get_project(db, cid, gid)["status"] == "reopened"
    board = text_of(console.get("/console/projects"))
    assert "回到需求清单" in board
    reopened = [n for n in lists.listing(db, cid, "need", {}, 0, None)[0] if n.get("origin_project_id") == gid]
    assert reopened and reopened[0]["quantity"] == p.quantity


def test_a_failed_project_needs_a_reason(console, db):
    cid = committee_id(db)
    seed_lists(db, cid)
    rid = _round(console, "一轮")
    gid = f"{rid}.{repo.list_projects(db, rid, {})[0].project_id}"
    console.get("/console/projects")
    console.post(f"/console/projects/{gid}/decide", {"to": "approved"})
    console.get("/console/projects")
    console.post(f"/console/projects/{gid}/events", {"to": "in_service"})
    console.get("/console/projects")
    console.post(f"/console/projects/{gid}/events", {"to": "failed"})
    assert "须填写原因" in text_of(console.get("/console/projects"))
    assert cycle.get_project(db, cid, gid)["status"] == "in_service"
    console.post(f"/console/projects/{gid}/events", {"to": "failed", "reason": "no_show"})
    assert cycle.get_project(db, cid, gid)["status"] == "failed"


def test_figures_and_members_behind_their_minimum(console, db):
    cid = committee_id(db)
    seed_lists(db, cid)
    rid = _round(console, "一轮")
    for p in repo.list_projects(db, rid, {}):
        _decide(console, rid, p.project_id, "approved")
    r = console.get("/console/figures")
    text = text_of(r)
    assert r.status_code == 200 and "核桃园社区" in text and "通过率" in text and "100.0%" in text
    members = r.get_data(as_text=True)
    members = members[members.index('id="members"'):]
    assert "张颖" in members and "年度最少" in members
    by_provider = text_of(console.get("/console/figures?by=provider"))
    assert "某部委机关" in by_provider


def test_the_audit_page_shows_the_chain_and_a_break(console, db):
    cid = committee_id(db)
    seed_lists(db, cid)
    page = text_of(console.get("/console/audit"))
    assert "审计链完整" in page and "需求新增" in page and "王书记" in page
    db.write(lambda s: s.execute(update(AuditEventRow).where(AuditEventRow.committee_id == cid,
                                                             AuditEventRow.seq == 3).values(actor="someone else")))
    broken = text_of(console.get("/console/audit"))
    assert "审计链不完整" in broken and "第 3 条事件" in broken


def test_other_committees_see_nothing_of_it(console, other_console, db):
    seed_lists(db, committee_id(db))
    rid = _round(console, "一轮")
    gid = f"{rid}.{repo.list_projects(db, rid, {})[0].project_id}"
    assert other_console.get(f"/console/compare?a={rid}&b={rid}").status_code == 404
    assert other_console.post(f"/console/projects/{gid}/decide", {"to": "approved"}).status_code == 404
    assert other_console.post(f"/console/projects/{gid}/events", {"to": "in_service"}).status_code == 404
    assert gid not in other_console.get("/console/projects").get_data(as_text=True)
    assert "王书记" not in text_of(other_console.get("/console/audit"))
    assert "核桃园社区" not in text_of(other_console.get("/console/figures"))
