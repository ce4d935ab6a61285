"""Exact lexicographic solve by OR-Tools min-cost flow (rounds without side rules).

Network: source -> resource (capacity) -> need (pair arcs, cost = metres)
-> sink (quantity, cost = -weight * M_c), plus a free source -> sink bypass so
that serving nothing is always possible. Locked pairs are fixed beforehand:
their quantities are taken off the capacities and quantities. A provider
limit whose free pairs each carry at most one unit (``Problem.unit_groups``)
is a provider node: source -> provider (max_projects less the locked
projects) -> its resources; its projects are then its units. Provider nodes
couple the pair graph's components, so such a network takes one scale.

Why one solve proves both levels: in each connected component ``c`` of the
pair graph, ``M_c`` is one more than an upper bound on the total distance any
flow of that component can have (``sum over needs of min(quantity, what its
arcs can carry) * its farthest arc``). A flow serving at least one unit of
weight more is then always cheaper, whatever its distance, so the minimum cost
is reached only by the maximum served value, and among those by the minimum
distance. With a previous plan (churn, level 3) each pair arc is split into a "keep"
arc (capacity ``min(previous, room)``, cost ``dist - K_c``) and an "add" arc
(the rest, cost ``dist + K_c``), with ``K_c`` = the distance bound + 1 and
``M_c = K_c * (units bound + keep capacity) + distance bound + 1``; the proof
is in ``docs/solvers.md``. Components are independent, so per-component
scales keep the costs small; all costs are integers and are checked to fit in 62 bits (with
the node-count factor the cost-scaling algorithm multiplies by) before
solving. ``NotApplicable`` is raised when they would not, and for problems
with provider limits, minimum lots, all-or-nothing needs or provider targets
that can bind.
"""
from __future__ import annotations

import time
from dataclasses import replace
from typing import Optional

import numpy as np

from .. import parallel
from ..errors import NotApplicable, SolverFailed
from ..problem import Problem, Solution, SolveOptions, SolverStats, Status, components as graph_components

NAME = "flow"
_SAFE = 1 << 62


