"""One what-if path for the API and the CLI: a base round and scenarios in, the comparison out.

:func:`parse_request` checks a what-if request (``{"base": round, "scenarios":
[{"name", "changes"}]}``), applies each scenario's changes to the base with
:func:`matcher.whatif.scenario.apply_changes` and validates the results as
rounds, every problem of every scenario gathered with its path first.
:func:`compare_variants` prepares, solves and verifies every round through
:mod:`matcher.service` and compares them (:func:`matcher.whatif.compare.compare`).
``POST /api/v1/whatif`` is :func:`compare_request`; ``matcher whatif`` resolves
its scenario files with :func:`matcher.whatif.scenario.load` and compares the
same way.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Optional

from ..errors import ApiError, FieldIssue, InputError, ScenarioError
from ..model import Round
from ..service import prepare, solve_prepared
from ..validation import ROOT, parse_round
from . import compare
from . import scenario as sc

MAX_SCENARIOS = 10
BUDGET_GRACE_S = 1.0  # a solve still running this long after the request's budget is stopped
BASE_LABEL = "base"
INVALID = "invalid what-if request"


@dataclass(frozen=True)
class Variant:
    """One round of a comparison: its label, the validated round, and the path its problems go under."""

    label: str
    round: Round
    where: str = ""


@dataclass(frozen=True)
class Limits:
    """What one request may cost: candidate pairs per round and of all its rounds together, seconds per
    solve, seconds of all its solves together (``budget_s``, shared: each round gets an equal share of what
    is left when it starts, so unused time carries over), solver workers."""

    max_pairs: Optional[int] = None
    max_solve_s: Optional[float] = None
    workers: int = 0
    budget_s: Optional[float] = None
    max_total_pairs: Optional[int] = None


def prefixed(prefix: str, problems: list[FieldIssue]) -> list[FieldIssue]:
    """``needs[3].quantity`` under ``base`` -> ``base.needs[3].quantity``."""
    out = []
    for p in problems:
        if not prefix:
            out.append(p)
        elif not p.path or p.path == ROOT:
            out.append(FieldIssue(prefix, p.message))
        else:
            out.append(FieldIssue(prefix + ("" if p.path.startswith("[") else ".") + p.path, p.message))
    return out


def envelope_problems(data: Any) -> list[FieldIssue]:
    """Problems of the request's shape: ``base`` an object, 1 to MAX_SCENARIOS scenario objects."""
    if not isinstance(data, dict):
        return [FieldIssue(ROOT, "the request must be a JSON object with \"base\" and \"scenarios\"")]
    problems = [FieldIssue(key, "unknown field") for key in data if key not in ("base", "scenarios")]
    if "base" not in data:
        problems.append(FieldIssue("base", "is required"))
    elif not isinstance(data["base"], dict):
        problems.append(FieldIssue("base", "must be a round document (a JSON object)"))
    scenarios = data.get("scenarios")
    if "scenarios" not in data:
        problems.append(FieldIssue("scenarios", "is required"))
    elif not isinstance(scenarios, list):
        problems.append(FieldIssue("scenarios", "must be a list"))
    elif not 1 <= len(scenarios) <= MAX_SCENARIOS:
        problems.append(FieldIssue("scenarios", f"must have 1 to {MAX_SCENARIOS} scenarios (has {len(scenarios)})"))
    else:
        problems += [FieldIssue(f"scenarios[{i}]", "must be an object")
                     for i, s in enumerate(scenarios) if not isinstance(s, dict)]
    return problems


def _named(raw: dict, where: str, seen: set, problems: list[FieldIssue]) -> Optional[sc.ScenarioDoc]:
    """A request's scenario parsed, with a unique name; None (and problems) otherwise."""
    body = dict(raw)
    if "base" in body:
        problems.append(FieldIssue(f"{where}.base", "unknown field (the base is the request's \"base\")"))
        del body["base"]
    try:
        doc = sc.parse_scenario({**body, "base": "(request)"})
    except ScenarioError as exc:
        problems += prefixed(where, exc.problems)
        return None
    if doc.name is None:
        problems.append(FieldIssue(f"{where}.name", "is required"))
    elif not doc.name.strip():
        problems.append(FieldIssue(f"{where}.name", "must not be empty"))
    elif doc.name in seen:
        problems.append(FieldIssue(f"{where}.name", f"must be unique among the scenarios and not {BASE_LABEL!r}"))
    else:
        seen.add(doc.name)
        return doc
    return None


