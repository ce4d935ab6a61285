"""Trade-off sweeps: coverage against one swept value, computed efficiently.

Specs (``NAME=START:STOP:STEP``, STOP included, or ``NAME=V1,V2,...``):

* ``params.max_distance_m=400:2000:200`` - the global distance cap. Candidate
  pairs are computed **once** at the widest value; each step keeps the pairs
  whose own limit ``min(value, resource's, need's)`` they fit (locked pairs
  always). The pairs table of a step is then exactly the one a full
  :func:`matcher.service.prepare` would build (same rows, same order).
* ``capacity=F...`` / ``capacity.CATEGORY=F...`` - multiply the capacity of
  all resources (of one category) by F (rounding rule of
  :func:`matcher.whatif.scenario.scaled`). Pairs do not depend on capacity,
  so they are reused entirely.
* ``demand=F...`` / ``demand.CATEGORY=F...`` - the same for need quantities.
* ``params.fairness.min_value_ratio=0.8:1.0:0.05`` - the value floor of the
  round's fairness level (values in (0, 1]); the rows then carry the minimum
  community coverage and the price of fairness: the coverage-floor-versus-value
  frontier. Pairs are reused entirely.

Each step warm-starts the solver with the previous step's quantities
(``hint``) when they are still feasible (a widening circle or a growing
capacity keeps them so); solvers that cannot use a hint ignore it.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from ..candidates import Pairs, pair_keys
from ..columns import RoundColumns
from ..errors import FieldIssue
from ..model import MAX_UNITS, Round
from ..service import Prepared, RoundResult, build_problem, prepare, solve_prepared
from ..tables import build_tables
from .scenario import ScenarioError, scaled


@dataclass(frozen=True)
class SweepSpec:
    kind: str  # "distance", "capacity", "demand" or "fairness"
    category: Optional[str]
    values: tuple[float, ...]
    text: str

    @property
    def name(self) -> str:
        if self.kind == "distance":
            return "max_distance_m"
        if self.kind == "fairness":
            return "min_value_ratio"
        return f"{self.kind}_factor" + (f"[{self.category}]" if self.category else "")


def parse_spec(text: str, where: str = "--sweep") -> SweepSpec:
    def bad(msg: str) -> ScenarioError:
        return ScenarioError([FieldIssue(where, msg)], "invalid sweep")

    if "=" not in text:
        raise bad(f"{text!r}: expected NAME=START:STOP:STEP or NAME=V1,V2,...")
    name, _, rng = text.partition("=")
    name = name.strip()
    if name in ("params.max_distance_m", "max_distance_m"):
        kind, cat = "distance", None
    elif name in ("params.fairness.min_value_ratio", "fairness.min_value_ratio", "min_value_ratio"):
        kind, cat = "fairness", None
    elif name.split(".", 1)[0] in ("capacity", "demand"):
        kind, _, cat = name.partition(".")
        cat = cat or None
    else:
        raise bad(f"cannot sweep {name!r}: params.max_distance_m, params.fairness.min_value_ratio, "
                  "capacity[.CATEGORY] or demand[.CATEGORY]")
    try:
        if ":" in rng:
            parts = [float(p) for p in rng.split(":")]
            if len(parts) != 3:
                raise ValueError
            start, stop, step = parts
            if step <= 0 or stop < start:
                raise bad(f"{rng!r}: need START <= STOP and STEP > 0")
            steps = (stop - start) / step + 1e-9  # may be inf: compared before it becomes an int
            if steps >= 1000:
                raise bad(f"{rng!r}: more than 1000 steps")
            n = int(math.floor(steps)) + 1
            values = tuple(round(start + k * step, 10) for k in range(n))
        else:
            values = tuple(float(p) for p in rng.split(","))
    except ValueError:
        raise bad(f"{rng!r}: numbers expected") from None
    if not values or any(not math.isfinite(v) or v <= 0 for v in values):
        raise bad(f"{rng!r}: every value must be > 0")
    if kind == "fairness" and max(values) > 1:
        raise bad(f"{rng!r}: a value ratio must be in (0, 1]")
    if kind != "distance" and max(values) > MAX_UNITS:
        raise bad(f"{rng!r}: a factor must be <= {MAX_UNITS}")
    return SweepSpec(kind, cat, values, text)


def with_distance(rnd: Round, value: float) -> Round:
    return rnd.model_copy(update={"params": rnd.params.model_copy(update={"max_distance_m": float(value)})})


def with_scaled(rnd: Round, kind: str, category: Optional[str], factor: float) -> Round:
    if kind == "capacity":
        items = tuple(r.model_copy(update={"capacity": scaled(r.capacity, factor)})
                      if category is None or r.category == category else r for r in rnd.resources)
        return rnd.model_copy(update={"resources": items})
    items = tuple(n.model_copy(update={"quantity": scaled(n.quantity, factor)})
                  if category is None or n.category == category else n for n in rnd.needs)
    return rnd.model_copy(update={"needs": items})


def with_value_ratio(rnd: Round, value: float) -> Round:
    fair = rnd.params.fairness
    if fair is None:
        raise ScenarioError([FieldIssue("params.fairness", "the round has no fairness level to sweep: set "
                                        "params.fairness (group, mode) first")], "invalid sweep")
    fair = fair.model_copy(update={"min_value_ratio": float(value)})
    return rnd.model_copy(update={"params": rnd.params.model_copy(update={"fairness": fair})})


def round_at(rnd: Round, spec: SweepSpec, value: float) -> Round:
    """The round of one sweep step (what a full re-solve would solve)."""
    if spec.kind == "distance":
        return with_distance(rnd, value)
    if spec.kind == "fairness":
        return with_value_ratio(rnd, value)
    return with_scaled(rnd, spec.kind, spec.category, value)


def carry(prev_pairs: Pairs, prev_x: np.ndarray, pairs: Pairs, n_need: int) -> np.ndarray:
    """Quantities of the previous step mapped onto this step's pairs (0 where absent)."""
    out = np.zeros(len(pairs), dtype=np.int64)
    on = prev_x > 0
    if not on.any() or len(pairs) == 0:
        return out
    keys = pair_keys(pairs.res, pairs.need, n_need)
    order = np.argsort(keys)
    pk = pair_keys(prev_pairs.res[on], prev_pairs.need[on], n_need)
    pos = np.minimum(np.searchsorted(keys[order], pk), keys.size - 1)
    found = keys[order][pos] == pk
    out[order[pos[found]]] = prev_x[on][found]
    return out


