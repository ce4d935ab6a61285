"""Community coverage for level 1 (fairness): servable demand, floors, and the search
for the largest feasible coverage level over the exact candidate fractions.

A community's coverage is ``s_c / D_c`` (served units over servable demand).
"Coverage at least ``t``" is ``s_c >= ceil(t * D_c)`` (``s_c`` is an integer), so
a check "every community of a set reaches ``t``" changes its answer only just
above a fraction ``a / D_c``: the largest ``t`` that passes is such a fraction
(a *candidate*). :func:`largest` finds it by bisection over the value (each
probe the smallest candidate at or above the midpoint), given a check that is
monotone (passes for every ``t`` up to the answer, fails above); candidates are
never listed (``D_c`` may be in the millions).
"""
from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any, Optional

import numpy as np

from ..problem import Problem

NEWTON_STEPS = 8  # failed probes of the bound in a row before bisecting

# a check: the level t -> None (fails) or (a level >= t the witness reaches, the witness)
Check = Callable[[Fraction], Optional[tuple[Fraction, Any]]]


def demand_of(pair_need: np.ndarray, qty: np.ndarray, need_comm: np.ndarray, n_comm: int) -> np.ndarray:
    """``D_c`` from plain arrays: the quantity of the community's needs that have at least one pair."""
    has_pair = np.zeros(qty.size, dtype=bool)
    has_pair[pair_need] = True
    return np.bincount(need_comm[has_pair], weights=qty[has_pair], minlength=n_comm).astype(np.int64)


def units_of(pair_need: np.ndarray, need_comm: np.ndarray, n_comm: int, x: np.ndarray) -> np.ndarray:
    """Units served per community by pair quantities ``x``, from plain arrays."""
    return np.bincount(need_comm[pair_need], weights=np.asarray(x), minlength=n_comm).astype(np.int64)


def servable_demand(p: Problem, need_comm: np.ndarray, n_comm: int) -> np.ndarray:
    """``D_c`` of the problem (:func:`demand_of`)."""
    return demand_of(p.pair_need, p.qty, need_comm, n_comm)


def served(p: Problem, need_comm: np.ndarray, n_comm: int, x: np.ndarray) -> np.ndarray:
    """Units served per community by quantities ``x`` (:func:`units_of`)."""
    return units_of(p.pair_need, need_comm, n_comm, x)


def ceil_mul(t: Fraction, d: int) -> int:
    """``ceil(t * d)`` exactly."""
    return -((-t.numerator * d) // t.denominator)


def floors_at(t: Fraction, demand: np.ndarray, comms: list[int]) -> dict[int, int]:
    """``ceil(t * D_c)`` for the given communities."""
    return {c: ceil_mul(t, int(demand[c])) for c in comms}


def min_coverage(units: np.ndarray, demand: np.ndarray, comms: list[int], k: int = 0) -> Fraction:
    """The ``k``-th smallest coverage (0 = the smallest) over ``comms``, exactly."""
    return sorted(Fraction(int(units[c]), int(demand[c])) for c in comms)[k]


def at_least(v: Fraction, dens: list[int]) -> Fraction:
    """The smallest candidate ``>= v``."""
    return min(Fraction(ceil_mul(v, d), d) for d in dens)


def below(t: Fraction, dens: list[int]) -> Fraction:
    """The largest candidate ``< t`` (``t > 0``)."""
    return max(Fraction(ceil_mul(t, d) - 1, d) for d in dens)


def above(t: Fraction, dens: list[int]) -> Fraction:
    """The smallest candidate ``> t``."""
    return min(Fraction((t.numerator * d) // t.denominator + 1, d) for d in dens)


def never() -> bool:
    return False


def at_most(v: Fraction, dens: list[int]) -> Fraction:
    """The largest candidate ``<= v``."""
    return max(Fraction((v.numerator * d) // v.denominator, d) for d in dens)


def largest(lo: Fraction, witness: Any, hi: Fraction, dens: list[int], check: Check,
            stop: Callable[[], bool], bound: Optional[Callable[[Fraction], Fraction]] = None
            ) -> tuple[Fraction, Any, bool]:
    """The largest candidate (over the denominators ``dens``) at most ``hi`` that passes
    ``check``, with its witness; ``lo`` passes (its witness given). Returns ``(level,
    witness, decided)``; ``decided`` is False when ``stop()`` (the deadline, a stop request)
    ended the search first.

    ``bound(t)``, called right after ``check(t)`` failed, may give an upper bound on every
    passing level that the failure proves (e.g. from a minimum cut). With it, the search
    probes its upper bound itself (a Newton step: a bound that is tight passes at once)
    while the bounds improve on the failed level's predecessor, up to ``NEWTON_STEPS`` failures
    in a row, and bisects otherwise."""
    dens = sorted(set(int(d) for d in dens if d > 0))
    newton, misses = bound is not None, 0
    while hi > lo and above(lo, dens) <= hi:
        if stop():
            return lo, witness, False
        t = at_most(hi, dens) if newton else at_least((lo + hi) / 2, dens)
        if t > hi:  # no candidate in the upper half: the bound drops to the largest one below it
            hi = below(t, dens)
            continue
        got = check(t)
        if got is None:
            step = below(t, dens)
            hi = step if bound is None else min(step, bound(t))
            misses = misses + 1 if newton else 0
            newton = bound is not None and hi < step and misses < NEWTON_STEPS
        else:
            lo, witness = max(t, got[0]), got[1]
    return lo, witness, True
