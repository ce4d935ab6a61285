"""One self-contained HTML page for a solved round: map, KPI charts, project and unmet lists.

The page is the Jinja2 template ``templates/report.html.j2`` (with the map
and chart macros beside it), rendered with autoescape on: every value this
module hands to the templates is escaped there, user text or not. Only the
package's own style sheet and script (``static/``) and the constant
Content-Security-Policy go in as :class:`markupsafe.Markup`, inlined so that
the page works offline; the policy forbids the page to load anything from
anywhere. The map and the charts are SVG whose geometry is computed here (no
library, no tiles, no CDN).
"""
from __future__ import annotations

import datetime as _dt
import functools
import math
from collections import Counter, defaultdict
from importlib import resources as _res
from typing import Any, Optional

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from ..model import Round
from ..results import Kpis, Project, Result, Unmet, as_result
from .labels import KIND_ZH, category_zh, reason_zh, status_zh

MAP_W, MAP_H, MAP_PAD = 960, 620, 36
EARTH_R = 6_371_008.8
PALETTE = ["#2563eb", "#9333ea", "#0891b2", "#c2410c", "#4d7c0f", "#be185d", "#7c3aed", "#0f766e", "#a16207", "#475569"]
FULL, PART, NONE = "#16a34a", "#f59e0b", "#dc2626"
CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
       "font-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'")
COMMUNITY_CHART_LIMIT = 30  # the community chart shows the lowest-coverage communities only


