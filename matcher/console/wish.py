"""A new micro-wish against a solved round: the ranked best fits, and applying one.

:func:`ask` is :func:`matcher.recommend.recommend` on the round's stored
documents (what ``POST /api/v1/rounds/{id}/recommend`` answers). :func:`apply`
checks the chosen option again with the same engine, then adds the need to the
committee's lists (``need.created``) and records the choice
(``recommend.applied``) in one transaction, as ``POST .../recommend/apply``
does; the solved round is never changed.

Until that API view is merged (``matcher.web.recommend`` /
``matcher.store.recommend.apply_choice``), the write is done here with the
same two store calls; switching to it changes one line.
"""
from __future__ import annotations

from typing import Any, Optional

from ..errors import FieldIssue, InputError
from ..store import audit, lists
from ..store.db import Database
from .roundview import Stored

APPLIED = "recommend.applied"
K = 5


def ask(stored: Stored, need: dict, k: int = K) -> dict:
    """The recommend answer for ``need`` in the stored round (``ConflictError`` unless it is optimal)."""
    from ..recommend import RecommendState, recommend

    state = RecommendState.from_documents(stored.input, stored.output)
    return recommend(state, need, k, "need")


def chosen(answer: dict, rank: int) -> dict:
    """The option of rank ``rank`` of an answer; an ``InputError`` on ``option`` when there is none."""
    for option in answer["options"]:
        if option["rank"] == rank:
            return option
    raise InputError([FieldIssue("option", f"no option {rank}: the answer has {len(answer['options'])}")])


def apply_choice(db: Database, committee_id: str, actor: str, data: dict, choice: dict,
                 note: Optional[str] = None) -> tuple[dict, dict]:
    """The need in the lists and the ``recommend.applied`` event, both or neither."""

    def run(s) -> tuple[dict, Any]:
        entry = lists.insert(s, committee_id, actor, "need", data)
        event = audit.append(s, committee_id, actor, APPLIED, entry["id"], None, choice, note)
        return entry, event.to_dict()

    return db.write(run)


def apply(db: Database, committee_id: str, actor: str, stored: Stored, need: dict, rank: int) -> tuple[dict, dict]:
    """Check option ``rank`` again for ``need`` and apply it (see the module docstring)."""
    option = chosen(ask(stored, need), rank)
    return apply_choice(db, committee_id, actor, need, {"round_id": stored.row.id, "option": option})
