"""The project list (项目清单), the unmet list (未满足需求) and the KPIs as XLSX / CSV.

XLSX: one workbook with sheets 项目清单, 未满足需求, 指标. CSV: ``NAME.csv``
(projects), ``NAME_未满足需求.csv`` and ``NAME_指标.csv``, UTF-8 with BOM.
Every text cell starting with ``= + - @`` (or tab / CR) gets a leading ``'``.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional, Union

from ..model import Round
from ..results import Result, as_result
from ..report.labels import reason_zh, status_zh
from .cells import is_blank, write_bool
from .columns import norm_header
from .sheets import SheetOut, Table, load_workbook, read_csv, sheet_table, write_csv, write_xlsx

PROJECT_HEADERS = ["项目编号", "需求编号", "社区编号", "类别", "资源编号", "提供方编号", "提供方名称",
                   "数量", "距离(米)", "步行(分钟)", "锁定"]
UNMET_HEADERS = ["需求编号", "社区编号", "类别", "优先级", "需求数量", "未满足数量", "原因", "原因代码"]
PROJECT_SHEET, UNMET_SHEET, KPI_SHEET = "项目清单", "未满足需求", "指标"

# An output document: typed, or as decoded from a file (parsed with its field paths on error).
ResultLike = Union[Result, Mapping[str, Any]]


def project_table(result: ResultLike, rnd: Optional[Round] = None) -> tuple[list[str], list[list[Any]]]:
    names = {p.id: p.name for p in rnd.providers} if rnd is not None else {}
    rows = []
    for p in as_result(result).projects:
        rows.append([p.project_id, p.need_id, p.community_id, p.category, p.resource_id,
                     p.provider_id, names.get(p.provider_id), p.quantity, p.distance_m,
                     p.walk_minutes, write_bool(p.locked)])
    return PROJECT_HEADERS, rows


def unmet_table(result: ResultLike, rnd: Optional[Round] = None) -> tuple[list[str], list[list[Any]]]:
    needs = {n.id: n for n in rnd.needs} if rnd is not None else {}
    rows = []
    for u in as_result(result).unmet:
        n = needs.get(u.need_id)
        rows.append([u.need_id, n.community_id if n else None, n.category if n else None,
                     n.priority if n else None, n.quantity if n else None, u.quantity,
                     reason_zh(u.reason), u.reason])
    return UNMET_HEADERS, rows


def kpi_rows(result: ResultLike, rnd: Optional[Round] = None) -> list[list[Any]]:
    result = as_result(result)
    k, obj = result.kpis, result.objective
    rows: list[list[Any]] = []
    if rnd is not None and rnd.name:
        rows.append(["轮次", rnd.name])
    rows += [["状态", status_zh(result.status)], ["求解器", result.solver]]
    if result.message:
        rows.append(["说明", result.message])
    rows += [
        ["需求总量", k.demand_quantity],
        ["已满足数量", k.served_quantity],
        ["覆盖率", k.coverage],
        ["加权覆盖率", k.weighted_coverage],
        ["项目数", k.projects],
        ["完全满足的需求", k.needs_fully_served],
        ["完全未满足的需求", k.needs_unserved],
        ["无任何服务的社区", k.communities_unserved],
        ["平均距离(米)", k.mean_distance_m],
        ["最远距离(米)", k.worst_distance_m],
        ["平均步行(分钟)", k.mean_walk_minutes],
        ["服务价值", obj.served_value],
        ["服务价值上界", obj.bound_served_value],
        ["总距离(米)", obj.total_distance_m],
    ]
    for title, table in (("按类别", k.by_category), ("按社区", k.by_community)):
        if table:
            rows.append([None, None])
            rows.append([title, "需求数量", "已满足数量", "覆盖率"])
            for name, v in table.items():
                rows.append([name, v.demand_quantity, v.served_quantity, v.coverage])
    return rows


_PERCENT_LABELS = {"覆盖率", "加权覆盖率"}


def result_sheets(result: ResultLike, rnd: Optional[Round] = None) -> list[SheetOut]:
    result = as_result(result)
    ph, prows = project_table(result, rnd)
    uh, urows = unmet_table(result, rnd)
    sheets = [SheetOut(PROJECT_SHEET, ph, prows), SheetOut(UNMET_SHEET, uh, urows)]
    krows = kpi_rows(result, rnd)
    sheets.append(SheetOut(KPI_SHEET, ["指标", "值"], krows, widths=[22, 26, 14, 10]))
    return sheets


def write_result(result: ResultLike, out: str | Path, rnd: Optional[Round] = None) -> list[Path]:
    """Write the project list, unmet list and KPIs to ``.xlsx`` or ``.csv``; returns the files written.

    ``result`` is a :class:`Result` or a decoded output document (an
    :class:`InputError` names the fields of one that breaks the contract).
    """
    out = Path(out)
    sheets = result_sheets(result, rnd)
    if out.suffix.lower() == ".xlsx":
        write_xlsx(out, sheets)
        _format_kpis(out)
        return [out]
    if out.suffix.lower() != ".csv":
        raise ValueError(f"{out.name}: the output must end in .xlsx or .csv")
    files = [out, out.with_name(f"{out.stem}_{UNMET_SHEET}.csv"), out.with_name(f"{out.stem}_{KPI_SHEET}.csv")]
    for f, s in zip(files, sheets):
        write_csv(f, s.headers, s.rows)
    return files


def _format_kpis(path: Path) -> None:
    """Percent format for the coverage cells of the KPI sheet."""
    from openpyxl import load_workbook as _load
    from openpyxl.styles import Font

    wb = _load(path)
    ws = wb[KPI_SHEET]
    in_table = False
    for row in ws.iter_rows(min_row=2):
        label = row[0].value
        if label is None:
            in_table = False
            continue
        if len(row) > 3 and row[3].value == "覆盖率":
            in_table = True
            for c in row:
                c.font = Font(bold=True)
            continue
        if label in _PERCENT_LABELS and isinstance(row[1].value, (int, float)):
            row[1].number_format = "0.0%"
        if in_table and len(row) > 3 and isinstance(row[3].value, (int, float)):
            row[3].number_format = "0.0%"
    wb.save(path)


def read_table_dicts(path: str | Path, sheet: Optional[str] = None) -> list[dict[str, Any]]:
    """Read an exported sheet back as dicts keyed by header (blank cells -> ``None``)."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        wb = load_workbook(path)
        ws = wb[sheet] if sheet else wb.worksheets[0]
        table: Table = sheet_table(ws, path.name)
    else:
        table = read_csv(path)
    if not table.rows:
        return []
    headers = [str(h) if h is not None else "" for h in table.rows[0][1]]
    out = []
    for _, values in table.rows[1:]:
        values = list(values) + [None] * (len(headers) - len(values))
        out.append({h: (None if is_blank(v) else v) for h, v in zip(headers, values) if norm_header(h)})
    return out
