"""Importing a committee's Excel / CSV lists into its stored lists (matcher.store.lists_import, `matcher lists
import`): the preview's additions, changes and withdrawals exactly, apply all or nothing with its audit events,
row-numbered errors gathered at once, committees kept apart, the bundled templates, the CLI on a SQLite file."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher.cli import main
from matcher.errors import ConflictError, SheetReadError, TableError
from matcher.store import Database, audit, lists, lists_import, migrate, repo
from matcher.tabular.entries import read_entry_file
from matcher.tabular.sheets import SheetOut, write_csv, write_xlsx
from matcher.tabular.templates import (COMMUNITY_ROWS, NEED_ROWS, PROVIDER_ROWS, RESOURCE_ROWS, template_sheets,
                                       write_templates)

TEMPLATE_ROWS = len(COMMUNITY_ROWS) + len(PROVIDER_ROWS) + len(RESOURCE_ROWS) + len(NEED_ROWS)
LIST_ONLY = ("status", "created_at", "updated_at", "origin_project_id")


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'matcher.sqlite'}")
    migrate(database)
    yield database
    database.dispose()


def committee(db: Database, name: str) -> str:
    return repo.committee_for_token(db, repo.create_token(db, name))


def sheets(edit=None) -> dict[str, SheetOut]:
    """The template's list sheets (copies), optionally edited in place by ``edit(sheets)``."""
    out = {s.title: SheetOut(s.title, list(s.headers), [list(r) for r in s.rows])
           for s in template_sheets() if s.title in ("社区", "提供方", "资源清单", "需求清单")}
    if edit is not None:
        edit(out)
    return out


def book(path: Path, by_title: dict[str, SheetOut]) -> Path:
    write_xlsx(path, list(by_title.values()))
    return path


def row_of(sheet: SheetOut, entry_id: str) -> list:
    return next(r for r in sheet.rows if r[0] == entry_id)


def stored(db: Database, cid: str) -> dict[tuple[str, str], dict]:
    with db.read() as s:
        found = lists.lists_of(s, cid)
    groups = {"community": found.communities, "provider": found.providers, "resource": found.resources,
              "need": found.needs}
    return {(kind, e["id"]): e for kind, entries in groups.items() for e in entries}


def fields_of(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if k not in LIST_ONLY}


def imported(db: Database, cid: str, path: Path, actor: str = "王主任") -> lists_import.ImportPlan:
    return lists_import.apply(db, cid, actor, read_entry_file(path))


def _edited(s: dict[str, SheetOut]) -> None:
    """N-001: 150 -> 160 units, its 优先级 left blank (4 -> the default 3); N-005 gone; N-006 new."""
    needs = s["需求清单"]
    n1 = row_of(needs, "N-001")
    n1[3], n1[6] = 160, None
    needs.rows = [r for r in needs.rows if r[0] != "N-005"]
    needs.rows.append(["N-006", "C-XJK", "技能服务", 2, 39.94, 116.34, 5, None, None, None, None])


def test_preview_shows_exactly_what_is_added_changed_and_withdrawn(db, tmp_path):
    cid = committee(db, "西城区党建协调委员会")
    imported(db, cid, book(tmp_path / "first.xlsx", sheets()))
    before = stored(db, cid)
    plan = lists_import.preview(db, cid, read_entry_file(book(tmp_path / "三单.xlsx", sheets(_edited))))
    assert plan.added == [{"kind": "need", "id": "N-006", "sheet": "三单.xlsx [需求清单]", "row": 6, "entry": {
        "id": "N-006", "community_id": "C-XJK", "category": "技能服务", "quantity": 2, "lat": 39.94, "lon": 116.34,
        "priority": 5}}]
    assert plan.changed == [{"kind": "need", "id": "N-001", "sheet": "三单.xlsx [需求清单]", "row": 2, "fields": [
        {"field": "quantity", "before": 150, "after": 160}, {"field": "priority", "before": 4, "after": 3}]}]
    assert plan.withdrawn == [{"kind": "need", "id": "N-005", "entry": fields_of(before["need", "N-005"])}]
    assert plan.unchanged == TEMPLATE_ROWS - 2
    assert plan.kinds == ["communities", "providers", "resources", "needs"] and not plan.applied
    assert stored(db, cid) == before  # a preview writes nothing


