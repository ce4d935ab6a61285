"""Level 1 (fairness) on plain rounds by network flows: ``maxmin`` exactly, ``leximin``
by saturation stages (the proofs are in ``docs/solvers.md``, "Fairness by flows").

The round's network (source -> resource -> need, as in :mod:`matcher.solvers.flow`)
gets a community layer: need -> community -> sink. A coverage floor ``L_c`` (units the
community must reach, locks included) is a demand of ``max(0, L_c - locked_c)`` units
at the community's node, i.e. a lower bound on its sink arc, so a vector of floors can
be met exactly when that flow problem is feasible. Three networks over the same arcs:

- *floors*, a max flow with the community -> sink arcs capped at the floors: the floors
  can be met iff the max flow fills them, and then the source side of its minimum cut
  holds exactly the communities whose floor can be raised by one unit alone;
- *value*, a min-cost flow with cost ``-weight`` on the need arcs: the most value any
  result meeting the floors has (integral, exact); the floors count when it is at least
  ``ceil(r * V*)``;
- *final*, a min-cost flow with ``flow.py``'s lexicographic costs under one scale for
  the whole network (the floors couple its components): among the results meeting the
  floors, the best served value, then churn, then distance, in one solve.

Communities span the round's parts, so the whole round is one network. ``NotApplicable``
when the final network's costs would not fit in 62 bits (the caller then uses CP-SAT).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Optional

import numpy as np

from ..errors import NotApplicable, SolverFailed
from ..problem import Problem
from . import flow
from .coverage import below, ceil_mul, largest, min_coverage, never, served

NAME = "flow"
_SAFE = 1 << 62


class FairFlow:
    """The round's network with a community layer; floors are per-community unit arrays."""

    def __init__(self, p: Problem, need_comm: np.ndarray, demand: np.ndarray):
        self.p, self.need_comm, self.demand, self.nc = p, need_comm, demand, int(demand.size)
        res_locked, need_locked, _ = p.locked_load()
        cap_left, qty_left = p.cap - res_locked, p.qty - need_locked
        if (cap_left < 0).any() or (qty_left < 0).any():
            raise NotApplicable("locked quantities exceed a capacity or a quantity")
        hi = np.where(p.pair_hi() > 0, np.minimum(cap_left[p.pair_res], qty_left[p.pair_need]), 0)
        self.arcs = arcs = np.flatnonzero(~p.locked & (hi > 0))
        self.lock_units = served(p, need_comm, self.nc, p.pair_lock)
        self.res_nodes, self.r_local = np.unique(p.pair_res[arcs], return_inverse=True)
        self.need_nodes, self.n_local = np.unique(p.pair_need[arcs], return_inverse=True)
        nr, nn = self.res_nodes.size, self.need_nodes.size
        self.comm_local = need_comm[self.need_nodes]
        carry = np.bincount(self.n_local, weights=hi[arcs], minlength=nn).astype(np.int64)
        units = np.minimum(qty_left[self.need_nodes], carry)
        self.reach = self.lock_units + np.bincount(self.comm_local, weights=units, minlength=self.nc).astype(np.int64)
        self.source, self.sink = nr + nn + self.nc, nr + nn + self.nc + 1
        self.supply = int(min(cap_left[self.res_nodes].sum(), qty_left[self.need_nodes].sum())) if arcs.size else 0
        self.checks = 0
        if arcs.size:
            base = (np.concatenate([np.full(nr, self.source), self.r_local, nr + np.arange(nn)]).astype(np.int32),
                    np.concatenate([np.arange(nr), nr + self.n_local, nr + nn + self.comm_local]).astype(np.int32),
                    np.concatenate([cap_left[self.res_nodes], hi[arcs], qty_left[self.need_nodes]]).astype(np.int64))
            self._floor_net(base)
            self._value_net(base)
            self._final_net(hi, cap_left, qty_left)

    def _floor_net(self, base) -> None:
        from ortools.graph.python import max_flow

        tails, heads, caps = base
        comm = np.arange(self.nc, dtype=np.int32) + self.source - self.nc
        self.mf = max_flow.SimpleMaxFlow()
        self.mf.add_arcs_with_capacity(tails, heads, caps)
        self.floor_arcs = np.asarray(self.mf.add_arcs_with_capacity(
            comm, np.full(self.nc, self.sink, dtype=np.int32), np.zeros(self.nc, dtype=np.int64)), dtype=np.int32)

    def _value_net(self, base) -> None:
        from ortools.graph.python import min_cost_flow

        tails, heads, caps = base
        nr, k = self.res_nodes.size, self.arcs.size
        costs = np.zeros(tails.size, dtype=np.int64)
        costs[nr + k:] = -self.p.weight[self.need_nodes]
        comm = np.arange(self.nc, dtype=np.int32) + self.source - self.nc
        self.vf = min_cost_flow.SimpleMinCostFlow()
        all_arcs = self.vf.add_arcs_with_capacity_and_unit_cost(
            np.concatenate([tails, comm, [self.source]]).astype(np.int32),
            np.concatenate([heads, np.full(self.nc + 1, self.sink)]).astype(np.int32),
            np.concatenate([caps, np.full(self.nc + 1, self.supply)]).astype(np.int64),
            np.concatenate([costs, np.zeros(self.nc + 1, dtype=np.int64)]))
        self.value_pair_arcs = np.asarray(all_arcs)[nr: nr + k]

    def _final_net(self, hi: np.ndarray, cap_left: np.ndarray, qty_left: np.ndarray) -> None:
        """flow.py's lexicographic network (one scale), its need -> sink arcs re-headed to the
        community nodes, plus community -> sink arcs."""
        from ortools.graph.python import min_cost_flow

        p, nr, k, nn = self.p, self.res_nodes.size, self.arcs.size, self.need_nodes.size
        tails, heads, caps, costs, _, _, keep, _, _ = flow._network(p, self.arcs, hi[self.arcs], cap_left, qty_left,
                                                                     single_scale=True)
        remap = np.concatenate([np.arange(nr + nn), [self.source, self.sink]]).astype(np.int32)
        tails, heads = remap[tails], remap[heads]
        sink_arcs = slice(nr + k + keep.size, nr + k + keep.size + nn)
        heads[sink_arcs] = self.source - self.nc + self.comm_local
        comm = np.arange(self.nc, dtype=np.int32) + self.source - self.nc
        tails = np.concatenate([tails, comm]).astype(np.int32)
        heads = np.concatenate([heads, np.full(self.nc, self.sink)]).astype(np.int32)
        caps = np.concatenate([caps, np.full(self.nc, self.supply)]).astype(np.int64)
        costs = np.concatenate([costs, np.zeros(self.nc, dtype=np.int64)]).astype(np.int64)
        big = int(np.abs(costs).max())
        rough = float(np.dot(np.abs(costs).astype(np.float64), caps.astype(np.float64)))
        total = int(rough) if rough < _SAFE / 4 else int((np.abs(costs).astype(object) * caps.astype(object)).sum())
        if big * (self.sink + 2) >= _SAFE or total >= _SAFE:
            raise NotApplicable("the scaled costs of the fairness flow would not fit in 64-bit integers")
        self.ff = min_cost_flow.SimpleMinCostFlow()
        all_arcs = np.asarray(self.ff.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs))
        self.final_pair_arcs, self.final_keep = all_arcs[nr: nr + k], keep
        self.final_keep_arcs = all_arcs[nr + k: nr + k + keep.size]

    def _demands(self, floors: np.ndarray) -> Optional[np.ndarray]:
        """Units each community node must take from the network, or None when more than it carries."""
        need = np.maximum(0, np.asarray(floors, dtype=np.int64) - self.lock_units)
        return None if int(need.sum()) > self.supply else need

    def floors_feasible(self, floors: np.ndarray) -> bool:
        """Whether some result meets the floors (any value); the max flow stays for :meth:`raisable`."""
        need = np.maximum(0, np.asarray(floors, dtype=np.int64) - self.lock_units)
        if not self.arcs.size:
            return not need.any()
        self.mf.set_arcs_capacity(self.floor_arcs, need)  # always solved: cut() reads this max flow
        status = self.mf.solve(self.source, self.sink)
        if status != self.mf.OPTIMAL:
            raise SolverFailed(NAME, f"max flow ended with status {getattr(status, 'name', status)}")
        self.checks += 1
        return int(self.mf.optimal_flow()) == int(need.sum())

    def raisable(self) -> np.ndarray:
        """After :meth:`floors_feasible` passed: per community, whether its floor can go up by one
        unit with the others kept (an augmenting path reaches it: it is on the cut's source side)."""
        out = np.zeros(self.nc, dtype=bool)
        if not self.arcs.size:
            return out
        side = np.asarray(self.mf.get_source_side_min_cut(), dtype=np.int64)
        comm = side[(side >= self.source - self.nc) & (side < self.source)] - (self.source - self.nc)
        out[comm] = True
        return out

    def cut(self, floors: np.ndarray) -> tuple[np.ndarray, int]:
        """After :meth:`floors_feasible` failed: the communities on the sink side of the minimum cut,
        and ``X``, what the network's arcs across the cut carry. Any floors ``L`` that can be met have
        ``sum over those communities of max(0, L_c - locked_c) <= X`` (the same cut bounds every flow)."""
        need = np.maximum(0, np.asarray(floors, dtype=np.int64) - self.lock_units)
        if not self.arcs.size:
            return need > 0, 0
        sink_side = ~self.raisable()
        return sink_side, int(self.mf.optimal_flow()) - int(need[~sink_side].sum())

    def _run(self, mcf, floors: np.ndarray) -> bool:
        need = self._demands(floors)
        if need is None or (not self.arcs.size and need.any()):
            return False
        if not self.arcs.size:
            return True
        nodes = np.array([self.source, self.sink, *range(self.source - self.nc, self.source)], dtype=np.int32)
        mcf.set_nodes_supplies(nodes, np.concatenate([[self.supply, -(self.supply - int(need.sum()))], -need]))
        status = mcf.solve()
        self.checks += 1
        if status == mcf.INFEASIBLE:
            return False
        if status != mcf.OPTIMAL:
            raise SolverFailed(NAME, f"min-cost flow ended with status {getattr(status, 'name', status)}")
        return True

    def best(self, floors: np.ndarray) -> Optional[np.ndarray]:
        """A result meeting the floors with the most served value, or None when none meets them."""
        if not self._run(self.vf if self.arcs.size else None, floors):
            return None
        x = self.p.pair_lock.copy()
        if self.arcs.size:
            x[self.arcs] += self.vf.flows(self.value_pair_arcs)
        return x

    def final(self, floors: np.ndarray) -> np.ndarray:
        """Among the results meeting the floors, the lexicographic best (value, churn, distance)."""
        if not self._run(self.ff if self.arcs.size else None, floors):
            raise SolverFailed(NAME, "the fairness floors found feasible cannot be met by the final flow")
        x = self.p.pair_lock.copy()
        if self.arcs.size:
            x[self.arcs] += self.ff.flows(self.final_pair_arcs)
            x[self.arcs[self.final_keep]] += self.ff.flows(self.final_keep_arcs)
        return x


