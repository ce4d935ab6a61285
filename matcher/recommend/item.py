"""One new need or resource: validated with the round contract's rules, and its candidate pairs.

The new item is checked by the same pydantic model as a round's entries
(field paths ``need.quantity``), then against the round (its id must be new,
its references must exist). Its candidate pairs come from the same code as a
solve's (:func:`matcher.candidates.candidate_pairs`) on a copy of the round
that holds the item alone on its side, so eligibility is identical.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from ..candidates import Pairs, candidate_pairs
from ..errors import FieldIssue, RoundValidationError
from ..jsondoc import path_of
from ..model import Need, Resource, Round
from ..tables import RoundTables, build_tables
from ..validation import _message

KINDS = {"need": Need, "resource": Resource}


@dataclass(frozen=True)
class NewItem:
    """The validated new item, its one-item tables and its candidate pairs (indices into the round)."""

    kind: str  # "need" or "resource"
    model: Any
    tables: RoundTables  # the round with this item alone on its side (need index 0 or resource index 0)
    pairs: Pairs


def validate_item(rnd: Round, kind: str, data: Any) -> Any:
    """The item as its model; :class:`RoundValidationError` with ``need.…`` / ``resource.…`` paths."""
    if not isinstance(data, dict):
        raise RoundValidationError([FieldIssue(kind, "must be an object")])
    try:
        model = KINDS[kind].model_validate(data)
    except ValidationError as exc:
        raise RoundValidationError([FieldIssue(path_of((kind, *e["loc"])), _message(e))
                                    for e in exc.errors(include_url=False)]) from None
    problems = []
    existing = rnd.needs if kind == "need" else rnd.resources
    if any(e.id == model.id for e in existing):
        problems.append(FieldIssue(f"{kind}.id", f"{model.id!r} already exists in the round"))
    if kind == "need" and rnd.communities is not None and model.community_id not in {c.id for c in rnd.communities}:
        problems.append(FieldIssue("need.community_id", f"unknown community {model.community_id!r}"))
    if kind == "resource" and model.provider_id not in {p.id for p in rnd.providers}:
        problems.append(FieldIssue("resource.provider_id", f"unknown provider {model.provider_id!r}"))
    if problems:
        raise RoundValidationError(problems)
    return model


def new_item(rnd: Round, kind: str, data: Any) -> NewItem:
    """Validate ``data`` as a new ``kind`` of ``rnd`` and compute its candidate pairs."""
    model = validate_item(rnd, kind, data)
    side = {"needs": (model,)} if kind == "need" else {"resources": (model,)}
    alone = rnd.model_copy(update={**side, "locked": (), "forbidden": (), "previous": None})
    tables = build_tables(alone)
    return NewItem(kind, model, tables, candidate_pairs(tables, workers=1))
