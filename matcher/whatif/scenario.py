"""Scenario files: a base round plus a list of changes (what-if).

A scenario document::

    {"base": "xicheng_tidal_parking.json", "name": "50 more spaces",
     "changes": [{"op": "add_capacity", "resource_id": "R-003", "amount": 50}]}

``base`` is a path relative to the scenario file. Changes apply in order to
the base document; each may refer to items added by earlier changes. Every
problem of every change is gathered (``changes[2].resource_id: unknown
resource 'R-999'``) before one :class:`ScenarioError` is raised, and the
result is validated as a round. A document without ``base`` is a plain round.

Rounding rule of the ``scale_*`` operations: the new integer is
``floor(old * factor + 0.5)`` (half rounds up), and never less than 1 (an
item is removed with ``remove``, not scaled to nothing).
"""
from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Optional, Union, get_args

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr, ValidationError

from ..errors import FieldIssue, InputError, ScenarioError
from ..model import MAX_UNITS, Need, Provider, Resource, Round
from ..validation import decode_json, message_of, parse_round, path_of

LISTS = ("providers", "resources", "needs", "locked", "forbidden")
ENTITY_LISTS = ("providers", "resources", "needs")
PARAM_KEYS = ("max_distance_m", "priority_weights", "time_limit_s", "solver")


Id = Annotated[StrictStr, Field(min_length=1)]
# At most MAX_UNITS: a larger factor makes every item larger than a round allows, and the bound keeps
# ``value * factor`` finite (a factor of 1e308 or 10**400 is a field error, not an overflow).
Factor = Annotated[Union[StrictInt, StrictFloat], Field(gt=0, le=MAX_UNITS, allow_inf_nan=False)]

_SINGULAR = {"providers": "provider", "resources": "resource", "needs": "need"}


def scaled(value: int, factor: float) -> int:
    """The documented rounding rule: half up, at least 1 (``value``, ``factor`` at most MAX_UNITS)."""
    return max(1, int(math.floor(value * factor + 0.5)))