def test_apply_then_preview_again_shows_nothing_to_do_and_every_change_is_an_audit_event(db, tmp_path):
    cid = committee(db, "西城区党建协调委员会")
    imported(db, cid, book(tmp_path / "first.xlsx", sheets()))
    first_events = len(audit.all_events(db, cid))
    path = book(tmp_path / "三单.xlsx", sheets(_edited))
    plan = imported(db, cid, path)
    assert plan.applied and (len(plan.added), len(plan.changed), len(plan.withdrawn)) == (1, 1, 1)
    again = lists_import.preview(db, cid, read_entry_file(path))
    assert (again.added, again.changed, again.withdrawn, again.unchanged) == ([], [], [], TEMPLATE_ROWS)
    after = stored(db, cid)
    assert after["need", "N-001"]["quantity"] == 160 and "priority" not in after["need", "N-001"]
    assert after["need", "N-005"]["status"] == "withdrawn" and after["need", "N-006"]["status"] == "active"
    events = audit.all_events(db, cid)[first_events:]
    assert [(e["kind"], e["subject"]) for e in events] == [  # in file order, withdrawals last
        ("need.changed", "N-001"), ("need.created", "N-006"), ("need.withdrawn", "N-005")]
    assert {(e["actor"], e["note"]) for e in events} == {("王主任", "import 三单.xlsx")}
    changed = events[0]
    assert (changed["before"]["quantity"], changed["after"]["quantity"]) == (150, 160)
    assert audit.verify(db, cid) == (first_events + 3, None)


def test_bad_rows_are_all_named_with_sheet_row_and_id_and_nothing_changes(db, tmp_path):
    cid = committee(db, "西城区党建协调委员会")
    imported(db, cid, book(tmp_path / "first.xlsx", sheets()))
    before, events = stored(db, cid), audit.all_events(db, cid)

    def broken(s: dict[str, SheetOut]) -> None:
        row_of(s["资源清单"], "R-002")[3] = "abc"
        row_of(s["资源清单"], "R-003")[1] = "U-404"
        row_of(s["需求清单"], "N-003")[3] = 0
        s["需求清单"].rows.append(["N-001", "C-HTY", "停车位", 5, 39.91, 116.35, None, None, None, None, None])

    with pytest.raises(TableError) as info:
        imported(db, cid, book(tmp_path / "三单.xlsx", sheets(broken)))
    assert [str(p) for p in info.value.problems] == [
        "三单.xlsx [资源清单] row 3 (资源编号 R-002): 容量: must be an integer (got 'abc')",
        "三单.xlsx [资源清单] row 4 (资源编号 R-003): 提供方编号: no provider 'U-404' in 三单.xlsx [提供方]",
        "三单.xlsx [需求清单] row 4 (需求编号 N-003): 数量: must be >= 1",
        "三单.xlsx [需求清单] row 7 (需求编号 N-001): 需求编号: N-001 is also on row 2",
    ]
    assert stored(db, cid) == before and audit.all_events(db, cid) == events


def test_a_failure_while_writing_rolls_every_change_back(db, tmp_path, monkeypatch):
    cid = committee(db, "西城区党建协调委员会")
    imported(db, cid, book(tmp_path / "first.xlsx", sheets()))
    before, events = stored(db, cid), audit.all_events(db, cid)

    def fail(*args, **kwargs):
        raise RuntimeError("disk gone")

    monkeypatch.setattr(lists, "retire", fail)  # the withdrawal comes after the addition and the change
    with pytest.raises(RuntimeError):
        imported(db, cid, book(tmp_path / "三单.xlsx", sheets(_edited)))
    assert stored(db, cid) == before and audit.all_events(db, cid) == events


def test_only_the_lists_the_file_holds_are_withdrawn_from(db, tmp_path):
    cid = committee(db, "西城区党建协调委员会")
    imported(db, cid, book(tmp_path / "first.xlsx", sheets()))
    only_needs = sheets(_edited)
    needs = tmp_path / "需求清单.csv"
    write_csv(needs, only_needs["需求清单"].headers, only_needs["需求清单"].rows)
    plan = lists_import.preview(db, cid, read_entry_file(needs))
    assert plan.kinds == ["needs"]
    assert [(w["kind"], w["id"]) for w in plan.withdrawn] == [("need", "N-005")]
    assert plan.unchanged == len(NEED_ROWS) - 2


def test_withdrawing_what_stored_entries_still_name_is_refused(db, tmp_path):
    cid = committee(db, "西城区党建协调委员会")
    imported(db, cid, book(tmp_path / "first.xlsx", sheets()))
    providers = sheets()["提供方"]
    path = tmp_path / "提供方.csv"
    write_csv(path, providers.headers, [r for r in providers.rows if r[0] != "U-002"])
    with pytest.raises(TableError) as info:
        lists_import.preview(db, cid, read_entry_file(path))
    assert [str(p) for p in info.value.problems] == [
        "提供方.csv: provider U-002 is not in the file, so the import would withdraw it, but the active resources "
        "R-002, R-003 still name it: keep it, or import the resources too"]


