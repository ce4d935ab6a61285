"""Default solver: split into independent parts, solve each exactly and fast.

Two needs or resources are in the same part when a chain of candidate pairs
links them, or when their resources belong to one provider whose
``max_projects`` can bind. Parts share nothing, so the lexicographic optimum
of the round is the sum of the parts' optima, and the round is proven optimal
when every part is.

All plain parts (no binding provider limit, minimum lot or all-or-nothing
need) go to one min-cost flow call; each other part goes to CP-SAT with a
share of the time limit proportional to its size (unused time carries over).
"""
from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..problem import NotApplicable, Problem, Solution, SolveOptions, Status
from . import cpsat, flow
from .greedy import greedy_quantities

NAME = "auto"


def parts(p: Problem) -> tuple[np.ndarray, np.ndarray]:
    """Part label per pair (-1 for pairs that can never carry anything) and
    whether each part needs CP-SAT."""
    usable = (p.pair_hi() > 0) | p.locked
    nr, nn, ng = p.cap.size, p.qty.size, p.group_limit.size
    label = np.full(p.n_pairs, -1, dtype=np.int64)
    idx = np.flatnonzero(usable)
    if idx.size == 0:
        return label, np.zeros(0, dtype=bool)
    ri, nj = p.pair_res[idx], p.pair_need[idx]
    binding = p.binding_groups()
    res_in = np.unique(ri)
    res_bind = res_in[binding[p.group[res_in]]]
    rows = np.concatenate([ri, res_bind])
    cols = np.concatenate([nr + nj, nr + nn + p.group[res_bind]])
    n = nr + nn + ng
    g = coo_matrix((np.ones(rows.size, dtype=np.int8), (rows, cols)), shape=(n, n))
    _, node_label = connected_components(g, directed=False)
    _, compact = np.unique(node_label[ri], return_inverse=True)
    label[idx] = compact
    side = p.side_constrained_pairs()[idx]
    needs_cpsat = np.zeros(int(compact.max()) + 1, dtype=bool)
    needs_cpsat[compact[side]] = True
    return label, needs_cpsat


def solve(problem: Problem, options: SolveOptions) -> Solution:
    t0 = time.perf_counter()
    deadline = t0 + options.time_limit_s
    p = problem
    label, needs_cpsat = parts(p)
    x = np.zeros(p.n_pairs, dtype=np.int64)
    statuses: list[Status] = []
    bound = 0
    messages: list[str] = []
    n_flow = int((~needs_cpsat).sum())
    stats = {"components": int(needs_cpsat.size), "components_flow": n_flow,
             "components_cpsat": int(needs_cpsat.sum())}

    cpsat_parts = list(np.flatnonzero(needs_cpsat))
    if n_flow:
        sel = np.flatnonzero((label >= 0) & ~needs_cpsat[np.maximum(label, 0)])
        sub = p.restrict(sel)
        try:
            sol = flow.solve(sub, options)
            x[sel] = sol.x
            statuses.append(sol.status)
            bound += sol.bound_served_value if sol.bound_served_value is not None else sub.value_upper_bound()
            if sol.message:
                messages.append(sol.message)
        except NotApplicable:  # cost range too wide for one flow: let CP-SAT take those parts
            cpsat_parts = sorted(set(cpsat_parts) | set(np.flatnonzero(~needs_cpsat).tolist()))
    sizes = {c: int(n) for c, n in zip(*np.unique(label[label >= 0], return_counts=True))}
    left = sum(sizes.get(c, 0) for c in cpsat_parts)
    for k, c in enumerate(sorted(cpsat_parts, key=lambda c: (-sizes.get(c, 0), c))):
        sel = np.flatnonzero(label == c)
        sub = p.restrict(sel)
        remaining = max(0.0, deadline - time.perf_counter())
        share = remaining * sizes[c] / max(1, left)
        left -= sizes[c]
        options.say(f"auto: part {k + 1}/{len(cpsat_parts)} with {sel.size} pairs by cpsat")
        hint = greedy_quantities(sub)
        sol = cpsat.solve(sub, replace(options, time_limit_s=max(0.05, share), hint=hint))
        if sol.status is Status.UNKNOWN and not sub.locked.any():
            # nothing found in time, but serving nothing is always valid here
            sol = Solution.of(sub, Status.FEASIBLE, np.zeros(sub.n_pairs, dtype=np.int64), NAME,
                              bound=sub.value_upper_bound(), message=sol.message)
        statuses.append(sol.status)
        x[sel] = sol.x
        bound += sol.bound_served_value if sol.bound_served_value is not None else sub.value_upper_bound()
        if sol.message and sol.message not in messages:
            messages.append(sol.message)
        if sol.status in (Status.INFEASIBLE, Status.UNKNOWN):
            break
    for worst in (Status.INFEASIBLE, Status.UNKNOWN, Status.FEASIBLE):
        if worst in statuses:
            status = worst
            break
    else:
        status = Status.OPTIMAL
    if status in (Status.INFEASIBLE, Status.UNKNOWN):
        return Solution.empty(p, status, NAME, "; ".join(messages))
    stats["seconds"] = time.perf_counter() - t0
    return Solution.of(p, status, x, NAME, bound=bound, message="; ".join(messages), **stats)