def _count(value: Any) -> bool:
    """A capacity or quantity a round accepts (others are left for the round's validation to name)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_UNITS


def _member(value: Any, ids: set) -> bool:
    """``value in ids`` for any JSON value (lists are unhashable; ids are strings)."""
    return isinstance(value, str) and value in ids


class Draft:
    """The round document being edited, and every problem the changes met so far."""

    def __init__(self, data: dict):
        self.data = data
        self.problems: list[FieldIssue] = []
        for key in LISTS:
            if not isinstance(data.get(key), list):
                data[key] = [] if data.get(key) is None else data[key]
        if not isinstance(data.get("params"), dict):
            data["params"] = {} if data.get("params") is None else data["params"]

    def problem(self, path: str, message: str) -> None:
        self.problems.append(FieldIssue(path, message))

    def unknown(self, path: str, key: str, ident: str) -> None:
        self.problem(path, f"unknown {_SINGULAR[key]} {ident!r}")

    def ids(self, key: str) -> set:
        return {x.get("id") for x in self.data[key] if isinstance(x, dict) and isinstance(x.get("id"), str)}

    def find(self, key: str, ident: Any) -> Optional[dict]:
        for x in self.data[key]:
            if isinstance(x, dict) and x.get("id") == ident:
                return x
        return None

    def known(self, path: str, key: str, ident: Optional[str]) -> bool:
        """True when ``ident`` is None or names an item of ``key``; otherwise a problem at ``path``."""
        if ident is not None and self.find(key, ident) is None:
            self.unknown(path, key, ident)
            return False
        return True

    def matching(self, key: str, filters: dict, path: str) -> list[dict]:
        """Items of ``key`` matching every filter that is not None ([] and a problem when one fails)."""
        items = [x for x in self.data[key] if isinstance(x, dict)]
        ok = True
        for field, value in filters.items():
            if value is None:
                continue
            if field in ("resource_id", "need_id"):
                ok &= self.known(f"{path}.{field}", "resources" if field == "resource_id" else "needs", value)
                items = [x for x in items if x.get("id") == value]
            elif field == "provider_id" and not self.known(f"{path}.{field}", "providers", value):
                ok = False
            else:
                items = [x for x in items if x.get(field) == value]
                if not items and ok:
                    what = {"category": "category", "community_id": "community"}.get(field, field)
                    self.problem(f"{path}.{field}", f"no {_SINGULAR[key]} has {what} {value!r}")
                    ok = False
        return items if ok else []

    def remove(self, key: str, ident: str) -> None:
        """Remove an item; a provider takes its resources along, and the pairs on removed items go."""
        self.data[key] = [x for x in self.data[key] if not (isinstance(x, dict) and x.get("id") == ident)]
        if key == "providers":
            gone = {r.get("id") for r in self.data["resources"]
                    if isinstance(r, dict) and r.get("provider_id") == ident and isinstance(r.get("id"), str)}
            self.data["resources"] = [r for r in self.data["resources"]
                                      if not (isinstance(r, dict) and _member(r.get("id"), gone))]
            self.drop_pairs(res_ids=gone)
        elif key == "resources":
            self.drop_pairs(res_ids={ident})
        else:
            self.drop_pairs(need_ids={ident})

    def drop_pairs(self, need_ids: set = frozenset(), res_ids: set = frozenset()) -> None:
        for key in ("locked", "forbidden"):
            self.data[key] = [p for p in self.data[key] if not (isinstance(p, dict) and (
                _member(p.get("need_id"), need_ids) or _member(p.get("resource_id"), res_ids)))]

    def drop_pair(self, need_id: str, res_id: str, lists=("locked", "forbidden")) -> int:
        n = 0
        for key in lists:
            before = len(self.data[key])
            self.data[key] = [p for p in self.data[key] if not (isinstance(p, dict) and p.get("need_id") == need_id
                                                                 and p.get("resource_id") == res_id)]
            n += before - len(self.data[key])
        return n


OPERATIONS: dict[str, type[_Op]] = {}


def operation(cls: type[_Op]) -> type[_Op]:
    """Register an operation model in :data:`OPERATIONS` under its ``op`` name."""
    (name,) = get_args(cls.model_fields["op"].annotation)
    OPERATIONS[name] = cls
    return cls


class _Op(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def apply(self, doc: Draft, path: str) -> None:
        """Apply this change to ``doc``; each problem goes to ``doc.problem`` with a path under ``path``."""
        raise NotImplementedError


@operation
class Add(_Op):
    """Add one item (``item``) or several (``items``) to a list."""
    op: Literal["add"]
    list: Literal["providers", "resources", "needs", "locked", "forbidden"]
    item: Optional[dict] = None
    items: Optional[list[dict]] = None

    def apply(self, doc: Draft, path: str) -> None:
        items = ([self.item] if self.item is not None else []) + list(self.items or [])
        if not items:
            return doc.problem(path, "give \"item\" or \"items\"")
        if self.list in ENTITY_LISTS:
            have = doc.ids(self.list)
            for m, item in enumerate(items):
                ident = item.get("id")
                if not isinstance(ident, str):
                    continue  # not an id at all: the round's validation names it
                if ident in have:
                    sub = f"{path}.item.id" if self.item is not None and m == 0 else f"{path}.items[{m}].id"
                    doc.problem(sub, f"{_SINGULAR[self.list]} {ident!r} already exists")
                have.add(ident)
        doc.data[self.list].extend(copy.deepcopy(items))


@operation
class Remove(_Op):
    """Remove a provider (with its resources), resource or need by ``id``, or a
    lock/forbid by ``need_id`` + ``resource_id``. Locks and forbids on removed
    resources and needs go too."""
    op: Literal["remove"]
    list: Literal["providers", "resources", "needs", "locked", "forbidden"]
    id: Optional[Id] = None
    need_id: Optional[Id] = None
    resource_id: Optional[Id] = None

    def apply(self, doc: Draft, path: str) -> None:
        if self.list not in ENTITY_LISTS:
            if self.need_id is None or self.resource_id is None:
                return doc.problem(path, "give need_id and resource_id")
            if doc.drop_pair(self.need_id, self.resource_id, (self.list,)) == 0:
                doc.problem(path, f"no {self.list} pair ({self.need_id}, {self.resource_id})")
            return None
        if self.id is None:
            return doc.problem(f"{path}.id", "is required")
        if doc.known(f"{path}.id", self.list, self.id):
            doc.remove(self.list, self.id)
        return None


class _Scale(_Op):
    """Multiply one integer field of the items matching all given filters."""
    target: ClassVar[tuple[str, str]]  # (list, field)

    def apply(self, doc: Draft, path: str) -> None:
        key, field = self.target
        filters = self.model_dump(exclude={"op", "factor"})
        for item in doc.matching(key, filters, path):
            if _count(item.get(field)):
                item[field] = scaled(item[field], self.factor)


@operation
class ScaleCapacity(_Scale):
    """Multiply ``capacity`` of the resources matching all given filters (none = all)."""
    target: ClassVar[tuple[str, str]] = ("resources", "capacity")
    op: Literal["scale_capacity"]
    factor: Factor
    category: Optional[Id] = None
    provider_id: Optional[Id] = None
    resource_id: Optional[Id] = None


@operation
class ScaleDemand(_Scale):
    """Multiply ``quantity`` of the needs matching all given filters (none = all)."""
    target: ClassVar[tuple[str, str]] = ("needs", "quantity")
    op: Literal["scale_demand"]
    factor: Factor
    category: Optional[Id] = None
    community_id: Optional[Id] = None
    need_id: Optional[Id] = None


class _AddAmount(_Op):
    """Add ``amount`` to one integer field of one item; the result must stay >= 1."""
    target: ClassVar[tuple[str, str, str]]  # (list, field, id field)

    def apply(self, doc: Draft, path: str) -> None:
        key, field, id_field = self.target
        ident = getattr(self, id_field)
        item = doc.find(key, ident)
        if item is None:
            return doc.unknown(f"{path}.{id_field}", key, ident)
        old = item.get(field, 0)
        if not isinstance(old, int) or isinstance(old, bool):
            return doc.problem(f"{path}.{id_field}", f"{field} of {_SINGULAR[key]} {ident!r} is not an integer")
        new = old + self.amount
        if new < 1:
            return doc.problem(f"{path}.amount", f"would leave {field} {new} < 1 (use remove)")
        item[field] = new
        return None


@operation
class AddCapacity(_AddAmount):
    """Add ``amount`` (may be negative; the result must stay >= 1) to one resource's capacity."""
    target: ClassVar[tuple[str, str, str]] = ("resources", "capacity", "resource_id")
    op: Literal["add_capacity"]
    resource_id: Id
    amount: StrictInt


