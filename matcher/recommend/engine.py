"""The change one new item makes to a solved round, for all its pairs or for one of them.

:func:`evaluate` answers "add the item with these candidate pairs and
re-optimise": by successive shortest paths on the residual network for plain
parts (exact), or by a CP-SAT re-solve of the part it joins with side rules.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .item import NewItem
from .neighbourhood import extend, resolve_part
from .residual import add_item
from .state import RecommendState

SIDE_TIME_LIMIT_S = 1.0


@dataclass
class Change:
    """Units the item gets per candidate (index into its pairs), changed stored pairs, objective change."""

    sent: dict  # candidate position -> units
    dx: dict  # stored pair index -> change of quantity
    d_value: int
    d_dist: int
    exact: bool
    bound_d_value: Optional[int]


def needs_side_rules(state: RecommendState, item: NewItem, cand: np.ndarray) -> bool:
    """True when the item, with the pairs ``cand``, touches a side rule (then the flow does not model it)."""
    p, t, pairs = state.problem, item.tables, item.pairs
    res, need = pairs.res[cand], pairs.need[cand]
    if item.kind == "need":
        own = bool(t.need_aon[0] and t.need_qty[0] > 1)
        touched = state.side_res[res].any() or (p.min_qty[res] > 1).any()
        groups = p.group[res]
    else:
        own = bool(t.res_min_qty[0] > 1)
        touched = state.side_need[need].any() or (p.aon[need] & (p.qty[need] > 1)).any()
        groups = np.full(cand.size, int(t.res_provider[0]), dtype=np.int64)
    limit = p.group_limit[np.unique(groups)]
    extra = np.bincount(groups, minlength=p.group_limit.size)[np.unique(groups)]
    binding = ((limit >= 0) & (state.group_pairs[np.unique(groups)] + extra > limit)).any()
    return bool(own or touched or binding)


def pair_room(state: RecommendState, item: NewItem) -> np.ndarray:
    """Largest quantity each of the item's pairs can carry (0 when a minimum lot cannot be met)."""
    t, pairs, p = item.tables, item.pairs, state.problem
    if item.kind == "need":
        hi = np.minimum(p.cap[pairs.res], t.need_qty[0])
        return np.where(hi >= p.min_qty[pairs.res], hi, 0)
    hi = np.minimum(t.res_cap[0], p.qty[pairs.need])
    return np.where(hi >= t.res_min_qty[0], hi, 0)


def evaluate(state: RecommendState, item: NewItem, cand: np.ndarray) -> Change:
    """Add the item with its pairs ``cand`` (positions in ``item.pairs``) and re-optimise."""
    if cand.size and needs_side_rules(state, item, cand):
        return _side(state, item, cand)
    return _plain(state, item, cand)


def _plain(state: RecommendState, item: NewItem, cand: np.ndarray) -> Change:
    net, t, pairs, p = state.net, item.tables, item.pairs, state.problem
    room = pair_room(state, item)
    if item.kind == "need":
        nodes = [net.res_node(int(i)) for i in pairs.res[cand].tolist()]
        weight_m, amount, backward = int(t.need_weight[0]) * net.M, int(t.need_qty[0]), True
    else:
        nodes = [net.need_node(int(j)) for j in pairs.need[cand].tolist()]
        weight_m, amount, backward = 0, int(t.res_cap[0]), False
    arcs = {v: (int(pairs.dist[k]), int(room[k])) for v, k in zip(nodes, cand.tolist()) if room[k] > 0}
    try:
        added = add_item(net, arcs, weight_m, amount, backward)
    finally:
        net.undo()
    sent = {k: added.sent.get(v, 0) for v, k in zip(nodes, cand.tolist())}
    idx = np.array(list(added.dx), dtype=np.int64)
    dxs = np.array(list(added.dx.values()), dtype=np.int64)
    d_value = int(np.dot(dxs, p.weight[p.pair_need[idx]])) if idx.size else 0
    d_dist = int(np.dot(dxs, p.pair_dist[idx])) if idx.size else 0
    for k, units in sent.items():
        w = t.need_weight[0] if item.kind == "need" else p.weight[pairs.need[k]]
        d_value += int(units * w)
        d_dist += int(units * pairs.dist[k])
    return Change(sent, {k: v for k, v in added.dx.items() if v}, d_value, d_dist, True, d_value)


def _side(state: RecommendState, item: NewItem, cand: np.ndarray) -> Change:
    p, t, pairs = state.problem, item.tables, item.pairs
    if item.kind == "need":
        res, need = pairs.res[cand], np.full(cand.size, p.qty.size)
        q = extend(p, "need", res, need, pairs.dist[cand], 0, int(t.need_qty[0]), int(t.need_weight[0]),
                   bool(t.need_aon[0]), 1, 0)
    else:
        res, need = np.full(cand.size, p.cap.size), pairs.need[cand]
        q = extend(p, "resource", res, need, pairs.dist[cand], int(t.res_cap[0]), 0, 0, False,
                   int(t.res_min_qty[0]), int(t.res_provider[0]))
    seeds = np.arange(p.n_pairs, q.n_pairs)
    ch = resolve_part(q, state.x, seeds, SIDE_TIME_LIMIT_S)
    diff = ch.x_new[: p.n_pairs] - state.x
    dx = {int(k): int(diff[k]) for k in np.flatnonzero(diff).tolist()}
    sent = {k: int(ch.x_new[p.n_pairs + n]) for n, k in enumerate(cand.tolist())}
    return Change(sent, dx, ch.d_value, ch.d_dist, ch.exact, ch.bound_d_value)