def columns_at(cols: RoundColumns, rnd: Round, spec: SweepSpec, value: float) -> RoundColumns:
    """The columns of one step's round from the base round's columns ``cols`` (of ``rnd``): the
    parameters or the one scaled column change, every other column is shared; the step's
    :class:`Round` is built only when something asks for it."""
    shell, res, needs = cols.shell, cols.resources, cols.needs
    if spec.kind in ("distance", "fairness"):
        shell = round_at(shell, spec, value)  # params only: the shell has no items
    elif spec.kind == "capacity":
        res = {**res, "capacity": _scaled_column(res["capacity"], res["category"], spec.category, value)}
    else:
        needs = {**needs, "quantity": _scaled_column(needs["quantity"], needs["category"], spec.category, value)}
    return RoundColumns(shell, cols.providers, res, needs, build=lambda: round_at(rnd, spec, value))


def _scaled_column(values: list, categories: list, category: Optional[str], factor: float) -> list:
    return [scaled(v, factor) if category is None or c == category else v for v, c in zip(values, categories)]


class Sweeper:
    """Prepared rounds of a sweep's steps, built from one set of candidate pairs and one set of columns."""

    def __init__(self, rnd: Round, spec: SweepSpec):
        self.round, self.spec = rnd, spec
        widest = round_at(rnd, spec, max(spec.values)) if spec.kind == "distance" else rnd
        self.base = prepare(widest)
        self.columns = RoundColumns.of_round(rnd)

    def prepared(self, value: float) -> Prepared:
        cols = columns_at(self.columns, self.round, self.spec, value)
        tables = build_tables(cols)
        pairs = self.base.pairs
        if self.spec.kind == "distance":
            keep = pairs.locked | (pairs.dist_m <= tables.pair_limit(pairs.res, pairs.need))
            pairs = pairs.take(np.flatnonzero(keep))
        return Prepared(cols, tables, pairs, build_problem(tables, pairs), dict(self.base.seconds))


