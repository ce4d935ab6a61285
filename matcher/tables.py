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
    """Columnar arrays of a validated round."""
    provs, res, needs = rnd.providers, rnd.resources, rnd.needs
    prov_ids = [p.id for p in provs]
    prov_index = {p: i for i, p in enumerate(prov_ids)}
    res_ids = [r.id for r in res]
    need_ids = [n.id for n in needs]
    res_index = {r: i for i, r in enumerate(res_ids)}
    need_index = {n: j for j, n in enumerate(need_ids)}

    cat_codes, categories = _codes([r.category for r in res] + [n.category for n in needs])
    comm_codes, communities = _codes([n.community_id for n in needs])
    tag_ids, tag_sets = dedup([frozenset(r.tags) for r in res] + [frozenset(n.required_tags) for n in needs])
    memo: dict = {}  # few distinct window lists: compute each key once (by the raw fields)

    def wkey(windows):
        if windows is None:
            return None
        raw = tuple((w.days, w.start, w.end) for w in windows)
        key = memo.get(raw)
        if key is None:
            key = memo[raw] = win.key_of(windows)
        return key

    win_ids, patterns = dedup([wkey(r.windows) for r in res] + [wkey(n.windows) for n in needs])
    weights = rnd.params.weight_of()
    weight_lut = np.array([0] + [weights[p] for p in range(1, 6)], dtype=np.int64)
    nr = len(res)

    def f64(values):
        return np.fromiter(values, dtype=np.float64, count=-1)

    def i64(values):
        return np.fromiter(values, dtype=np.int64, count=-1)

    need_priority = i64(n.priority for n in needs)
    return RoundTables(
        round=rnd,
        prov_ids=prov_ids,
        prov_max_projects=i64(NO_LIMIT if p.max_projects is None else p.max_projects for p in provs),
        res_ids=res_ids,
        res_provider=np.fromiter((prov_index[r.provider_id] for r in res), dtype=np.int32, count=nr),
        res_cat=cat_codes[:nr],
        res_cap=i64(r.capacity for r in res),
        res_min_qty=i64(r.min_quantity for r in res),
        res_lat=f64(r.lat for r in res),
        res_lon=f64(r.lon for r in res),
        res_max_dist=f64(np.inf if r.max_distance_m is None else r.max_distance_m for r in res),
        res_tagset=tag_ids[:nr],
        res_win=win_ids[:nr],
        need_ids=need_ids,
        need_comm=comm_codes,
        need_cat=cat_codes[nr:],
        need_qty=i64(n.quantity for n in needs),
        need_priority=need_priority,
        need_weight=weight_lut[need_priority] if len(needs) else np.zeros(0, dtype=np.int64),
        need_lat=f64(n.lat for n in needs),
        need_lon=f64(n.lon for n in needs),
        need_max_dist=f64(np.inf if n.max_distance_m is None else n.max_distance_m for n in needs),
        need_tagset=tag_ids[nr:],
        need_aon=np.fromiter((n.all_or_nothing for n in needs), dtype=bool, count=len(needs)),
        need_win=win_ids[nr:],
        categories=categories,
        communities=communities,
        tag_sets=tag_sets,
        window_patterns=patterns,
        max_distance_m=float(rnd.params.max_distance_m),
        forbid_res=i64(res_index[f.resource_id] for f in rnd.forbidden),
        forbid_need=i64(need_index[f.need_id] for f in rnd.forbidden),
        lock_res=i64(res_index[lk.resource_id] for lk in rnd.locked),
        lock_need=i64(need_index[lk.need_id] for lk in rnd.locked),
        lock_qty=i64(lk.quantity for lk in rnd.locked),
    )
