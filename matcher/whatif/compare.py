"""Solve a base round and scenarios and compare them: KPIs side by side and a
project-level diff of each scenario against the base."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from ..model import Round
from ..results import Result
from ..service import RoundResult, prepare, solve_prepared
from . import scenario as sc

KPI_ROWS = (  # (key, label)
    ("status", "status"),
    ("served", "served / demand"),
    ("coverage", "coverage"),
    ("weighted_coverage", "weighted coverage"),
    ("communities_unserved", "communities unserved"),
    ("mean_distance_m", "mean distance (m)"),
    ("worst_distance_m", "worst distance (m)"),
    ("projects", "projects"),
    ("solve_seconds", "solve time (s)"),
)


@dataclass
class Case:
    label: str
    round: Round
    result: RoundResult


def solve_case(label: str, rnd: Round, *, solver: Optional[str] = None, time_limit_s: Optional[float] = None,
               timings: bool = True) -> Case:
    return Case(label, rnd, solve_prepared(prepare(rnd), solver=solver, time_limit_s=time_limit_s, timings=timings))


def load_case(path: str | Path, **kwargs) -> Case:
    _doc, rnd = sc.load(path)
    return solve_case(Path(path).name, rnd, **kwargs)


def kpi_summary(result: Result) -> dict[str, Any]:
    """The comparison's figures of one output document."""
    k, obj = result.kpis, result.objective
    return {
        "status": result.status,
        "served_quantity": k.served_quantity,
        "demand_quantity": k.demand_quantity,
        "coverage": k.coverage,
        "weighted_coverage": k.weighted_coverage,
        "served_value": obj.served_value,
        "total_distance_m": obj.total_distance_m,
        "communities_unserved": k.communities_unserved,
        "mean_distance_m": k.mean_distance_m,
        "worst_distance_m": k.worst_distance_m,
        "projects": k.projects,
        "solve_seconds": result.stats.solve_seconds,
        "message": result.message,
        "by_category": {c: g.model_dump() for c, g in k.by_category.items()},
        "by_community": {c: g.model_dump() for c, g in k.by_community.items()},
    }


def project_diff(base: dict, other: dict) -> dict[str, list[dict]]:
    """Projects of ``other`` against ``base``, keyed by (need, resource)."""
    def index(doc):
        return {(p["need_id"], p["resource_id"]): p for p in doc["projects"]}

    a, b = index(base), index(other)
    new = [dict(_row(b[k]), quantity=b[k]["quantity"]) for k in sorted(b.keys() - a.keys())]
    dropped = [dict(_row(a[k]), quantity=a[k]["quantity"]) for k in sorted(a.keys() - b.keys())]
    changed = [dict(_row(b[k]), base_quantity=a[k]["quantity"], quantity=b[k]["quantity"])
               for k in sorted(a.keys() & b.keys()) if a[k]["quantity"] != b[k]["quantity"]]
    return {"new": new, "dropped": dropped, "changed": changed}


def _row(p: dict) -> dict:
    return {"need_id": p["need_id"], "resource_id": p["resource_id"], "community_id": p["community_id"],
            "category": p["category"], "distance_m": p["distance_m"]}


def compare(cases: list[Case]) -> dict[str, Any]:
    """JSON-ready comparison; the first case is the base."""
    base = cases[0]
    out = {"base": base.label, "cases": []}
    for c in cases:
        entry = {"label": c.label, "name": c.round.name, "kpis": kpi_summary(c.result.result)}
        if c is not base:
            entry["diff"] = project_diff(base.result.document, c.result.document)
        out["cases"].append(entry)
    return out


def _fmt(key: str, k: dict) -> str:
    if key == "served":
        return f"{k['served_quantity']}/{k['demand_quantity']}"
    v = k.get(key)
    if v is None:
        return "-"
    if key in ("coverage", "weighted_coverage"):
        return f"{v * 100:.1f}%"
    if key == "solve_seconds":
        return f"{v:.2f}"
    return str(v)


def table_rows(comparison: dict) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the side-by-side KPI table (overall, by category, by community)."""
    cases = comparison["cases"]
    header = ["KPI"] + [c["label"] for c in cases]
    rows = [[label] + [_fmt(key, c["kpis"]) for c in cases] for key, label in KPI_ROWS]
    for group, title in (("by_category", "category"), ("by_community", "community")):
        names: list[str] = []
        for c in cases:
            names += [n for n in c["kpis"][group] if n not in names]
        for n in names:
            cells = []
            for c in cases:
                g = c["kpis"][group].get(n)
                cells.append(f"{g['served_quantity']}/{g['demand_quantity']} {g['coverage'] * 100:.0f}%" if g else "-")
            rows.append([f"{title} {n}"] + cells)
    return header, rows


def render(comparison: dict, width: int = 160) -> str:
    """The comparison as terminal text (rich table plus the project diffs)."""
    from io import StringIO

    from rich.console import Console
    from rich.table import Table

    header, rows = table_rows(comparison)
    table = Table(title=f"what-if against {comparison['base']}", show_lines=False)
    for k, h in enumerate(header):
        table.add_column(h, justify="left" if k == 0 else "right", overflow="fold")
    for r in rows:
        table.add_row(*r)
    buf = StringIO()
    console = Console(file=buf, width=width, force_terminal=False, color_system=None)
    console.print(table)
    for c in comparison["cases"][1:]:
        d = c["diff"]
        console.print(f"{c['label']} vs {comparison['base']}: {len(d['new'])} new, {len(d['dropped'])} dropped, "
                      f"{len(d['changed'])} changed projects", markup=False)
        for kind, sign in (("new", "+"), ("dropped", "-"), ("changed", "~")):
            for p in d[kind][:15]:
                q = f"{p['base_quantity']} -> {p['quantity']}" if kind == "changed" else str(p["quantity"])
                console.print(f"  {sign} {p['need_id']} <- {p['resource_id']} ({p['community_id']}, "
                              f"{p['distance_m']} m): {q}", markup=False)
            if len(d[kind]) > 15:
                console.print(f"  ... and {len(d[kind]) - 15} more {kind}", markup=False)
    return buf.getvalue()