def test_a_withdrawn_id_cannot_come_back_and_a_reference_to_what_the_import_withdraws_is_named(db, tmp_path):
    cid = committee(db, "西城区党建协调委员会")
    imported(db, cid, book(tmp_path / "first.xlsx", sheets()))
    lists.withdraw(db, cid, "王主任", "need", "N-004")

    def edit(s: dict[str, SheetOut]) -> None:
        s["提供方"].rows = [r for r in s["提供方"].rows if r[0] != "M-0002"]  # R-005 still names it

    with pytest.raises(TableError) as info:
        lists_import.preview(db, cid, read_entry_file(book(tmp_path / "三单.xlsx", sheets(edit))))
    assert [str(p) for p in info.value.problems] == [
        "三单.xlsx [资源清单] row 6 (资源编号 R-005): 提供方编号: provider 'M-0002' is not in 三单.xlsx [提供方], "
        "so the import withdraws it",
        "三单.xlsx [需求清单] row 5 (需求编号 N-004): 需求编号: need N-004 was withdrawn from the lists; give the "
        "entry a new id"]


def test_fields_without_a_column_are_kept_and_a_blank_cell_removes_its_field(db, tmp_path):
    cid = committee(db, "西城区党建协调委员会")
    path = book(tmp_path / "三单.xlsx", sheets())
    imported(db, cid, path)
    lists.change(db, cid, "王主任", "need", "N-002", {"note": "家长联名", "rounds_unmet": 2})
    assert lists_import.preview(db, cid, read_entry_file(path)).unchanged == TEMPLATE_ROWS

    def blank(s: dict[str, SheetOut]) -> None:
        row_of(s["需求清单"], "N-002")[8] = None  # 必需标签 作业辅导 -> none

    plan = imported(db, cid, book(tmp_path / "blank.xlsx", sheets(blank)))
    assert plan.changed[0]["fields"] == [{"field": "required_tags", "before": ["作业辅导"], "after": []}]
    need = stored(db, cid)["need", "N-002"]
    assert (need["note"], need["rounds_unmet"]) == ("家长联名", 2) and "required_tags" not in need


def test_a_stale_digest_is_refused_and_a_current_one_applies(db, tmp_path):
    cid = committee(db, "西城区党建协调委员会")
    imported(db, cid, book(tmp_path / "first.xlsx", sheets()))
    file = read_entry_file(book(tmp_path / "三单.xlsx", sheets(_edited)))
    digest = lists_import.preview(db, cid, file).digest
    lists.change(db, cid, "李委员", "need", "N-002", {"quantity": 13})
    before = stored(db, cid)
    with pytest.raises(ConflictError) as info:
        lists_import.apply(db, cid, "王主任", file, expect=digest)
    assert info.value.problems[0].path == "expect" and stored(db, cid) == before
    fresh = lists_import.preview(db, cid, file)
    assert fresh.digest != digest and [c["id"] for c in fresh.changed] == ["N-001", "N-002"]
    assert lists_import.apply(db, cid, "王主任", file, expect=fresh.digest).applied


def test_committees_are_kept_apart(db, tmp_path):
    ours, theirs = committee(db, "西城区党建协调委员会"), committee(db, "湖州某街道委员会")
    imported(db, theirs, book(tmp_path / "theirs.xlsx", sheets(_edited)))
    their_lists, their_events = stored(db, theirs), audit.all_events(db, theirs)
    plan = imported(db, ours, book(tmp_path / "三单.xlsx", sheets()))
    assert len(plan.added) == TEMPLATE_ROWS and not plan.changed and not plan.withdrawn  # theirs are invisible
    assert stored(db, theirs) == their_lists and audit.all_events(db, theirs) == their_events
    assert {e["status"] for e in stored(db, ours).values()} == {"active"}
    assert len(stored(db, ours)) == TEMPLATE_ROWS


def test_the_bundled_templates_import_cleanly(db, tmp_path):
    write_templates(tmp_path / "t")
    cid = committee(db, "西城区党建协调委员会")
    book_plan = lists_import.preview(db, cid, read_entry_file(tmp_path / "t" / "三单模板.xlsx"))
    folder_plan = lists_import.preview(db, cid, read_entry_file(tmp_path / "t"))
    assert book_plan.digest == folder_plan.digest and len(book_plan.added) == TEMPLATE_ROWS
    assert any("参数" in note for note in book_plan.notes)
    assert imported(db, cid, tmp_path / "t" / "三单模板.xlsx").applied
    for name in ("社区.csv", "提供方.csv", "资源清单.csv", "需求清单.csv"):
        again = lists_import.preview(db, cid, read_entry_file(tmp_path / "t" / name))
        assert (again.added, again.changed, again.withdrawn) == ([], [], []), name


