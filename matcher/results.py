"""Typed output document of the round contract (ROUND.md v1.1, "Output document").

:func:`matcher.output.build_output` builds a :class:`Result`; the CLI, the
API, the what-if tools, the exports and the store read it through these
models rather than by string keys. A stored or received output document
(JSON) is read back with ``Result.model_validate(data)``.

Fields and blocks that belong to an objective level the round does not ask
for (fairness, churn, participation, priority ageing) and ``message`` are
left out of the document when absent, so that a v1 round gives the same
bytes as before they existed; every other field is always written (some of
them as null). :meth:`Result.document` is the JSON-ready dict;
:func:`matcher.jsontext.to_json` turns it into text. :func:`output_schema` is
the JSON Schema of the document (``matcher schema --output``).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.json_schema import SkipJsonSchema

from .errors import FieldIssue, InputError
from .validation import path_of

STATUSES: tuple[str, ...] = ("optimal", "feasible", "infeasible", "unknown")
REASONS: tuple[str, ...] = ("no_candidate_category", "no_candidate_tags", "no_candidate_distance",
                            "no_candidate_time", "forbidden", "capacity_exhausted", "all_or_nothing",
                            "provider_limit")

ResultStatus = Literal["optimal", "feasible", "infeasible", "unknown"]
Reason = Literal["no_candidate_category", "no_candidate_tags", "no_candidate_distance", "no_candidate_time",
                 "forbidden", "capacity_exhausted", "all_or_nothing", "provider_limit"]
FairnessMode = Literal["maxmin", "leximin"]


def _absent(value: Any) -> bool:
    return value is None


def _no_default(schema: dict) -> None:
    schema.pop("default", None)


def omitted(description: str) -> Any:
    """A field written only when it has a value (never as null); its schema is the value's type."""
    return Field(default=None, exclude_if=_absent, description=description, json_schema_extra=_no_default)


# An optional field that is left out of the document when absent (its schema does not admit null).
OptInt = Union[int, SkipJsonSchema[None]]
OptStr = Union[str, SkipJsonSchema[None]]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Objective(_Doc):
    """The objective levels of the result: values reached, and the bound on the first level not proven."""

    served_value: int = Field(description="level 2: sum of quantity times the weight of the need's "
                                          "effective priority")
    total_distance_m: int = Field(description="level 5: sum of quantity times the rounded distance, metres")
    served_quantity: int = Field(description="units served in all")
    bound_served_value: Optional[int] = Field(description="best bound on the served value the solver has "
                                                          "(equal to served_value when optimal); null when none")
    churn_units: OptInt = omitted("level 3, only with previous: units added plus units removed "
                                  "against the previous plan")
    participation_shortfall: OptInt = omitted("level 4, only when some provider has target_projects: "
                                              "projects missing to reach the targets")


class Project(_Doc):
    """One project: a quantity of one resource serving one need."""

    project_id: str = Field(description="P-0001, P-0002, ... in project order")
    need_id: str
    resource_id: str
    provider_id: str
    community_id: str
    category: str
    quantity: int = Field(description="units of the resource given to the need, at least 1")
    distance_m: int = Field(description="great-circle distance between resource and need, metres (rounded)")
    walk_minutes: float = Field(description="walking time for the distance, minutes")
    locked: bool = Field(description="the pair was locked by the committee")
    priority: OptInt = omitted("the need's priority (only with priority_aging)")
    effective_priority: OptInt = omitted("the need's priority after ageing (only with priority_aging)")
    previous_quantity: OptInt = omitted("quantity of this pair in the previous plan (only with previous)")


class Unmet(_Doc):
    """A need not fully served, with why."""

    need_id: str
    quantity: int = Field(description="units of the need left unserved")
    reason: Reason = Field(description="why the need is short (ROUND.md, unmet.reason)")
    priority: OptInt = omitted("the need's priority (only with priority_aging)")
    effective_priority: OptInt = omitted("the need's priority after ageing (only with priority_aging)")


class GroupCoverage(_Doc):
    """Demand, service and coverage of one category or one community."""

    demand_quantity: int
    served_quantity: int
    coverage: Optional[float] = Field(description="served / demand")


class Kpis(_Doc):
    """Key figures of the result: coverage overall, by category and by community."""

    demand_quantity: int = Field(description="units asked for by all needs")
    served_quantity: int = Field(description="units served")
    coverage: Optional[float] = Field(description="served / demand (4 decimals)")
    weighted_coverage: Optional[float] = Field(description="served / demand, each unit weighted by its "
                                                           "need's priority weight")
    communities_unserved: int = Field(description="communities with demand and nothing served")
    mean_distance_m: float = Field(description="distance per unit served, metres (0 when nothing is served)")
    worst_distance_m: int = Field(description="longest distance of a project, metres")
    mean_walk_minutes: float = Field(description="walking time per unit served, minutes")
    projects: int = Field(description="number of projects")
    needs_fully_served: int
    needs_unserved: int = Field(description="needs that got nothing")
    by_category: dict[str, GroupCoverage] = Field(description="by category, for categories with demand")
    by_community: dict[str, GroupCoverage] = Field(description="by community, every community of a need")


