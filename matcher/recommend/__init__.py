"""Best fits for one new need (or one new resource) against a solved round (CYCLE.md, recommend).

Load a stored round once (:class:`RecommendState`), then answer each call with
:func:`recommend`: the ``k`` best ways to serve the new item, each the
re-optimised round with the item allowed that one pair, plus ``best``, the
re-optimised round with all the item's pairs (what a full re-solve of the
round plus the item gives). Method and proofs: ``docs/recommend.md``.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..errors import FieldIssue, RoundValidationError
from ..geo import WALK_M_PER_MIN
from ..reasons import unmet_reasons
from .engine import Change, evaluate, pair_room
from .item import NewItem, new_item
from .state import RecommendState

K_MAX = 50
SIDE_CANDIDATES_PER_K = 2  # single-pair options tried per wanted option where no cheap bound exists

__all__ = ["K_MAX", "RecommendState", "option_for", "recommend"]


def recommend(state: RecommendState, item: Any, k: int = 5, kind: str = "need") -> dict:
    """The answer document for one new ``kind`` (``"need"`` or ``"resource"``) given as a JSON-ready dict."""
    if kind not in ("need", "resource"):
        raise RoundValidationError([FieldIssue("kind", "must be 'need' or 'resource'")])
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= K_MAX:
        raise RoundValidationError([FieldIssue("k", f"must be an integer from 1 to {K_MAX}")])
    it = new_item(state.items, kind, item)
    room = pair_room(state, it)
    usable = np.flatnonzero(room > 0)
    best = evaluate(state, it, usable)
    options = _options(state, it, usable, k)
    return {
        "kind": kind,
        "id": it.model.id,
        "k": k,
        "exact": best.exact and all(c.exact for _, c in options),
        "best": _change_doc(state, it, best),
        "options": [_option_doc(state, it, pos, c, rank) for rank, (pos, c) in enumerate(options, 1)],
        "unmet": _unmet(state, it, best),
    }


def option_for(state: RecommendState, item: Any, other_id: str, kind: str = "need") -> Optional[dict]:
    """The option document of one named pair: the new need with resource ``other_id`` (a new resource
    with need ``other_id``), evaluated as :func:`recommend` evaluates its options, with ``rank`` null;
    None when the pair is not a candidate of the item or would serve nothing."""
    if kind not in ("need", "resource"):
        raise RoundValidationError([FieldIssue("kind", "must be 'need' or 'resource'")])
    it = new_item(state.items, kind, item)
    t = state.prepared.tables
    ids, other = (t.res_ids, it.pairs.res) if kind == "need" else (t.need_ids, it.pairs.need)
    hits = np.flatnonzero(other == ids.index(other_id)) if other_id in ids else np.zeros(0, dtype=np.int64)
    if not hits.size or pair_room(state, it)[hits[0]] <= 0:
        return None
    pos = int(hits[0])
    c = evaluate(state, it, np.array([pos]))
    return _option_doc(state, it, pos, c, None) if c.sent.get(pos, 0) > 0 else None


def _cost(state: RecommendState, c: Change) -> int:
    """One integer ordering changes by value gained (more first), then distance added (less first)."""
    return -c.d_value * state.net.M + c.d_dist


def _lower_bounds(state: RecommendState, it: NewItem, usable: np.ndarray, room: np.ndarray) -> list[float]:
    """Lowest cost each single-pair option can have: its first augmenting cycle, times its units
    (cycle costs never decrease). Without a cheap bound (side rules, new resources) minus infinity."""
    net, p = state.net, state.problem
    if it.kind != "need":
        return [-np.inf] * usable.size
    out = []
    for pos in usable.tolist():
        i = int(it.pairs.res[pos])
        pi = net.pi_of(net.res_node(i))
        if state.side_res[i] or p.min_qty[i] > 1 or pi is None:
            out.append(-np.inf)
            continue
        first = pi + int(it.pairs.dist[pos]) - int(it.tables.need_weight[0]) * net.M
        out.append(min(0, first * int(room[pos])))
    return out


def _options(state: RecommendState, it: NewItem, usable: np.ndarray, k: int) -> list[tuple[int, Change]]:
    """The ``k`` best single-pair options. On plain parts the ranking is exact: options are
    evaluated in order of their lower bound, stopping when the next bound is above the
    ``k``-th found (a bound of 0 means the pair would serve nothing). Without a bound (side rules, a new resource) the nearest
    ``SIDE_CANDIDATES_PER_K * k`` pairs are evaluated and ranked."""
    room = pair_room(state, it)
    bounds = _lower_bounds(state, it, usable, room)
    order = sorted(range(usable.size), key=lambda n: (bounds[n], int(it.pairs.dist[usable[n]]), n))
    found: list[tuple[int, int, int, Change]] = []
    unbounded = 0
    for n in order:
        if len(found) >= k and found[k - 1][0] < bounds[n]:
            break
        if bounds[n] == 0:  # the first cycle is not negative: this pair would serve nothing
            continue
        if bounds[n] == -np.inf:  # side rules: each evaluation is a CP-SAT re-solve, try the nearest few
            unbounded += 1
            if unbounded > SIDE_CANDIDATES_PER_K * k:
                break
        pos = int(usable[n])
        c = evaluate(state, it, np.array([pos]))
        if c.sent.get(pos, 0) > 0:
            found.append((_cost(state, c), int(it.pairs.dist[pos]), pos, c))
            found.sort(key=lambda f: f[:3])
    return [(pos, c) for _, _, pos, c in found[:k]]


def _ids(state: RecommendState, it: NewItem, pos: int) -> tuple[str, str, str]:
    """(resource id, need id, provider id) of the item's pair ``pos``."""
    t = state.prepared.tables
    if it.kind == "need":
        i = int(it.pairs.res[pos])
        return t.res_ids[i], it.model.id, t.prov_ids[t.res_provider[i]]
    return it.model.id, t.need_ids[int(it.pairs.need[pos])], it.model.provider_id


