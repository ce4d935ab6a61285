"""One self-contained HTML page for a solved round: map, KPI charts, project and unmet lists.

The map and the charts are SVG drawn here (no library, no tiles, no CDN);
the small script and the style sheet are package data inlined into the page.
A Content-Security-Policy forbids the page to load anything from anywhere.
Every piece of user text goes through :func:`html.escape`.
"""
from __future__ import annotations

import datetime as _dt
import math
from collections import Counter, defaultdict
from html import escape
from importlib import resources as _res
from typing import Any, Optional

from ..model import Round
from .labels import KIND_ZH, category_zh, reason_zh, status_zh

MAP_W, MAP_H, MAP_PAD = 960, 620, 36
EARTH_R = 6_371_008.8
PALETTE = ["#2563eb", "#9333ea", "#0891b2", "#c2410c", "#4d7c0f", "#be185d", "#7c3aed", "#0f766e", "#a16207", "#475569"]
FULL, PART, NONE = "#16a34a", "#f59e0b", "#dc2626"
CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
       "font-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'")


def e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _asset(name: str) -> str:
    return _res.files(__package__).joinpath("static", name).read_text(encoding="utf-8")


def _pct(x: Optional[float]) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def _num(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:,.1f}"
    if isinstance(x, int):
        return f"{x:,}"
    return e(x)


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


def _scale_bar(scale: float) -> str:
    target = 150 / scale  # metres for ~150 px
    nice = 10 ** math.floor(math.log10(target))
    for m in (1, 2, 5, 10):
        if nice * m >= target * 0.6:
            nice *= m
            break
    px = nice * scale
    label = f"{nice / 1000:g} 公里" if nice >= 1000 else f"{nice:g} 米"
    x, y = 20, MAP_H - 18
    return (f'<g class="scalebar"><line x1="{x}" y1="{y}" x2="{x + px:.1f}" y2="{y}" />'
            f'<line x1="{x}" y1="{y - 5}" x2="{x}" y2="{y + 1}" /><line x1="{x + px:.1f}" y1="{y - 5}" '
            f'x2="{x + px:.1f}" y2="{y + 1}" /><text x="{x + px / 2:.1f}" y="{y - 7}">{e(label)}</text></g>')


