"""The "why" panel of an unmet need: its nearest resources of the category and what kept each from serving it.

The checks are the eligibility rules of ROUND.md, run with the solver's own
table code (:mod:`matcher.tables`, :mod:`matcher.candidates`): same category,
the required tags, the walking limit ``min(params, resource, need)``, the time
windows, the committee's ``forbidden`` pairs; then, for a pair that is
eligible, the room the result leaves: capacity used up by other projects, the
provider's ``max_projects`` reached, a ``min_quantity`` above the room left.
The need's own ``unmet.reason`` (:mod:`matcher.reasons`) is the first of these
for its nearest resource; the panel shows the next ones too.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ..candidates import tags_ok, windows_ok
from ..geo import WALK_M_PER_MIN, haversine_m
from ..tables import NO_LIMIT, RoundTables

NEAREST = 5


@dataclass
class Nearby:
    """One resource near the need and the reasons it did not serve (empty: it could still serve)."""

    resource_id: str
    name: str
    provider: str
    distance_m: int
    walk_minutes: float
    serves: int = 0
    blocks: list[str] = field(default_factory=list)


def _room(t: RoundTables, projects: list[dict]) -> tuple[np.ndarray, Counter]:
    index = {r: i for i, r in enumerate(t.res_ids)}
    used = np.zeros(t.n_res, dtype=np.int64)
    per_provider: Counter = Counter()
    for p in projects:
        i = index.get(p["resource_id"])
        if i is not None:
            used[i] += p["quantity"]
        per_provider[p["provider_id"]] += 1
    return t.res_cap - used, per_provider


def _rules(t: RoundTables, R: np.ndarray, j: int, d: np.ndarray) -> list[list[str]]:
    nj = np.full(R.size, j, dtype=np.int64)
    tags, times = tags_ok(t, R, nj), windows_ok(t, R, nj)
    limit = t.pair_limit(R, nj)
    forbidden = set(zip(t.forbid_res.tolist(), t.forbid_need.tolist()))
    out = []
    for k, i in enumerate(R.tolist()):
        blocks = []
        if not tags[k]:
            missing = sorted(t.tag_sets[t.need_tagset[j]] - t.tag_sets[t.res_tagset[i]])
            blocks.append("缺少所需技能或条件：" + "、".join(missing))
        if d[k] > limit[k]:
            blocks.append(f"相距 {d[k]:,.0f} 米，超过步行范围 {limit[k]:,.0f} 米")
        if not times[k]:
            blocks.append("服务时段与需求时段对不上")
        if (i, j) in forbidden:
            blocks.append("协调委员会已排除这一配对")
        out.append(blocks)
    return out


def _limits(t: RoundTables, i: int, room: np.ndarray, per_provider: Counter, serves: int) -> list[str]:
    blocks = []
    if room[i] <= 0:
        blocks.append(f"容量 {int(t.res_cap[i])} 已被其他需求用完")
    elif t.res_min_qty[i] > room[i] and serves == 0:
        blocks.append(f"剩余 {int(room[i])}，小于最小批量 {int(t.res_min_qty[i])}")
    p = int(t.res_provider[i])
    cap = int(t.prov_max_projects[p])
    if cap != NO_LIMIT and per_provider[t.prov_ids[p]] >= cap and serves == 0:
        blocks.append(f"提供方已有 {cap} 个项目，达到上限")
    return blocks


def nearby(t: RoundTables, need_id: str, projects: list[dict], k: int = NEAREST) -> list[Nearby]:
    """The ``k`` nearest resources of the need's category, with what excluded each (nearest first)."""
    j = t.need_ids.index(need_id)
    R = np.flatnonzero(t.res_cat == t.need_cat[j])
    if R.size == 0:
        return []
    d = haversine_m(t.res_lat[R], t.res_lon[R], t.need_lat[j], t.need_lon[j])
    order = np.argsort(d, kind="stable")[:k]
    R, d = R[order], d[order]
    room, per_provider = _room(t, projects)
    serves = {p["resource_id"]: p["quantity"] for p in projects if p["need_id"] == need_id}
    rows = []
    for (i, dist), blocks in zip(zip(R.tolist(), d.tolist()), _rules(t, R, j, d)):
        rid, got = t.res_ids[i], serves.get(t.res_ids[i], 0)
        if not blocks:
            blocks = _limits(t, i, room, per_provider, got)
        p = int(t.res_provider[i])
        rows.append(Nearby(rid, t.res_names[i] or "", t.prov_names[p] or t.prov_ids[p], int(round(dist)),
                           round(dist / WALK_M_PER_MIN, 1), got, blocks))
    return rows
