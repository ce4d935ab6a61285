"""Request and response bodies of the API as pydantic models (the OpenAPI document is generated from them).

The round document is matcher.model.Round and the output document
matcher.results.Result; these models describe what the API wraps around
them (round summaries and details, pages, project and unmet lists, problem
details), the what-if request and reply, the committee cycle's bodies and recommend's.
"""
from __future__ import annotations

import enum
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from ..cycle import lifecycle as _lc
from ..model import Need, Resource, Round
from ..recommend import K_MAX
from ..results import GroupCoverage, Project, Reason, Result, ResultStatus, Unmet
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
    events: str = Field(description="the round's status and progress as server-sent events")


class RoundProgress(_Body):
    """How far the worker got with a running round, from the solver's callbacks (at most 0.5 s old)."""

    stage: str = Field(description="what runs now, e.g. preparing, min-cost flow, LP bound, LP dive, "
                                   "CP-SAT all levels (weighted), CP-SAT level 1 (served value), verifying, output")
    elapsed_s: float = Field(description="seconds since the worker started the round")
    best_value: Optional[int] = Field(description="served value of the best result found so far (the round's)")
    bound: Optional[int] = Field(description="proven upper bound of the served value so far")
    parts_done: Optional[int] = Field(description="independent parts solved (auto)")
    parts_total: Optional[int] = Field(description="independent parts in all (auto)")


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
    progress: Optional[RoundProgress] = Field(description="while a worker solves the round (and stores a cancelled "
                                                          "round's best result); null otherwise")
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


class ValidationReply(_Body):
    """POST /rounds?validate_only=true: the round is valid (an invalid one answers 422); nothing stored."""

    valid: bool = Field(description="always true (problems answer 422 with every field path)")
    name: Optional[str]
    providers: int
    resources: int
    needs: int
    possible_pairs: int = Field(description="same-category resource x need combinations plus locks: an upper "
                                            "bound of the candidate pairs")
    solved_in_request: bool = Field(description="whether POST /rounds would solve it in the request (else 202)")
    queue_reason: Optional[str] = Field(description="why it would be queued, null when solved in the request")


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
    message: Optional[str] = Field(None, description="the solver's note, e.g. that the time limit (the case's "
                                                     "share of the request's budget) ended it before a proof")
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


# --- the committee cycle (docs/cycle.md, "API") ------------------------------

EntryStatus = enum.Enum("EntryStatus", {"ACTIVE": "active", "WITHDRAWN": "withdrawn"}, type=str)
EntryStatus.__doc__ = "active entries enter new rounds; withdrawn ones are kept for history only."
ProjectStatus = enum.Enum("ProjectStatus", {s.upper(): s for s in _lc.STATUSES}, type=str)
ProjectStatus.__doc__ = "A project's place in the lifecycle (docs/cycle.md)."


class ListEntry(BaseModel):
    """An entry of the lists: the round fields of its kind (Community, Provider, Resource, Need) plus
    status and timestamps; a provider may carry min_projects_year, a reopened need its origin_project_id."""

    model_config = ConfigDict(extra="allow")
    id: str
    status: EntryStatus
    created_at: str = Field(description="ISO 8601 UTC")
    updated_at: str = Field(description="ISO 8601 UTC")
    origin_project_id: Optional[str] = Field(None, description="needs only: the reopened project it came from")


class ListEntryPage(_Body):
    """One page of a list, in id order."""

    items: list[ListEntry]
    page: int
    per_page: int
    total: int
    next: Optional[str] = Field(description="URL of the next page, null on the last")


class WithdrawRequest(_Body):
    """Why an entry is withdrawn (optional)."""

    note: Optional[Annotated[str, Field(max_length=2000)]] = None


class FromListsRequest(_Body):
    """POST /rounds with from_lists: the round is built from the committee's lists and history."""

    from_lists: bool = Field(description="must be true")
    params: Optional[dict[str, Any]] = Field(None, description="the round's params plus rounds_per_year (1..366)")
    name: Optional[str] = None


class CycleProject(_Body):
    """A project of the committee's rounds with its lifecycle status (id = ROUND_ID.PROJECT_ID)."""

    id: str = Field(description="the project's id across rounds: round id, a dot, the round's project id")
    round_id: str
    project_id: str = Field(description="the project's id within its round, e.g. P-0001")
    need_id: str
    resource_id: str
    provider_id: str
    community_id: str
    category: str
    quantity: int
    distance_m: int
    walk_minutes: float
    locked: bool
    status: ProjectStatus
    decided_at: Optional[str] = Field(description="when the committee last decided on it, ISO 8601 UTC")
    reason: Optional[str]
    reopened_need: Union[ListEntry, SkipJsonSchema[None]] = Field(
        None, description="the need a reopened project put back in the lists (only in the reopening answer)")


