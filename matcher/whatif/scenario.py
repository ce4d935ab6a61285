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
import json
import math
from pathlib import Path
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr, ValidationError

from ..errors import FieldIssue, InputError, ScenarioError
from ..model import Need, Provider, Resource, Round
from ..validation import _message, decode_json, parse_round, path_of

LISTS = ("providers", "resources", "needs", "locked", "forbidden")
ENTITY_LISTS = ("providers", "resources", "needs")
PARAM_KEYS = ("max_distance_m", "priority_weights", "time_limit_s", "solver")


Id = Annotated[StrictStr, Field(min_length=1)]
Factor = Annotated[Union[StrictInt, StrictFloat], Field(gt=0, allow_inf_nan=False)]


class _Op(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Add(_Op):
    """Add one item (``item``) or several (``items``) to a list."""
    op: Literal["add"]
    list: Literal["providers", "resources", "needs", "locked", "forbidden"]
    item: Optional[dict] = None
    items: Optional[list[dict]] = None


class Remove(_Op):
    """Remove a provider (with its resources), resource or need by ``id``, or a
    lock/forbid by ``need_id`` + ``resource_id``. Locks and forbids on removed
    resources and needs go too."""
    op: Literal["remove"]
    list: Literal["providers", "resources", "needs", "locked", "forbidden"]
    id: Optional[Id] = None
    need_id: Optional[Id] = None
    resource_id: Optional[Id] = None


class ScaleCapacity(_Op):
    """Multiply ``capacity`` of the resources matching all given filters (none = all)."""
    op: Literal["scale_capacity"]
    factor: Factor
    category: Optional[Id] = None
    provider_id: Optional[Id] = None
    resource_id: Optional[Id] = None


class ScaleDemand(_Op):
    """Multiply ``quantity`` of the needs matching all given filters (none = all)."""
    op: Literal["scale_demand"]
    factor: Factor
    category: Optional[Id] = None
    community_id: Optional[Id] = None
    need_id: Optional[Id] = None


class AddCapacity(_Op):
    """Add ``amount`` (may be negative; the result must stay >= 1) to one resource's capacity."""
    op: Literal["add_capacity"]
    resource_id: Id
    amount: StrictInt


class AddDemand(_Op):
    """Add ``amount`` (may be negative; the result must stay >= 1) to one need's quantity."""
    op: Literal["add_demand"]
    need_id: Id
    amount: StrictInt


class SetParam(_Op):
    """Set ``params.<path>``; ``path`` is dotted (``priority_weights.5``)."""
    op: Literal["set_param"]
    path: Annotated[StrictStr, Field(min_length=1)]
    value: Any


class SetField(_Op):
    """Set one field of one provider, resource or need (e.g. a resource's windows)."""
    op: Literal["set"]
    list: Literal["providers", "resources", "needs"]
    id: Id
    field: Annotated[StrictStr, Field(min_length=1)]
    value: Any


class SetPriority(_Op):
    """Set ``priority`` of the needs matching all given filters (at least one)."""
    op: Literal["set_priority"]
    priority: Annotated[StrictInt, Field(ge=1, le=5)]
    need_id: Optional[Id] = None
    community_id: Optional[Id] = None
    category: Optional[Id] = None


class Lock(_Op):
    """Lock a pair at ``quantity`` (replaces an existing lock or forbid of the pair)."""
    op: Literal["lock"]
    need_id: Id
    resource_id: Id
    quantity: Annotated[StrictInt, Field(ge=1)]


class Forbid(_Op):
    """Forbid a pair (replaces an existing lock of the pair)."""
    op: Literal["forbid"]
    need_id: Id
    resource_id: Id


class Release(_Op):
    """Drop any lock and forbid of a pair."""
    op: Literal["release"]
    need_id: Id
    resource_id: Id


Change = Annotated[Union[Add, Remove, ScaleCapacity, ScaleDemand, AddCapacity, AddDemand, SetParam, SetField,
                         SetPriority, Lock, Forbid, Release], Field(discriminator="op")]
OPS = ("add", "remove", "scale_capacity", "scale_demand", "add_capacity", "add_demand", "set_param", "set",
       "set_priority", "lock", "forbid", "release")


class ScenarioDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    base: Annotated[StrictStr, Field(min_length=1)]
    name: Optional[StrictStr] = None
    description: Optional[StrictStr] = None
    changes: list[Change] = Field(default_factory=list)


def scaled(value: int, factor: float) -> int:
    """The documented rounding rule: half up, at least 1."""
    return max(1, int(math.floor(value * factor + 0.5)))


def _problems_of(exc: ValidationError) -> list[FieldIssue]:
    out = []
    for err in exc.errors(include_url=False):
        loc = list(err["loc"])
        # drop the discriminator tag pydantic puts in the path: changes.2.scale_capacity.factor
        if len(loc) >= 3 and loc[0] == "changes" and loc[2] in OPS:
            del loc[2]
        msg = _message(err)
        if err["type"] == "union_tag_invalid":
            msg = f"unknown op {err.get('ctx', {}).get('tag')!r}: one of {', '.join(OPS)}"
        elif err["type"] == "union_tag_not_found":
            msg = "needs an \"op\""
        out.append(FieldIssue(path_of(loc), msg))
    return out


class _Doc:
    """The round document being edited, with id lookups kept current."""

    def __init__(self, data: dict):
        self.data = data
        for key in LISTS:
            if not isinstance(data.get(key), list):
                data[key] = [] if data.get(key) is None else data[key]
        if not isinstance(data.get("params"), dict):
            data["params"] = {} if data.get("params") is None else data["params"]

    def ids(self, key: str) -> set:
        return {x.get("id") for x in self.data[key] if isinstance(x, dict)}

    def find(self, key: str, ident: str) -> Optional[dict]:
        for x in self.data[key]:
            if isinstance(x, dict) and x.get("id") == ident:
                return x
        return None

    def drop_pairs(self, need_ids: set = frozenset(), res_ids: set = frozenset()) -> None:
        for key in ("locked", "forbidden"):
            self.data[key] = [p for p in self.data[key] if not (isinstance(p, dict) and (
                p.get("need_id") in need_ids or p.get("resource_id") in res_ids))]

    def drop_pair(self, need_id: str, res_id: str, lists=("locked", "forbidden")) -> int:
        n = 0
        for key in lists:
            before = len(self.data[key])
            self.data[key] = [p for p in self.data[key] if not (isinstance(p, dict) and p.get("need_id") == need_id
                                                                 and p.get("resource_id") == res_id)]
            n += before - len(self.data[key])
        return n


_SINGULAR = {"providers": "provider", "resources": "resource", "needs": "need"}


def apply_changes(base: dict, changes: list, where: str = "changes") -> dict:
    """Apply validated changes to a copy of a base round document; raise :class:`ScenarioError`."""
    doc = _Doc(copy.deepcopy(base))
    problems: list[FieldIssue] = []

    def unknown(path: str, key: str, ident: str) -> None:
        problems.append(FieldIssue(path, f"unknown {_SINGULAR[key]} {ident!r}"))

    def need_ref(path: str, ident: Optional[str]) -> bool:
        if ident is not None and doc.find("needs", ident) is None:
            unknown(path, "needs", ident)
            return False
        return True

    def res_ref(path: str, ident: Optional[str]) -> bool:
        if ident is not None and doc.find("resources", ident) is None:
            unknown(path, "resources", ident)
            return False
        return True

    def matching(key: str, filters: dict, path: str) -> Optional[list[dict]]:
        items = [x for x in doc.data[key] if isinstance(x, dict)]
        ok = True
        for field, value in filters.items():
            if value is None:
                continue
            if field in ("resource_id", "need_id"):
                target = "resources" if field == "resource_id" else "needs"
                if doc.find(target, value) is None:
                    unknown(f"{path}.{field}", target, value)
                    ok = False
                items = [x for x in items if x.get("id") == value]
            else:
                if field == "provider_id" and doc.find("providers", value) is None:
                    unknown(f"{path}.{field}", "providers", value)
                    ok = False
                    continue
                items = [x for x in items if x.get(field) == value]
                if not items and ok:
                    what = {"category": "category", "community_id": "community"}.get(field, field)
                    problems.append(FieldIssue(f"{path}.{field}", f"no {_SINGULAR[key]} has {what} {value!r}"))
                    ok = False
        return items if ok else None

    for k, ch in enumerate(changes):
        path = f"{where}[{k}]"
        if isinstance(ch, Add):
            items = ([ch.item] if ch.item is not None else []) + list(ch.items or [])
            if not items:
                problems.append(FieldIssue(path, "give \"item\" or \"items\""))
                continue
            if ch.list in ENTITY_LISTS:
                have = doc.ids(ch.list)
                for m, item in enumerate(items):
                    ident = item.get("id")
                    if ident in have:
                        sub = f"{path}.item.id" if ch.item is not None and m == 0 else f"{path}.items[{m}].id"
                        problems.append(FieldIssue(sub, f"{_SINGULAR[ch.list]} {ident!r} already exists"))
                    have.add(ident)
            doc.data[ch.list].extend(copy.deepcopy(items))
        elif isinstance(ch, Remove):
            if ch.list in ENTITY_LISTS:
                if ch.id is None:
                    problems.append(FieldIssue(f"{path}.id", "is required"))
                    continue
                if doc.find(ch.list, ch.id) is None:
                    unknown(f"{path}.id", ch.list, ch.id)
                    continue
                doc.data[ch.list] = [x for x in doc.data[ch.list] if not (isinstance(x, dict) and x.get("id") == ch.id)]
                if ch.list == "providers":
                    gone = {r.get("id") for r in doc.data["resources"] if isinstance(r, dict) and r.get("provider_id") == ch.id}
                    doc.data["resources"] = [r for r in doc.data["resources"] if r.get("id") not in gone]
                    doc.drop_pairs(res_ids=gone)
                elif ch.list == "resources":
                    doc.drop_pairs(res_ids={ch.id})
                else:
                    doc.drop_pairs(need_ids={ch.id})
            else:
                if ch.need_id is None or ch.resource_id is None:
                    problems.append(FieldIssue(path, "give need_id and resource_id"))
                    continue
                if doc.drop_pair(ch.need_id, ch.resource_id, (ch.list,)) == 0:
                    problems.append(FieldIssue(path, f"no {ch.list} pair ({ch.need_id}, {ch.resource_id})"))
        elif isinstance(ch, ScaleCapacity):
            items = matching("resources", {"category": ch.category, "provider_id": ch.provider_id,
                                           "resource_id": ch.resource_id}, path)
            for r in items or []:
                if isinstance(r.get("capacity"), int):
                    r["capacity"] = scaled(r["capacity"], ch.factor)
        elif isinstance(ch, ScaleDemand):
            items = matching("needs", {"category": ch.category, "community_id": ch.community_id,
                                       "need_id": ch.need_id}, path)
            for n in items or []:
                if isinstance(n.get("quantity"), int):
                    n["quantity"] = scaled(n["quantity"], ch.factor)
        elif isinstance(ch, (AddCapacity, AddDemand)):
            key, field, ident = (("resources", "capacity", ch.resource_id) if isinstance(ch, AddCapacity)
                                 else ("needs", "quantity", ch.need_id))
            item = doc.find(key, ident)
            if item is None:
                unknown(f"{path}.{'resource_id' if key == 'resources' else 'need_id'}", key, ident)
                continue
            new = int(item.get(field, 0)) + ch.amount
            if new < 1:
                problems.append(FieldIssue(f"{path}.amount", f"would leave {field} {new} < 1 (use remove)"))
                continue
            item[field] = new
        elif isinstance(ch, SetParam):
            parts = ch.path.split(".")
            if parts[0] == "params":
                parts = parts[1:]
            if not parts or parts[0] not in PARAM_KEYS or (parts[0] != "priority_weights" and len(parts) > 1) or len(parts) > 2:
                problems.append(FieldIssue(f"{path}.path", f"unknown parameter {ch.path!r}: one of "
                                                             f"{', '.join(PARAM_KEYS)}, priority_weights.1..5"))
                continue
            target = doc.data["params"]
            if len(parts) == 2:
                target = target.setdefault("priority_weights", {})
                if not isinstance(target, dict):
                    problems.append(FieldIssue(f"{path}.path", "params.priority_weights is not an object"))
                    continue
            target[parts[-1]] = copy.deepcopy(ch.value)
        elif isinstance(ch, SetField):
            item = doc.find(ch.list, ch.id)
            if item is None:
                unknown(f"{path}.id", ch.list, ch.id)
                continue
            if ch.field == "id":
                problems.append(FieldIssue(f"{path}.field", "ids cannot be changed (remove and add instead)"))
                continue
            allowed = {"providers": Provider, "resources": Resource, "needs": Need}[ch.list].model_fields
            if ch.field not in allowed:
                problems.append(FieldIssue(f"{path}.field", f"unknown field {ch.field!r} of {ch.list}"))
                continue
            if ch.field == "provider_id" and doc.find("providers", ch.value) is None:
                problems.append(FieldIssue(f"{path}.value", f"unknown provider {ch.value!r}"))
                continue
            item[ch.field] = copy.deepcopy(ch.value)
        elif isinstance(ch, SetPriority):
            if ch.need_id is None and ch.community_id is None and ch.category is None:
                problems.append(FieldIssue(path, "give need_id, community_id or category"))
                continue
            for n in matching("needs", {"category": ch.category, "community_id": ch.community_id,
                                        "need_id": ch.need_id}, path) or []:
                n["priority"] = ch.priority
        elif isinstance(ch, (Lock, Forbid, Release)):
            ok = need_ref(f"{path}.need_id", ch.need_id) & res_ref(f"{path}.resource_id", ch.resource_id)
            if not ok:
                continue
            dropped = doc.drop_pair(ch.need_id, ch.resource_id)
            if isinstance(ch, Lock):
                doc.data["locked"].append({"need_id": ch.need_id, "resource_id": ch.resource_id, "quantity": ch.quantity})
            elif isinstance(ch, Forbid):
                doc.data["forbidden"].append({"need_id": ch.need_id, "resource_id": ch.resource_id})
            elif dropped == 0:
                problems.append(FieldIssue(path, f"pair ({ch.need_id}, {ch.resource_id}) is neither locked nor forbidden"))
    if problems:
        raise ScenarioError(problems)
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


def to_json(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