@dataclass
class Outcome:
    """What the coverage search settled: the floors the result must meet, a result meeting
    them, whether every step was decided, and for a leximin tie the communities still free
    and their common level (the rest is for CP-SAT)."""

    floors: np.ndarray
    x: np.ndarray
    decided: bool
    stages: int
    free: list[int] = field(default_factory=list)
    level: Fraction = Fraction(0)


class Search:
    """The checks of one fairness solve: the network, the value floor ``ceil(r V*)``, and
    ``stop()``: True once the deadline passed or a stop was requested."""

    def __init__(self, net: FairFlow, value_floor: int, stop: Callable[[], bool]):
        self.net, self.value_floor, self.stop = net, value_floor, stop
        self.p, self.demand = net.p, net.demand

    def units(self, x: np.ndarray) -> np.ndarray:
        return served(self.p, self.net.need_comm, self.net.nc, x)

    def floors(self, base: np.ndarray, comms: list[int], t: Fraction) -> np.ndarray:
        out = base.copy()
        for c in comms:
            out[c] = max(out[c], ceil_mul(t, int(self.demand[c])))
        return out

    def counts(self, x: Optional[np.ndarray]) -> Optional[np.ndarray]:
        """``x`` when it serves at least the value floor."""
        return x if x is not None and self.p.objective(x)[0] >= self.value_floor else None

    def raise_level(self, base: np.ndarray, comms: list[int], t: Fraction, x: np.ndarray):
        """The largest level every community of ``comms`` reaches together (the others at
        their ``base`` floors), from ``t`` (met by ``x``): floors alone first (max flows),
        then the value. Returns ``(level, witness, decided)``."""
        dens = [int(self.demand[c]) for c in comms]
        top = min(Fraction(int(min(self.net.reach[c], self.demand[c])), int(self.demand[c])) for c in comms)
        top = max(top, t)

        def floor_ok(u: Fraction):
            return (u, None) if self.net.floors_feasible(self.floors(base, comms, u)) else None

        def cut_bound(u: Fraction) -> Fraction:
            """The largest level the failed check's minimum cut still allows (arithmetic only)."""
            sink_side, room = self.net.cut(self.floors(base, comms, u))
            if not sink_side[comms].any():
                return top
            lock = self.net.lock_units

            def fits(v: Fraction):
                need = np.maximum(0, self.floors(base, comms, v) - lock)
                return (v, None) if int(need[sink_side].sum()) <= room else None

            return largest(t, None, below(u, dens), dens, fits, never)[0]

        def value_ok(u: Fraction):
            y = self.counts(self.net.best(self.floors(base, comms, u)))
            return None if y is None else (min_coverage(self.units(y), self.demand, comms), y)

        tf, _, decided = largest(t, None, top, dens, floor_ok, self.stop, cut_bound)
        if tf == t or not decided:
            return t, x, decided
        got = value_ok(tf)
        if got is not None:
            return tf, got[1], True
        return largest(t, x, below(tf, dens), dens, value_ok, self.stop)

    def frozen(self, floors: np.ndarray, comms: list[int], t: Fraction, x: np.ndarray):
        """The communities of ``comms`` whose floor cannot go up by one unit alone (under the value
        floor): all those the max flow's cut shows, and those at the level ``t`` that a value check
        confirms. Returns ``(frozen, witness, decided)``."""
        if not self.net.floors_feasible(floors):
            raise SolverFailed(NAME, "fairness floors met by a result are reported infeasible")
        up = self.net.raisable()
        units = self.units(x)
        out = [c for c in comms if units[c] <= floors[c] and not up[c]]
        for c in comms:
            if units[c] > floors[c] or not up[c] or Fraction(int(floors[c]), int(self.demand[c])) != t:
                continue
            if self.stop():
                return out, x, False
            more = floors.copy()
            more[c] += 1
            y = self.counts(self.net.best(more))
            if y is None:
                out.append(c)
            else:
                x, units = y, self.units(y)
        return sorted(out), x, True