class Decision(_Body):
    """One decision of a batch."""

    project_id: str = Field(description="the round's project id, e.g. P-0001")
    to: ProjectStatus
    reason: Optional[str] = Field(None, description="required for rejected")
    note: Optional[str] = None


class DecisionBatch(_Body):
    """Decisions on a round's projects, applied all together or not at all."""

    decisions: Annotated[list[Decision], Field(min_length=1)]


class DecisionReply(_Body):
    """The decided projects, in request order."""

    round_id: str
    count: int
    items: list[CycleProject]


class ProjectEvent(_Body):
    """What happened to a project: to (in_service, cancelled, done, failed) or the resident's feedback
    (resolved; satisfaction 1..5 and comment on done, confirmed or reopened)."""

    to: Optional[ProjectStatus] = None
    resolved: Optional[bool] = None
    reason: Optional[str] = Field(None, description="required for failed, e.g. no_show")
    note: Optional[str] = None
    satisfaction: Optional[Annotated[int, Field(ge=1, le=5)]] = None
    comment: Optional[str] = None


class ProjectPage(_Body):
    """One page of the committee's projects across rounds."""

    items: list[CycleProject]
    page: int
    per_page: int
    total: int


class AuditEvent(_Body):
    """One event of the committee's hash-chained audit log."""

    seq: int
    at: str = Field(description="ISO 8601 UTC with microseconds")
    actor: str = Field(description="the name bound to the token that made the change")
    committee: str = Field(description="the committee's id")
    kind: str = Field(description="e.g. need.created, round.solved, project.transition")
    subject: str
    before: Any
    after: Any
    note: Optional[str]
    prev_hash: str
    hash: str = Field(description="sha256(prev_hash + canonical JSON of the other fields)")


class AuditEventPage(_Body):
    """One page of events, in seq order."""

    items: list[AuditEvent]
    page: int
    per_page: int
    total: int


class FigureRow(_Body):
    """Figures of one group over the period (a rate with nothing to count is null)."""

    needs_posted: int
    units_demanded: int
    units_served: int
    coverage: Optional[float]
    response_time_s: Optional[float]
    approval_rate: Optional[float]
    completion_rate: Optional[float]
    failure_rate: Optional[float]
    satisfaction_mean: Optional[float]
    satisfaction_share_4: Optional[float]
    reopen_rate: Optional[float]


class MemberFigures(_Body):
    """A provider's projects of the year against its yearly minimum."""

    projects: int
    min_projects_year: int
    shortfall: int


class Figures(_Body):
    """Figures across rounds, recomputed from the audit log."""

    model_config = ConfigDict(populate_by_name=True)
    from_: str = Field(alias="from", description="start of the period, ISO 8601 UTC")
    to: str = Field(description="end of the period (excluded), ISO 8601 UTC")
    by: Optional[str] = Field(description="community, provider or null (one group, all)")
    groups: dict[str, FigureRow]
    members: dict[str, MemberFigures] = Field(description="providers with min_projects_year, this year")


# --- importing the lists from Excel / CSV (POST /api/v1/lists/import) --------

ListKind = enum.Enum("ListKind", {k.upper(): k for k in ("community", "provider", "resource", "need")}, type=str)
ListKind.__doc__ = "The kind of a list entry."
ListName = enum.Enum("ListName", {k.upper(): k for k in ("communities", "providers", "resources", "needs")}, type=str)
ListName.__doc__ = "A list of the committee: communities, providers, resources, needs."


class ImportAdded(_Body):
    """An entry the file adds to its list."""

    kind: ListKind
    id: str
    sheet: str = Field(description="the sheet as messages name it, e.g. 三单.xlsx [需求清单]")
    row: int = Field(description="the row, as the spreadsheet numbers it (header = row 1)")
    entry: dict[str, Any] = Field(description="the entry's round fields")


class ImportFieldChange(_Body):
    """One field of an entry the file changes (null: the field is absent)."""

    field: str
    before: Any
    after: Any


class ImportChanged(_Body):
    """An active entry the file changes, field by field."""

    kind: ListKind
    id: str
    sheet: str
    row: int
    fields: list[ImportFieldChange]


class ImportWithdrawn(_Body):
    """An active entry of a list the file holds that the file leaves out: the import withdraws it."""

    kind: ListKind
    id: str
    entry: dict[str, Any] = Field(description="the stored entry's round fields")


class ListImportReply(_Body):
    """What importing the file would do (applied false) or did (applied true)."""

    kinds: list[ListName] = Field(description="the lists the file holds; only these are changed or withdrawn from")
    added: list[ImportAdded]
    changed: list[ImportChanged]
    withdrawn: list[ImportWithdrawn]
    unchanged: int = Field(description="entries of the file equal to the stored ones")
    errors: list[FieldError] = Field(description="always empty: a file with any bad row answers 422")
    notes: list[str] = Field(description="sheets and columns that were not imported")
    digest: str = Field(description="fingerprint of the changes; apply=true&expect=DIGEST applies exactly these")
    applied: bool


