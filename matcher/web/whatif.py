"""``POST /api/v1/whatif``: compare a base round with scenarios, in the request, nothing stored.

The answer is what ``matcher whatif --json`` prints for the same base and
scenarios (``matcher.whatif.compare.compare``); the base is labelled ``base``
and each scenario by its ``name``.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app

from ..errors import InputError, FieldIssue, RoundValidationError
from ..validation import ROOT, parse_round
from ..errors import ApiError
from .helpers import authenticate, read_document as _read_document

bp = Blueprint("whatif", __name__, url_prefix="/api/v1")
bp.before_request(authenticate)

MAX_SCENARIOS = 10
BASE_LABEL = "base"


def _prefixed(prefix: str, problems: list[FieldIssue]) -> list[FieldIssue]:
    """``needs[3].quantity`` under ``base`` -> ``base.needs[3].quantity``."""
    out = []
    for p in problems:
        if not p.path or p.path == ROOT:
            path = prefix
        else:
            path = prefix + ("" if p.path.startswith("[") else ".") + p.path
        out.append(FieldIssue(path, p.message))
    return out


def _envelope(data: dict) -> list[FieldIssue]:
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


def _scenario_rounds(base: dict, scenarios: list[dict]) -> list[tuple[str, Any]]:
    """(label, Round) of each scenario; every problem of every scenario gathered first."""
    from ..whatif import scenario as sc

    problems: list[FieldIssue] = []
    parsed = []
    seen = {BASE_LABEL}
    for i, raw in enumerate(scenarios):
        where = f"scenarios[{i}]"
        body = dict(raw)
        if "base" in body:
            problems.append(FieldIssue(f"{where}.base", "unknown field (the base is the request's \"base\")"))
            del body["base"]
        try:
            doc = sc.parse_scenario({**body, "base": "(request)"})
        except sc.ScenarioError as exc:
            problems += _prefixed(where, exc.problems)
            continue
        if doc.name is None:
            problems.append(FieldIssue(f"{where}.name", "is required"))
            continue
        if not doc.name.strip():
            problems.append(FieldIssue(f"{where}.name", "must not be empty"))
            continue
        if doc.name in seen:
            problems.append(FieldIssue(f"{where}.name", f"must be unique among the scenarios and not {BASE_LABEL!r}"))
            continue
        seen.add(doc.name)
        parsed.append((i, doc))
    out = []
    for i, doc in parsed:
        where = f"scenarios[{i}]"
        try:
            changed = sc.apply_changes(base, doc.changes, where=f"{where}.changes")
        except sc.ScenarioError as exc:
            problems += exc.problems
            continue
        except (TypeError, ValueError) as exc:  # changes that only make sense together with broken added items
            problems.append(FieldIssue(f"{where}.changes", f"cannot be applied: {exc}"))
            continue
        changed["name"] = doc.name
        try:
            rnd = parse_round(changed)
        except InputError as exc:
            problems += [FieldIssue(where, f"the changed round is invalid: {p}") for p in exc.problems]
            continue
        out.append((doc.name, rnd))
    if problems:
        raise sc.ScenarioError(problems, "invalid what-if request")
    return out


@bp.post("/whatif")
def whatif():
    from ..service import prepare, solve_prepared
    from ..whatif import compare
    from ..whatif.scenario import ScenarioError

    try:
        data = _read_document()
    except RoundValidationError:
        raise ScenarioError([FieldIssue(ROOT, "the request must be a JSON object with \"base\" and \"scenarios\"")],
                            "invalid what-if request") from None
    problems = _envelope(data)
    if problems:
        raise ScenarioError(problems, "invalid what-if request")
    try:
        base = parse_round(data["base"])
    except InputError as exc:
        raise ScenarioError(_prefixed("base", exc.problems), "invalid base round") from None
    rounds = [(BASE_LABEL, base)] + _scenario_rounds(data["base"], data["scenarios"])

    cfg = current_app.config
    limit, budget = int(cfg["SYNC_MAX_PAIRS"]), float(cfg["SYNC_BUDGET_S"])
    preps = [(label, prepare(rnd)) for label, rnd in rounds]
    too_big = [{"path": "base" if k == 0 else f"scenarios[{k - 1}]",
                "message": f"{len(prep.pairs):,} candidate pairs; at most {limit:,} are compared in a request"}
               for k, (_label, prep) in enumerate(preps) if len(prep.pairs) > limit]
    if too_big:
        raise ApiError(422, "round too large", "the what-if API compares small rounds only; use `matcher whatif` "
                       f"for rounds over {limit:,} candidate pairs (MATCHER_SYNC_MAX_PAIRS)", too_big)
    cases = []
    for k, (label, prep) in enumerate(preps):
        time_limit = min(float(prep.round.params.time_limit_s), budget)
        try:
            result = solve_prepared(prep, time_limit_s=time_limit, workers=int(cfg["SOLVER_WORKERS"]))
        except InputError as exc:  # e.g. a solver that cannot model this round
            raise ScenarioError(_prefixed("base" if k == 0 else f"scenarios[{k - 1}]", exc.problems),
                                exc.title) from None
        cases.append(compare.Case(label, prep.round, result))
    return compare.compare(cases)