@functools.cache
def _environment() -> Environment:
    return Environment(loader=PackageLoader(__package__, "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def _asset(name: str) -> Markup:
    """A file of ``static/`` (package data, never user text), to be inlined as it is."""
    return Markup(_res.files(__package__).joinpath("static", name).read_text(encoding="utf-8"))


def _pct(x: Optional[float]) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def _num(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:,.1f}"
    if isinstance(x, int):
        return f"{x:,}"
    return "" if x is None else str(x)


class _Projection:
    """Local equirectangular projection (metres) fitted into the map box."""

    def __init__(self, points: list[tuple[float, float]]):
        lats = [p[0] for p in points] or [0.0]
        lons = [p[1] for p in points] or [0.0]
        self.lat0 = (min(lats) + max(lats)) / 2
        self.lon0 = (min(lons) + max(lons)) / 2
        self.k = math.cos(math.radians(self.lat0))
        xs = [self._x(lon) for lon in lons]
        ys = [self._y(lat) for lat in lats]
        span_x = max(max(xs) - min(xs), 300.0)
        span_y = max(max(ys) - min(ys), 300.0)
        self.scale = min((MAP_W - 2 * MAP_PAD) / span_x, (MAP_H - 2 * MAP_PAD) / span_y)  # px per metre
        self.cx = (max(xs) + min(xs)) / 2
        self.cy = (max(ys) + min(ys)) / 2

    def _x(self, lon: float) -> float:
        return math.radians(lon - self.lon0) * self.k * EARTH_R

    def _y(self, lat: float) -> float:
        return math.radians(lat - self.lat0) * EARTH_R

    def __call__(self, lat: float, lon: float) -> tuple[float, float]:
        return (MAP_W / 2 + (self._x(lon) - self.cx) * self.scale,
                MAP_H / 2 - (self._y(lat) - self.cy) * self.scale)


def _f(v: float) -> str:
    """A pixel coordinate as SVG attribute text."""
    return f"{v:.1f}"


def _scale_bar(scale: float) -> dict:
    target = 150 / scale  # metres for ~150 px
    nice = 10 ** math.floor(math.log10(target))
    for m in (1, 2, 5, 10):
        if nice * m >= target * 0.6:
            nice *= m
            break
    px = nice * scale
    label = f"{nice / 1000:g} 公里" if nice >= 1000 else f"{nice:g} 米"
    x, y = 20, MAP_H - 18
    return {"x": x, "y": y, "x2": _f(x + px), "mid": _f(x + px / 2), "label": label}


def _need_marks(rnd: Round, proj: _Projection, served: dict[str, int]) -> list[dict]:
    gmax = rnd.params.max_distance_m
    names = {c.id: c.name for c in rnd.communities or ()}
    marks = []
    for n in rnd.needs:
        x, y = proj(n.lat, n.lon)
        radius = min(gmax, n.max_distance_m) if n.max_distance_m is not None else gmax
        got = served.get(n.id, 0)
        community = names.get(n.community_id) or n.community_id
        tip = (f"需求 {n.id} · 社区 {community} · {category_zh(n.category)} · 需要 {n.quantity}，"
               f"已满足 {got} · 优先级 {n.priority} · 步行范围 {radius:,.0f} 米")
        marks.append({"cat": n.category, "need": n.id, "x": _f(x), "y": _f(y), "r": _f(radius * proj.scale),
                      "fill": FULL if got >= n.quantity else PART if got > 0 else NONE, "tip": tip})
    return marks


def _project_lines(rnd: Round, projects: list[Project], proj: _Projection) -> list[dict]:
    res_by_id = {r.id: r for r in rnd.resources}
    need_by_id = {n.id: n for n in rnd.needs}
    qmax = max([p.quantity for p in projects] or [1])
    lines = []
    for p in projects:
        r, n = res_by_id.get(p.resource_id), need_by_id.get(p.need_id)
        if r is None or n is None:
            continue
        (x1, y1), (x2, y2) = proj(r.lat, r.lon), proj(n.lat, n.lon)
        lines.append({"locked": p.locked, "cat": n.category, "need": n.id, "project": p.project_id,
                      "x1": _f(x1), "y1": _f(y1), "x2": _f(x2), "y2": _f(y2),
                      "width": f"{1.2 + 3.8 * math.sqrt(p.quantity / qmax):.1f}",
                      "tip": f"项目 {p.project_id}：{r.id} → {n.id}，数量 {p.quantity}，"
                             f"距离 {p.distance_m:,} 米"})
    return lines


def _resource_marks(rnd: Round, proj: _Projection, cat_color: dict[str, str]) -> list[dict]:
    prov = {p.id: p for p in rnd.providers}
    marks = []
    for r in rnd.resources:
        x, y = proj(r.lat, r.lon)
        pv = prov.get(r.provider_id)
        who = f"{pv.name or pv.id}（{KIND_ZH.get(pv.kind, pv.kind)}）" if pv else r.provider_id
        tip = f"资源 {r.id} · {who} · {category_zh(r.category)} · 容量 {r.capacity}"
        if r.tags:
            tip += " · " + "、".join(r.tags)
        marks.append({"cat": r.category, "x": _f(x - 4.5), "y": _f(y - 4.5),
                      "fill": cat_color.get(r.category, "#334155"), "tip": tip})
    return marks


def _map_view(rnd: Round, projects: list[Project], served: dict[str, int], cat_color: dict[str, str]) -> dict:
    proj = _Projection([(r.lat, r.lon) for r in rnd.resources] + [(n.lat, n.lon) for n in rnd.needs])
    return {"width": MAP_W, "height": MAP_H, "needs": _need_marks(rnd, proj, served),
            "lines": _project_lines(rnd, projects, proj), "resources": _resource_marks(rnd, proj, cat_color),
            "scalebar": _scale_bar(proj.scale)}


def _text_px(text: str, size: float = 13) -> float:
    return sum(size if ord(ch) > 0x2E7F else size * 0.6 for ch in text)


def _bar_chart(title: str, rows: list[tuple[str, float, str]], chart_id: str, note: str = "",
               color: Optional[str] = None) -> dict:
    """Horizontal bars; rows = (label, value 0..1, text at the end); colour by value unless ``color``."""
    bar_h, gap, width = 20, 6, 560
    left = min(320, max(80, max([_text_px(r[0]) for r in rows] or [0]) + 16))
    right = max(150, max([_text_px(r[2]) for r in rows] or [0]) + 16)
    height = 34 + len(rows) * (bar_h + gap) + 8
    grid = [{"x": _f(left + frac * width), "label": f"{int(frac * 100)}%"} for frac in (0, 0.25, 0.5, 0.75, 1.0)]
    bars = []
    for k, (label, value, text) in enumerate(rows):
        y = 34 + k * (bar_h + gap)
        v = max(0.0, min(1.0, value))
        bars.append({"label": label, "text": text, "y": y, "text_y": _f(y + bar_h * 0.72),
                     "length": _f(max(v * width, 1.5)),
                     "fill": color or (FULL if v >= 0.999 else PART if v >= 0.5 else NONE)})
    return {"id": chart_id, "title": title, "note": note, "view_w": f"{left + width + right:.0f}",
            "height": height, "left": left, "width": width, "bar_h": bar_h, "value_x": left + width + 8,
            "grid": grid, "bars": bars}


def _reason_chart(unmet: list[Unmet]) -> Optional[dict]:
    if not unmet:
        return None
    qty: Counter = Counter()
    cnt: Counter = Counter()
    for u in unmet:
        qty[u.reason] += u.quantity
        cnt[u.reason] += 1
    total = sum(qty.values()) or 1
    rows = [(reason_zh(r), q / total, f"{cnt[r]} 条需求，缺 {q:,}") for r, q in qty.most_common()]
    return _bar_chart("未满足原因（占缺口数量的比例）", rows, "chart-reasons", color="#64748b")


def _coverage_rows(items) -> list[tuple[str, float, str]]:
    return [(label, v.coverage, f"{_pct(v.coverage)}（{v.served_quantity:,}/{v.demand_quantity:,}）")
            for label, v in items]


def _charts(k: Kpis, unmet: list[Unmet]) -> list[dict]:
    by_cat = sorted(k.by_category.items(), key=lambda kv: kv[1].coverage)
    comm = sorted(k.by_community.items(), key=lambda kv: (kv[1].coverage, kv[0]))
    limit = COMMUNITY_CHART_LIMIT
    note = f"只显示覆盖率最低的 {limit} 个社区（共 {len(comm)} 个）" if len(comm) > limit else ""
    charts = [_bar_chart("各类别覆盖率", _coverage_rows((category_zh(c), v) for c, v in by_cat), "chart-category"),
              _bar_chart("各社区覆盖率（由低到高）", _coverage_rows(comm[:limit]), "chart-community", note),
              _reason_chart(unmet)]
    return [c for c in charts if c is not None]


def _cards(rnd: Round, k: Kpis, projects: list[Project], unmet: list[Unmet]) -> list[tuple[str, str, str]]:
    return [("覆盖率", _pct(k.coverage), f"{_num(k.served_quantity)} / {_num(k.demand_quantity)}"),
            ("加权覆盖率", _pct(k.weighted_coverage), "按优先级加权"),
            ("项目数", _num(len(projects)), f"{len(rnd.resources)} 项资源 · {len(rnd.needs)} 条需求"),
            ("平均步行", f"{_num(k.mean_walk_minutes)} 分钟", f"平均 {_num(k.mean_distance_m)} 米"),
            ("未满足需求", _num(len(unmet)), f"{_num(k.communities_unserved)} 个社区无任何服务")]


def _project_rows(rnd: Round, projects: list[Project]) -> list[dict]:
    prov = {p.id: p for p in rnd.providers}
    rows = []
    for p in projects:
        pv = prov.get(p.provider_id)
        rows.append({"need": p.need_id, "cells": [
            p.project_id, p.need_id, p.community_id, category_zh(p.category), p.resource_id,
            pv.name if pv and pv.name else p.provider_id],
            "numbers": [_num(p.quantity), _num(p.distance_m), _num(p.walk_minutes)],
            "locked": "是" if p.locked else ""})
    return rows


def _unmet_rows(rnd: Round, unmet: list[Unmet]) -> list[dict]:
    needs = {n.id: n for n in rnd.needs}
    rows = []
    for u in unmet:
        n = needs.get(u.need_id)
        rows.append({"need": u.need_id,
                     "cells": [u.need_id, n.community_id if n else "", category_zh(n.category) if n else ""],
                     "numbers": [_num(n.priority) if n else "", _num(n.quantity) if n else "", _num(u.quantity)],
                     "reason": reason_zh(u.reason)})
    return rows


def _served_and_colours(rnd: Round, projects: list[Project]) -> tuple[dict[str, int], list[str], dict[str, str]]:
    served: dict[str, int] = defaultdict(int)
    for p in projects:
        served[p.need_id] += p.quantity
    cats = sorted({r.category for r in rnd.resources} | {n.category for n in rnd.needs})
    return served, cats, {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(cats)}


def render_map(rnd: Round, result: Result | dict) -> Markup:
    """The report's offline SVG map on its own (walking circles, projects, resources, needs), for other pages.

    Presentation attributes only (no inline style or script): a page with
    ``default-src 'self'`` shows it styled by its own sheet (the ``#map-svg`` rules).
    """
    result = as_result(result)
    served, _cats, cat_color = _served_and_colours(rnd, result.projects)
    macro = _environment().get_template("map.svg.j2").module.map_svg
    return Markup(macro(_map_view(rnd, result.projects, served, cat_color)))


def render_report(rnd: Round, result: Result | dict, *, title: Optional[str] = None,
                  generated: Optional[str] = None) -> str:
    """The whole report page as text. ``generated`` (a timestamp text) defaults to now."""
    result = as_result(result)
    projects, unmet, k = result.projects, result.unmet, result.kpis
    served, cats, cat_color = _served_and_colours(rnd, projects)
    status = result.status
    return _environment().get_template("report.html.j2").render(
        csp=Markup(CSP), css=_asset("report.css"), js=_asset("report.js"),
        name=title or rnd.name or "匹配轮次", status=status, status_text=status_zh(status),
        solver=result.solver, message=result.message or "",
        generated=generated or _dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        colors={"full": FULL, "part": PART, "none": NONE},
        categories=[{"code": c, "label": category_zh(c), "color": cat_color[c]} for c in cats],
        cards=_cards(rnd, k, projects, unmet), map=_map_view(rnd, projects, served, cat_color),
        charts=_charts(k, unmet), projects=_project_rows(rnd, projects), unmet=_unmet_rows(rnd, unmet))
