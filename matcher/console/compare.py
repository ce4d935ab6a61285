"""Two rounds side by side: which projects were kept, added, removed or changed, and how the KPIs moved.

Projects are matched by their pair (need, resource). *kept*: in both with
the same quantity; *changed*: in both with another quantity; *added*: only
in the later round; *removed*: only in the earlier one. An earlier project's
lifecycle status goes with it, so "approved in round A, kept (locked) in
round B" reads on one line. The churn block is the later round's own
``churn`` (against the ``previous`` plan it was built with), when it has one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from .roundview import Names, pct

# (KPI, label, format, +1 when more is better / -1 when less is / 0 neither)
KPI_ROWS = (("coverage", "覆盖率", "pct", 1), ("weighted_coverage", "加权覆盖率", "pct", 1),
            ("served_quantity", "已满足数量", "int", 1), ("demand_quantity", "需求总量", "int", 0),
            ("mean_walk_minutes", "平均步行（分钟）", "float", -1), ("projects", "项目数", "int", 0),
            ("communities_unserved", "无任何服务的社区", "int", -1))


@dataclass
class Comparison:
    kept: list[dict] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)
    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    kpis: list[dict] = field(default_factory=list)
    churn: Optional[dict] = None


def _pairs(output: dict) -> dict[tuple[str, str], dict]:
    return {(p["need_id"], p["resource_id"]): p for p in output["projects"]}


def _fmt(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    return pct(value) if kind == "pct" else f"{value:,.1f}" if kind == "float" else f"{value:,}"


def _delta(a: Any, b: Any, kind: str, better: int) -> tuple[str, str]:
    """The change as text, and ``up`` (better) / ``down`` (worse) / ``""``."""
    if a is None or b is None:
        return "", ""
    d = b - a
    text = (f"{d * 100:+.1f} 个百分点" if kind == "pct" else f"{d:+,.1f}" if kind == "float" else f"{d:+,}")
    sign = (d > 0) - (d < 0)
    return text, ("up" if sign * better > 0 else "down" if sign * better < 0 else "")


def kpi_deltas(a: dict, b: dict) -> list[dict]:
    rows = []
    for key, label, kind, better in KPI_ROWS:
        va, vb = a["kpis"].get(key), b["kpis"].get(key)
        text, way = _delta(va, vb, kind, better)
        rows.append({"label": label, "a": _fmt(va, kind), "b": _fmt(vb, kind), "delta": text, "way": way})
    va, vb = a["objective"]["served_value"], b["objective"]["served_value"]
    text, way = _delta(va, vb, "int", 1)
    rows.append({"label": "服务价值", "a": f"{va:,}", "b": f"{vb:,}", "delta": text, "way": way})
    return rows


def _row(p: dict, names: Names, status: Optional[str] = None, **extra) -> dict:
    return {"need": names.label(names.needs, p["need_id"]), "resource": names.label(names.resources, p["resource_id"]),
            "community": names.community(p["community_id"]), "quantity": p["quantity"], "locked": p["locked"],
            "project_id": p["project_id"], "status": status, **extra}


def compare(a_out: dict, b_out: dict, names: Names, a_status: dict[str, str]) -> Comparison:
    """Round A (earlier) against round B; ``a_status``: A's project id -> lifecycle status."""
    pa, pb = _pairs(a_out), _pairs(b_out)
    out = Comparison(kpis=kpi_deltas(a_out, b_out), churn=b_out.get("churn"))
    for pair, p in pb.items():
        old = pa.get(pair)
        if old is None:
            out.added.append(_row(p, names))
        elif old["quantity"] == p["quantity"]:
            out.kept.append(_row(p, names, a_status.get(old["project_id"]), before=old["project_id"]))
        else:
            out.changed.append(_row(p, names, a_status.get(old["project_id"]), before=old["project_id"],
                                    before_quantity=old["quantity"]))
    out.removed = [_row(p, names, a_status.get(p["project_id"])) for pair, p in pa.items() if pair not in pb]
    return out
