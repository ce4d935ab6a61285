"""Frozen domain types of a round document (contract v1.1, ``docs/round-format.md``).

These pydantic models describe the *shape* and the per-field rules of the
input document: types, ranges, defaults, text hygiene, unknown fields refused.
Rules that look across items (unique ids, references, locks) live in
:mod:`matcher.validation`, which is the only public way to build a
:class:`Round` from untrusted input.

Text (ids, names, notes, categories, tags) is normalised to NFC before its
length is checked; control characters, zero-width characters and
bidirectional controls are refused (tab and newline are allowed in a note).
Integers may be written with a zero fraction (``4.0`` is 4, ``4.5`` is
refused); both are checked inside pydantic-core, with no Python call per
integer.
"""
from __future__ import annotations

import re
import unicodedata
from fractions import Fraction
from typing import Annotated, Any, Literal, Optional

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictStr,
)
from pydantic_core import core_schema

DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_MAX_DISTANCE_M = 3000.0
DEFAULT_TIME_LIMIT_S = 60.0
DEFAULT_PRIORITY_WEIGHTS: dict[str, int] = {"1": 1, "2": 2, "3": 4, "4": 8, "5": 16}
MAX_PRIORITY_WEIGHT = 1_000_000
MAX_UNITS = 1_000_000  # capacities, quantities, lots and limits: sums x weights stay well inside 64 bits
MAX_ROUNDS_UNMET = 1000


def _none_as_empty(value):
    """``null`` for a list field means the same as ``[]``."""
    return () if value is None else value


# --- integers -------------------------------------------------------------

def _whole(value: float) -> int:
    if not value.is_integer():
        raise ValueError("not a whole number")
    return int(value)


class Integer:
    """``Annotated[int, Integer(lo, hi)]``: a JSON integer in ``[lo, hi]``; a
    number with a zero fraction (``4.0``) is that integer. Booleans and strings
    are refused ("must be an integer"), as are fractions."""

    def __init__(self, lo: int, hi: Optional[int] = None):
        self.lo, self.hi = lo, hi

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        whole = core_schema.no_info_after_validator_function(
            _whole, core_schema.float_schema(strict=True, allow_inf_nan=False))
        as_int = core_schema.union_schema([core_schema.int_schema(strict=True), whole],
                                          custom_error_type="int_type")
        return core_schema.chain_schema([as_int, core_schema.int_schema(strict=True, ge=self.lo, le=self.hi)])

    def __get_pydantic_json_schema__(self, schema: Any, handler: Any) -> dict:
        out: dict = {"type": "integer", "minimum": self.lo}
        if self.hi is not None:
            out["maximum"] = self.hi
        return out


Units = Annotated[int, Integer(1, MAX_UNITS)]

# --- text -----------------------------------------------------------------

# control characters, zero-width characters, bidirectional overrides and isolates
_INVISIBLE = "\x7f-\x9f\u200b-\u200d\u2060\ufeff\u202a-\u202e\u2066-\u2069"
_REFUSED = re.compile(f"[\x00-\x1f{_INVISIBLE}]")
_REFUSED_IN_NOTE = re.compile(f"[\x00-\x08\x0b-\x1f{_INVISIBLE}]")  # tab (09) and newline (0a) allowed
# the same rule for JSON Schema readers (ECMA-262 regular expressions)
_SCHEMA_PATTERN = r"^[^\u0000-\u001F\u007F-\u009F\u200B-\u200D\u2060\uFEFF\u202A-\u202E\u2066-\u2069]*$"
_SCHEMA_NOTE_PATTERN = _SCHEMA_PATTERN.replace(r"\u0000-\u001F", r"\u0000-\u0008\u000B-\u001F")


def _kind_of(ch: str) -> str:
    code = ord(ch)
    if code <= 0x1F or 0x7F <= code <= 0x9F:
        return "a control character"
    if 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
        return "a bidirectional control character"
    return "a zero-width character"


def _cleaner(refused: re.Pattern):
    def clean(value: Any) -> Any:
        """NFC form of a text; refused characters raise (non-strings pass on to the type check)."""
        if not isinstance(value, str) or (value.isascii() and value.isprintable()):
            return value
        if not value.isascii():
            value = unicodedata.normalize("NFC", value)
        bad = refused.search(value)
        if bad is not None:
            ch = bad.group()
            raise ValueError(f"must not contain U+{ord(ch):04X} ({_kind_of(ch)}) at character {bad.start() + 1}")
        return value
    return clean


_clean_text = BeforeValidator(_cleaner(_REFUSED))
_TEXT_SCHEMA = {"pattern": _SCHEMA_PATTERN}

Id = Annotated[StrictStr, Field(min_length=1, max_length=200, json_schema_extra=_TEXT_SCHEMA), _clean_text]
Name = Annotated[StrictStr, Field(max_length=200, json_schema_extra=_TEXT_SCHEMA), _clean_text]
Note = Annotated[StrictStr, Field(max_length=2000, json_schema_extra={"pattern": _SCHEMA_NOTE_PATTERN}),
                 BeforeValidator(_cleaner(_REFUSED_IN_NOTE))]
