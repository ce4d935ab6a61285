"""A seeded year of the committee cycle: what happens, month by month (pure: no database, web or I/O).

:func:`parse_scenario` reads the description of a district (a scenario file such as
``scenarios/simulations/district_year.json``): its communities, resident units with
their resources, in-service party members (made from name pools, each with a
yearly ``min_projects_year``), the mix of needs, and the monthly rates of what
happens (new micro-wishes, members joining and leaving, capacity changes,
rejections, no-shows, feedback with reopenings). Field errors name their path.

:class:`Engine` draws every choice from one ``random.Random(seed)`` and keeps its own
view of the lists it made. It answers plain data that a driver
(:mod:`matcher.cycle.drive`) sends to the API:

- :meth:`Engine.opening`: the lists at the start of the year (:class:`ListEdit` s);
- :meth:`Engine.month_edits`: one month's list changes, and the cancellations they
  bring (a member who leaves, a need withdrawn: their approved projects are cancelled);
- :meth:`Engine.decisions` (a new round's proposals, decided per need: approved, rejected
  with a reason, or held), :meth:`Engine.held_decisions` (the previous round's held ones);
- :meth:`Engine.lifecycle`: one step of each live project (approved -> in_service or
  cancelled, in_service -> done or failed ``no_show``, done -> the resident's feedback).

The engine is told the projects as :class:`SimProject` s and orders them by round and
round-local id, never by the API's random ids, so that one seed gives one year.
Projects that a round ``locked`` (the earlier approvals carried over) are not decided
again: the approved project of the earlier round is the one that goes on.
"""
from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import FieldIssue, InputError
from ..jsondoc import path_of
from ..model import Community, Params
from . import lifecycle as lc

Rate = Annotated[float, Field(ge=0, le=1)]
Count = Annotated[int, Field(ge=0, le=10_000)]
Units = Annotated[int, Field(ge=1, le=1_000_000)]
METRES_PER_DEGREE = 111_320.0


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Span(_Strict):
    """``[low, high]`` of a uniform integer draw (both included)."""

    low: int
    high: int

    @model_validator(mode="before")
    @classmethod
    def _pair(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple)) and len(value) == 2:
            return {"low": value[0], "high": value[1]}
        raise ValueError("must be a list [low, high] of two integers")

    @model_validator(mode="after")
    def _ordered(self) -> Span:
        if self.low > self.high:
            raise ValueError(f"[{self.low}, {self.high}]: the first number must not be above the second")
        return self

    def draw(self, rng: random.Random) -> int:
        return rng.randint(self.low, self.high)


class UnitResource(_Strict):
    category: str
    capacity: Units
    tags: tuple[str, ...] = ()
    min_quantity: Units = 1
    name: Optional[str] = None


class Unit(_Strict):
    id: str
    name: str
    community_id: str
    max_projects: Optional[Units] = None
    resources: tuple[UnitResource, ...] = Field(min_length=1)


class Offer(_Strict):
    """What a member may offer: a resource of ``category``, with a skill drawn from ``skill_from``."""

    category: str
    weight: Annotated[float, Field(gt=0)]
    capacity: Span
    tags: tuple[str, ...] = ()
    skill_from: tuple[str, ...] = ()


class Members(_Strict):
    initial: Count
    min_projects_year: Annotated[int, Field(ge=0, le=366)]
    max_projects: Span
    second_offer_rate: Rate
    offers: tuple[Offer, ...] = Field(min_length=1)
    surnames: tuple[str, ...] = Field(min_length=1)
    given_names: tuple[str, ...] = Field(min_length=1)


class NeedKind(_Strict):
    weight: Annotated[float, Field(gt=0)]
    quantity: Span
    priority: Span
    names: tuple[str, ...] = Field(min_length=1)
    required_tags: tuple[str, ...] = ()
    required_tag_from: tuple[str, ...] = ()
    all_or_nothing_rate: Rate = 0.0


class Needs(_Strict):
    initial: Count
    categories: dict[str, NeedKind] = Field(min_length=1)


class Monthly(_Strict):
    new_needs: Span
    need_withdraw_rate: Rate
    members_join: Span
    member_leave_rate: Rate
    capacity_change_rate: Rate


class Decisions(_Strict):
    reject_rate: Rate
    hold_rate: Rate
    held_decided_rate: Rate
    held_reject_rate: Rate
    reject_reasons: tuple[str, ...] = Field(min_length=1)


class Lifecycle(_Strict):
    passes_per_month: Annotated[int, Field(ge=1, le=10)]
    start_rate: Rate
    cancel_rate: Rate
    no_show_rate: Rate
    feedback_rate: Rate
    reopen_rate: Rate
    satisfaction_confirmed: Span
    satisfaction_reopened: Span