def run(rnd: Round, spec: SweepSpec, *, solver: Optional[str] = None, time_limit_s: Optional[float] = None,
        warm_start: bool = True, timings: bool = True) -> list[dict[str, Any]]:
    """One row per swept value: coverage and the other key figures."""
    sweeper = Sweeper(rnd, spec)
    rows, prev = [], None
    for value in spec.values:
        prep = sweeper.prepared(value)
        hint = None
        if warm_start and prev is not None:
            guess = carry(prev.prepared.pairs, prev.solution.x, prep.pairs, prep.tables.n_need)
            hint = guess if prep.problem.is_feasible(guess) else None
        res = solve_prepared(prep, solver=solver, time_limit_s=time_limit_s, hint=hint, timings=timings,
                             digest=False)  # the rows show figures only
        rows.append(row_of(spec, value, res))
        prev = res
    return rows


def row_of(spec: SweepSpec, value: float, res: RoundResult) -> dict[str, Any]:
    result = res.result
    k, obj = result.kpis, result.objective
    row = {spec.name: value, "status": result.status, "served_quantity": k.served_quantity,
           "demand_quantity": k.demand_quantity, "coverage": k.coverage,
           "weighted_coverage": k.weighted_coverage, "served_value": obj.served_value,
           "total_distance_m": obj.total_distance_m, "projects": k.projects,
           "communities_unserved": k.communities_unserved, "mean_distance_m": k.mean_distance_m,
           "candidate_pairs": result.stats.candidate_pairs}
    if result.fairness is not None:
        row["min_coverage"] = result.fairness.min_coverage
        row["price_of_fairness"] = result.fairness.price_of_fairness
    for cat, g in sorted(k.by_category.items()):
        row[f"coverage[{cat}]"] = g.coverage
    return row


def to_csv(rows: list[dict]) -> str:
    cols: list[str] = []
    for r in rows:
        cols += [c for c in r if c not in cols]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
             "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC", "AR PL UMing CN")


def cjk_font() -> Optional[str]:
    """Name of an installed font with Chinese glyphs, or None."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    for n in CJK_FONTS:
        if n in names:
            return n
    return None


def plot(rows: list[dict], spec: SweepSpec, path: str, title: str = "") -> bool:
    """Coverage against the swept value as a PNG. Returns True when Chinese labels were used
    (a CJK font is installed); otherwise the labels are English."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    font = cjk_font()
    if font:
        plt.rcParams["font.sans-serif"] = [font] + list(plt.rcParams["font.sans-serif"])
        plt.rcParams["axes.unicode_minus"] = False
        xl = {"distance": "服务半径上限（米）", "capacity": "资源容量倍数", "demand": "需求量倍数",
              "fairness": "服务价值下限（占最优的比例）"}[spec.kind]
        labels = ("覆盖率", "加权覆盖率", "覆盖率")
    else:
        xl = {"distance": "max distance (m)", "capacity": "capacity factor", "demand": "demand factor",
              "fairness": "value floor (share of the best value)"}[spec.kind]
        labels = ("coverage", "weighted coverage", "coverage")
    if spec.category:
        xl += f" [{spec.category}]"
    xs = [r[spec.name] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    ax.plot(xs, [r["coverage"] * 100 for r in rows], marker="o", label=labels[0])
    ax.plot(xs, [r["weighted_coverage"] * 100 for r in rows], marker="s", label=labels[1])
    if all(r.get("min_coverage") is not None for r in rows):
        ax.plot(xs, [r["min_coverage"] * 100 for r in rows], marker="^", label="最低社区覆盖率" if font else
                "lowest community coverage")
    cats = sorted({c for r in rows for c in r if c.startswith("coverage[")})
    if len(cats) > 1:
        for c in cats:
            ax.plot(xs, [r.get(c, 0) * 100 for r in rows], linestyle="--", linewidth=1, label=f"{labels[2]} {c[9:-1]}")
    ax.set_xlabel(xl)
    ax.set_ylabel("%")
    ax.set_ylim(0, 105)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    if title and (font or title.isascii()):
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return font is not None
