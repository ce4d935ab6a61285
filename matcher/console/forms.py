"""The list entry forms: which fields each list has, reading a posted form, and errors next to their field.

A form's text is read with the spreadsheet cell readers of
:mod:`matcher.tabular.cells` (so ``周一至周五 19:00-07:30``, ``法律援助、科普`` and
``是`` mean in a form what they mean in an Excel list); the entry is then
checked by the store with the round contract's rules, exactly as the API
checks a JSON body. :func:`errors_by_field` puts each problem's message, in
Chinese, next to the form field its path starts with (``windows[0].start`` ->
``windows``); problems of no field go on top of the form.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Optional

from .. import i18n
from ..errors import CellError, FieldIssue
from ..tabular import cells


@dataclass(frozen=True)
class Field:
    """One form field: the entry's key, its Chinese label, how its text is read, and its input."""

    name: str
    label: str
    reader: str = "text"  # a key of cells.READERS, or "choice" (the value as chosen)
    required: bool = False
    widget: str = "text"  # text, number, select, checkbox, textarea
    hint: str = ""
    choices: str = ""  # select fields: "providers", "communities", "kinds", "priorities"


_WINDOWS_HINT = f"例如：{cells.WINDOWS_EXAMPLE}；留空表示不限时段"
_LAT = Field("lat", "纬度", "float", True, "number", "WGS-84，例如 39.9075")
_LON = Field("lon", "经度", "float", True, "number", "WGS-84，例如 116.3512")
_DIST = Field("max_distance_m", "最远距离（米）", "float", widget="number", hint="留空表示不另设上限")
_NAME = Field("name", "名称")
_NOTE = Field("note", "备注", widget="textarea")

FIELDS: dict[str, tuple[Field, ...]] = {
    "community": (Field("id", "社区编号", "id", True), Field("name", "社区名称", required=True),
                  Field("lat", "纬度", "float", widget="number"), Field("lon", "经度", "float", widget="number")),
    "provider": (Field("id", "提供方编号", "id", True), Field("name", "名称或姓名"),
                 Field("kind", "类型", "choice", widget="select", choices="kinds"),
                 Field("max_projects", "最多项目数", "int", widget="number", hint="留空表示不限"),
                 Field("community_id", "所属社区", "choice", widget="select", choices="communities"),
                 Field("min_projects_year", "年度最少项目数", "int", widget="number", hint="在职党员的年度最低要求，例如 4")),
    "resource": (Field("id", "资源编号", "id", True),
                 Field("provider_id", "提供方", "choice", True, "select", choices="providers"),
                 Field("category", "类别", "id", True, hint="例如 parking（停车位）、after_school（课后托管）"),
                 Field("capacity", "容量", "int", True, "number"), _NAME, _LAT, _LON, _DIST,
                 Field("tags", "技能标签", "tags", hint="用顿号或逗号分隔，例如 法律援助、科普"),
                 Field("min_quantity", "最小批量", "int", widget="number", hint="留空为 1"),
                 Field("windows", "服务时段", "windows", hint=_WINDOWS_HINT), _NOTE),
    "need": (Field("id", "需求编号", "id", True),
             Field("community_id", "社区", "choice", True, "select", choices="communities"),
             Field("category", "类别", "id", True, hint="与资源的类别一致才能配对"),
             Field("quantity", "数量", "int", True, "number"), _NAME, _LAT, _LON,
             Field("priority", "优先级", "int", widget="select", choices="priorities", hint="5 为最急（急难愁盼）"),
             _DIST, Field("required_tags", "必需标签", "tags", hint="用顿号或逗号分隔"),
             Field("all_or_nothing", "需整体满足", "bool", widget="checkbox"),
             Field("rounds_unmet", "已连续未满足轮数", "int", widget="number"),
             Field("windows", "需求时段", "windows", hint=_WINDOWS_HINT), _NOTE),
}
FORM_LEVEL = "_form"


def names(kind: str) -> frozenset[str]:
    """The entry fields the form of ``kind`` has."""
    return frozenset(f.name for f in FIELDS[kind])


def _read(field: Field, raw: str) -> Any:
    if field.reader == "choice":
        return raw.strip()
    return cells.READERS[field.reader](raw)


def read_form(kind: str, form: Mapping[str, str], *, patch: bool = False) -> tuple[dict, list[FieldIssue]]:
    """The entry a posted form describes, and the problems of fields that cannot be read.

    A blank field is left out of a new entry and becomes ``None`` (remove it) in a
    change (``patch``); a change never carries ``id``. An unticked checkbox is ``False``.
    """
    data: dict[str, Any] = {}
    problems: list[FieldIssue] = []
    for field in FIELDS[kind]:
        if patch and field.name == "id":
            continue
        raw = form.get(field.name, "")
        if field.widget == "checkbox":
            data[field.name] = raw in ("on", "1", "true", "是")
            continue
        if cells.is_blank(raw):
            if patch:
                data[field.name] = None
            continue
        try:
            value = _read(field, raw)
        except CellError as exc:
            problems.append(FieldIssue(field.name, exc.problems[0].message))
            continue
        if value is not None or patch:  # windows "不限" read as None: always available, no windows
            data[field.name] = value
    return data, problems


def form_values(kind: str, entry: Mapping[str, Any]) -> dict[str, str]:
    """The text each field shows for a stored entry (tags and windows written as a clerk writes them)."""
    out: dict[str, str] = {}
    for field in FIELDS[kind]:
        value = entry.get(field.name)
        if value is None:
            out[field.name] = ""
        elif field.reader == "tags":
            out[field.name] = cells.write_tags(value)
        elif field.reader == "windows":
            out[field.name] = cells.write_windows(value)
        elif field.widget == "checkbox":
            out[field.name] = "on" if value else ""
        elif isinstance(value, float) and value.is_integer() and field.name in ("max_distance_m",):
            out[field.name] = f"{value:g}"
        else:
            out[field.name] = str(value)
    return out


_HEAD = re.compile(r"^([A-Za-z_]+)")


def errors_by_field(kind: str, problems: list[FieldIssue], lang: str = "zh") -> dict[str, list[str]]:
    """Each problem's message (in ``lang``) under the form field its path starts with, else under ``_form``."""
    names = {f.name for f in FIELDS[kind]}
    out: dict[str, list[str]] = {}
    for p in problems:
        m = _HEAD.match(p.path or "")
        field = m.group(1) if m and m.group(1) in names else FORM_LEVEL
        text = i18n.message(p.message, lang)
        if field == FORM_LEVEL and p.path:
            text = f"{p.path}：{text}"
        elif p.path and p.path != field:  # windows[1].start: say which part
            text = f"{p.path.removeprefix(field)}：{text}"
        out.setdefault(field, []).append(text)
    return out


def choice_lists(providers: list[dict], communities: list[dict]) -> dict[str, list[tuple[str, str]]]:
    """Options of the select fields: (value, label); the first option of optional ones is blank."""
    return {
        "providers": [(p["id"], f"{p['id']} {p.get('name') or ''}".strip()) for p in providers],
        "communities": [(c["id"], f"{c['id']} {c.get('name') or ''}".strip()) for c in communities],
        "kinds": [("unit", "驻区单位"), ("member", "在职党员")],
        "priorities": [(str(k), f"{k}" + ("（最急）" if k == 5 else "（默认）" if k == 3 else "")) for k in range(1, 6)],
    }


def optional_text(value: Optional[str]) -> Optional[str]:
    """A form's text, ``None`` when blank."""
    return None if value is None or not value.strip() else value.strip()