@operation
class AddDemand(_AddAmount):
    """Add ``amount`` (may be negative; the result must stay >= 1) to one need's quantity."""
    target: ClassVar[tuple[str, str, str]] = ("needs", "quantity", "need_id")
    op: Literal["add_demand"]
    need_id: Id
    amount: StrictInt


@operation
class SetParam(_Op):
    """Set ``params.<path>``; ``path`` is dotted (``priority_weights.5``)."""
    op: Literal["set_param"]
    path: Annotated[StrictStr, Field(min_length=1)]
    value: Any

    def apply(self, doc: Draft, path: str) -> None:
        parts = self.path.split(".")
        if parts[0] == "params":
            parts = parts[1:]
        if (not parts or parts[0] not in PARAM_KEYS or len(parts) > 2
                or (parts[0] != "priority_weights" and len(parts) > 1)):
            return doc.problem(f"{path}.path", f"unknown parameter {self.path!r}: one of "
                                               f"{', '.join(PARAM_KEYS)}, priority_weights.1..5")
        target = doc.data["params"]
        if len(parts) == 2:
            target = target.setdefault("priority_weights", {})
            if not isinstance(target, dict):
                return doc.problem(f"{path}.path", "params.priority_weights is not an object")
        target[parts[-1]] = copy.deepcopy(self.value)
        return None


@operation
class SetField(_Op):
    """Set one field of one provider, resource or need (e.g. a resource's windows)."""
    op: Literal["set"]
    list: Literal["providers", "resources", "needs"]
    id: Id
    field: Annotated[StrictStr, Field(min_length=1)]
    value: Any

    def apply(self, doc: Draft, path: str) -> None:
        item = doc.find(self.list, self.id)
        if item is None:
            return doc.unknown(f"{path}.id", self.list, self.id)
        if self.field == "id":
            return doc.problem(f"{path}.field", "ids cannot be changed (remove and add instead)")
        if self.field not in {"providers": Provider, "resources": Resource, "needs": Need}[self.list].model_fields:
            return doc.problem(f"{path}.field", f"unknown field {self.field!r} of {self.list}")
        if self.field == "provider_id" and doc.find("providers", self.value) is None:
            return doc.problem(f"{path}.value", f"unknown provider {self.value!r}")
        item[self.field] = copy.deepcopy(self.value)
        return None


@operation
class SetPriority(_Op):
    """Set ``priority`` of the needs matching all given filters (at least one)."""
    op: Literal["set_priority"]
    priority: Annotated[StrictInt, Field(ge=1, le=5)]
    need_id: Optional[Id] = None
    community_id: Optional[Id] = None
    category: Optional[Id] = None

    def apply(self, doc: Draft, path: str) -> None:
        if self.need_id is None and self.community_id is None and self.category is None:
            return doc.problem(path, "give need_id, community_id or category")
        filters = {"category": self.category, "community_id": self.community_id, "need_id": self.need_id}
        for n in doc.matching("needs", filters, path):
            n["priority"] = self.priority
        return None


class _PairOp(_Op):
    """An operation on one (need, resource) pair: any lock and forbid of the pair is dropped first."""

    def apply(self, doc: Draft, path: str) -> None:
        ok = doc.known(f"{path}.need_id", "needs", self.need_id)
        if ok & doc.known(f"{path}.resource_id", "resources", self.resource_id):
            self.place(doc, doc.drop_pair(self.need_id, self.resource_id), path)

    def place(self, doc: Draft, dropped: int, path: str) -> None:
        raise NotImplementedError


