"""What a round's page shows, computed from its stored input and output documents and its project rows.

Plain functions of plain data (dicts as stored), so that the page, the
comparison and the tests read one thing: KPI cards, coverage bars per
community with the minimum marked, project and unmet rows with names, and
the "why" panel (:mod:`.why`) of each unmet need.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Optional

from ..store.models import RoundRow

SOLVED = ("optimal", "feasible")
FINISHED = ("optimal", "feasible", "infeasible", "failed", "cancelled")


@dataclass
class Stored:
    """A stored round's documents: ``input`` (the round as solved) and ``output`` (None until solved)."""

    row: RoundRow
    input: dict
    output: Optional[dict]

    @classmethod
    def of(cls, row: RoundRow) -> Stored:
        return cls(row, json.loads(row.input_json), json.loads(row.output_json) if row.output_json else None)

    @property
    def solved(self) -> bool:
        return self.output is not None and self.row.status in SOLVED


@dataclass
class Names:
    """Names of the ids of one round document (the id itself when it has no name)."""

    communities: dict[str, str]
    providers: dict[str, str]
    resources: dict[str, dict]
    needs: dict[str, dict]

    @classmethod
    def of(cls, doc: dict) -> Names:
        return cls({c["id"]: c.get("name") or c["id"] for c in doc.get("communities") or ()},
                   {p["id"]: p.get("name") or p["id"] for p in doc.get("providers") or ()},
                   {r["id"]: r for r in doc.get("resources") or ()}, {n["id"]: n for n in doc.get("needs") or ()})

    @classmethod
    def merged(cls, *docs: dict) -> Names:
        """Names of several round documents (a later document's name wins)."""
        out = cls({}, {}, {}, {})
        for doc in docs:
            one = cls.of(doc)
            out.communities.update(one.communities)
            out.providers.update(one.providers)
            out.resources.update(one.resources)
            out.needs.update(one.needs)
        return out

    def community(self, cid: str) -> str:
        return self.communities.get(cid, cid)

    def label(self, items: dict[str, dict], key: str) -> str:
        name = (items.get(key) or {}).get("name")
        return f"{key} {name}" if name else key


def pct(x: Optional[float]) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def kpi_summary(output: Optional[dict]) -> dict[str, Any]:
    """The KPI columns of a round in the rounds list (blank before it is solved)."""
    if not output:
        return {"coverage": "—", "projects": "", "unmet": "", "served": ""}
    k = output["kpis"]
    return {"coverage": pct(k.get("coverage")), "projects": len(output["projects"]), "unmet": len(output["unmet"]),
            "served": f"{k['served_quantity']:,} / {k['demand_quantity']:,}"}


def cards(output: dict, previous: bool = False) -> list[tuple[str, str, str]]:
    """(label, value, note) of the KPI cards; ``previous``: the round was built with a previous plan."""
    k, obj = output["kpis"], output["objective"]
    out = [("覆盖率", pct(k.get("coverage")), f"已满足 {k['served_quantity']:,} / 需求 {k['demand_quantity']:,}"),
           ("加权覆盖率", pct(k.get("weighted_coverage")), "按优先级加权"),
           ("项目数", f"{len(output['projects']):,}", f"服务价值 {obj['served_value']:,}"),
           ("平均步行", f"{k['mean_walk_minutes']:.1f} 分钟", f"平均 {k['mean_distance_m']:,.0f} 米"),
           ("未满足需求", f"{len(output['unmet']):,}", f"{k['communities_unserved']} 个社区无任何服务")]
    if output.get("churn") and previous:
        c = output["churn"]
        out.append(("与上一轮相比", f"{c['units']:,} 单位变动", f"保留 {c['pairs_kept']} · 新增 {len(c['added'])} · "
                                                         f"移除 {len(c['removed'])} · 调整 {len(c['changed'])}"))
    return out


@dataclass
class Bar:
    label: str
    value: Optional[float]
    width: str  # 0..100, SVG user units
    text: str
    level: str  # css class: low, mid, full
    binding: bool = False


def _level(v: float) -> str:
    return "full" if v >= 0.999 else "mid" if v >= 0.5 else "low"


def coverage_bars(output: dict, names: Names) -> tuple[list[Bar], Optional[float], Optional[dict]]:
    """Bars per community (lowest first), the minimum to mark, and the fairness block (None without fairness).

    With ``params.fairness`` the bars are the fairness level's coverages (of the
    servable demand) and the minimum is its ``min_coverage``; otherwise they are
    the KPIs' coverages of each community's demand, and the minimum is the lowest.
    """
    fair = output.get("fairness")
    by = output["kpis"].get("by_community") or {}
    if fair:
        values = dict(fair["coverage_by_community"])
        minimum, binding = fair.get("min_coverage"), set(fair.get("binding_communities") or ())
    else:
        values = {c: v["coverage"] for c, v in by.items() if v.get("coverage") is not None}
        minimum = min(values.values()) if values else None
        binding = {c for c, v in values.items() if v == minimum}
    bars = []
    for cid, v in sorted(values.items(), key=lambda kv: (kv[1], kv[0])):
        g = by.get(cid) or {}
        text = pct(v) + (f"（{g['served_quantity']:,}/{g['demand_quantity']:,}）" if g else "")
        bars.append(Bar(names.community(cid), v, f"{max(0.0, min(1.0, v)) * 100:.1f}", text, _level(v), cid in binding))
    block = None
    if fair:
        block = {"mode": "逐级最大最小（leximin）" if fair["mode"] == "leximin" else "最大最小（maxmin）",
                 "min": pct(minimum), "binding": [names.community(c) for c in sorted(binding)],
                 "without": f"{fair['value_without_fairness']:,}", "price": pct(fair["price_of_fairness"])}
    return bars, (None if minimum is None else f"{minimum * 100:.1f}"), block


def project_rows(stored: Stored, rows: list, names: Names) -> list[dict]:
    """The project table: each stored project row with names and its lifecycle status."""
    out = []
    for p in rows:
        need = names.needs.get(p.need_id) or {}
        out.append({"project_id": p.project_id, "need": names.label(names.needs, p.need_id),
                    "community": names.community(p.community_id), "category": p.category,
                    "resource": names.label(names.resources, p.resource_id),
                    "provider": names.providers.get(p.provider_id, p.provider_id), "quantity": p.quantity,
                    "distance_m": p.distance_m, "walk_minutes": p.walk_minutes, "locked": p.locked,
                    "status": p.status, "reason": p.reason, "priority": need.get("priority", 3),
                    "id": f"{stored.row.id}.{p.project_id}"})
    return out


def unmet_rows(output: dict, names: Names) -> list[dict]:
    out = []
    for u in output["unmet"]:
        n = names.needs.get(u["need_id"]) or {}
        out.append({"need_id": u["need_id"], "name": n.get("name") or "", "community": names.community(
            n.get("community_id", "")), "category": n.get("category", ""), "priority": n.get("priority", 3),
            "quantity": n.get("quantity", 0), "short": u["quantity"], "reason": u["reason"]})
    return out