def _map_svg(rnd: Round, result: dict, served: dict[str, int], cat_color: dict[str, str]) -> str:
    points = [(r.lat, r.lon) for r in rnd.resources] + [(n.lat, n.lon) for n in rnd.needs]
    proj = _Projection(points)
    res_by_id = {r.id: r for r in rnd.resources}
    need_by_id = {n.id: n for n in rnd.needs}
    prov = {p.id: p for p in rnd.providers}
    gmax = rnd.params.max_distance_m
    circles, lines, needs_svg, res_svg = [], [], [], []
    for n in rnd.needs:
        x, y = proj(n.lat, n.lon)
        radius = min(gmax, n.max_distance_m) if n.max_distance_m is not None else gmax
        cat = e(n.category)
        circles.append(f'<circle class="walk" data-cat="{cat}" data-need="{e(n.id)}" cx="{x:.1f}" cy="{y:.1f}" '
                       f'r="{radius * proj.scale:.1f}" />')
        got = served.get(n.id, 0)
        color = FULL if got >= n.quantity else PART if got > 0 else NONE
        tip = (f"需求 {n.id} · 社区 {n.community_id} · {category_zh(n.category)} · 需要 {n.quantity}，"
               f"已满足 {got} · 优先级 {n.priority} · 步行范围 {radius:,.0f} 米")
        needs_svg.append(f'<circle class="need" data-cat="{cat}" data-need="{e(n.id)}" cx="{x:.1f}" cy="{y:.1f}" '
                         f'r="5" fill="{color}"><title>{e(tip)}</title></circle>')
    qmax = max([p["quantity"] for p in result.get("projects", [])] or [1])
    for p in result.get("projects", []):
        r, n = res_by_id.get(p["resource_id"]), need_by_id.get(p["need_id"])
        if r is None or n is None:
            continue
        x1, y1 = proj(r.lat, r.lon)
        x2, y2 = proj(n.lat, n.lon)
        width = 1.2 + 3.8 * math.sqrt(p["quantity"] / qmax)
        tip = f"项目 {p['project_id']}：{r.id} → {n.id}，数量 {p['quantity']}，距离 {p['distance_m']:,} 米"
        lines.append(f'<line class="project{" locked" if p.get("locked") else ""}" data-cat="{e(n.category)}" '
                     f'data-need="{e(n.id)}" data-project="{e(p["project_id"])}" x1="{x1:.1f}" y1="{y1:.1f}" '
                     f'x2="{x2:.1f}" y2="{y2:.1f}" stroke-width="{width:.1f}"><title>{e(tip)}</title></line>')
    for r in rnd.resources:
        x, y = proj(r.lat, r.lon)
        pv = prov.get(r.provider_id)
        who = f"{pv.name or pv.id}（{KIND_ZH.get(pv.kind, pv.kind)}）" if pv else r.provider_id
        tip = f"资源 {r.id} · {who} · {category_zh(r.category)} · 容量 {r.capacity}"
        if r.tags:
            tip += " · " + "、".join(r.tags)
        res_svg.append(f'<rect class="res" data-cat="{e(r.category)}" x="{x - 4.5:.1f}" y="{y - 4.5:.1f}" '
                       f'width="9" height="9" fill="{cat_color.get(r.category, "#334155")}">'
                       f'<title>{e(tip)}</title></rect>')
    return (f'<svg id="map-svg" viewBox="0 0 {MAP_W} {MAP_H}" role="img" aria-label="资源、需求与项目地图">'
            f'<rect class="bg" x="-100000" y="-100000" width="200000" height="200000" />'
            f'<g id="map-layer"><g class="layer-walk">{"".join(circles)}</g>'
            f'<g class="layer-projects">{"".join(lines)}</g><g class="layer-res">{"".join(res_svg)}</g>'
            f'<g class="layer-needs">{"".join(needs_svg)}</g></g>{_scale_bar(proj.scale)}</svg>')


def _text_px(text: str, size: float = 13) -> float:
    return sum(size if ord(ch) > 0x2E7F else size * 0.6 for ch in text)


def _bar_chart(title: str, rows: list[tuple[str, float, str]], chart_id: str, note: str = "",
               color: Optional[str] = None) -> str:
    """Horizontal bars; rows = (label, value 0..1, text at the end); colour by value unless ``color``."""
    bar_h, gap, width = 20, 6, 560
    left = min(320, max(80, max([_text_px(r[0]) for r in rows] or [0]) + 16))
    right = max(150, max([_text_px(r[2]) for r in rows] or [0]) + 16)
    height = 34 + len(rows) * (bar_h + gap) + 8
    parts = [f'<svg class="chart" id="{e(chart_id)}" viewBox="0 0 {left + width + right:.0f} {height}" '
             f'role="img" aria-label="{e(title)}">',
             f'<text class="chart-title" x="0" y="18">{e(title)}</text>']
    for k, frac in enumerate((0, 0.25, 0.5, 0.75, 1.0)):
        x = left + frac * width
        parts.append(f'<line class="grid" x1="{x:.1f}" y1="28" x2="{x:.1f}" y2="{height - 6}" />'
                     f'<text class="axis" x="{x:.1f}" y="{height}" text-anchor="middle">{int(frac * 100)}%</text>')
    for k, (label, value, text) in enumerate(rows):
        y = 34 + k * (bar_h + gap)
        v = max(0.0, min(1.0, value))
        fill = color or (FULL if v >= 0.999 else PART if v >= 0.5 else NONE)
        parts.append(f'<text class="bar-label" x="{left - 8}" y="{y + bar_h * 0.72:.1f}" text-anchor="end">'
                     f'{e(label)}</text>'
                     f'<rect class="bar-bg" x="{left}" y="{y}" width="{width}" height="{bar_h}" />'
                     f'<rect class="bar" x="{left}" y="{y}" width="{max(v * width, 1.5):.1f}" height="{bar_h}" '
                     f'fill="{fill}"><title>{e(label)}：{e(text)}</title></rect>'
                     f'<text class="bar-value" x="{left + width + 8}" y="{y + bar_h * 0.72:.1f}">{e(text)}</text>')
    parts.append("</svg>")
    return f'<figure class="chart-box">{"".join(parts)}{f"<figcaption>{e(note)}</figcaption>" if note else ""}</figure>'


