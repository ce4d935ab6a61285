"""Request and response bodies of the API as pydantic models (the OpenAPI document is generated from them).

The round document is matcher.model.Round and the output document
matcher.results.Result; these models describe what the API wraps around
them (round summaries and details, pages, project and unmet lists, problem
details) and the what-if request and reply.
"""
from __future__ import annotations

import enum
from typing import Annotated, Any, Optional, Union

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from ..model import Round
from ..results import GroupCoverage, Project, Result, ResultStatus, Unmet
from ..store.models import STATUSES
from ..whatif.scenario import Change
from ..whatif.run import MAX_SCENARIOS

RoundStatus = enum.Enum("RoundStatus", {s.upper(): s for s in STATUSES}, type=str)
RoundStatus.__doc__ = "State of a stored round: queued, running, then a result status, failed or cancelled."


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldError(_Body):
    """One problem of a request, at a field path."""

    path: str = Field(description="field path, e.g. needs[3].quantity")
    message: str


class ProblemDetails(_Body):
    """An error answer (RFC 9457 problem details)."""

    type: str = Field(description="always about:blank")
    title: str = Field(description="the HTTP status phrase")
    status: int = Field(description="the HTTP status")
    detail: Optional[str] = None
    errors: Optional[list[FieldError]] = Field(None, description="every problem of an invalid document")


class RoundLinks(_Body):
    """URLs of a round's parts."""

    projects: str
    unmet: str
    input: str


class StatusEvent(_Body):
    """One change of a round's status."""

    status: RoundStatus
    at: Optional[str] = Field(description="when, ISO 8601 UTC")
    message: Optional[str]


class RoundSummary(_Body):
    """A stored round, as listed."""

    id: str = Field(description="round id (random, URL-safe)")
    name: Optional[str]
    status: RoundStatus
    message: Optional[str] = Field(description="why the round failed or is infeasible")
    created_at: Optional[str] = Field(description="ISO 8601 UTC")
    updated_at: Optional[str] = Field(description="ISO 8601 UTC")
    finished_at: Optional[str] = Field(description="ISO 8601 UTC, null until finished")
    url: str = Field(description="URL of the round")


class RoundDetail(RoundSummary):
    """A stored round with its status history and, once solved, its output document."""

    started_at: Optional[str] = Field(description="ISO 8601 UTC, null until a worker starts it")
    attempts: int = Field(description="solves started (a worker that dies hands the round back)")
    cancel_requested: bool
    history: list[StatusEvent]
    timings: Optional[dict[str, Any]] = Field(description="stage_seconds and queued_seconds, once solved")
    output: Optional[Result] = Field(description="the output document, once solved")
    links: RoundLinks


class RoundPage(_Body):
    """One page of rounds, newest first."""

    items: list[RoundSummary]
    page: int
    per_page: int
    total: int = Field(description="rounds in all pages")
    next: Optional[str] = Field(description="URL of the next page, null on the last")


class StoredProject(Project):
    """A project of a stored round, with the committee's approval."""

    approved: bool


class ProjectList(_Body):
    """Projects of a round (empty until solved)."""

    round_id: str
    status: RoundStatus
    count: int
    items: list[StoredProject]


class UnmetList(_Body):
    """Needs of a round left short (empty until solved)."""

    round_id: str
    status: RoundStatus
    count: int
    items: list[Unmet]


class Health(_Body):
    """Liveness or readiness."""

    status: str


class WhatIfScenario(_Body):
    """A scenario of a what-if request: the base round with changes applied, as in scenario files."""

    name: Annotated[str, Field(min_length=1, max_length=500)] = Field(
        description="label of the scenario in the comparison (unique, not base)")
    description: Optional[str] = None
    changes: list[Change] = Field(default_factory=list, description="applied in order")


class WhatIfRequest(_Body):
    """A base round and the scenarios to compare with it."""

    base: Round
    scenarios: Annotated[list[WhatIfScenario], Field(min_length=1, max_length=MAX_SCENARIOS)]


class WhatIfKpis(_Body):
    """Figures of one case of a comparison."""

    status: ResultStatus
    served_quantity: int
    demand_quantity: int
    coverage: Optional[float]
    weighted_coverage: Optional[float]
    served_value: int
    total_distance_m: int
    communities_unserved: int
    mean_distance_m: float
    worst_distance_m: int
    projects: int
    solve_seconds: Optional[float]
    by_category: dict[str, GroupCoverage]
    by_community: dict[str, GroupCoverage]


class DiffProject(_Body):
    """A project new in a scenario or dropped from the base."""

    need_id: str
    resource_id: str
    community_id: str
    category: str
    distance_m: int
    quantity: int


class ChangedProject(DiffProject):
    """A project of both with another quantity."""

    base_quantity: int


class ProjectDiff(_Body):
    """Projects of a scenario against the base, by (need, resource)."""

    new: list[DiffProject]
    dropped: list[DiffProject]
    changed: list[ChangedProject]


class WhatIfCase(_Body):
    """One solved case: the base (label base) or a scenario (label = its name)."""

    label: str
    name: Optional[str]
    kpis: WhatIfKpis
    diff: Union[ProjectDiff, SkipJsonSchema[None]] = Field(None, description="against the base; absent for the "
                                                                         "base itself")


class WhatIfReply(_Body):
    """What matcher whatif --json prints: the base first, then one case per scenario."""

    base: str
    cases: Annotated[list[WhatIfCase], Field(min_length=2)]
