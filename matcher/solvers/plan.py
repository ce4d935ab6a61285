"""Planning an ``auto`` solve: the independent parts, each one's method, size and share of the time.

:func:`plan` is a pure function of the problem (no solving, no clock, no
environment, no knowledge of the machine or cluster): the same round always
gives the same plan, which :mod:`matcher.solvers.run` then executes and
:mod:`matcher.solvers.merge` combines.

* The parts are :meth:`matcher.problem.Problem.parts`: they share nothing, so
  the round's optimum is the sum of theirs.
* A plain part (no binding provider limit or target, minimum lot or
  all-or-nothing need) goes to min-cost flow (:attr:`Method.FLOW`), and so
  does a part whose only such rule is a provider limit over pairs of at most
  one unit each (:meth:`matcher.problem.Problem.unit_groups`: the flow gets a
  provider node). All plain
  parts make one flow call when they have at most ``FLOW_TASK_PAIRS`` pairs;
  otherwise each part of at least ``FLOW_PART_PAIRS`` pairs is a call of its
  own and the smaller ones are packed together (:func:`flow_batches`).
  Separate flows are much faster than one over all of them, because the
  cost-scaling algorithm works to the widest cost range in its network.
* Any other part goes to CP-SAT (:attr:`Method.CPSAT`), or, from
  ``HEURISTIC_PAIRS`` pairs on, first through the relaxed flow, the LP bound
  and the LP dive (:attr:`Method.LP_HEURISTICS`, :mod:`matcher.solvers.side`).
* The CP-SAT parts run largest first; each part's ``share`` is its size over
  the CP-SAT parts' total: the part of the time left after the flows it gets
  when every earlier part uses its whole slice (time a part leaves unused
  carries over to the next ones).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from collections.abc import Iterable

import numpy as np

from ..problem import Problem

FLOW_TASK_PAIRS = 10_000  # up to this many plain pairs: one flow call
FLOW_PART_PAIRS = 10_000  # above: one flow per part at least this large
HEURISTIC_PAIRS = 20_000  # CP-SAT parts at least this large also get a flow bound, a repaired-flow start
# and, when a provider limit binds, the LP bound and the LP dive (matcher/solvers/lp.py)


class Method(str, enum.Enum):
    """How one part is solved."""

    FLOW = "flow"  # OR-Tools min-cost flow (plain parts)
    CPSAT = "cpsat"  # CP-SAT, started from the greedy result
    LP_HEURISTICS = "lp_heuristics"  # relaxed flow, LP bound and dive first, then CP-SAT if time allows

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class PartPlan:
    """One part of the plan."""

    part: int  # the part's label (:meth:`matcher.problem.Problem.parts`)
    method: Method
    pairs: int  # its size: the pairs it holds
    share: float  # of the CP-SAT time (the time left after the flows); 0 for flow parts


@dataclass(frozen=True, eq=False)
class Plan:
    """The parts of a round, how each is solved, and the flow calls."""

    label: np.ndarray  # part of each pair, -1 for pairs that can never carry anything
    parts: tuple[PartPlan, ...]  # indexed by part label
    flow_batches: tuple[np.ndarray, ...]  # pair indices of each min-cost flow call

    @property
    def cpsat_order(self) -> tuple[PartPlan, ...]:
        """The parts for CP-SAT (with or without the LP heuristics), largest first, then by label."""
        side = [pp for pp in self.parts if pp.method is not Method.FLOW]
        return tuple(sorted(side, key=lambda pp: (-pp.pairs, pp.part)))

    def count(self, *methods: Method) -> int:
        """How many parts go to one of ``methods``."""
        return sum(1 for pp in self.parts if pp.method in methods)

    def pairs_of(self, part: int) -> np.ndarray:
        """Pair indices of one part."""
        return np.flatnonzero(self.label == part)

    def with_cpsat(self, parts: Iterable[int]) -> Plan:
        """The same plan with ``parts`` moved from flow to CP-SAT (their flow could not be built:
        its cost range does not fit in 64 bits), the CP-SAT shares recomputed."""
        moved = set(parts)
        side = np.array([pp.method is not Method.FLOW or pp.part in moved for pp in self.parts], dtype=bool)
        sizes = np.array([pp.pairs for pp in self.parts], dtype=np.int64)
        return Plan(self.label, _part_plans(side, sizes), self.flow_batches)


def method_for(side: bool, pairs: int) -> Method:
    """The method for a part with or without side rules, of ``pairs`` pairs."""
    if not side:
        return Method.FLOW
    return Method.LP_HEURISTICS if pairs >= HEURISTIC_PAIRS else Method.CPSAT


def _part_plans(side: np.ndarray, sizes: np.ndarray) -> tuple[PartPlan, ...]:
    total = max(1, int(sizes[side].sum()))
    return tuple(PartPlan(c, method_for(bool(side[c]), int(sizes[c])), int(sizes[c]),
                          int(sizes[c]) / total if side[c] else 0.0) for c in range(side.size))


def plan(p: Problem) -> Plan:
    """The plan of ``p``: its parts, each one's method, size and time share, and the flow calls."""
    label, side = p.parts()
    sizes = np.bincount(label[label >= 0], minlength=side.size).astype(np.int64)
    if side.any():  # parts whose only side rule is a provider limit over unit pairs: a flow models them
        beyond = np.zeros(side.size, dtype=bool)
        beyond[label[p.beyond_flow_pairs() & (label >= 0)]] = True
        side = side & beyond
    return Plan(label, _part_plans(side, sizes), tuple(flow_batches(label, ~side)))


def flow_batches(label: np.ndarray, plain: np.ndarray) -> list[np.ndarray]:
    """Pair indices of each flow call: all plain parts in one call when they have
    at most ``FLOW_TASK_PAIRS`` pairs; otherwise one call per part of at least
    ``FLOW_PART_PAIRS`` pairs, the smaller parts packed in part order into calls
    of about that many pairs."""
    on = label >= 0
    on[on] = plain[label[on]]
    sel = np.flatnonzero(on)
    if sel.size <= FLOW_TASK_PAIRS:
        return [sel] if sel.size else []
    sizes = np.bincount(label[sel], minlength=plain.size)
    batch_of_part = np.zeros(plain.size, dtype=np.int64)
    batch, filled = 0, 0
    for c in np.flatnonzero(plain).tolist():
        if sizes[c] >= FLOW_PART_PAIRS:  # a large part: a flow of its own
            batch_of_part[c] = batch + (filled > 0)
            batch += 1 + (filled > 0)
            filled = 0
            continue
        batch_of_part[c] = batch
        filled += int(sizes[c])
        if filled >= FLOW_PART_PAIRS:
            batch, filled = batch + 1, 0
    of_pair = batch_of_part[label[sel]]
    order = np.argsort(of_pair, kind="stable")
    bounds = np.searchsorted(of_pair[order], np.arange(int(of_pair.max()) + 2))
    return [sel[order[bounds[b]: bounds[b + 1]]] for b in range(bounds.size - 1) if bounds[b + 1] > bounds[b]]