class Scenario(_Strict):
    """The description of a district's year (see the module docstring)."""

    name: str
    description: Optional[str] = None
    rounds_per_year: Annotated[int, Field(ge=1, le=366)] = 12
    params: dict[str, Any] = Field(default_factory=dict)
    spread_m: Annotated[float, Field(ge=0, le=50_000)] = 500.0
    communities: tuple[Community, ...] = Field(min_length=1)
    units: tuple[Unit, ...] = ()
    members: Members
    needs: Needs
    monthly: Monthly
    decisions: Decisions
    lifecycle: Lifecycle


def _reference_problems(s: Scenario) -> list[FieldIssue]:
    out = []
    community_ids = {c.id for c in s.communities}
    for i, c in enumerate(s.communities):
        if c.lat is None or c.lon is None:
            out.append(FieldIssue(f"communities[{i}]", "needs lat and lon (entries are placed around them)"))
    for i, u in enumerate(s.units):
        if u.community_id not in community_ids:
            out.append(FieldIssue(f"units[{i}].community_id", f"unknown community {u.community_id!r}"))
    if s.decisions.reject_rate + s.decisions.hold_rate > 1:
        out.append(FieldIssue("decisions.hold_rate", "reject_rate + hold_rate must be at most 1"))
    if s.lifecycle.start_rate + s.lifecycle.cancel_rate > 1:
        out.append(FieldIssue("lifecycle.cancel_rate", "start_rate + cancel_rate must be at most 1"))
    for key in ("satisfaction_confirmed", "satisfaction_reopened"):
        span = getattr(s.lifecycle, key)
        if span.low < 1 or span.high > 5:
            out.append(FieldIssue(f"lifecycle.{key}", "must lie within 1..5"))
    if s.members.max_projects.low < 1:
        out.append(FieldIssue("members.max_projects", "must be at least 1"))
    if "rounds_per_year" in s.params:
        out.append(FieldIssue("params.rounds_per_year", "is set by the scenario's rounds_per_year"))
    return out


def _issues(exc: ValidationError, prefix: tuple = ()) -> list[FieldIssue]:
    from ..validation import message_of

    out = []
    for e in exc.errors(include_url=False):
        loc = (*prefix, *e["loc"])
        if loc and loc[-1] in ("low", "high"):  # a Span's own number: name the pair
            loc = loc[:-1]
        text = e["msg"].removeprefix("Value error, ") if e["type"] == "value_error" else message_of(e)
        out.append(FieldIssue(path_of(loc), text))
    return out


def parse_scenario(data: Any) -> Scenario:
    """The scenario of a decoded file, or :class:`InputError` naming every problem by its path
    (``params`` by the round contract's rules)."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise InputError(sorted(set(_issues(exc))), title="invalid simulation scenario") from None
    problems = _reference_problems(scenario)
    try:
        Params.model_validate(scenario.params)
    except ValidationError as exc:
        problems += _issues(exc, ("params",))
    if problems:
        raise InputError(sorted(set(problems)), title="invalid simulation scenario")
    return scenario


@dataclass(frozen=True)
class ListEdit:
    """One change of the lists: ``op`` create / change / withdraw, ``lists`` the list's API name."""

    op: Literal["create", "change", "withdraw"]
    lists: str
    entry_id: str
    data: Optional[dict] = None


@dataclass(frozen=True)
class SimProject:
    """A project as the engine is told it (``round_no`` counts the simulation's rounds from 1)."""

    id: str
    round_no: int
    local_id: str
    need_id: str
    resource_id: str
    provider_id: str
    quantity: int
    status: str
    locked: bool = False

    @property
    def key(self) -> tuple[int, str]:
        return self.round_no, self.local_id


ProjectEvent = tuple[str, dict]  # (project id across rounds, body of POST /projects/{id}/events)


