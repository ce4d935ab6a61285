"""Frozen domain types of a round document (contract v1, ``docs/round-format.md``).

These pydantic models describe the *shape* and the per-field rules of the
input document: types, ranges, defaults, unknown fields refused. Rules that
look across items (unique ids, references, locks) live in
:mod:`matcher.validation`, which is the only public way to build a
:class:`Round` from untrusted input.
"""
from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
)

DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SOLVERS: tuple[str, ...] = ("auto", "greedy", "flow", "cpsat")
DEFAULT_MAX_DISTANCE_M = 3000.0
DEFAULT_TIME_LIMIT_S = 60.0
DEFAULT_PRIORITY_WEIGHTS: dict[str, int] = {"1": 1, "2": 2, "3": 4, "4": 8, "5": 16}
MAX_PRIORITY_WEIGHT = 1_000_000
MAX_UNITS = 1_000_000  # capacities, quantities, lots and limits: sums x weights stay well inside 64 bits


def _none_as_empty(value):
    """``null`` for a list field means the same as ``[]``."""
    return () if value is None else value


Id = Annotated[StrictStr, Field(min_length=1, max_length=200)]
Text = Annotated[StrictStr, Field(min_length=1, max_length=500)]
Tag = Annotated[StrictStr, Field(min_length=1, max_length=100)]
Tags = Annotated[tuple[Tag, ...], BeforeValidator(_none_as_empty)]
Lat = Annotated[StrictFloat, Field(ge=-90, le=90, allow_inf_nan=False)]
Lon = Annotated[StrictFloat, Field(ge=-180, le=180, allow_inf_nan=False)]
Distance = Annotated[StrictFloat, Field(gt=0, allow_inf_nan=False)]
PositiveInt = Annotated[StrictInt, Field(ge=1, le=MAX_UNITS)]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


HHMM_START = r"^(?:[01]\d|2[0-3]):[0-5]\d$"
HHMM_END = r"^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$"
HHMM_MESSAGES = {"start": "must be HH:MM between 00:00 and 23:59", "end": "must be HH:MM between 00:00 and 24:00"}


class Window(_Frozen):
    """A weekly time window: on each of ``days`` from ``start`` to ``end``.

    ``end <= start`` wraps past midnight into the next day (``sun`` wraps into
    ``mon``); ``24:00`` is allowed as an end; ``start == end`` is a whole day.
    The HH:MM patterns are checked inside pydantic-core (no Python call per
    window); :mod:`matcher.validation` words their errors with ``HHMM_MESSAGES``.
    """

    days: Annotated[tuple[Day, ...], Field(min_length=1)]
    start: Annotated[StrictStr, Field(pattern=HHMM_START)]
    end: Annotated[StrictStr, Field(pattern=HHMM_END)]


Windows = Optional[tuple[Window, ...]]


class Provider(_Frozen):
    """A resident unit (驻区单位) or an in-service party member (在职党员)."""

    id: Id
    name: Optional[Text] = None
    kind: Literal["unit", "member"] = "unit"
    max_projects: Optional[PositiveInt] = None
    community_id: Optional[Id] = None


class Resource(_Frozen):
    """One entry of the resource list (资源清单)."""

    id: Id
    provider_id: Id
    category: Id
    capacity: PositiveInt
    lat: Lat
    lon: Lon
    max_distance_m: Optional[Distance] = None
    tags: Tags = ()
    min_quantity: PositiveInt = 1
    windows: Windows = None


class Need(_Frozen):
    """One entry of the need list (需求清单)."""

    id: Id
    community_id: Id
    category: Id
    quantity: PositiveInt
    lat: Lat
    lon: Lon
    priority: Annotated[StrictInt, Field(ge=1, le=5)] = 3
    max_distance_m: Optional[Distance] = None
    required_tags: Tags = ()
    all_or_nothing: StrictBool = False
    windows: Windows = None


class Lock(_Frozen):
    """A committee decision: this pair is a project of exactly ``quantity``."""

    need_id: Id
    resource_id: Id
    quantity: PositiveInt


class Forbid(_Frozen):
    """A committee decision: this pair never becomes a project."""

    need_id: Id
    resource_id: Id


PriorityKey = Literal["1", "2", "3", "4", "5"]
Weight = Annotated[StrictInt, Field(ge=1, le=MAX_PRIORITY_WEIGHT)]


class Params(_Frozen):
    """The committee's rules for the round."""

    max_distance_m: Distance = DEFAULT_MAX_DISTANCE_M
    priority_weights: dict[PriorityKey, Weight] = Field(default_factory=dict)
    time_limit_s: Annotated[StrictFloat, Field(gt=0, le=86_400, allow_inf_nan=False)] = DEFAULT_TIME_LIMIT_S
    solver: Literal["auto", "greedy", "flow", "cpsat"] = "auto"

    def weight_of(self) -> dict[int, int]:
        """Weight of one served unit by priority 1..5 (defaults merged)."""
        merged = dict(DEFAULT_PRIORITY_WEIGHTS)
        merged.update(self.priority_weights)
        return {int(k): int(v) for k, v in merged.items()}


class Round(_Frozen):
    """A whole round document, after validation."""

    name: Optional[Annotated[StrictStr, Field(max_length=500)]] = None
    params: Params = Field(default_factory=Params)
    providers: tuple[Provider, ...]
    resources: tuple[Resource, ...]
    needs: tuple[Need, ...]
    locked: Annotated[tuple[Lock, ...], BeforeValidator(_none_as_empty)] = ()
    forbidden: Annotated[tuple[Forbid, ...], BeforeValidator(_none_as_empty)] = ()