class FairnessOutcome(_Doc):
    """Level 1, only with params.fairness: community coverages of the result."""

    mode: FairnessMode
    min_coverage: Optional[float] = Field(description="smallest coverage of a community taking part "
                                                      "(null when none takes part)")
    binding_communities: list[str] = Field(description="communities at the smallest coverage")
    coverage_by_community: dict[str, float] = Field(description="served units / servable demand of each "
                                                                "community taking part")
    value_without_fairness: int = Field(description="best served value without the fairness level")
    price_of_fairness: float = Field(description="(value_without_fairness - served_value) / "
                                                 "value_without_fairness")


class ChurnPair(_Doc):
    """A pair added to or removed from the previous plan, with its quantity."""

    need_id: str
    resource_id: str
    quantity: int


class ChurnChange(_Doc):
    """A pair in both the previous plan and the result, with another quantity."""

    need_id: str
    resource_id: str
    previous_quantity: int
    quantity: int


class Churn(_Doc):
    """Level 3, only with previous: how the result differs from the previous plan."""

    units: int = Field(description="units added plus units removed over all pairs")
    pairs_kept: int = Field(description="pairs in both with the same quantity")
    added: list[ChurnPair] = Field(description="pairs not in previous, with their quantity")
    removed: list[ChurnPair] = Field(description="pairs of previous absent from the result, with the "
                                                 "previous quantity")
    changed: list[ChurnChange] = Field(description="pairs in both with another quantity")


class Stats(_Doc):
    """Size of the round and, unless timings are left out, how long each stage took."""

    providers: int
    resources: int
    needs: int
    candidate_pairs: int = Field(description="eligible pairs that are not locked")
    locked_pairs: int
    components: OptInt = omitted("independent parts the auto solver split the round into")
    components_flow: OptInt = omitted("parts solved as a min-cost flow")
    components_cpsat: OptInt = omitted("parts solved with CP-SAT")
    solve_seconds: Union[float, SkipJsonSchema[None]] = omitted("seconds in the solver (timings only)")
    total_seconds: Union[float, SkipJsonSchema[None]] = omitted("seconds from parsing to the output "
                                                                "document (timings only)")
    stage_seconds: Union[dict[str, float], SkipJsonSchema[None]] = omitted(
        "seconds of each stage: parse_validate, candidates, solve, verify, output (timings only)")


class Result(_Doc):
    """The output document of a round (ROUND.md v1.1)."""

    model_config = ConfigDict(extra="forbid", title="Result")

    status: ResultStatus = Field(description="optimal: every level proven; feasible: a valid result not "
                                             "proven optimal; infeasible: the locks cannot all hold; unknown: "
                                             "stopped before any valid result")
    solver: str = Field(description="the solver that produced the result")
    message: OptStr = omitted("why the round is infeasible or unknown, or a note of the solver")
    objective: Objective
    projects: list[Project] = Field(description="ordered by need (input order), then distance, then resource")
    unmet: list[Unmet] = Field(description="every need not fully served, in input order")
    kpis: Kpis
    fairness: Union[FairnessOutcome, SkipJsonSchema[None]] = omitted("only with params.fairness")
    churn: Union[Churn, SkipJsonSchema[None]] = omitted("only with previous")
    stats: Stats
    round_sha256: OptStr = omitted("sha256 of the solved round (round_digest: its validated document as "
                                   "canonical JSON); reports and list exports refuse another round")

    def document(self) -> dict[str, Any]:
        """The JSON-ready dict of the document (absent optional fields left out)."""
        return self.model_dump(mode="python")


def round_digest(rnd: BaseModel) -> str:
    """The sha256 hex of a validated round: its model dumped as canonical JSON (sorted keys, compact)."""
    from .digest import canonical_digest

    return canonical_digest(rnd.model_dump(mode="json"))


def as_result(value: Union[Result, Mapping[str, Any]], source: str = "") -> Result:
    """A :class:`Result` as it is; a decoded output document (a file, a stored row) parsed.

    A document that breaks the output contract raises :class:`InputError`
    with one problem per field path (``projects[2].quantity: ...``).
    """
    if isinstance(value, Result):
        return value
    try:
        return Result.model_validate(value)
    except ValidationError as exc:
        issues = [FieldIssue(path_of(e["loc"]), e["msg"]) for e in exc.errors(include_url=False)]
        where = f"{source}: " if source else ""
        raise InputError(issues, f"{where}not an output document") from None


def output_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the output document."""
    return Result.model_json_schema(mode="serialization")