class Engine:
    """The seeded choices of one simulated year (module docstring)."""

    def __init__(self, scenario: Scenario, seed: int):
        self.s = scenario
        self.rng = random.Random(seed)
        self.members: dict[str, list[str]] = {}  # active member -> its resources
        self.capacity: dict[str, int] = {}  # active resource -> capacity
        self.needs: list[str] = []  # active needs the engine posted
        self.gone: set[str] = set()  # members who left and needs withdrawn
        self.member_count = 0
        self.need_count = 0

    # --- places and names -------------------------------------------------
    def _place(self, community_id: str) -> tuple[float, float]:
        c = next(c for c in self.s.communities if c.id == community_id)
        r, angle = self.s.spread_m * math.sqrt(self.rng.random()), self.rng.uniform(0, 2 * math.pi)
        lat = c.lat + r * math.sin(angle) / METRES_PER_DEGREE
        lon = c.lon + r * math.cos(angle) / (METRES_PER_DEGREE * math.cos(math.radians(c.lat)))
        return round(lat, 6), round(lon, 6)

    def _community(self) -> str:
        return self.rng.choice(self.s.communities).id

    # --- the lists --------------------------------------------------------
    def opening(self) -> list[ListEdit]:
        """The lists at the start of the year: communities, units, the first members, the first needs."""
        edits = [ListEdit("create", "communities", c.id, c.model_dump(exclude_none=True)) for c in self.s.communities]
        for unit in self.s.units:
            edits.append(ListEdit("create", "providers", unit.id, {
                "id": unit.id, "name": unit.name, "kind": "unit", "community_id": unit.community_id,
                **({"max_projects": unit.max_projects} if unit.max_projects else {})}))
            for k, res in enumerate(unit.resources):
                rid = f"R-{unit.id}-{k + 1}"
                lat, lon = self._place(unit.community_id)
                entry = {"id": rid, "provider_id": unit.id, "category": res.category, "capacity": res.capacity,
                         "lat": lat, "lon": lon, "tags": list(res.tags), "min_quantity": res.min_quantity}
                if res.name:
                    entry["name"] = res.name
                self.capacity[rid] = res.capacity
                edits.append(ListEdit("create", "resources", rid, entry))
        for _ in range(self.s.members.initial):
            edits += self._new_member()
        for _ in range(self.s.needs.initial):
            edits.append(self._new_need())
        return edits

    def _new_member(self) -> list[ListEdit]:
        m = self.s.members
        self.member_count += 1
        pid, cid = f"M-{self.member_count:04d}", self._community()
        name = self.rng.choice(m.surnames) + self.rng.choice(m.given_names)
        edits = [ListEdit("create", "providers", pid, {
            "id": pid, "name": name, "kind": "member", "community_id": cid,
            "max_projects": m.max_projects.draw(self.rng), "min_projects_year": m.min_projects_year})]
        count = 2 if self.rng.random() < m.second_offer_rate else 1
        offers = self.rng.choices(m.offers, weights=[o.weight for o in m.offers], k=count)
        lat, lon = self._place(cid)
        self.members[pid] = []
        for k, offer in enumerate(offers):
            rid = f"R-{pid}{'ab'[k]}"
            tags = list(offer.tags) + ([self.rng.choice(offer.skill_from)] if offer.skill_from else [])
            capacity = offer.capacity.draw(self.rng)
            self.capacity[rid] = capacity
            self.members[pid].append(rid)
            edits.append(ListEdit("create", "resources", rid, {
                "id": rid, "provider_id": pid, "category": offer.category, "capacity": capacity,
                "lat": lat, "lon": lon, "tags": sorted(set(tags))}))
        return edits

    def _new_need(self) -> ListEdit:
        kinds = self.s.needs.categories
        category = self.rng.choices(list(kinds), weights=[k.weight for k in kinds.values()])[0]
        kind = kinds[category]
        self.need_count += 1
        nid, cid = f"N-{self.need_count:04d}", self._community()
        lat, lon = self._place(cid)
        tags = list(kind.required_tags) + ([self.rng.choice(kind.required_tag_from)] if kind.required_tag_from else [])
        entry = {"id": nid, "community_id": cid, "category": category, "quantity": kind.quantity.draw(self.rng),
                 "name": self.rng.choice(kind.names), "lat": lat, "lon": lon,
                 "priority": kind.priority.draw(self.rng), "required_tags": sorted(set(tags))}
        if self.rng.random() < kind.all_or_nothing_rate:
            entry["all_or_nothing"] = True
        self.needs.append(nid)
        return ListEdit("create", "needs", nid, entry)

    def month_edits(self, projects: Sequence[SimProject]) -> tuple[list[ListEdit], list[ProjectEvent]]:
        """This month's list changes and the cancellations they bring (approved projects of a member
        who leaves or of a withdrawn need), drawn in a fixed order."""
        mo = self.s.monthly
        edits: list[ListEdit] = []
        gone_providers: set[str] = set()
        for pid in sorted(self.members):
            if self.rng.random() < mo.member_leave_rate:
                gone_providers.add(pid)
                for rid in self.members.pop(pid):
                    self.capacity.pop(rid)
                    edits.append(ListEdit("withdraw", "resources", rid, {"note": "member left"}))
                edits.append(ListEdit("withdraw", "providers", pid, {"note": "member left"}))
        gone_needs = {nid for nid in self.needs if self.rng.random() < mo.need_withdraw_rate}
        self.needs = [nid for nid in self.needs if nid not in gone_needs]
        self.gone |= gone_providers | gone_needs
        edits += [ListEdit("withdraw", "needs", nid, {"note": "no longer needed"}) for nid in sorted(gone_needs)]
        for _ in range(mo.members_join.draw(self.rng)):
            edits += self._new_member()
        edits += self._capacity_changes(projects)
        edits += [self._new_need() for _ in range(mo.new_needs.draw(self.rng))]
        cancels = [(p.id, {"to": lc.CANCELLED, "reason": "member left" if p.provider_id in gone_providers
                           else "need withdrawn"})
                   for p in sorted(projects, key=lambda p: p.key) if p.status == lc.APPROVED
                   and (p.provider_id in gone_providers or p.need_id in gone_needs)]
        return edits, cancels

    def _capacity_changes(self, projects: Sequence[SimProject]) -> list[ListEdit]:
        """A resource's capacity goes one up or down, never below the units its live projects hold."""
        held: dict[str, int] = {}
        for p in projects:
            if p.status in lc.LOCKING:
                held[p.resource_id] = held.get(p.resource_id, 0) + p.quantity
        edits = []
        for rid in sorted(self.capacity):
            if self.rng.random() >= self.s.monthly.capacity_change_rate:
                continue
            new = self.capacity[rid] + self.rng.choice((-1, 1))
            if new >= max(1, held.get(rid, 0)):
                self.capacity[rid] = new
                edits.append(ListEdit("change", "resources", rid, {"capacity": new}))
        return edits

    # --- decisions and the lifecycle --------------------------------------
    def decisions(self, projects: Sequence[SimProject]) -> list[dict]:
        """Decisions on a new round's undecided, unlocked proposals, one draw per need (all its
        projects alike, so an all-or-nothing need is never half approved)."""
        d = self.s.decisions
        by_need: dict[str, list[SimProject]] = {}
        for p in sorted(projects, key=lambda p: p.key):
            if p.status == lc.PROPOSED and not p.locked:
                by_need.setdefault(p.need_id, []).append(p)
        out = []
        for group in by_need.values():
            draw = self.rng.random()
            if draw < d.reject_rate:
                reason = self.rng.choice(d.reject_reasons)
                out += [{"project_id": p.local_id, "to": lc.REJECTED, "reason": reason} for p in group]
            elif draw < d.reject_rate + d.hold_rate:
                out += [{"project_id": p.local_id, "to": lc.HELD, "note": "ask the resident first"} for p in group]
            else:
                out += [{"project_id": p.local_id, "to": lc.APPROVED} for p in group]
        return out

    def held_decisions(self, held: Sequence[SimProject]) -> list[dict]:
        """Some of the previous round's held proposals are decided before the next round; the rest
        stay held (the next round's ``previous``). Those of a member who left or of a withdrawn
        need are let go."""
        d = self.s.decisions
        out = []
        for p in sorted(held, key=lambda p: p.key):
            if p.status != lc.HELD or self.rng.random() >= d.held_decided_rate:
                continue
            if p.provider_id in self.gone or p.need_id in self.gone:
                out.append({"project_id": p.local_id, "to": lc.REJECTED, "reason": "已撤回"})
                continue
            if self.rng.random() < d.held_reject_rate:
                out.append({"project_id": p.local_id, "to": lc.REJECTED, "reason": self.rng.choice(d.reject_reasons)})
            else:
                out.append({"project_id": p.local_id, "to": lc.APPROVED, "note": "resident agreed"})
        return out

    def lifecycle(self, projects: Sequence[SimProject]) -> list[ProjectEvent]:
        """One step of every live project, on the statuses given (each moves at most once)."""
        out = []
        for p in sorted(projects, key=lambda p: p.key):
            body = self._step(p.status)
            if body is not None:
                out.append((p.id, body))
        return out

    def _step(self, status: str) -> Optional[dict]:
        life = self.s.lifecycle
        draw = self.rng.random() if status in (lc.APPROVED, lc.IN_SERVICE, lc.DONE) else None
        if status == lc.APPROVED:
            if draw < life.cancel_rate:
                return {"to": lc.CANCELLED, "reason": "committee cancelled"}
            return {"to": lc.IN_SERVICE} if draw < life.cancel_rate + life.start_rate else None
        if status == lc.IN_SERVICE:
            return {"to": lc.FAILED, "reason": "no_show"} if draw < life.no_show_rate else {"to": lc.DONE}
        if status == lc.DONE and draw < life.feedback_rate:
            if self.rng.random() < life.reopen_rate:
                return {"resolved": False, "satisfaction": life.satisfaction_reopened.draw(self.rng),
                        "comment": "问题没有解决"}
            return {"resolved": True, "satisfaction": life.satisfaction_confirmed.draw(self.rng)}
        return None


def round_params(scenario: Scenario) -> dict:
    """The ``params`` of ``POST /rounds {"from_lists": true}``: the round's plus ``rounds_per_year``."""
    return {**scenario.params, "rounds_per_year": scenario.rounds_per_year}

