"""The "new round from the lists" form: words a clerk uses, read into the body of ``POST /rounds``.

- 步行范围: minutes (at :data:`matcher.geo.WALK_M_PER_MIN` metres a minute) or
  metres -> ``params.max_distance_m``;
- 求解时限 (seconds) -> ``params.time_limit_s``;
- 公平 on/off, its mode and the share of the best served value it may cost ->
  ``params.fairness = {"group": "community", "mode", "min_value_ratio"}``;
- 每年轮次 -> the cycle param ``rounds_per_year``.

Blank fields keep the contract's defaults. Problems come back as field paths
of the body (``params.max_distance_m``), which :func:`round_form_errors` puts
next to the form field that set them.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import i18n
from ..errors import CellError, FieldIssue
from ..geo import WALK_M_PER_MIN
from ..tabular import cells

# body path -> form field
PATHS = {"params.max_distance_m": "walk", "params.time_limit_s": "time_limit", "params.fairness": "ratio",
         "params.rounds_per_year": "rounds_per_year", "name": "name"}


def _number(form: Mapping[str, str], field: str, path: str, reader, problems: list[FieldIssue]) -> Any:
    raw = form.get(field, "")
    if cells.is_blank(raw):
        return None
    try:
        return reader(raw)
    except CellError as exc:
        problems.append(FieldIssue(path, exc.problems[0].message))
        return None


def read_round_form(form: Mapping[str, str]) -> tuple[dict, list[FieldIssue]]:
    """The ``{"from_lists": true, "params": ..., "name"?}`` body the form asks for, and unreadable fields."""
    problems: list[FieldIssue] = []
    params: dict[str, Any] = {}
    walk = _number(form, "walk", "params.max_distance_m", cells.read_float, problems)
    if walk is not None:
        params["max_distance_m"] = walk * WALK_M_PER_MIN if form.get("walk_unit") == "minutes" else walk
    limit = _number(form, "time_limit", "params.time_limit_s", cells.read_float, problems)
    if limit is not None:
        params["time_limit_s"] = limit
    per_year = _number(form, "rounds_per_year", "params.rounds_per_year", cells.read_int, problems)
    if per_year is not None:
        params["rounds_per_year"] = per_year
    if form.get("fairness") == "on":
        ratio = _number(form, "ratio", "params.fairness.min_value_ratio", cells.read_float, problems)
        params["fairness"] = {"group": "community", "mode": "leximin" if form.get("mode") == "leximin" else "maxmin",
                              "min_value_ratio": 0.9 if ratio is None else ratio}
    body: dict[str, Any] = {"from_lists": True, "params": params}
    name = (form.get("name") or "").strip()
    if name:
        body["name"] = name
    return body, problems


def round_form_errors(problems: list[FieldIssue], lang: str = "zh") -> dict[str, list[str]]:
    """Each problem under its form field (``_form`` for the others, with the path shown)."""
    out: dict[str, list[str]] = {}
    for p in problems:
        field = next((f for path, f in PATHS.items() if p.path == path or p.path.startswith(path + ".")), "_form")
        text = i18n.message(p.message, lang)
        out.setdefault(field, []).append(text if field != "_form" else f"{p.path}：{text}" if p.path else text)
    return out
