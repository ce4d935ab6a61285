"""One new need or resource: validated with the round contract's rules, and its candidate pairs.

The new item is checked by the same pydantic model as a round's entries
(field paths ``need.quantity``), then against the round (its id must be new,
its references must exist). Its candidate pairs come from the same code as a
solve's (:func:`matcher.candidates.candidate_pairs`) on a copy of the round
that holds the item alone on its side, so eligibility is identical (the
other side's tables are built once per round and reused).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import ValidationError

from ..candidates import Pairs, candidate_pairs
from ..errors import FieldIssue, RoundValidationError
from ..model import Need, Resource, Round
from ..tables import RoundTables, build_tables
from ..validation import issues_of

KINDS = {"need": Need, "resource": Resource}


@dataclass(frozen=True)
class NewItem:
    """The validated new item, its one-item tables and its candidate pairs (indices into the round)."""

    kind: str  # "need" or "resource"
    model: Any
    tables: RoundTables  # the round with this item alone on its side (need index 0 or resource index 0)
    pairs: Pairs


class ItemContext:
    """What every new item of one round is checked and paired against, computed once:
    the round's ids and the tables of its resources alone and of its needs alone."""

    def __init__(self, rnd: Round):
        self.round = rnd
        self.ids = {"need": {n.id for n in rnd.needs}, "resource": {r.id for r in rnd.resources}}
        self.communities = None if rnd.communities is None else {c.id for c in rnd.communities}
        self.providers = {p.id: p for p in rnd.providers}
        self.provider_index = {p.id: i for i, p in enumerate(rnd.providers)}
        self._alone: dict[str, RoundTables] = {}

    def side_tables(self, kind: str) -> RoundTables:
        """The round's tables with no entries of ``kind`` (its other side, cached)."""
        if kind not in self._alone:
            empty = {"needs": ()} if kind == "need" else {"resources": ()}
            self._alone[kind] = build_tables(self.round.model_copy(update={**empty, **_NO_DECISIONS}))
        return self._alone[kind]


_NO_DECISIONS = {"locked": (), "forbidden": (), "previous": None}


def validate_item(ctx: ItemContext, kind: str, data: Any) -> Any:
    """The item as its model; :class:`RoundValidationError` with ``need.…`` / ``resource.…`` paths."""
    if not isinstance(data, dict):
        raise RoundValidationError([FieldIssue(kind, "must be an object")])
    try:
        model = KINDS[kind].model_validate(data)
    except ValidationError as exc:
        raise RoundValidationError(issues_of(exc, (kind,))) from None
    problems = []
    if model.id in ctx.ids[kind]:
        problems.append(FieldIssue(f"{kind}.id", f"{model.id!r} already exists in the round"))
    if kind == "need" and ctx.communities is not None and model.community_id not in ctx.communities:
        problems.append(FieldIssue("need.community_id", f"unknown community {model.community_id!r}"))
    if kind == "resource" and model.provider_id not in ctx.providers:
        problems.append(FieldIssue("resource.provider_id", f"unknown provider {model.provider_id!r}"))
    if problems:
        raise RoundValidationError(problems)
    return model


def merged_tables(ctx: ItemContext, kind: str, model: Any) -> RoundTables:
    """The round's tables with ``model`` alone on its side: the other side from the cache, the
    item's own arrays from a one-item table, its codes moved into the shared vocabularies."""
    other = ctx.side_tables(kind)
    if kind == "need":  # the one-item round keeps only what the item refers to (fast to build)
        side = {"needs": (model,), "resources": (), "providers": ()}
    else:
        side = {"resources": (model,), "needs": (), "providers": (ctx.providers[model.provider_id],)}
    own = build_tables(ctx.round.model_copy(update={**side, **_NO_DECISIONS}))
    pre = "need_" if kind == "need" else "res_"
    fields = {f.name: getattr(own, f.name) for f in dataclasses.fields(own) if f.name.startswith(pre)}
    if kind == "need":
        fields.update(need_ids=own.need_ids, need_names=own.need_names,
                      communities=own.communities, community_names=own.community_names)
    else:
        fields.update(res_ids=own.res_ids, res_names=own.res_names,
                      res_provider=np.array([ctx.provider_index[model.provider_id]], dtype=np.int32))
    categories = list(other.categories)
    cat = own.categories[int(fields[pre + "cat"][0])]
    if cat not in categories:
        categories.append(cat)
    fields[pre + "cat"] = np.array([categories.index(cat)], dtype=np.int32)
    fields[pre + "tagset"] = fields[pre + "tagset"] + len(other.tag_sets)
    fields[pre + "win"] = np.where(fields[pre + "win"] >= 0, fields[pre + "win"] + len(other.window_patterns), -1)
    return dataclasses.replace(other, **fields, categories=categories, tag_sets=other.tag_sets + own.tag_sets,
                               window_patterns=list(other.window_patterns) + list(own.window_patterns))


def new_item(ctx: ItemContext, kind: str, data: Any) -> NewItem:
    """Validate ``data`` as a new ``kind`` of the round and compute its candidate pairs."""
    model = validate_item(ctx, kind, data)
    tables = merged_tables(ctx, kind, model)
    return NewItem(kind, model, tables, candidate_pairs(tables, workers=1))
