"""Exact lexicographic solve by OR-Tools min-cost flow (rounds without side rules).

Network: source -> resource (capacity) -> need (pair arcs, cost = metres)
-> sink (quantity, cost = -weight * M_c), plus a free source -> sink bypass so
that serving nothing is always possible. Locked pairs are fixed beforehand:
their quantities are taken off the capacities and quantities.

Why one solve proves both levels: in each connected component ``c`` of the
pair graph, ``M_c`` is one more than an upper bound on the total distance any
flow of that component can have (``sum over needs of min(quantity, what its
arcs can carry) * its farthest arc``). A flow serving at least one unit of
weight more is then always cheaper, whatever its distance, so the minimum cost
is reached only by the maximum served value, and among those by the minimum
distance. Components are independent, so per-component ``M_c`` keep the
costs small; all costs are integers and are checked to fit in 62 bits (with
the node-count factor the cost-scaling algorithm multiplies by) before
solving. ``NotApplicable`` is raised when they would not, and for problems
with provider limits, minimum lots or all-or-nothing needs.
"""
from __future__ import annotations

import time

import numpy as np
from ..errors import NotApplicable, SolverFailed
from ..problem import Problem, Solution, SolveOptions, Status, components as graph_components

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


def _sink_costs(p: Problem, r_local: np.ndarray, n_local: np.ndarray, cap_arc: np.ndarray, dist: np.ndarray,
                qty_left: np.ndarray, need_nodes: np.ndarray, nr: int) -> tuple[list[int], int]:
    """Cost ``-weight * M_c`` of each need's sink arc (lexicographic scaling, one ``M`` per
    connected component) and the number of components; ``NotApplicable`` when the costs would not fit in 62 bits."""
    nn = need_nodes.size
    comp = components(nr, nn, r_local, n_local)
    need_reach = np.bincount(n_local, weights=cap_arc, minlength=nn).astype(np.int64)
    need_far = np.zeros(nn, dtype=np.int64)
    np.maximum.at(need_far, n_local, dist)
    need_comp = np.zeros(nn, dtype=np.int64)
    need_comp[n_local] = comp
    units = np.minimum(qty_left, need_reach)
    dist_bound = [0] * (int(comp.max()) + 1)
    for c, u, f in zip(need_comp.tolist(), units.tolist(), need_far.tolist()):
        dist_bound[c] += u * f  # python ints: exact, no overflow
    M = [b + 1 for b in dist_bound]
    weights = p.weight[need_nodes].tolist()
    sink_cost = [-w * M[c] for w, c in zip(weights, need_comp.tolist())]
    n_nodes = nr + nn + 2
    biggest = max(max(-c for c in sink_cost), int(dist.max(initial=0)))
    total = sum(-c * q for c, q in zip(sink_cost, qty_left.tolist()))
    if biggest * (n_nodes + 1) >= _SAFE or total >= _SAFE:
        raise NotApplicable("the scaled costs of this flow would not fit in 64-bit integers")
    return sink_cost, len(M)


def solve(problem: Problem, options: SolveOptions) -> Solution:
    from ortools.graph.python import min_cost_flow  # lazy: heavy import

    t0 = time.perf_counter()
    p = problem
    if not p.is_plain():
        raise NotApplicable("min-cost flow cannot model provider limits (max_projects), "
                            "minimum lots (min_quantity) or all-or-nothing needs; use cpsat or auto")
    lk = p.locked
    res_locked, need_locked, _ = p.locked_load()
    cap_left, qty_left = p.cap - res_locked, p.qty - need_locked
    if (cap_left < 0).any() or (qty_left < 0).any():
        return Solution.empty(p, Status.INFEASIBLE, NAME, "locked quantities exceed a capacity or a quantity")

    x = p.pair_lock.copy()
    # pairs that can never reach their resource's minimum lot stay empty (pair_hi == 0)
    hi = np.where(p.pair_hi() > 0, np.minimum(cap_left[p.pair_res], qty_left[p.pair_need]), 0)
    arcs = np.flatnonzero(~lk & (hi > 0))
    if arcs.size == 0:
        return Solution.of(p, Status.OPTIMAL, x, NAME, seconds=time.perf_counter() - t0)

    ri, nj, cap_arc, dist = p.pair_res[arcs], p.pair_need[arcs], hi[arcs], p.pair_dist[arcs]
    res_nodes, r_local = np.unique(ri, return_inverse=True)
    need_nodes, n_local = np.unique(nj, return_inverse=True)
    nr, nn = res_nodes.size, need_nodes.size

    sink_cost, n_components = _sink_costs(p, r_local, n_local, cap_arc, dist, qty_left[need_nodes], need_nodes, nr)
    source, sink = nr + nn, nr + nn + 1
    supply = int(min(cap_left[res_nodes].sum(), qty_left[need_nodes].sum()))
    tails = np.concatenate([np.full(nr, source), r_local, nr + np.arange(nn), [source]]).astype(np.int32)
    heads = np.concatenate([np.arange(nr), nr + n_local, np.full(nn, sink), [sink]]).astype(np.int32)
    caps = np.concatenate([cap_left[res_nodes], cap_arc, qty_left[need_nodes], [supply]]).astype(np.int64)
    costs = np.concatenate([np.zeros(nr, dtype=np.int64), dist, np.asarray(sink_cost, dtype=np.int64),
                            [0]]).astype(np.int64)
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
    flows = mcf.flows(all_arcs[nr: nr + arcs.size])
    x[arcs] = flows
    return Solution.of(p, Status.OPTIMAL, x, NAME, build_seconds=built - t0, solve_seconds=solved - built,
                       components=n_components)