def _reason_chart(unmet: list[dict]) -> str:
    if not unmet:
        return ""
    qty: Counter = Counter()
    cnt: Counter = Counter()
    for u in unmet:
        qty[u["reason"]] += u["quantity"]
        cnt[u["reason"]] += 1
    total = sum(qty.values()) or 1
    rows = [(reason_zh(r), q / total, f"{cnt[r]} 条需求，缺 {q:,}") for r, q in qty.most_common()]
    return _bar_chart("未满足原因（占缺口数量的比例）", rows, "chart-reasons", color="#64748b")


def render_report(rnd: Round, result: dict, *, title: Optional[str] = None,
                  generated: Optional[str] = None) -> str:
    """The whole report page as text. ``generated`` (a timestamp text) defaults to now."""
    projects = result.get("projects", [])
    unmet = result.get("unmet", [])
    k = result.get("kpis", {})
    served: dict[str, int] = defaultdict(int)
    for p in projects:
        served[p["need_id"]] += p["quantity"]
    cats = sorted({r.category for r in rnd.resources} | {n.category for n in rnd.needs})
    cat_color = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(cats)}
    name = title or rnd.name or "匹配轮次"
    status = result.get("status", "")
    generated = generated or _dt.datetime.now().strftime("%Y-%m-%d %H:%M")

    cards = [("覆盖率", _pct(k.get("coverage")), f"{_num(k.get('served_quantity'))} / {_num(k.get('demand_quantity'))}"),
             ("加权覆盖率", _pct(k.get("weighted_coverage")), "按优先级加权"),
             ("项目数", _num(len(projects)), f"{len(rnd.resources)} 项资源 · {len(rnd.needs)} 条需求"),
             ("平均步行", f"{_num(k.get('mean_walk_minutes'))} 分钟", f"平均 {_num(k.get('mean_distance_m'))} 米"),
             ("未满足需求", _num(len(unmet)), f"{_num(k.get('communities_unserved'))} 个社区无任何服务")]
    cards_html = "".join(f'<div class="card"><div class="card-label">{e(a)}</div><div class="card-value">{b}</div>'
                         f'<div class="card-sub">{c}</div></div>' for a, b, c in cards)

    by_cat = k.get("by_category") or {}
    cat_rows = [(category_zh(c), v["coverage"], f"{_pct(v['coverage'])}（{v['served_quantity']:,}/{v['demand_quantity']:,}）")
                for c, v in sorted(by_cat.items(), key=lambda kv: kv[1]["coverage"])]
    by_comm = k.get("by_community") or {}
    comm_sorted = sorted(by_comm.items(), key=lambda kv: (kv[1]["coverage"], kv[0]))
    limit = 30
    comm_rows = [(c, v["coverage"], f"{_pct(v['coverage'])}（{v['served_quantity']:,}/{v['demand_quantity']:,}）")
                 for c, v in comm_sorted[:limit]]
    note = f"只显示覆盖率最低的 {limit} 个社区（共 {len(comm_sorted)} 个）" if len(comm_sorted) > limit else ""
    charts = (_bar_chart("各类别覆盖率", cat_rows, "chart-category")
              + _bar_chart("各社区覆盖率（由低到高）", comm_rows, "chart-community", note)
              + _reason_chart(unmet))

    legend_cats = "".join(
        f'<label class="cat-toggle"><input type="checkbox" checked data-cat="{e(c)}">'
        f'<span class="swatch" style="background:{cat_color[c]}"></span>{e(category_zh(c))}</label>' for c in cats)

    prov = {p.id: p for p in rnd.providers}
    needs = {n.id: n for n in rnd.needs}
    prow = []
    for p in projects:
        pv = prov.get(p["provider_id"])
        prow.append(
            f'<tr data-need="{e(p["need_id"])}"><td>{e(p["project_id"])}</td><td>{e(p["need_id"])}</td>'
            f'<td>{e(p["community_id"])}</td><td>{e(category_zh(p["category"]))}</td><td>{e(p["resource_id"])}</td>'
            f'<td>{e(pv.name if pv and pv.name else p["provider_id"])}</td><td class="n">{_num(p["quantity"])}</td>'
            f'<td class="n">{_num(p["distance_m"])}</td><td class="n">{_num(p["walk_minutes"])}</td>'
            f'<td>{"是" if p.get("locked") else ""}</td></tr>')
    urow = []
    for u in unmet:
        n = needs.get(u["need_id"])
        urow.append(
            f'<tr data-need="{e(u["need_id"])}"><td>{e(u["need_id"])}</td><td>{e(n.community_id if n else "")}</td>'
            f'<td>{e(category_zh(n.category) if n else "")}</td><td class="n">{e(n.priority if n else "")}</td>'
            f'<td class="n">{_num(n.quantity) if n else ""}</td><td class="n">{_num(u["quantity"])}</td>'
            f'<td>{e(reason_zh(u["reason"]))}</td></tr>')
    message = f'<p class="message">{e(result["message"])}</p>' if result.get("message") else ""

    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="matcher">
