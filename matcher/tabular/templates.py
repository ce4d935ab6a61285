"""Templates for committees: 三单模板.xlsx (sheets 社区 / 提供方 / 资源清单 / 需求清单 / 参数 / 说明)
and the same lists as CSV files, with Chinese headers and a few example rows.

The 社区 list is for the committee's stored lists (``matcher lists import``, where a need's
and a member's community must be one of them); solving the lists does not read it.

``scenarios/templates/`` holds the files written by :func:`write_templates`
(``matcher lists template -o scenarios/templates``).
"""
from __future__ import annotations

import datetime as _dt
from pathlib import Path

from .cells import WINDOWS_EXAMPLE
from .columns import COMMUNITIES, NEEDS, PARAM_HEADERS, PROVIDERS, RESOURCES
from .sheets import SheetOut, write_csv, write_xlsx

EXAMPLE_ROUND_NAME = "示例街道 2026年12月 三单对接"

COMMUNITY_ROWS = [
    ["C-HTY", "和平里社区", 39.9100, 116.3495],
    ["C-LZY", "柳荫街社区", 39.9075, 116.3470],
    ["C-XJK", "新街口社区", 39.9405, 116.3398],
]
PROVIDER_ROWS = [
    ["U-001", "区税务局", "单位", None, None],
    ["U-002", "第一实验小学", "单位", 3, None],
    ["M-0001", "张颖", "党员", 2, "C-HTY"],
    ["M-0002", "李强", "党员", 1, "C-LZY"],
]
RESOURCE_ROWS = [
    ["R-001", "U-001", "停车位", 120, 39.9075, 116.3512, 1000, None, 10, "周一至周五 19:00-07:30; 周六、周日 00:00-24:00"],
    ["R-002", "U-002", "课后托管", 30, 39.9112, 116.3468, None, "作业辅导、书法", None, "周一至周五 15:30-18:30"],
    ["R-003", "U-002", "活动场地", 2, 39.9112, 116.3468, 1500, None, None, "周六、周日 09:00-17:00"],
    ["R-004", "M-0001", "技能服务", 4, 39.9090, 116.3530, 2000, "法律援助、反诈宣传", None, "周六 09:00-12:00"],
    ["R-005", "M-0002", "技能服务", 2, 39.9068, 116.3441, None, "心理疏导", None, None],
]
NEED_ROWS = [
    ["N-001", "C-HTY", "停车位", 150, 39.9101, 116.3490, 4, 800, None, "否", "周一至周五 20:00-07:00"],
    ["N-002", "C-LZY", "课后托管", 12, 39.9080, 116.3475, 5, 1200, "作业辅导", "否", "周一至周五 16:00-18:00"],
    ["N-003", "C-LZY", "活动场地", 1, 39.9060, 116.3500, 3, None, None, "是", "周六 14:00-16:00"],
    ["N-004", "C-HTY", "技能服务", 2, 39.9098, 116.3502, 4, None, "法律援助", "否", "周六 09:30-11:30"],
    ["N-005", "C-XJK", "技能服务", 1, 39.9400, 116.3400, 2, None, "心理疏导", "否", None],
]
PARAM_ROWS = [
    [PARAM_HEADERS["name"], EXAMPLE_ROUND_NAME],
    [PARAM_HEADERS["max_distance_m"], 3000],
    [PARAM_HEADERS["time_limit_s"], 60],
    [PARAM_HEADERS["solver"], "auto"],
]
HELP_ROWS = [
    ["填写说明", ""],
    ["社区", "需求和党员所属的社区（导入委员会台账时使用；求解时不读取）。"],
    ["提供方", "驻区单位和在职党员。类型填“单位”或“党员”；最多项目数留空表示不限。"],
    ["每年最少项目数", "可在提供方表中加此列（导入委员会台账时使用）：在职党员每年至少参加的项目数，如 4。"],
    ["资源清单", "每行一项资源。类别须与需求的类别一致才能配对；纬度、经度为 WGS-84 坐标（度）。"],
    ["最远距离(米)", "留空表示不设自己的上限（仍受参数中的最远距离限制）。"],
    ["技能标签 / 必需标签", "多个标签用 、 , ; 或 | 分隔；需求的必需标签须全部出现在资源的技能标签里。"],
    ["服务时段 / 需求时段", f"如“{WINDOWS_EXAMPLE}”；结束早于开始表示跨过午夜；留空表示任何时间。"],
    ["最小批量", "一个项目至少使用的数量（如停车位至少 10 个一批），留空为 1。"],
    ["优先级", "1 到 5，5 最紧急（急难愁盼），留空为 3。"],
    ["整体满足", "填“是”表示要么全部满足、要么不安排。"],
    ["参数", "轮次名称、最远距离(米)、时间上限(秒)、求解器(auto/greedy/flow/cpsat)、优先级N权重（可选）。"],
    ["其他列", "表中其他列（如“备注”）会被忽略。"],
]


def template_sheets() -> list[SheetOut]:
    return [
        SheetOut(COMMUNITIES.title, [c.header for c in COMMUNITIES.columns], COMMUNITY_ROWS),
        SheetOut(PROVIDERS.title, [c.header for c in PROVIDERS.columns], PROVIDER_ROWS),
        SheetOut(RESOURCES.title, [c.header for c in RESOURCES.columns], RESOURCE_ROWS),
        SheetOut(NEEDS.title, [c.header for c in NEEDS.columns], NEED_ROWS),
        SheetOut("参数", ["参数", "值"], PARAM_ROWS),
        SheetOut("说明", ["项目", "说明"], HELP_ROWS[1:], widths=[20, 90]),
    ]


def write_templates(folder: str | Path) -> list[Path]:
    """Write 三单模板.xlsx and 社区.csv / 提供方.csv / 资源清单.csv / 需求清单.csv / 参数.csv into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sheets = template_sheets()
    book = folder / "三单模板.xlsx"
    write_xlsx(book, sheets)
    _fix_timestamps(book)
    files = [book]
    for s in sheets[:5]:
        f = folder / f"{s.title}.csv"
        write_csv(f, s.headers, s.rows)
        files.append(f)
    return files


def _fix_timestamps(path: Path) -> None:
    """Stable document properties, so that regenerating the template changes nothing needlessly."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    stamp = _dt.datetime(2026, 1, 1)
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.creator = "matcher"
    wb.save(path)
