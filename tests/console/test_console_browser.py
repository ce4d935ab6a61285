"""The whole committee cycle in headless Chromium against a real `matcher serve`, with no request leaving it.

Sign in, import the template lists through the import page (or, where
the import is not installed, fill the lists through the forms), run a round (in the background:
the page follows its progress), approve some projects and reject one, run
the next round, compare the two and see the approved projects kept, post a
micro-wish and apply a fit, carry an approved project through to the
residents' feedback, and read the year's figures. Every request that is not
to the app's own origin is aborted and fails the test; so does any script
error or CSP violation. Screenshots go to ``$MATCHER_ARTIFACTS/console``
(default: the test's temporary folder).
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from browser import chromium_or_skip, launch_offline
from consolehelpers import COMMUNITIES, NEEDS, PROVIDERS, RESOURCES
from consoleserver import Server, create_token

COMMITTEE, ACTOR = "西城区党建协调委员会", "王书记"


@dataclass(frozen=True)
class Lists:
    """What the clerk puts in the lists, and what the later steps look for."""

    community: str  # a community's name the figures show
    wish: dict  # the new micro-wish's form fields (community and priority are chosen from lists)


SEEDED = Lists("核桃园社区", {"id": "W-001", "category": "parking", "quantity": "2", "name": "老人临时停车",
                            "lat": "39.9102", "lon": "116.3492", "community_id": "C-HTY"})
TEMPLATE = Lists("和平里社区", {"id": "W-001", "category": "课后托管", "quantity": "2", "name": "双职工家庭课后看护",
                              "lat": "39.9085", "lon": "116.3470", "community_id": "C-LZY"})


def _text(value) -> str:
    if isinstance(value, list):
        return "、".join(value)
    return str(value)


class Clerk:
    """The browser page and what a clerk does with it."""

    def __init__(self, page, base: str, shots: Path):
        self.page, self.base, self.shots, self.n = page, base, shots, 0

    def go(self, path: str):
        self.page.goto(self.base + path, wait_until="load")

    def shot(self, name: str) -> Path:
        self.n += 1
        path = self.shots / f"{self.n:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def add(self, list_name: str, entry: dict):
        self.go(f"/console/lists/{list_name}/new")
        for key, value in entry.items():
            box = self.page.locator(f"#f-{key}")
            if box.count() == 0:
                continue  # a field the form does not have (e.g. the list-only ones)
            tag = box.evaluate("e => e.tagName + ':' + (e.type || '')")
            if tag.startswith("SELECT"):
                box.select_option(_text(value))
            elif tag == "INPUT:checkbox":
                box.set_checked(bool(value))
            else:
                box.fill(_text(value))
        self.page.click("button[type=submit]:has-text('保存')")
        assert "/new" not in self.page.url, self.page.inner_text("main")[:500]

    def flash(self) -> str:
        return " ".join(self.page.locator(".flash").all_inner_texts())


def _network_guard(ctx, base: str, blocked: list[str]):
    def route(r):
        url = r.request.url
        if url.startswith((base + "/", "data:", "about:", "blob:")):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    ctx.route("**/*", route)


def _fill_lists(clerk: Clerk):
    for name, items in (("communities", COMMUNITIES), ("providers", PROVIDERS), ("resources", RESOURCES),
                        ("needs", NEEDS)):
        for item in items:
            clerk.add(name, item)
    clerk.go("/console/lists/needs")
    assert clerk.page.locator("#entries tbody tr").count() == len(NEEDS)
    clerk.shot("needs-list")


def _import_template(clerk: Clerk, folder: Path):
    """Download the blank template from the import page, upload it, read the preview, apply it."""
    clerk.go("/console/lists/import")
    with clerk.page.expect_download() as got:
        clerk.page.click("a:has-text('下载空白模板')")
    book = folder / "三单模板.xlsx"
    got.value.save_as(book)
    clerk.page.set_input_files("#f-file", str(book))
    clerk.page.click("#preview")
    plan = clerk.page.inner_text("#plan")
    assert "新增" in plan and "N-001" in plan
    clerk.shot("import-preview")
    clerk.page.click("#apply")
    assert "已导入" in clerk.flash()
    clerk.go("/console/lists/providers/M-0001/edit")  # a member's yearly minimum is kept in the lists only
    clerk.page.fill("#f-min_projects_year", "4")
    clerk.page.click("button[type=submit]:has-text('保存')")
    clerk.go("/console/lists/needs")
    assert clerk.page.locator("#entries tbody tr").count() >= 5
    clerk.shot("needs-list")


def _run_round(clerk: Clerk, name: str, background: bool) -> str:
    clerk.go("/console/rounds/new")
    clerk.page.fill("#f-name", name)
    clerk.page.fill("#f-walk", "1500")
    clerk.page.check("input[name=walk_unit][value=metres]")
    if background:
        clerk.page.check("input[name=background]")
    clerk.page.click("#run-round")
    if background and clerk.page.locator("#progress").count():
        clerk.shot("progress")  # the script polls the status and shows the result when it is there
    clerk.page.wait_for_selector("#kpis", timeout=60_000)
    clerk.shot(f"round-{name}")
    return clerk.page.url.rsplit("/", 1)[-1]


def _decide(clerk: Clerk) -> tuple[list[str], str]:
    rows = clerk.page.locator("#project-table tbody tr[data-status=proposed]")
    ids = [rows.nth(k).get_attribute("data-project") for k in range(rows.count())]
    assert len(ids) >= 3, ids
    approve, reject = ids[:2], ids[2]
    for pid in approve:
        clerk.page.check(f"input[form=bulk][value='{pid}']")
    clerk.page.click("#bulk button[value=approved]")
    assert "已通过 2 个项目" in clerk.flash()
    row = clerk.page.locator(f"#project-table tr[data-project='{reject}']")
    row.locator("input[name=reason]").fill("场地不合适")
    row.locator("button[value=rejected]").click()
    assert "已不通过 1 个项目" in clerk.flash()
    for pid in approve:
        assert clerk.page.locator(f"#project-table tr[data-project='{pid}']").get_attribute("data-status") == "approved"
    clerk.shot("decided")
    return approve, reject


def _compare(clerk: Clerk, approved_needs: list[str]):
    clerk.go("/console/rounds")
    clerk.page.click("a:has-text('比较最近两轮')")
    kept = clerk.page.inner_text("#kept")
    for need in approved_needs:
        assert need in kept
    assert "已通过" in kept
    clerk.shot("compare")


def _wish(clerk: Clerk, lists: Lists):
    clerk.go("/console/wish")
    for key, value in lists.wish.items():
        if key == "community_id":
            clerk.page.select_option("#f-community_id", value)
        else:
            clerk.page.fill(f"#f-{key}", value)
    clerk.page.select_option("#f-priority", "5")
    clerk.page.click("#ask")
    clerk.page.wait_for_selector("#options .option")
    clerk.shot("wish-options")
    clerk.page.click(".option[data-rank='1'] button:has-text('采用方案 1')")
    assert "W-001" in clerk.flash() and "/console/lists/needs" in clerk.page.url


def _feedback(clerk: Clerk, project: str):
    def ticket():
        return clerk.page.locator(f".ticket[data-id='{project}']")

    clerk.go("/console/projects")
    for word in ("开始实施", "已完成"):
        ticket().locator(f"button:has-text('{word}')").click()
    assert clerk.page.locator(f"#col-done .ticket[data-id='{project}']").count() == 1
    form = ticket().locator("form.feedback")
    form.locator("input[value=yes]").check()
    form.locator("select[name=satisfaction]").select_option("5")
    form.locator("input[name=comment]").fill("车位很方便")
    form.locator("button").click()
    assert clerk.page.locator(f"#col-confirmed .ticket[data-id='{project}']").count() == 1
    clerk.shot("board")


def test_the_whole_cycle_in_the_browser_offline(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    chromium_or_skip()
    shots = Path(os.environ.get("MATCHER_ARTIFACTS", tmp_path)) / "console"
    shots.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{tmp_path / 'matcher.sqlite'}"
    token = create_token(db_url, COMMITTEE, ACTOR)
    server = Server(db_url, tmp_path, POLL_S=0.05)
    blocked: list[str] = []
    errors: list[str] = []
    try:
        with tempfile.TemporaryDirectory() as profile, sync_api.sync_playwright() as pw:
            ctx = launch_offline(pw, profile, viewport={"width": 1280, "height": 900}, locale="zh-CN")
            try:
                _network_guard(ctx, server.base, blocked)
                page = ctx.pages[0] if ctx.pages else ctx.new_page()
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                clerk = Clerk(page, server.base, shots)
                clerk.go("/console/")
                assert "/console/signin" in page.url
                clerk.shot("signin")
                page.fill("#token", token)
                page.click("button[type=submit]")
                assert COMMITTEE in page.inner_text("header") and ACTOR in page.inner_text("header")
                _import_template(clerk, tmp_path)
                lists = TEMPLATE
                first = _run_round(clerk, "第一轮", background=True)
                approved, _rejected = _decide(clerk)
                approved_needs = [page.locator(f"#project-table tr[data-project='{p}'] td").nth(2).inner_text().split()[0]
                                  for p in approved]
                _run_round(clerk, "第二轮", background=False)
                _compare(clerk, approved_needs)
                _wish(clerk, lists)
                _feedback(clerk, f"{first}.{approved[0]}")
                clerk.go("/console/figures")
                figures = page.inner_text("#figures")
                assert lists.community in figures and "5.00" in figures  # the resident's satisfaction counts
                assert "张颖" in page.inner_text("#members")
                clerk.shot("figures")
                clerk.go("/console/audit")
                assert "审计链完整" in page.inner_text("#chain")
                clerk.shot("audit")
            except Exception:
                page.screenshot(path=str(shots / "failure.png"), full_page=True)
                raise
            finally:
                ctx.close()
    finally:
        server.stop()
    assert not blocked, f"the console tried to leave the machine: {blocked}"
    assert not errors, errors
    assert len(list(shots.glob("*.png"))) >= 9