def _chain(state: RecommendState, c: Change) -> list[dict]:
    """The stored projects the change touches, in pair order: before and after."""
    t, p = state.prepared.tables, state.problem
    rows = []
    for k in sorted(c.dx):
        before = int(state.x[k])
        rows.append({"need_id": t.need_ids[p.pair_need[k]], "resource_id": t.res_ids[p.pair_res[k]],
                     "before": before, "after": before + c.dx[k]})
    return rows


def _change_doc(state: RecommendState, it: NewItem, c: Change) -> dict:
    projects = []
    for pos in sorted(c.sent, key=lambda n: (int(it.pairs.dist[n]), n)):
        if c.sent[pos] > 0:
            res_id, need_id, prov_id = _ids(state, it, pos)
            d = int(it.pairs.dist[pos])
            projects.append({"resource_id": res_id, "need_id": need_id, "provider_id": prov_id,
                             "quantity": c.sent[pos], "distance_m": d, "walk_minutes": round(d / WALK_M_PER_MIN, 1)})
    return {"quantity": sum(c.sent.values()), "delta_served_value": c.d_value, "delta_total_distance_m": c.d_dist,
            "exact": c.exact, "bound_delta_served_value": c.bound_d_value, "projects": projects,
            "displacement": _chain(state, c)}


def _option_doc(state: RecommendState, it: NewItem, pos: int, c: Change, rank: Optional[int]) -> dict:
    res_id, need_id, prov_id = _ids(state, it, pos)
    d = int(it.pairs.dist[pos])
    return {"rank": rank, "resource_id": res_id, "need_id": need_id, "provider_id": prov_id,
            "quantity": c.sent[pos], "distance_m": d, "walk_minutes": round(d / WALK_M_PER_MIN, 1),
            "delta_served_value": c.d_value, "delta_total_distance_m": c.d_dist, "exact": c.exact,
            "bound_delta_served_value": c.bound_d_value, "displacement": _chain(state, c)}


def _unmet(state: RecommendState, it: NewItem, best: Change):
    """For a new need not fully served by ``best``: its short quantity and the reason a solve gives."""
    if it.kind != "need":
        return None
    from dataclasses import replace

    p, t = state.problem, it.tables
    used = state.res_used.copy()
    for k, dx in best.dx.items():
        used[p.pair_res[k]] += dx
    x = np.zeros(len(it.pairs), dtype=np.int64)
    for pos, units in best.sent.items():
        x[pos] = units
    rows = unmet_reasons(replace(t, res_cap=t.res_cap - used), it.pairs, x)
    return None if not rows else {"need_id": it.model.id, "quantity": rows[0][1], "reason": rows[0][2]}