def scenario_variants(base: dict, scenarios: list[dict]) -> list[Variant]:
    """The round of each scenario of a request; every problem of every scenario gathered first."""
    problems: list[FieldIssue] = []
    seen = {BASE_LABEL}
    parsed = [(f"scenarios[{i}]", _named(raw, f"scenarios[{i}]", seen, problems)) for i, raw in enumerate(scenarios)]
    out = []
    for where, doc in parsed:
        if doc is None:
            continue
        try:
            changed = sc.apply_changes(base, doc.changes, where=f"{where}.changes")
        except ScenarioError as exc:
            problems += exc.problems
            continue
        changed["name"] = doc.name
        try:
            out.append(Variant(doc.name, parse_round(changed), where))
        except InputError as exc:
            problems += [FieldIssue(where, f"the changed round is invalid: {p}") for p in exc.problems]
    if problems:
        raise ScenarioError(problems, INVALID)
    return out


def parse_request(data: Any) -> list[Variant]:
    """The base and scenario rounds of a what-if request, or one :class:`ScenarioError` with every problem."""
    problems = envelope_problems(data)
    if problems:
        raise ScenarioError(problems, INVALID)
    try:
        base = parse_round(data["base"])
    except InputError as exc:
        raise ScenarioError(prefixed("base", exc.problems), "invalid base round") from None
    return [Variant(BASE_LABEL, base, "base")] + scenario_variants(data["base"], data["scenarios"])


def _check_size(variants: list[Variant], preps: list, limits: Limits) -> None:
    """422 when a round, or all of them together, has more candidate pairs than a request may compare."""
    if limits.max_pairs is not None:
        too_big = [{"path": v.where, "message": f"{len(p.pairs):,} candidate pairs; at most {limits.max_pairs:,} "
                    "are compared in a request"} for v, p in zip(variants, preps) if len(p.pairs) > limits.max_pairs]
        if too_big:
            raise ApiError(422, "round too large", "the what-if API compares small rounds only; use `matcher whatif` "
                           f"for rounds over {limits.max_pairs:,} candidate pairs (MATCHER_SYNC_MAX_PAIRS)", too_big)
    total = sum(len(p.pairs) for p in preps)
    if limits.max_total_pairs is not None and total > limits.max_total_pairs:
        raise ApiError(422, "what-if request too large", f"{len(preps)} rounds with {total:,} candidate pairs in all; "
                       f"a request compares at most {limits.max_total_pairs:,} (MATCHER_WHATIF_MAX_PAIRS): send fewer "
                       "scenarios per request, or use `matcher whatif`",
                       [{"path": "scenarios", "message": f"{total:,} candidate pairs over the base and "
                         f"{len(preps) - 1} scenario(s); at most {limits.max_total_pairs:,}"}])


def _limit(prep, time_limit_s: Optional[float], limits: Limits, left_s: Optional[float], rounds_left: int) -> float:
    """A round's time limit: its own (or the caller's), cut at ``max_solve_s`` and at its share of the budget left."""
    limit = float(time_limit_s if time_limit_s is not None else prep.round.params.time_limit_s)
    if limits.max_solve_s is not None:
        limit = min(limit, limits.max_solve_s)
    if left_s is not None:
        limit = min(limit, max(0.05, left_s / rounds_left))
    return limit


def compare_variants(variants: list[Variant], *, solver: Optional[str] = None, time_limit_s: Optional[float] = None,
                     timings: bool = True, limits: Limits = Limits()) -> dict[str, Any]:
    """Prepare, solve (verified, by :mod:`matcher.service`) and compare; the first variant is the base.
    With ``limits.budget_s`` all of it (preparing included) fits in that many seconds plus the checks and
    the output: a round whose share ran out is reported as the solver left it (``feasible`` and its message)."""
    began = time.monotonic()
    preps = [prepare(v.round) for v in variants]
    _check_size(variants, preps, limits)
    cases = []
    # the budget's hard end, for a stage that would overrun its time limit
    over = None if limits.budget_s is None else (lambda: time.monotonic() > began + limits.budget_s + BUDGET_GRACE_S)
    for k, (v, prep) in enumerate(zip(variants, preps)):
        left = None if limits.budget_s is None else limits.budget_s - (time.monotonic() - began)
        limit = _limit(prep, time_limit_s, limits, left, len(variants) - k)
        try:
            result = solve_prepared(prep, solver=solver, time_limit_s=limit, workers=limits.workers, timings=timings,
                                    should_stop=over)
        except InputError as exc:  # e.g. a solver that cannot model this round
            raise ScenarioError(prefixed(v.where, exc.problems), exc.title) from None
        cases.append(compare.Case(v.label, v.round, result))
    return compare.compare(cases)


def compare_request(data: Any, limits: Limits = Limits()) -> dict[str, Any]:
    """The comparison a what-if request asks for (``POST /api/v1/whatif``)."""
    return compare_variants(parse_request(data), limits=limits)