Tag = Annotated[StrictStr, Field(min_length=1, max_length=100, json_schema_extra=_TEXT_SCHEMA), _clean_text]
Tags = Annotated[tuple[Tag, ...], BeforeValidator(_none_as_empty)]
Lat = Annotated[StrictFloat, Field(ge=-90, le=90, allow_inf_nan=False)]
Lon = Annotated[StrictFloat, Field(ge=-180, le=180, allow_inf_nan=False)]
Distance = Annotated[StrictFloat, Field(gt=0, allow_inf_nan=False)]
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


class Community(_Frozen):
    """A community (社区) named for reports and the console; needs and members refer to it."""

    id: Id
    name: Name
    lat: Optional[Lat] = None
    lon: Optional[Lon] = None


class Provider(_Frozen):
    """A resident unit (驻区单位) or an in-service party member (在职党员)."""

    id: Id
    name: Optional[Name] = None
    kind: Literal["unit", "member"] = "unit"
    max_projects: Optional[Units] = None
    community_id: Optional[Id] = None
    target_projects: Optional[Annotated[int, Integer(0, MAX_UNITS)]] = None


class Resource(_Frozen):
    """One entry of the resource list (资源清单)."""

    id: Id
    provider_id: Id
    category: Id
    capacity: Units
    name: Optional[Name] = None
    note: Optional[Note] = None
    lat: Lat
    lon: Lon
    max_distance_m: Optional[Distance] = None
    tags: Tags = ()
    min_quantity: Units = 1
    windows: Windows = None


class Need(_Frozen):
    """One entry of the need list (需求清单)."""

    id: Id
    community_id: Id
    category: Id
    quantity: Units
    name: Optional[Name] = None
    note: Optional[Note] = None
    lat: Lat
    lon: Lon
    priority: Annotated[int, Integer(1, 5)] = 3
    max_distance_m: Optional[Distance] = None
    required_tags: Tags = ()
    all_or_nothing: StrictBool = False
    rounds_unmet: Annotated[int, Integer(0, MAX_ROUNDS_UNMET)] = 0
    windows: Windows = None


class Lock(_Frozen):
    """A committee decision: this pair is a project of exactly ``quantity``."""

    need_id: Id
    resource_id: Id
    quantity: Units


class Forbid(_Frozen):
    """A committee decision: this pair never becomes a project."""

    need_id: Id
    resource_id: Id


class Previous(_Frozen):
    """A project of the plan this round should change as little as possible (churn level)."""

    need_id: Id
    resource_id: Id
    quantity: Units


PriorityKey = Literal["1", "2", "3", "4", "5"]
Weight = Annotated[int, Integer(1, MAX_PRIORITY_WEIGHT)]


class Fairness(_Frozen):
    """Objective level 1: the served value may drop to ``min_value_ratio`` of
    its best for fairer coverage across communities."""

    group: Literal["community"]
    mode: Literal["maxmin", "leximin"]
    min_value_ratio: Annotated[StrictFloat, Field(gt=0, le=1, allow_inf_nan=False)]

    def ratio(self) -> Fraction:
        """The ratio as the decimal written (0.7 is exactly 7/10): the shortest
        decimal that reads back as the same double."""
        return Fraction(repr(float(self.min_value_ratio)))


class PriorityAging(_Frozen):
    """A need short for ``every_rounds`` earlier rounds gains one priority step, up to ``max_priority``."""

    every_rounds: Annotated[int, Integer(1)]
    max_priority: Annotated[int, Integer(1, 5)]

    def effective(self, priority: int, rounds_unmet: int) -> int:
        """``max(priority, min(max_priority, priority + rounds_unmet // every_rounds))``."""
        return max(priority, min(self.max_priority, priority + rounds_unmet // self.every_rounds))


class Params(_Frozen):
    """The committee's rules for the round."""

    max_distance_m: Distance = DEFAULT_MAX_DISTANCE_M
    priority_weights: dict[PriorityKey, Weight] = Field(default_factory=dict)
    time_limit_s: Annotated[StrictFloat, Field(gt=0, le=86_400, allow_inf_nan=False)] = DEFAULT_TIME_LIMIT_S
    solver: Literal["auto", "greedy", "flow", "cpsat"] = "auto"
    fairness: Optional[Fairness] = None
    priority_aging: Optional[PriorityAging] = None

    def weight_of(self) -> dict[int, int]:
        """Weight of one served unit by priority 1..5 (defaults merged)."""
        merged = dict(DEFAULT_PRIORITY_WEIGHTS)
        merged.update(self.priority_weights)
        return {int(k): int(v) for k, v in merged.items()}


class Round(_Frozen):
    """A whole round document, after validation.

    ``communities`` and ``previous`` stay ``None`` when the document leaves
    them out: references to communities are checked only against a given
    list, and the churn level is present only with ``previous``.
    """

    name: Optional[Name] = None
    params: Params = Field(default_factory=Params)
    communities: Optional[tuple[Community, ...]] = None
    providers: tuple[Provider, ...]
    resources: tuple[Resource, ...]
    needs: tuple[Need, ...]
    locked: Annotated[tuple[Lock, ...], BeforeValidator(_none_as_empty)] = ()
    forbidden: Annotated[tuple[Forbid, ...], BeforeValidator(_none_as_empty)] = ()
    previous: Optional[tuple[Previous, ...]] = None
