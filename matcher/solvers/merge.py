"""Merging the parts' solutions of an ``auto`` solve into the round's one :class:`Solution`.

Parts share nothing, so the round's quantities are the parts' quantities side
by side, its bound the sum of theirs, and its status the weakest of theirs:
``infeasible`` if any part is, else ``unknown`` if any part found nothing, else
``feasible`` if any part is not proven, else ``optimal``. The stop reason of an
unproven round is ``cancelled`` when a stop was requested, else the first of
``cancelled``, ``time_limit``, ``heuristic`` among its unproven parts.

As the parts come in, :class:`PartResults` reports the round's progress
figures (``parts_done`` of ``parts_total``, ``best_value`` and ``bound`` of the
served value, through ``options.note``), and :meth:`PartResults.part_options`
turns a part's own figures into the round's. A part a stop request left
unsolved keeps what :func:`unsolved` gives it.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Optional

import numpy as np

from ..problem import Problem, Solution, SolveOptions, SolverStats, Status, StopReason
from .greedy import greedy_quantities

NAME = "auto"
STOPPED_MESSAGE = "stopped on request; kept the best result found so far"
_WEAKEST_FIRST = (Status.INFEASIBLE, Status.UNKNOWN, Status.FEASIBLE)
_STOP_FIRST = (StopReason.CANCELLED, StopReason.TIME_LIMIT, StopReason.HEURISTIC)


def unsolved(sub: Problem, message: str) -> Solution:
    """A part no stage has solved (a stop came first), as ``cancelled``: its locks alone when they
    keep every rule (all-or-nothing needs), else the greedy result; bound: what its pairs can carry."""
    if not sub.partly_served(sub.need_load(sub.pair_lock)).any():
        x: Optional[np.ndarray] = sub.pair_lock.copy()
    else:
        x = greedy_quantities(sub)
    if x is None:
        return Solution.empty(sub, Status.UNKNOWN, NAME, message, stop=StopReason.CANCELLED)
    return Solution.of(sub, Status.FEASIBLE, x, NAME, bound=sub.value_upper_bound(), message=message,
                       stop=StopReason.CANCELLED)


class PartResults:
    """The round's result assembled part by part: ``x``, and per part its status, bound, message
    and stop reason (keys: part labels; flow calls under negative keys); and the round's progress
    figures (``parts_total``: how many parts and flow calls the run expects)."""

    def __init__(self, p: Problem, options: Optional[SolveOptions] = None):
        self.x = np.zeros(p.n_pairs, dtype=np.int64)
        self.status: dict[int, Status] = {}
        self.bound: dict[int, int] = {}
        self.message: dict[int, str] = {}
        self.stop: dict[int, StopReason] = {}
        self.value: dict[int, int] = {}
        self.ub: dict[int, int] = {}  # what each key's pairs can carry
        self.parts: dict[int, int] = {}  # how many parts each key holds
        self.options = options or SolveOptions()
        self.total_ub = p.value_upper_bound() if self.options.on_progress is not None else 0
        self.parts_total = 0

    def add(self, key: int, sel: np.ndarray, sub: Problem, sol: Solution, zero_if_unknown: bool = True,
            parts: int = 1) -> Solution:
        """Take one part's solution (replacing an earlier one of the same part; ``parts``: how many
        parts ``sel`` holds, for the progress figures). A part that found nothing in time becomes
        ``feasible`` with nothing served, when that is valid (no locks)."""
        if zero_if_unknown and sol.status is Status.UNKNOWN and not sub.locked.any():
            sol = Solution.of(sub, Status.FEASIBLE, np.zeros(sub.n_pairs, dtype=np.int64), NAME,
                              bound=sub.value_upper_bound(), message=sol.message, stop=sol.stop)
        self.x[sel] = sol.x
        self.status[key] = sol.status
        self.bound[key] = sol.bound_served_value if sol.bound_served_value is not None else sub.value_upper_bound()
        self.message[key] = sol.message
        self.stop[key] = sol.stop
        self.value[key] = sol.served_value
        if self.options.on_progress is not None:
            self.ub[key], self.parts[key] = sub.value_upper_bound(), parts
            done = sum(self.parts.values())
            self.options.note(parts_done=done, parts_total=max(self.parts_total, done), **self._figures(None))
        return sol

    def _figures(self, without: Optional[int]) -> dict[str, int]:
        """The round's served value and bound from the parts in hand (``without`` one of them)."""
        keys = [k for k in self.status if k != without]
        value = sum(self.value[k] for k in keys)
        bound = self.total_ub - sum(self.ub[k] - self.bound[k] for k in keys)
        return {"best_value": value, "bound": bound}

    def part_options(self, key: int, sub: Problem, options: SolveOptions) -> SolveOptions:
        """``options`` for solving one part: its progress figures become the round's."""
        if options.on_progress is None:
            return options
        part_ub = sub.value_upper_bound()

        def note(**fields) -> None:
            base = self._figures(key)
            base["bound"] -= part_ub
            for name in ("best_value", "bound"):
                if name in fields:
                    fields[name] = int(fields[name]) + base[name]
            options.note(**fields)

        return replace(options, on_progress=note)

    def solution(self, p: Problem, stats: SolverStats, cancelled: bool = False) -> Solution:
        """The round's solution (``cancelled``: a stop was requested during the run)."""
        statuses = set(self.status.values())
        status = next((s for s in _WEAKEST_FIRST if s in statuses), Status.OPTIMAL)
        messages: list[str] = []
        for m in self.message.values():
            if m and m not in messages:
                messages.append(m)
        stop = self._stop(status, cancelled)
        if status in (Status.INFEASIBLE, Status.UNKNOWN):
            return Solution.empty(p, status, NAME, "; ".join(messages), stop=stop)
        return Solution.of(p, status, self.x, NAME, bound=sum(self.bound.values()),
                           message="; ".join(messages), stop=stop, stats=stats)

    def _stop(self, status: Status, cancelled: bool) -> StopReason | None:
        if status in (Status.OPTIMAL, Status.INFEASIBLE):
            return None  # implied by the status
        if cancelled:
            return StopReason.CANCELLED
        reasons = {self.stop[k] for k, s in self.status.items() if s is not Status.OPTIMAL}
        return next((r for r in _STOP_FIRST if r in reasons), StopReason.TIME_LIMIT)
