"""Columnar view of a validated round: ids once, numbers as numpy arrays.

Everything after validation works on these arrays (indices, not ids): the
candidate pairs, the solver problem, the verifier, KPIs and reasons. Ids come
back only when the output document is written.
"""
from __future__ import annotations

from dataclasses import dataclass

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
    prov_max_projects: np.ndarray  # int64, NO_LIMIT when null
    # resources
    res_ids: list[str]
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
    need_comm: np.ndarray  # int32 index into communities
    need_cat: np.ndarray
    need_qty: np.ndarray
    need_priority: np.ndarray
    need_weight: np.ndarray  # int64 value of one served unit
    need_lat: np.ndarray
    need_lon: np.ndarray
    need_max_dist: np.ndarray
    need_tagset: np.ndarray  # int32 index into tag_sets; sets of required tags
    need_aon: np.ndarray  # bool
    need_win: np.ndarray
    # shared vocabularies
    categories: list[str]
    communities: list[str]
    tag_sets: list[frozenset]
    window_patterns: list
    max_distance_m: float
    # committee decisions (indices)
    forbid_res: np.ndarray
    forbid_need: np.ndarray
    lock_res: np.ndarray
    lock_need: np.ndarray
    lock_qty: np.ndarray

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


def build_tables(rnd: Round) -> RoundTables:
    """Columnar arrays of a validated round (one pass over each list's items)."""
    provs, res, needs = rnd.providers, rnd.resources, rnd.needs
    nr, nn = len(res), len(needs)
    prov_ids = [p.id for p in provs]
    prov_index = {p: i for i, p in enumerate(prov_ids)}
    inf = np.inf
    r_cols = list(zip(*[(r.id, r.provider_id, r.category, r.capacity, r.min_quantity, r.lat, r.lon,
                         inf if r.max_distance_m is None else r.max_distance_m, r.tags, r.windows)
                        for r in res])) or [()] * 10
    n_cols = list(zip(*[(n.id, n.community_id, n.category, n.quantity, n.priority, n.lat, n.lon,
                         inf if n.max_distance_m is None else n.max_distance_m, n.required_tags,
                         n.all_or_nothing, n.windows)
                        for n in needs])) or [()] * 11
    res_ids, r_prov, r_cat, r_cap, r_minq, r_lat, r_lon, r_maxd, r_tags, r_win = r_cols
    need_ids, n_comm, n_cat, n_qty, n_prio, n_lat, n_lon, n_maxd, n_tags, n_aon, n_win = n_cols
    res_ids, need_ids = list(res_ids), list(need_ids)
    res_index = {r: i for i, r in enumerate(res_ids)}
    need_index = {n: j for j, n in enumerate(need_ids)}

    cat_codes, categories = _codes(list(r_cat) + list(n_cat))
    comm_codes, communities = _codes(list(n_comm))
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
    weights = rnd.params.weight_of()
    weight_lut = np.array([0] + [weights[p] for p in range(1, 6)], dtype=np.int64)

    def f64(values) -> np.ndarray:
        return np.array(values, dtype=np.float64).reshape(-1)

    def i64(values) -> np.ndarray:
        return np.array(values, dtype=np.int64).reshape(-1)

    need_priority = i64(n_prio)
    return RoundTables(
        round=rnd,
        prov_ids=prov_ids,
        prov_max_projects=i64([NO_LIMIT if p.max_projects is None else p.max_projects for p in provs]),
        res_ids=res_ids,
        res_provider=np.array([prov_index[p] for p in r_prov], dtype=np.int32).reshape(-1),
        res_cat=cat_codes[:nr],
        res_cap=i64(r_cap),
        res_min_qty=i64(r_minq),
        res_lat=f64(r_lat),
        res_lon=f64(r_lon),
        res_max_dist=f64(r_maxd),
        res_tagset=tag_ids[:nr],
        res_win=win_ids[:nr],
        need_ids=need_ids,
        need_comm=comm_codes,
        need_cat=cat_codes[nr:],
        need_qty=i64(n_qty),
        need_priority=need_priority,
        need_weight=weight_lut[need_priority] if nn else np.zeros(0, dtype=np.int64),
        need_lat=f64(n_lat),
        need_lon=f64(n_lon),
        need_max_dist=f64(n_maxd),
        need_tagset=tag_ids[nr:],
        need_aon=np.array(n_aon, dtype=bool).reshape(-1),
        need_win=win_ids[nr:],
        categories=categories,
        communities=communities,
        tag_sets=tag_sets,
        window_patterns=patterns,
        max_distance_m=float(rnd.params.max_distance_m),
        forbid_res=i64([res_index[f.resource_id] for f in rnd.forbidden]),
        forbid_need=i64([need_index[f.need_id] for f in rnd.forbidden]),
        lock_res=i64([res_index[lk.resource_id] for lk in rnd.locked]),
        lock_need=i64([need_index[lk.need_id] for lk in rnd.locked]),
        lock_qty=i64([lk.quantity for lk in rnd.locked]),
    )