class Ban(_Body):
    """A pair the committee rejected last: forbidden in its next rounds from the lists until lifted."""

    need_id: str
    resource_id: str
    project_id: str = Field(description="the rejected project, ROUND_ID.P-0001")
    round_id: str = Field(description="the round it was proposed in")
    rejected_at: Optional[str] = Field(description="when it was rejected, ISO 8601 UTC")
    reason: Optional[str] = Field(description="the reason given with the rejection")


class BanList(_Body):
    """The committee's current bans, by need then resource id."""

    count: int
    items: list[Ban]


class BanLift(_Body):
    """The pair whose ban is lifted, and why (optional)."""

    need_id: Annotated[str, Field(min_length=1, max_length=200)]
    resource_id: Annotated[str, Field(min_length=1, max_length=200)]
    note: Optional[Annotated[str, Field(max_length=2000)]] = None


class LiftedBan(Ban):
    """The ban as it was, with when it was lifted (the ban.lifted audit event's time) and the note."""

    lifted_at: str = Field(description="ISO 8601 UTC")
    note: Optional[str]


# --- best fits for one new item (docs/recommend.md) ---------------------------

class RecommendProject(_Body):
    """A project the new item would be part of."""

    resource_id: str
    need_id: str
    provider_id: str
    quantity: int
    distance_m: int
    walk_minutes: float


class Displacement(_Body):
    """A stored project whose quantity would change (0 before: a new project; 0 after: dropped)."""

    need_id: str
    resource_id: str
    before: int
    after: int


class RecommendChange(_Body):
    """The round plus the new item with all its candidate pairs, re-optimised (what a full re-solve gives)."""

    quantity: int = Field(description="units the new item gets (a new need) or gives (a new resource)")
    delta_served_value: int
    delta_total_distance_m: int
    exact: bool = Field(description="true when the change equals a full re-solve's")
    bound_delta_served_value: Optional[int] = Field(description="a proven upper bound of the gain in served value")
    projects: list[RecommendProject]
    displacement: list[Displacement] = Field(description="the displacement chain")


class RecommendOption(_Body):
    """One way to serve the new item: the round plus the item allowed this one pair, re-optimised."""

    rank: Optional[int] = Field(description="1 = best; null for an option chosen by its id in apply")
    resource_id: str
    need_id: str
    provider_id: str
    quantity: int
    distance_m: int
    walk_minutes: float
    delta_served_value: int
    delta_total_distance_m: int
    exact: bool
    bound_delta_served_value: Optional[int]
    displacement: list[Displacement]


class RecommendUnmet(_Body):
    """The new need's units left short in the best change, with the reason a solve would give."""

    need_id: str
    quantity: int
    reason: Reason


class RecommendRequest(_Body):
    """One new need (or one new resource: give resource instead) and how many options to answer."""

    need: Union[Need, SkipJsonSchema[None]] = Field(None, description="the new need, as in a round document")
    resource: Union[Resource, SkipJsonSchema[None]] = Field(None, description="or the new resource")
    k: Annotated[int, Field(ge=1, le=K_MAX)] = Field(5, description="how many options")


class RecommendAnswer(_Body):
    """What matcher recommend --json prints, plus the round's id."""

    round_id: str
    kind: Literal["need", "resource"]
    id: str = Field(description="the new item's id")
    k: int
    exact: bool = Field(description="best and every option are exact")
    best: RecommendChange
    options: list[RecommendOption] = Field(description="the k best single-pair ways, best first")
    unmet: Optional[RecommendUnmet] = Field(description="null when the new need is fully served, or for a resource")


class RecommendApplyRequest(_Body):
    """The new need (or resource) and the option chosen: a rank in the answer to the same k, or the id of
    the resource (for a new resource: of the need)."""

    need: Union[Need, SkipJsonSchema[None]] = Field(None, description="the new need")
    resource: Union[Resource, SkipJsonSchema[None]] = Field(None, description="or the new resource")
    option: Union[Annotated[int, Field(ge=1, le=K_MAX)], Annotated[str, Field(min_length=1, max_length=200)]] = \
        Field(description="the option's rank, or the other side's id")
    k: Optional[Annotated[int, Field(ge=1, le=K_MAX)]] = Field(None, description="as in the recommend call "
                                                                                   "(default 5, or the rank)")
    note: Optional[Annotated[str, Field(max_length=2000)]] = None


class RecommendApplied(_Body):
    """The entry added to the lists and the recorded choice (a recommend.applied audit event)."""

    round_id: str
    kind: Literal["need", "resource"]
    need: Union[ListEntry, SkipJsonSchema[None]] = Field(None, description="the need added (kind need)")
    resource: Union[ListEntry, SkipJsonSchema[None]] = Field(None, description="the resource added (kind resource)")
    option: RecommendOption = Field(description="the option as checked again against the round")
    event: AuditEvent