def maxmin(search: Search, comms: list[int], t0: Fraction, x0: np.ndarray) -> Outcome:
    """The largest common coverage level and the floors it sets."""
    base = np.zeros(search.net.nc, dtype=np.int64)
    t, x, decided = search.raise_level(base, comms, t0, x0)
    return Outcome(search.floors(base, comms, t), x, decided, 1)


def leximin(search: Search, comms: list[int], t0: Fraction, x0: np.ndarray) -> Outcome:
    """Saturation stages: raise the free communities' common level as far as it goes, then freeze
    every free community that cannot go up alone; stop when none is free (the floors then fix the
    leximin vector), or at a tie (none frozen, none can be raised together: CP-SAT's turn)."""
    fixed = np.zeros(search.net.nc, dtype=np.int64)
    free, t, x, decided, stages = list(comms), t0, x0, True, 0
    while free:
        stages += 1
        t, x, decided = search.raise_level(fixed, free, t, x)
        floors = search.floors(fixed, free, t)
        if not decided:
            return Outcome(floors, x, False, stages)
        if t == 1:
            return Outcome(floors, x, True, stages)
        frozen, x, decided = search.frozen(floors, free, t, x)
        if not decided:
            return Outcome(floors, x, False, stages)
        if not frozen:
            return Outcome(floors, x, True, stages, free=free, level=t)
        fixed[frozen] = floors[frozen]
        free = [c for c in free if c not in set(frozen)]
    return Outcome(fixed, x, decided, stages)