def test_a_lone_csv_is_told_by_its_header_and_members_minimum_is_read(db, tmp_path):
    cid = committee(db, "西城区党建协调委员会")
    imported(db, cid, book(tmp_path / "first.xlsx", sheets()))
    providers = sheets()["提供方"]
    path = tmp_path / "upload.csv"
    write_csv(path, [*providers.headers, "每年最少项目数"],
              [[*r, 4 if r[2] == "党员" else None] for r in providers.rows])
    plan = lists_import.preview(db, cid, read_entry_file(path))
    assert plan.kinds == ["providers"]
    assert [(c["id"], c["fields"]) for c in plan.changed] == [
        (m, [{"field": "min_projects_year", "before": None, "after": 4}]) for m in ("M-0001", "M-0002")]
    unknown = tmp_path / "other.csv"
    unknown.write_text("id,x\n1,2\n", encoding="utf-8")
    with pytest.raises(SheetReadError, match="cannot tell which list"):
        read_entry_file(unknown)


# --- the command line, against a SQLite file ------------------------------------------------------

def _cli(*args: str):
    return CliRunner().invoke(main, list(args))


def test_cli_previews_then_applies(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    assert _cli("token", "create", "--committee", "西城区党建协调委员会", "--database-url", url).exit_code == 0
    write_templates(tmp_path / "t")
    path = str(tmp_path / "t" / "三单模板.xlsx")
    args = ["lists", "import", path, "--committee", "西城区党建协调委员会", "--database-url", url]
    preview = _cli(*args)
    assert preview.exit_code == 0, preview.output
    assert f"preview: {TEMPLATE_ROWS} to add, 0 to change, 0 to withdraw, 0 unchanged" in preview.stdout
    assert "N-005" in preview.stdout and "三单模板.xlsx [需求清单] row 6" in preview.stdout
    db = Database(url)
    cid = repo.committee_for_token(db, repo.create_token(db, "西城区党建协调委员会"))
    assert audit.all_events(db, cid) == []
    applied = _cli(*args, "--apply", "--actor", "王主任")
    assert applied.exit_code == 0, applied.output
    assert f"applied: {TEMPLATE_ROWS} added, 0 changed, 0 withdrawn, 0 unchanged" in applied.stdout
    assert {e["actor"] for e in audit.all_events(db, cid)} == {"王主任"}
    again = _cli(*args)
    assert f"0 to add, 0 to change, 0 to withdraw, {TEMPLATE_ROWS} unchanged" in again.stdout
    db.dispose()


def test_cli_refuses_bad_rows_and_an_unknown_committee_with_exit_2(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    _cli("token", "create", "--committee", "西城区党建协调委员会", "--database-url", url)

    def broken(s: dict[str, SheetOut]) -> None:
        row_of(s["需求清单"], "N-003")[3] = 0

    path = str(book(tmp_path / "三单.xlsx", sheets(broken)))
    bad = _cli("lists", "import", path, "--committee", "西城区党建协调委员会", "--apply", "--database-url", url)
    assert bad.exit_code == 2
    assert "三单.xlsx [需求清单] row 4 (需求编号 N-003): 数量: must be >= 1" in bad.stderr
    assert "nothing was changed" in bad.stderr
    db = Database(url)
    cid = repo.committee_for_token(db, repo.create_token(db, "西城区党建协调委员会"))
    assert audit.all_events(db, cid) == [] and stored(db, cid) == {}
    db.dispose()
    unknown = _cli("lists", "import", path, "--committee", "无此委员会", "--database-url", url)
    assert unknown.exit_code == 2 and "no committee '无此委员会'" in unknown.stderr
    lone = _cli("lists", "import", path, "--committee", "西城区党建协调委员会", "--expect", "0" * 64,
                "--database-url", url)
    assert lone.exit_code == 2 and "--expect" in lone.stderr


def test_a_reopened_need_is_not_withdrawn_by_leaving_it_out_of_the_file(db, tmp_path):
    """Needs the cycle reopened from a project are not in the committee's spreadsheet: re-importing it keeps them."""
    from sqlalchemy import select

    from matcher.store.models import ListEntry

    cid = committee(db, "西城区党建协调委员会")
    path = book(tmp_path / "lists.xlsx", sheets())
    imported(db, cid, path)
    need = {**fields_of(stored(db, cid)[("need", "N-001")]), "id": "N-001-R1"}
    lists.create(db, cid, "cycle", "need", need)

    def mark(s):
        s.scalar(select(ListEntry).where(ListEntry.committee_id == cid, ListEntry.entry_id == "N-001-R1")
                 ).origin_project_id = "R-1.P-0001"
    db.write(mark)
    plan = lists_import.preview(db, cid, read_entry_file(path))
    assert plan.withdrawn == [] and plan.added == [] and plan.changed == []
    imported(db, cid, path)
    assert stored(db, cid)[("need", "N-001-R1")]["status"] == "active"