@operation
class Lock(_PairOp):
    """Lock a pair at ``quantity`` (replaces an existing lock or forbid of the pair)."""
    op: Literal["lock"]
    need_id: Id
    resource_id: Id
    quantity: Annotated[StrictInt, Field(ge=1, le=MAX_UNITS)]

    def place(self, doc: Draft, dropped: int, path: str) -> None:
        doc.data["locked"].append({"need_id": self.need_id, "resource_id": self.resource_id,
                                   "quantity": self.quantity})


@operation
class Forbid(_PairOp):
    """Forbid a pair (replaces an existing lock of the pair)."""
    op: Literal["forbid"]
    need_id: Id
    resource_id: Id

    def place(self, doc: Draft, dropped: int, path: str) -> None:
        doc.data["forbidden"].append({"need_id": self.need_id, "resource_id": self.resource_id})


@operation
class Release(_PairOp):
    """Drop any lock and forbid of a pair."""
    op: Literal["release"]
    need_id: Id
    resource_id: Id

    def place(self, doc: Draft, dropped: int, path: str) -> None:
        if dropped == 0:
            doc.problem(path, f"pair ({self.need_id}, {self.resource_id}) is neither locked nor forbidden")


Change = Annotated[Union[tuple(OPERATIONS.values())], Field(discriminator="op")]
OPS = tuple(OPERATIONS)


class ScenarioDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    base: Annotated[StrictStr, Field(min_length=1)]
    name: Optional[StrictStr] = None
    description: Optional[StrictStr] = None
    changes: list[Change] = Field(default_factory=list)


def _problems_of(exc: ValidationError) -> list[FieldIssue]:
    out = []
    for err in exc.errors(include_url=False):
        loc = list(err["loc"])
        # drop the discriminator tag pydantic puts in the path: changes.2.scale_capacity.factor
        if len(loc) >= 3 and loc[0] == "changes" and loc[2] in OPS:
            del loc[2]
        msg = message_of(err)
        if err["type"] == "union_tag_invalid":
            msg = f"unknown op {err.get('ctx', {}).get('tag')!r}: one of {', '.join(OPS)}"
        elif err["type"] == "union_tag_not_found":
            msg = "needs an \"op\""
        out.append(FieldIssue(path_of(loc), msg))
    return out


def apply_changes(base: dict, changes: list, where: str = "changes") -> dict:
    """Apply validated changes to a copy of a base round document; raise :class:`ScenarioError`.

    Every change applies itself (:meth:`_Op.apply`); the problems of all of them are gathered first.
    """
    doc = Draft(copy.deepcopy(base))
    for k, change in enumerate(changes):
        change.apply(doc, f"{where}[{k}]")
    if doc.problems:
        raise ScenarioError(doc.problems)
    return doc.data


def _read(path: Path, what: str) -> Any:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError([FieldIssue(what, f"cannot read {str(path)!r} ({exc.strerror})")]) from None
    return decode_json(raw, str(path))


def is_scenario(data: Any) -> bool:
    return isinstance(data, dict) and "base" in data


def parse_scenario(data: Any) -> ScenarioDoc:
    try:
        return ScenarioDoc.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_problems_of(exc)) from None


def resolve(data: Any, base_dir: Path | str = ".", source: str = "", _depth: int = 0) -> tuple[dict, Round]:
    """Round document and validated :class:`Round` of a scenario or plain round document.

    A scenario's base may itself be a scenario (up to 10 levels).
    """
    if isinstance(data, (bytes, str)):
        data = decode_json(data, source)
    if not is_scenario(data):
        rnd = parse_round(data, source)
        return data, rnd
    if _depth > 10:
        raise ScenarioError([FieldIssue("base", "scenarios nest more than 10 levels deep")])
    sc = parse_scenario(data)
    base_path = Path(base_dir) / sc.base
    base_raw = _read(base_path, "base")
    base_doc, _ = resolve(base_raw, base_path.parent, str(base_path), _depth + 1)
    doc = apply_changes(base_doc, sc.changes)
    if sc.name:
        doc["name"] = sc.name
    try:
        rnd = parse_round(doc, source)
    except InputError as exc:
        raise ScenarioError(exc.problems, "the scenario gives an invalid round") from None
    return doc, rnd


def load(path: str | Path) -> tuple[dict, Round]:
    """Read a scenario (or plain round) file and return its round document and :class:`Round`."""
    p = Path(path)
    return resolve(_read(p, "(file)"), p.parent, str(p))