<title>{e(name)} · 匹配报告</title>
<style>
{_asset("report.css")}
</style>
</head>
<body>
<header>
  <h1>{e(name)} <span class="sub">资源匹配报告</span></h1>
  <p class="meta">求解结果：<span class="status status-{e(status)}">{e(status_zh(status))}</span>
  · 求解器 {e(result.get("solver", ""))} · 生成于 {e(generated)}</p>
  {message}
</header>
<main>
<section class="cards">{cards_html}</section>
<section id="map-section">
  <h2>地图：资源、需求与项目</h2>
  <div class="legend">
    <span><span class="sym sq"></span>资源（颜色=类别）</span>
    <span><span class="sym dot" style="background:{FULL}"></span>需求已满足</span>
    <span><span class="sym dot" style="background:{PART}"></span>部分满足</span>
    <span><span class="sym dot" style="background:{NONE}"></span>未满足</span>
    <span><span class="sym ln"></span>项目（粗细=数量）</span>
    <span><span class="sym ring"></span>需求的步行范围</span>
  </div>
  <div class="legend cats">{legend_cats}
    <label><input type="checkbox" id="toggle-walk" checked>显示步行范围</label>
    <button type="button" id="map-reset">复位</button>
  </div>
  <div id="map">{_map_svg(rnd, result, served, cat_color)}</div>
  <p class="hint">滚轮缩放，拖动平移；鼠标停在点或线上可看详情；点击表格中的一行可在地图上标出该需求。</p>
</section>
<section id="charts">
  <h2>指标</h2>
  {charts}
</section>
<section id="projects">
  <h2>项目清单 <span class="count">{len(projects)} 项</span></h2>
  <input type="search" class="filter" data-table="project-table" placeholder="筛选（编号、社区、提供方…）">
  <div class="table-wrap"><table id="project-table"><thead><tr><th>项目编号</th><th>需求编号</th><th>社区</th><th>类别</th>
  <th>资源编号</th><th>提供方</th><th>数量</th><th>距离(米)</th><th>步行(分钟)</th><th>锁定</th></tr></thead>
  <tbody>{"".join(prow)}</tbody></table></div>
</section>
<section id="unmet">
  <h2>未满足需求 <span class="count">{len(unmet)} 条</span></h2>
  <input type="search" class="filter" data-table="unmet-table" placeholder="筛选（编号、社区、原因…）">
  <div class="table-wrap"><table id="unmet-table"><thead><tr><th>需求编号</th><th>社区</th><th>类别</th><th>优先级</th>
  <th>需求数量</th><th>未满足数量</th><th>原因</th></tr></thead>
  <tbody>{"".join(urow)}</tbody></table></div>
</section>
</main>
<footer>由 matcher 生成 · 本页面不加载任何外部资源，可离线打开。</footer>
<script>
{_asset("report.js")}
</script>
</body>
</html>
"""
