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
from .columns import RoundColumns
from .model import Round

NO_LIMIT = -1


@dataclass(frozen=True, eq=False)
class RoundTables:
    columns: RoundColumns  # the validated round's columns (and, on demand, the round)
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
    def round(self) -> Round:
        """The validated :class:`Round` (built on first use for a round read column by column)."""
        return self.columns.round

    @property
    def params(self):
        return self.columns.params

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
    """Code of each value and the distinct values, in order of first appearance."""
    distinct = list(dict.fromkeys(values))
    table = dict(zip(distinct, range(len(distinct))))
    return np.fromiter(map(table.__getitem__, values), dtype=np.int32, count=len(values)), distinct


def _f64(values) -> np.ndarray:
    return np.array(values, dtype=np.float64).reshape(-1)


def _i64(values) -> np.ndarray:
    return np.array(values, dtype=np.int64).reshape(-1)


def _shared(r_tags, n_tags, r_win, n_win) -> tuple[np.ndarray, list, np.ndarray, list]:
    """Tag-set and window-pattern codes of resources then needs, with their vocabularies
    (windows as the columns' ``(days, start, end)`` triples). Items share few distinct
    tag tuples and window lists: each is turned into its set or key once."""
    tags = r_tags + n_tags
    tuples = list(dict.fromkeys(tags))
    set_ids, tag_sets = dedup([frozenset(t) for t in tuples])
    tag_ids = np.asarray(set_ids, dtype=np.int32)[_codes(tags)[0]] if tags else np.zeros(0, dtype=np.int32)
    wins = r_win + n_win
    raws, raw_codes = list(dict.fromkeys(wins)), _codes(wins)[0]
    pat_ids, patterns = dedup([win.key_of_raw(raw) for raw in raws])
    win_ids = np.asarray(pat_ids, dtype=np.int32)[raw_codes] if wins else np.zeros(0, dtype=np.int32)
    return tag_ids, tag_sets, win_ids, patterns


def _index(ids: list[str]) -> dict[str, int]:
    return dict(zip(ids, range(len(ids))))


def _decisions(rnd: Round, res_ids: list[str], need_ids: list[str]) -> dict:
    """Forbidden, locked and previous pairs as index arrays."""
    prev = rnd.previous or ()
    if rnd.forbidden or rnd.locked or prev:
        res_index, need_index = _index(res_ids), _index(need_ids)
    else:
        res_index = need_index = {}
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


def _or_limit(values: list) -> np.ndarray:
    return _i64([NO_LIMIT if v is None else v for v in values])


def _or_inf(values: list) -> np.ndarray:
    return _f64([np.inf if v is None else v for v in values])


def _providers(p: dict) -> dict:
    return dict(prov_ids=p["id"], prov_names=p["name"], prov_max_projects=_or_limit(p["max_projects"]),
                prov_target_projects=_or_limit(p["target_projects"]))


def _resources(r: dict, prov_index: dict[str, int]) -> dict:
    return dict(
        res_ids=r["id"], res_names=r["name"],
        res_provider=np.fromiter(map(prov_index.__getitem__, r["provider_id"]), dtype=np.int32, count=len(r["id"])),
        res_cap=_i64(r["capacity"]), res_min_qty=_i64(r["min_quantity"]),
        res_lat=_f64(r["lat"]), res_lon=_f64(r["lon"]), res_max_dist=_or_inf(r["max_distance_m"]))


def _needs(n: dict, rnd: Round) -> dict:
    weights = rnd.params.weight_of()
    weight_lut = np.array([0] + [weights[p] for p in range(1, 6)], dtype=np.int64)
    need_priority = _i64(n["priority"])
    need_eff = effective_priority(need_priority, _i64(n["rounds_unmet"]), rnd)
    comm_codes, communities = _codes(n["community_id"])
    comm_name = {c.id: c.name for c in rnd.communities or ()}
    return dict(
        need_ids=n["id"], need_names=n["name"], need_comm=comm_codes, need_qty=_i64(n["quantity"]),
        need_priority=need_priority, need_eff_priority=need_eff,
        need_weight=weight_lut[need_eff] if need_priority.size else np.zeros(0, dtype=np.int64),
        need_lat=_f64(n["lat"]), need_lon=_f64(n["lon"]), need_max_dist=_or_inf(n["max_distance_m"]),
        need_aon=np.array(n["all_or_nothing"], dtype=bool).reshape(-1),
        communities=communities, community_names=[comm_name.get(c) for c in communities])


def build_tables(src: Round | RoundColumns) -> RoundTables:
    """Columnar arrays of a validated round (a :class:`Round` or its :class:`RoundColumns`)."""
    cols = src if isinstance(src, RoundColumns) else RoundColumns.of_round(src)
    rnd = cols.shell  # name, params, communities and the decisions; no items
    r, n = cols.resources, cols.needs
    nr = len(r["id"])
    provs = _providers(cols.providers)
    prov_index = _index(provs["prov_ids"])
    cat_codes, categories = _codes(r["category"] + n["category"])
    tag_ids, tag_sets, win_ids, patterns = _shared(r["tags"], n["required_tags"], r["windows"], n["windows"])
    return RoundTables(
        columns=cols, **provs, **_resources(r, prov_index), **_needs(n, rnd),
        res_cat=cat_codes[:nr], res_tagset=tag_ids[:nr], res_win=win_ids[:nr],
        need_cat=cat_codes[nr:], need_tagset=tag_ids[nr:], need_win=win_ids[nr:],
        categories=categories, tag_sets=tag_sets, window_patterns=patterns,
        max_distance_m=float(rnd.params.max_distance_m), **_decisions(rnd, r["id"], n["id"]),
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
