"""Lists in (CSV / XLSX, Chinese or English headers), round-trips, row-numbered errors, exports, templates, CLI."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from matcher.cli import main
from matcher.service import solve_round
from matcher.tabular import (ListSources, TableError, read_lists, read_table_dicts, round_sheets, write_lists,
                             write_result)
from matcher.validation import parse_round

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
TEMPLATES = ROOT / "scenarios" / "templates"

# Chinese text everywhere, and texts a spreadsheet would run as formulas
TRICKY = {
    "name": "西城区 “潮汐停车” 对接 =测试",
    "params": {"max_distance_m": 2500, "priority_weights": {"5": 20}},
    "providers": [
        {"id": "U-001", "name": "=HYPERLINK(\"http://x\",\"点我\")", "kind": "unit", "max_projects": 3},
        {"id": "M-0001", "name": "张颖", "kind": "member", "max_projects": 2, "community_id": "C-椿树"},
        {"id": "-M2", "name": "@李强", "kind": "member"},
    ],
    "resources": [
        {"id": "R-001", "provider_id": "U-001", "category": "停车位", "capacity": 120, "lat": 39.9075, "lon": 116.3512,
         "max_distance_m": 1000.0, "min_quantity": 10,
         "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "19:00", "end": "07:30"},
                     {"days": ["sat", "sun"], "start": "00:00", "end": "24:00"}]},
        {"id": "R-002", "provider_id": "M-0001", "category": "技能服务", "capacity": 3, "lat": 39.9090, "lon": 116.353,
         "tags": ["法律援助", "+心理疏导"], "windows": [{"days": ["sat"], "start": "09:00", "end": "12:00"}]},
        {"id": "R-003", "provider_id": "-M2", "category": "技能服务", "capacity": 1, "lat": 39.9068, "lon": 116.3441},
    ],
    "needs": [
        {"id": "N-001", "community_id": "C-椿树", "category": "停车位", "quantity": 150, "lat": 39.9101, "lon": 116.349,
         "priority": 5, "max_distance_m": 800.0,
         "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "20:00", "end": "07:00"}]},
        {"id": "N-002", "community_id": "C-椿树", "category": "技能服务", "quantity": 2, "lat": 39.9098, "lon": 116.3502,
         "required_tags": ["+心理疏导"], "all_or_nothing": True},
        {"id": "N-003", "community_id": "C-大栅栏", "category": "微心愿", "quantity": 1, "lat": 39.90, "lon": 116.34},
    ],
    "locked": [{"need_id": "N-001", "resource_id": "R-001", "quantity": 20}],
    "forbidden": [{"need_id": "N-002", "resource_id": "R-003"}],
}


@pytest.fixture()
def tricky():
    return parse_round(TRICKY)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_lists_round_trip_keeps_chinese_and_formula_text(tmp_path, tricky, fmt):
    out = tmp_path / ("三单.xlsx" if fmt == "xlsx" else "三单")
    write_lists(tricky, out)
    again = read_lists(ListSources(workbook=out))
    assert again.round == tricky
    # and once more through the written files: stable
    out2 = tmp_path / ("again.xlsx" if fmt == "xlsx" else "again")
    write_lists(again.round, out2)
    assert read_lists(ListSources(workbook=out2)).round == tricky


@pytest.mark.parametrize("sample", sorted(p.name for p in DATA.glob("*.json") if p.name != "expected.json"))
def test_sample_rounds_round_trip_through_xlsx(tmp_path, sample):
    rnd = parse_round((DATA / sample).read_bytes())
    write_lists(rnd, tmp_path / "book.xlsx")
    assert read_lists(ListSources(workbook=tmp_path / "book.xlsx")).round == rnd


def test_formula_cells_escaped_in_xlsx_and_csv(tmp_path, tricky):
    write_lists(tricky, tmp_path / "book.xlsx")
    wb = load_workbook(tmp_path / "book.xlsx")
    ws = wb["提供方"]
    names = {ws.cell(r, 1).value: ws.cell(r, 2) for r in range(2, ws.max_row + 1)}
    cell = names["U-001"]  # a text cell with a quote prefix, shown without a visible '
    assert cell.data_type == "s" and cell.value == "=HYPERLINK(\"http://x\",\"点我\")" and cell.quotePrefix
    assert names["-M2"].value == "@李强" and names["-M2"].quotePrefix
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", f"{ws.title}!{c.coordinate} is a formula"
                if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@", "\t", "\r")):
                    assert c.data_type == "s" and c.quotePrefix, f"{ws.title}!{c.coordinate}"
    write_lists(tricky, tmp_path / "csv")
    raw = (tmp_path / "csv" / "提供方.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    for row in rows:
        for value in row:
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    assert "'=HYPERLINK(\"http://x\",\"点我\")" in rows[1]


def _solved(rnd):
    return solve_round(rnd, timings=False).document


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_project_list_export_reads_back(tmp_path, tricky, suffix):
    result = _solved(tricky)
    assert result["projects"] and result["unmet"]
    files = write_result(result, tmp_path / f"项目清单{suffix}", tricky)
    if suffix == ".xlsx":
        wb = load_workbook(files[0])
        assert wb.sheetnames == ["项目清单", "未满足需求", "指标"]
        projects = read_table_dicts(files[0], "项目清单")
        unmet = read_table_dicts(files[0], "未满足需求")
        kpis = read_table_dicts(files[0], "指标")
    else:
        assert [f.name for f in files] == ["项目清单.csv", "项目清单_未满足需求.csv", "项目清单_指标.csv"]
        assert all(f.read_bytes().startswith(b"\xef\xbb\xbf") for f in files)
        projects, unmet, kpis = (read_table_dicts(f) for f in files)
    assert [str(p["项目编号"]) for p in projects] == [p["project_id"] for p in result["projects"]]
    for row, p in zip(projects, result["projects"]):
        assert row["需求编号"] == p["need_id"] and row["资源编号"] == p["resource_id"]
        assert row["社区编号"] == p["community_id"] and row["类别"] == p["category"]
        assert int(row["数量"]) == p["quantity"]
        assert row["锁定"] == ("是" if p["locked"] else "否")
    names = {p.id: p.name for p in tricky.providers}
    assert {row["提供方名称"] for row in projects} <= set(names.values())
    assert [r["需求编号"] for r in unmet] == [u["need_id"] for u in result["unmet"]]
    assert all(r["原因"] and r["原因代码"] == u["reason"] for r, u in zip(unmet, result["unmet"]))
    assert any(r["指标"] == "覆盖率" for r in kpis)


def test_exported_project_list_works_as_locks(tmp_path, tricky):
    result = _solved(tricky)
    write_lists(tricky, tmp_path / "book.xlsx")
    wb = load_workbook(tmp_path / "book.xlsx")
    del wb["锁定"]
    wb.save(tmp_path / "book.xlsx")
    write_result(result, tmp_path / "p.xlsx", tricky)
    rnd = read_lists(ListSources(workbook=tmp_path / "book.xlsx", locked=tmp_path / "p.xlsx")).round
    assert {(lk.need_id, lk.resource_id, lk.quantity) for lk in rnd.locked} == {
        (p["need_id"], p["resource_id"], p["quantity"]) for p in result["projects"]}


def _book(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


PROVIDERS = [["提供方编号", "提供方名称", "类型", "最多项目数"], ["U1", "某部委机关", "单位", None]]
RES_HEAD = ["资源编号", "提供方编号", "类别", "容量", "纬度", "经度", "服务时段"]
NEED_HEAD = ["需求编号", "社区编号", "类别", "数量", "纬度", "经度", "整体满足"]


def test_errors_name_file_row_and_chinese_header(tmp_path):
    resources = [RES_HEAD] + [[f"R{k}", "U1", "停车位", 5, 39.9, 116.3, None] for k in range(15)]
    resources.append(["R15", "U1", "停车位", 0, 39.9, 116.3, None])                 # row 17
    resources.append(["R16", "U9", "停车位", "很多", 95, 116.3, "周八 10:00-11:00"])  # row 18
    resources.append(["R3", "U1", "停车位", 2, 39.9, 116.3, None])                  # row 19
    needs = [NEED_HEAD, ["N1", "C1", "停车位", 5, 39.9, 116.3, "也许"], ["N2", "C1", "停车位", None, 39.9, 116.3, "是"]]
    _book(tmp_path / "资源清单.xlsx", {"Sheet1": resources})
    _book(tmp_path / "需求清单.xlsx", {"需求": needs})
    _book(tmp_path / "提供方.xlsx", {"Sheet1": PROVIDERS})
    with pytest.raises(TableError) as info:
        read_lists(ListSources(providers=tmp_path / "提供方.xlsx", resources=tmp_path / "资源清单.xlsx",
                               needs=tmp_path / "需求清单.xlsx"),
                   params={"max_distance_m": -1.0}, param_sources={"max_distance_m": "--max-distance"})
    lines = [str(p) for p in info.value.problems]
    assert lines == [
        "--max-distance: must be > 0.0",
        "资源清单.xlsx row 17, 容量: must be >= 1",
        "资源清单.xlsx row 18, 提供方编号: unknown provider 'U9'",
        "资源清单.xlsx row 18, 容量: must be an integer (got '很多')",
        "资源清单.xlsx row 18, 纬度: must be <= 90.0",
        "资源清单.xlsx row 18, 服务时段: cannot read '周八 10:00-11:00': unknown day '周八'",
        "资源清单.xlsx row 19, 资源编号: duplicate id 'R3' (first at row 5)",
        "需求清单.xlsx row 2, 整体满足: must be 是 or 否 (true/false), got '也许'",
        "需求清单.xlsx row 3, 数量: is required",
    ]


def test_header_not_on_first_row_and_missing_columns(tmp_path):
    _book(tmp_path / "三单.xlsx", {
        "提供方": PROVIDERS,
        "资源清单": [["2026年12月 资源清单（请勿删除表头）"], RES_HEAD[:3] + ["纬度", "经度"],
                  ["R1", "U1", "停车位", 39.9, 116.3]],
        "需求清单": [NEED_HEAD, ["N1", "C1", "停车位", 5, 39.9, 116.3, "否"]],
    })
    with pytest.raises(TableError) as info:
        read_lists(ListSources(workbook=tmp_path / "三单.xlsx"))
    assert [str(p) for p in info.value.problems] == ["三单.xlsx [资源清单] row 2: missing column 容量"]


def test_missing_list_and_lock_errors(tmp_path):
    _book(tmp_path / "b.xlsx", {
        "提供方": PROVIDERS,
        "资源清单": [RES_HEAD, ["R1", "U1", "停车位", 5, 39.9, 116.3, None]],
        "锁定": [["需求编号", "资源编号", "数量"], ["N9", "R1", 2]],
    })
    with pytest.raises(TableError) as info:
        read_lists(ListSources(workbook=tmp_path / "b.xlsx"))
    lines = [str(p) for p in info.value.problems]
    assert "no 需求清单 list: give --needs or a workbook with a sheet named 需求清单" in lines
    assert "b.xlsx [锁定] row 2, 需求编号: unknown need 'N9'" in lines


def test_csv_english_headers_gbk_and_bom(tmp_path):
    (tmp_path / "providers.csv").write_bytes(
        "id,name,kind,max_projects\nU1,某部委机关,unit,\nM1,张颖,member,2\n".encode("gb18030"))
    (tmp_path / "resources.csv").write_bytes(
        ("\ufeffid,provider_id,category,capacity,lat,lon,max_distance_m,tags,min_quantity,windows,notes\n"
         "R1,U1,parking,120,39.9075,116.3512,1000,,10,\"mon-fri 19:00-07:30; sat,sun 00:00-24:00\",夜间开放\n"
         "R2,M1,skill,2,39.909,116.353,,法律援助|科普,,sat 09:00-12:00,\n").encode("utf-8"))
    (tmp_path / "needs.csv").write_text(
        "id;community_id;category;quantity;lat;lon;priority;required_tags;all_or_nothing\n"
        "N1;C-HTY;parking;40;39.9101;116.349;4;;false\n"
        "N2;C-HTY;skill;1;39.9098;116.3502;5;科普;true\n", encoding="utf-8")
    imported = read_lists(ListSources(providers=tmp_path / "providers.csv", resources=tmp_path / "resources.csv",
                                      needs=tmp_path / "needs.csv"), params={"max_distance_m": 1500.0})
    rnd = imported.round
    assert rnd.providers[0].name == "某部委机关" and rnd.providers[1].kind == "member"
    assert rnd.resources[0].windows[1].days == ("sat", "sun") and rnd.resources[1].tags == ("法律援助", "科普")
    assert rnd.needs[1].all_or_nothing is True and rnd.needs[1].required_tags == ("科普",)
    assert rnd.params.max_distance_m == 1500.0
    assert any("notes" in note for note in imported.ignored_columns)


def test_templates_import_and_solve():
    book = read_lists(ListSources(workbook=TEMPLATES / "三单模板.xlsx"))
    folder = read_lists(ListSources(workbook=TEMPLATES))
    files = read_lists(ListSources(providers=TEMPLATES / "提供方.csv", resources=TEMPLATES / "资源清单.csv",
                                   needs=TEMPLATES / "需求清单.csv", params=TEMPLATES / "参数.csv"))
    assert book.round == folder.round == files.round
    assert book.round.name and len(book.round.resources) >= 3 and len(book.round.needs) >= 3
    assert {p.kind for p in book.round.providers} == {"unit", "member"}
    result = _solved(book.round)
    assert result["status"] == "optimal" and result["projects"]


def test_templates_are_what_the_code_writes(tmp_path):
    from matcher.tabular.templates import write_templates

    write_templates(tmp_path)
    for f in ("社区.csv", "提供方.csv", "资源清单.csv", "需求清单.csv", "参数.csv"):
        assert (tmp_path / f).read_bytes() == (TEMPLATES / f).read_bytes(), f
    assert read_lists(ListSources(workbook=tmp_path / "三单模板.xlsx")).round == \
        read_lists(ListSources(workbook=TEMPLATES / "三单模板.xlsx")).round
    assert load_workbook(TEMPLATES / "三单模板.xlsx").sheetnames == ["社区", "提供方", "资源清单", "需求清单", "参数", "说明"]


def test_round_sheets_headers_are_chinese(tricky):
    titles = [s.title for s in round_sheets(tricky)]
    assert titles == ["提供方", "资源清单", "需求清单", "锁定", "禁止", "参数"]


# ---------------------------------------------------------------- CLI

def test_cli_solve_separate_files_to_xlsx(tmp_path):
    runner = CliRunner()
    out = tmp_path / "项目清单.xlsx"
    res = runner.invoke(main, ["lists", "solve", "--providers", str(TEMPLATES / "提供方.csv"),
                               "--resources", str(TEMPLATES / "资源清单.csv"), "--needs", str(TEMPLATES / "需求清单.csv"),
                               "--max-distance", "1500", "-o", str(out), "--result", str(tmp_path / "r.json"),
                               "--round-out", str(tmp_path / "round.json"), "--report", str(tmp_path / "r.html"), "-q"])
    assert res.exit_code == 0, res.output
    assert load_workbook(out).sheetnames == ["项目清单", "未满足需求", "指标"]
    rnd = json.loads((tmp_path / "round.json").read_text(encoding="utf-8"))
    assert rnd["params"]["max_distance_m"] == 1500.0
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_cli_to_round_export_report(tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["lists", "to-round", str(TEMPLATES / "三单模板.xlsx"), "-o", str(tmp_path / "round.json")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["solve", str(tmp_path / "round.json"), "-o", str(tmp_path / "r.json"), "-q"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["lists", "export", str(tmp_path / "r.json"), "--round", str(tmp_path / "round.json"),
                               "-o", str(tmp_path / "p.csv")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "p_未满足需求.csv").exists()
    res = runner.invoke(main, ["report", str(tmp_path / "r.json"), "--round", str(tmp_path / "round.json"),
                               "-o", str(tmp_path / "report.html")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["report", str(tmp_path / "r.json"), "--round", str(DATA / "zunyi_mixed_rules.json"),
                               "-o", str(tmp_path / "x.html")])
    assert res.exit_code == 2 and "is not the result of" in res.output  # its round_sha256 differs


def test_cli_from_round_and_bad_lists(tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["lists", "from-round", str(DATA / "huzhou_locked_forbidden.json"),
                               "-o", str(tmp_path / "hz.xlsx")])
    assert res.exit_code == 0, res.output
    wb = load_workbook(tmp_path / "hz.xlsx")
    ws = wb["资源清单"]
    ws.cell(3, 4).value = 0  # 容量 of the second resource
    wb.save(tmp_path / "hz.xlsx")
    res = runner.invoke(main, ["lists", "solve", str(tmp_path / "hz.xlsx"), "-o", str(tmp_path / "p.xlsx")])
    assert res.exit_code == 2
    assert "hz.xlsx [资源清单] row 3, 容量: must be >= 1" in res.output
    assert not (tmp_path / "p.xlsx").exists()
