"""Columnar view of a validated round: ids once, numbers as numpy arrays.

Everything after validation works on these arrays (indices, not ids): the
candidate pairs, the solver problem, the verifier, KPIs and reasons. Ids (and
the optional names) come back only when the output document is written.

A need's value per unit (``need_weight``) is the weight of its *effective*
priority: its priority, raised under ``params.priority_aging`` by one step per
``every_rounds`` rounds it stayed short, never above ``max_priority`` and
never below its own priority.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from . import windows as win
from .bitsets import dedup
from .model import Round

NO_LIMIT = -1


@dataclass(frozen=True, eq=False)
class RoundTables:
    round: Round
    # providers
    prov_ids: list[str]
    prov_names: list[Optional[str]]
    prov_max_projects: np.ndarray  # int64, NO_LIMIT when null
    prov_target_projects: np.ndarray  # int64, NO_LIMIT when null
    # resources
    res_ids: list[str]
    res_names: list[Optional[str]]
    res_provider: np.ndarray  # int32 index into providers
    res_cat: np.ndarray  # int32 index into categories
    res_cap: np.ndarray  # int64
    res_min_qty: np.ndarray  # int64
    res_lat: np.ndarray
    res_lon: np.ndarray
    res_max_dist: np.ndarray  # float64, inf when null
    res_tagset: np.ndarray  # int32 index into tag_sets
    res_win: np.ndarray  # int32 index into window_patterns, -1 = always
    # needs
    need_ids: list[str]
    need_names: list[Optional[str]]
    need_comm: np.ndarray  # int32 index into communities
    need_cat: np.ndarray
    need_qty: np.ndarray
    need_priority: np.ndarray  # int64 priority as written
    need_eff_priority: np.ndarray  # int64 effective priority (priority_aging)
    need_weight: np.ndarray  # int64 value of one served unit (of the effective priority)
    need_lat: np.ndarray
    need_lon: np.ndarray
    need_max_dist: np.ndarray
    need_tagset: np.ndarray  # int32 index into tag_sets; sets of required tags
    need_aon: np.ndarray  # bool
    need_win: np.ndarray
    # shared vocabularies
    categories: list[str]
    communities: list[str]  # community ids of the needs, in order of first appearance
    community_names: list[Optional[str]]  # aligned with communities; None without a name
    tag_sets: list[frozenset]
    window_patterns: list
    max_distance_m: float
    # committee decisions (indices)
    forbid_res: np.ndarray
    forbid_need: np.ndarray
    lock_res: np.ndarray
    lock_need: np.ndarray
    lock_qty: np.ndarray
    # the previous plan (churn level): pairs as indices, has_previous = the round gives one
    has_previous: bool
    prev_res: np.ndarray
    prev_need: np.ndarray
    prev_qty: np.ndarray

    @property
    def n_res(self) -> int:
        return len(self.res_ids)

    @property
    def n_need(self) -> int:
        return len(self.need_ids)

    @property
    def n_prov(self) -> int:
        return len(self.prov_ids)

    def pair_limit(self, res: np.ndarray, need: np.ndarray) -> np.ndarray:
        """Distance limit of each pair: min(global, resource's, need's)."""
        return np.minimum(np.minimum(self.max_distance_m, self.res_max_dist[res]), self.need_max_dist[need])


def _codes(values: list[str]) -> tuple[np.ndarray, list[str]]:
    table: dict[str, int] = {}
    codes = np.fromiter((table.setdefault(v, len(table)) for v in values), dtype=np.int32, count=len(values))
    return codes, list(table)


def _f64(values) -> np.ndarray:
    return np.array(values, dtype=np.float64).reshape(-1)


def _i64(values) -> np.ndarray:
    return np.array(values, dtype=np.int64).reshape(-1)


def _shared(r_tags, n_tags, r_win, n_win) -> tuple[np.ndarray, list, np.ndarray, list]:
    """Tag-set and window-pattern codes of resources then needs, with their vocabularies."""
    tag_memo: dict = {}  # tag tuples repeat: one frozenset per distinct tuple
    tag_ids, tag_sets = dedup([tag_memo.get(tags) or tag_memo.setdefault(tags, frozenset(tags))
                               for tags in r_tags + n_tags])
    memo: dict = {}  # few distinct window lists: compute each key once (by the raw fields)

    def wkey(windows):
        if windows is None:
            return None
        raw = tuple((w.days, w.start, w.end) for w in windows)
        key = memo.get(raw)
        if key is None:
            key = memo[raw] = win.key_of(windows)
        return key

    win_ids, patterns = dedup([wkey(w) for w in r_win + n_win])
    return tag_ids, tag_sets, win_ids, patterns


def _decisions(rnd: Round, res_ids: list[str], need_ids: list[str]) -> dict:
    """Forbidden, locked and previous pairs as index arrays."""
    res_index = {r: i for i, r in enumerate(res_ids)}
    need_index = {n: j for j, n in enumerate(need_ids)}
    prev = rnd.previous or ()
    return dict(
        forbid_res=_i64([res_index[f.resource_id] for f in rnd.forbidden]),
        forbid_need=_i64([need_index[f.need_id] for f in rnd.forbidden]),
        lock_res=_i64([res_index[lk.resource_id] for lk in rnd.locked]),
        lock_need=_i64([need_index[lk.need_id] for lk in rnd.locked]),
        lock_qty=_i64([lk.quantity for lk in rnd.locked]),
        has_previous=rnd.previous is not None,
        prev_res=_i64([res_index[p.resource_id] for p in prev]),
        prev_need=_i64([need_index[p.need_id] for p in prev]),
        prev_qty=_i64([p.quantity for p in prev]),
    )


def _providers(rnd: Round) -> dict:
    provs = rnd.providers
    return dict(
        prov_ids=[p.id for p in provs],
        prov_names=[p.name for p in provs],
        prov_max_projects=_i64([NO_LIMIT if p.max_projects is None else p.max_projects for p in provs]),
        prov_target_projects=_i64([NO_LIMIT if p.target_projects is None else p.target_projects for p in provs]),
    )


def build_tables(rnd: Round) -> RoundTables:
    """Columnar arrays of a validated round (one pass over each list's items)."""
    res, needs = rnd.resources, rnd.needs
    nr, nn = len(res), len(needs)
    provs = _providers(rnd)
    prov_index = {p: i for i, p in enumerate(provs["prov_ids"])}
    inf = np.inf
    r_cols = list(zip(*[(r.id, r.provider_id, r.category, r.capacity, r.min_quantity, r.lat, r.lon,
                         inf if r.max_distance_m is None else r.max_distance_m, r.tags, r.windows, r.name)
                        for r in res])) or [()] * 11
    n_cols = list(zip(*[(n.id, n.community_id, n.category, n.quantity, n.priority, n.lat, n.lon,
                         inf if n.max_distance_m is None else n.max_distance_m, n.required_tags,
                         n.all_or_nothing, n.windows, n.name, n.rounds_unmet)
                        for n in needs])) or [()] * 13
    res_ids, r_prov, r_cat, r_cap, r_minq, r_lat, r_lon, r_maxd, r_tags, r_win, r_names = r_cols
    need_ids, n_comm, n_cat, n_qty, n_prio, n_lat, n_lon, n_maxd, n_tags, n_aon, n_win, n_names, n_unmet = n_cols
    res_ids, need_ids = list(res_ids), list(need_ids)

    cat_codes, categories = _codes(list(r_cat) + list(n_cat))
    comm_codes, communities = _codes(list(n_comm))
    comm_name = {c.id: c.name for c in rnd.communities or ()}
    tag_ids, tag_sets, win_ids, patterns = _shared(r_tags, n_tags, r_win, n_win)
    weights = rnd.params.weight_of()
    weight_lut = np.array([0] + [weights[p] for p in range(1, 6)], dtype=np.int64)
    need_priority = _i64(n_prio)
    need_eff = effective_priority(need_priority, _i64(n_unmet), rnd)
    return RoundTables(
        round=rnd, **provs,
        res_ids=res_ids, res_names=list(r_names),
        res_provider=np.array([prov_index[p] for p in r_prov], dtype=np.int32).reshape(-1),
        res_cat=cat_codes[:nr], res_cap=_i64(r_cap), res_min_qty=_i64(r_minq),
        res_lat=_f64(r_lat), res_lon=_f64(r_lon), res_max_dist=_f64(r_maxd),
        res_tagset=tag_ids[:nr], res_win=win_ids[:nr],
        need_ids=need_ids, need_names=list(n_names), need_comm=comm_codes,
        need_cat=cat_codes[nr:], need_qty=_i64(n_qty),
        need_priority=need_priority, need_eff_priority=need_eff,
        need_weight=weight_lut[need_eff] if nn else np.zeros(0, dtype=np.int64),
        need_lat=_f64(n_lat), need_lon=_f64(n_lon), need_max_dist=_f64(n_maxd),
        need_tagset=tag_ids[nr:], need_aon=np.array(n_aon, dtype=bool).reshape(-1), need_win=win_ids[nr:],
        categories=categories, communities=communities,
        community_names=[comm_name.get(c) for c in communities],
        tag_sets=tag_sets, window_patterns=patterns, max_distance_m=float(rnd.params.max_distance_m),
        **_decisions(rnd, res_ids, need_ids),
    )


def effective_priority(priority: np.ndarray, rounds_unmet: np.ndarray, rnd: Round) -> np.ndarray:
    """``max(priority, min(max_priority, priority + rounds_unmet // every_rounds))``
    under ``params.priority_aging``; the priority itself without it."""
    aging = rnd.params.priority_aging
    if aging is None or priority.size == 0:
        return priority
    # rounds_unmet <= 1000: a larger step count gives the same quotient 0 and stays inside 64 bits
    step = min(aging.every_rounds, 1001)
    return np.maximum(priority, np.minimum(aging.max_priority, priority + rounds_unmet // step))
