"""Solver registry: one narrow interface, one file per solver, lazy imports.

Every solver is a callable ``solve(problem, options) -> Solution`` that maps
its native status codes onto :class:`matcher.problem.Status`, says why it
stopped (:class:`matcher.problem.StopReason`) and reports typed
:class:`matcher.problem.SolverStats`. Solvers see only the arrays of a
:class:`matcher.problem.Problem`, never ids or JSON.

========  ==========================================================  =============
name      what it does                                                 proves
========  ==========================================================  =============
greedy    most urgent need first, nearest resource with room left      never
flow      OR-Tools min-cost flow, lexicographic costs                  plain rounds
cpsat     OR-Tools CP-SAT, two levels (value, then distance)           every round
auto      splits into independent parts, fastest exact solver each     every round
========  ==========================================================  =============

``auto`` is three steps: :mod:`.plan` (pure: parts, method, size, time share),
:mod:`.run` (flows where :func:`matcher.parallel.choose` says, then the CP-SAT
parts, large ones through :mod:`.side`, revisited while time is left) and
:mod:`.merge` (one :class:`~matcher.problem.Solution`). :mod:`.heuristics` and
:mod:`.lp` serve the large parts; :mod:`.fairness` is level 1 on top.
"""
from __future__ import annotations

from importlib import import_module
from collections.abc import Callable

from ..problem import Problem, Solution, SolveOptions

SolverFn = Callable[[Problem, SolveOptions], Solution]

_REGISTRY: dict[str, str] = {
    "greedy": "matcher.solvers.greedy",
    "flow": "matcher.solvers.flow",
    "cpsat": "matcher.solvers.cpsat",
    "auto": "matcher.solvers.auto",
}


def names() -> list[str]:
    return list(_REGISTRY)


def get(name: str) -> SolverFn:
    """The ``solve`` function of a registered solver (imported on first use)."""
    try:
        module = _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown solver {name!r}; known: {', '.join(_REGISTRY)}") from None
    return import_module(module).solve