def components(n_left: int, n_right: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Component label of each edge of a bipartite graph."""
    if left.size == 0:
        return np.zeros(0, dtype=np.int32)
    return graph_components(n_left + n_right, left, right + n_left)[left]


def preload() -> None:
    """Import the backend now (before forking workers that will use it)."""
    from ortools.graph.python import min_cost_flow  # noqa: F401


def _scales(p: Problem, r_local: np.ndarray, n_local: np.ndarray, cap_arc: np.ndarray, dist: np.ndarray,
            keep_cap: Optional[np.ndarray], qty_left: np.ndarray, need_nodes: np.ndarray,
            nr: int, single: bool = False) -> tuple[np.ndarray, list[int], list[int]]:
    """Component of each need node and, per connected component, the churn scale ``K_c``
    (0 without a previous plan) and the value scale ``M_c`` (see the module docstring).
    ``single``: one scale for the whole network, as if it were one component (for
    networks that couple the components, like the fairness floors of ``fairflow``)."""
    nn = need_nodes.size
    comp = np.zeros(r_local.size, dtype=np.int64) if single else components(nr, nn, r_local, n_local)
    need_reach = np.bincount(n_local, weights=cap_arc, minlength=nn).astype(np.int64)
    need_far = np.zeros(nn, dtype=np.int64)
    np.maximum.at(need_far, n_local, dist)
    need_comp = np.zeros(nn, dtype=np.int64)
    need_comp[n_local] = comp
    units = np.minimum(qty_left, need_reach)
    n_comp = int(comp.max()) + 1
    fast = _scales_float(comp, need_comp, units, need_far, keep_cap, n_comp)
    if fast is not None:
        return need_comp, *fast
    dist_bound, unit_bound, keep_bound = [0] * n_comp, [0] * n_comp, [0] * n_comp
    for c, u, f in zip(need_comp.tolist(), units.tolist(), need_far.tolist()):
        dist_bound[c] += u * f  # python ints: exact, no overflow
        unit_bound[c] += u
    if keep_cap is None:
        return need_comp, [0] * n_comp, [b + 1 for b in dist_bound]
    for c, k in zip(comp.tolist(), keep_cap.tolist()):
        keep_bound[c] += k
    K = [b + 1 for b in dist_bound]
    M = [k * (u + kb) + b + 1 for k, u, kb, b in zip(K, unit_bound, keep_bound, dist_bound)]
    return need_comp, K, M


_EXACT = float(1 << 52)  # float64 sums and products of integers below this are exact
_SURE = float(1 << 61)  # a float estimate below this is certainly below _SAFE (rounding errors are far smaller)


def _scales_float(comp: np.ndarray, need_comp: np.ndarray, units: np.ndarray, need_far: np.ndarray,
                  keep_cap: Optional[np.ndarray], n_comp: int) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """``(K, M)`` of :func:`_scales` as int64 arrays, summed in float64, which is exact while every
    value stays below 2**52; ``None`` when some does not (the exact integer loop decides then)."""
    dist_b = np.bincount(need_comp, weights=units * need_far.astype(np.float64), minlength=n_comp)
    if keep_cap is None:
        K, M = np.zeros(n_comp), dist_b + 1
    else:
        unit_b = np.bincount(need_comp, weights=units, minlength=n_comp)
        keep_b = np.bincount(comp, weights=keep_cap, minlength=n_comp)
        K = dist_b + 1
        M = K * (unit_b + keep_b) + dist_b + 1  # every term is below M
    if not M.max(initial=0) < _EXACT:
        return None
    return K.astype(np.int64), M.astype(np.int64)


def _costs_int64(weight: np.ndarray, need_comp: np.ndarray, n_local: np.ndarray, dist: np.ndarray,
                 keep: np.ndarray, K: np.ndarray, M: np.ndarray, caps: tuple[np.ndarray, np.ndarray, np.ndarray],
                 n_nodes: int) -> Optional[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Sink, add and keep arc costs in int64 when a float estimate proves that they and
    :func:`_check_fits`'s products fit (far below 62 bits); ``None`` when it cannot."""
    add_cap, keep_cap, qty = caps
    pair_k = K[need_comp[n_local]]
    sink_f = weight * M[need_comp].astype(np.float64)
    add_f = np.abs(dist + pair_k.astype(np.float64))
    keep_f = np.abs(dist[keep] - pair_k[keep].astype(np.float64))
    biggest = max(sink_f.max(initial=0), add_f.max(initial=0), keep_f.max(initial=0))
    total = float(np.dot(sink_f, qty)) + float(np.dot(add_f, add_cap)) + float(np.dot(keep_f, keep_cap))
    if not (biggest * (n_nodes + 1) < _SURE and total < _SURE):
        return None
    return -weight * M[need_comp], dist + pair_k, dist[keep] - pair_k[keep]


def _check_fits(sink_cost: list[int], arc_costs: list[int], arc_caps: list[int], qty_left: np.ndarray,
                n_nodes: int) -> None:
    """``NotApplicable`` when the costs would not fit in 62 bits: the largest arc cost
    times the node-count factor the cost-scaling algorithm multiplies by, and the
    largest total cost of any flow (every arc full), in exact Python integers."""
    biggest = max(max((-c for c in sink_cost), default=0), max((abs(c) for c in arc_costs), default=0))
    total = sum(-c * q for c, q in zip(sink_cost, qty_left.tolist())) + sum(
        abs(c) * k for c, k in zip(arc_costs, arc_caps))
    if biggest * (n_nodes + 1) >= _SAFE or total >= _SAFE:
        raise NotApplicable("the scaled costs of this flow would not fit in 64-bit integers")


def _network(p: Problem, arcs: np.ndarray, cap_arc: np.ndarray, cap_left: np.ndarray, qty_left: np.ndarray,
             single_scale: bool = False):
    """Arrays of the network (tails, heads, capacities, costs) in the order source arcs,
    pair arcs, keep arcs, sink arcs, bypass; with the node counts, the keep arcs' pairs
    (indices into ``arcs``), the supply and the number of components (1 with ``single_scale``:
    one value and churn scale for the whole network, see :func:`_scales`)."""
    ri, nj, dist = p.pair_res[arcs], p.pair_need[arcs], p.pair_dist[arcs]
    res_nodes, r_local = np.unique(ri, return_inverse=True)
    need_nodes, n_local = np.unique(nj, return_inverse=True)
    nr, nn = res_nodes.size, need_nodes.size
    groups = _group_layer(p, res_nodes)
    single_scale = single_scale or groups[0].size > 0  # provider nodes couple the pair graph's components
    keep_cap = None if p.pair_prev is None else np.minimum(p.pair_prev[arcs], cap_arc)
    need_comp, K, M = _scales(p, r_local, n_local, cap_arc, dist, keep_cap, qty_left[need_nodes], need_nodes, nr,
                              single_scale)
    keep = np.flatnonzero(keep_cap > 0) if keep_cap is not None else np.zeros(0, dtype=np.int64)
    add_cap = cap_arc - (keep_cap if keep_cap is not None else 0)
    kept = keep_cap[keep] if keep.size else np.zeros(0, dtype=np.int64)
    fast = None
    if isinstance(M, np.ndarray):
        fast = _costs_int64(p.weight[need_nodes], need_comp, n_local, dist, keep, K, M,
                            (add_cap, kept, qty_left[need_nodes]), nr + nn + 2 + groups[2].size)
    if fast is not None:
        sink_cost, add_cost, keep_cost = fast
    else:  # exact Python integers: costs near or beyond 62 bits
        sink_cost, add_cost, keep_cost = _costs_exact(p, need_nodes, need_comp, n_local, dist, keep, keep_cap, K, M)
        _check_fits(sink_cost, add_cost.tolist() + keep_cost.tolist(),
                    add_cap.tolist() + kept.tolist(), qty_left[need_nodes], nr + nn + 2 + groups[2].size)
    source, sink = nr + nn, nr + nn + 1
    supply = int(min(cap_left[res_nodes].sum(), qty_left[need_nodes].sum()))
    grouped, g_local, g_room = groups
    res_tail = np.full(nr, source, dtype=np.int64)
    res_tail[grouped] = sink + 1 + g_local  # a resource of a unit group hangs from its provider's node
    ng = g_room.size
    tails = np.concatenate([res_tail, r_local, r_local[keep], nr + np.arange(nn), [source],
                            np.full(ng, source)]).astype(np.int32)
    heads = np.concatenate([np.arange(nr), nr + n_local, nr + n_local[keep], np.full(nn, sink), [sink],
                            sink + 1 + np.arange(ng)]).astype(np.int32)
    caps = np.concatenate([cap_left[res_nodes], add_cap, keep_cap[keep] if keep.size else [],
                           qty_left[need_nodes], [supply], g_room]).astype(np.int64)
    costs = np.concatenate([np.zeros(nr, dtype=np.int64), np.asarray(add_cost, dtype=np.int64),
                            np.asarray(keep_cost, dtype=np.int64), np.asarray(sink_cost, dtype=np.int64), [0],
                            np.zeros(ng, dtype=np.int64)])
    return tails, heads, caps, costs, nr, nn, keep, supply, len(M)


def _group_layer(p: Problem, res_nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The provider nodes of the unit groups (:meth:`Problem.unit_groups`) among ``res_nodes``: the
    positions of their resources in ``res_nodes``, each one's group node (0..G-1), and per group
    node the projects its limit still allows after the locks (``source -> group`` capacity). Every
    free pair of such a group carries at most one unit, so its projects are its units."""
    g_of_res = p.group[res_nodes]
    grouped = np.flatnonzero(p.unit_groups()[g_of_res])
    gids, g_local = np.unique(g_of_res[grouped], return_inverse=True)
    locked_projects = p.group_count(p.locked)
    return grouped, g_local.astype(np.int64), (p.group_limit[gids] - locked_projects[gids]).astype(np.int64)


def _costs_exact(p: Problem, need_nodes: np.ndarray, need_comp: np.ndarray, n_local: np.ndarray, dist: np.ndarray,
                 keep: np.ndarray, keep_cap: Optional[np.ndarray], K, M) -> tuple[list, np.ndarray, np.ndarray]:
    """Sink, add and keep arc costs in exact Python integers (object arrays)."""
    M = [int(m) for m in M]
    sink_cost = [-w * M[c] for w, c in zip(p.weight[need_nodes].tolist(), need_comp.tolist())]
    pair_k = np.asarray([int(k) for k in K], dtype=object)[need_comp[n_local]] if keep_cap is not None else None
    # pair arcs: the "add" part (cost dist + K) and, for previous pairs, a "keep" arc (cost dist - K)
    add_cost = (dist.astype(object) + pair_k) if pair_k is not None else dist.astype(object)
    keep_cost = (dist[keep].astype(object) - pair_k[keep]) if pair_k is not None else np.zeros(0, dtype=object)
    return sink_cost, add_cost, keep_cost


def solve(problem: Problem, options: SolveOptions) -> Solution:
    """The lexicographic optimum. With ``options.should_stop``, a flow of at least
    ``parallel.STOPPABLE_MIN_PAIRS`` pairs runs in a forked child that a stop request
    kills at once (:class:`matcher.parallel.Stopped` is raised); smaller ones take well under a second."""
    if not problem.flow_models():
        raise NotApplicable("min-cost flow cannot model provider limits (max_projects) over pairs of more than "
                            "one unit, minimum lots (min_quantity), all-or-nothing needs or project targets; "
                            "use cpsat or auto")
    options.note(stage="min-cost flow")
    if options.should_stop is None or problem.n_pairs < parallel.STOPPABLE_MIN_PAIRS:
        return _solve(problem, options)
    quiet = replace(options, should_stop=None, progress=None, on_progress=None)
    return parallel.call_stoppable(_solve, (problem, quiet), options.should_stop)


def _solve(problem: Problem, options: SolveOptions) -> Solution:
    from ortools.graph.python import min_cost_flow  # lazy: heavy import

    t0 = time.perf_counter()
    p = problem
    lk = p.locked
    res_locked, need_locked, _ = p.locked_load()
    cap_left, qty_left = p.cap - res_locked, p.qty - need_locked
    if (cap_left < 0).any() or (qty_left < 0).any():
        return Solution.empty(p, Status.INFEASIBLE, NAME, "locked quantities exceed a capacity or a quantity")
    if ((p.group_limit >= 0) & (p.group_count(lk) > p.group_limit)).any():
        return Solution.empty(p, Status.INFEASIBLE, NAME, "locked projects exceed a provider's max_projects")

    x = p.pair_lock.copy()
    # pairs that can never reach their resource's minimum lot stay empty (pair_hi == 0)
    hi = np.where(p.pair_hi() > 0, np.minimum(cap_left[p.pair_res], qty_left[p.pair_need]), 0)
    arcs = np.flatnonzero(~lk & (hi > 0))
    if arcs.size == 0:
        return Solution.of(p, Status.OPTIMAL, x, NAME, stats=SolverStats(seconds=time.perf_counter() - t0))

    net = _network(p, arcs, hi[arcs], cap_left, qty_left)
    tails, heads, caps, costs, nr, nn, keep, supply, n_components = net
    source, sink = nr + nn, nr + nn + 1
    options.say(f"flow: {nr} resources, {nn} needs, {arcs.size} pair arcs")
    mcf = min_cost_flow.SimpleMinCostFlow()
    all_arcs = mcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    mcf.set_nodes_supplies(np.array([source, sink], dtype=np.int32), np.array([supply, -supply], dtype=np.int64))
    built = time.perf_counter()
    status = mcf.solve()
    solved = time.perf_counter()
    if status != mcf.OPTIMAL:
        # with the bypass arc the network is always feasible and flow has no limit: anything else is a fault
        raise SolverFailed(NAME, f"min-cost flow ended with status {getattr(status, 'name', status)}")
    x[arcs] = mcf.flows(all_arcs[nr: nr + arcs.size])
    x[arcs[keep]] += mcf.flows(all_arcs[nr + arcs.size: nr + arcs.size + keep.size])
    return Solution.of(p, Status.OPTIMAL, x, NAME, stats=SolverStats(
        build_seconds=built - t0, solve_seconds=solved - built, components=n_components))
