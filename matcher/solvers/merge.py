"""Merging the parts' solutions of an ``auto`` solve into the round's one :class:`Solution`.

Parts share nothing, so the round's quantities are the parts' quantities side
by side, its bound the sum of theirs, and its status the weakest of theirs:
``infeasible`` if any part is, else ``unknown`` if any part found nothing, else
``feasible`` if any part is not proven, else ``optimal``. The stop reason of an
unproven round is ``cancelled`` when a stop was requested, else the first of
``cancelled``, ``time_limit``, ``heuristic`` among its unproven parts.
"""
from __future__ import annotations

import numpy as np

from ..problem import Problem, Solution, SolverStats, Status, StopReason

NAME = "auto"
_WEAKEST_FIRST = (Status.INFEASIBLE, Status.UNKNOWN, Status.FEASIBLE)
_STOP_FIRST = (StopReason.CANCELLED, StopReason.TIME_LIMIT, StopReason.HEURISTIC)


class PartResults:
    """The round's result assembled part by part: ``x``, and per part its status, bound, message
    and stop reason (keys: part labels; flow calls under negative keys)."""

    def __init__(self, p: Problem):
        self.x = np.zeros(p.n_pairs, dtype=np.int64)
        self.status: dict[int, Status] = {}
        self.bound: dict[int, int] = {}
        self.message: dict[int, str] = {}
        self.stop: dict[int, StopReason] = {}

    def add(self, key: int, sel: np.ndarray, sub: Problem, sol: Solution, zero_if_unknown: bool = True) -> Solution:
        """Take one part's solution (replacing an earlier one of the same part). A part that found
        nothing in time becomes ``feasible`` with nothing served, when that is valid (no locks)."""
        if zero_if_unknown and sol.status is Status.UNKNOWN and not sub.locked.any():
            sol = Solution.of(sub, Status.FEASIBLE, np.zeros(sub.n_pairs, dtype=np.int64), NAME,
                              bound=sub.value_upper_bound(), message=sol.message, stop=sol.stop)
        self.x[sel] = sol.x
        self.status[key] = sol.status
        self.bound[key] = sol.bound_served_value if sol.bound_served_value is not None else sub.value_upper_bound()
        self.message[key] = sol.message
        self.stop[key] = sol.stop
        return sol

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
