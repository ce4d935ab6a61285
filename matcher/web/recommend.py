"""Best fits for one new need (or resource) against a stored, solved round (CYCLE.md, recommend).

- ``POST /api/v1/rounds/{round_id}/recommend``: ``{"need": {...}, "k": 5}`` or ``{"resource": {...}}``;
  answers what ``matcher recommend --json`` prints (:func:`matcher.recommend.recommend`) plus ``round_id``.
- ``POST /api/v1/rounds/{round_id}/recommend/apply``: ``{"need": {...}, "option": RANK or RESOURCE_ID,
  "k"?, "note"?}`` (a rank as in the answer to the same ``k``); checks the option again with the same
  engine, adds the need to the committee's lists (``need.created``) and records the choice
  (``recommend.applied``) in one transaction: 201 with both.
  A new resource the same way (``option``: a rank or a need id). The solved round is never changed.

Another committee's round, or none, answers 404; a round that is not ``optimal`` 409 naming its status;
a malformed body 422 with field paths (``need.quantity``, ``k``, ``option``), nothing stored. The round's
state is built once and kept in a per-process LRU cache (:mod:`.statecache`, ``RECOMMEND_CACHE`` rounds).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Optional

from flask import Blueprint, current_app, g, url_for
from pydantic import ValidationError

from ..errors import ApiError, FieldIssue, InputError, InternalError
from ..model import Need, Resource
from ..recommend import K_MAX, RecommendState, option_for, recommend
from ..store import recommend as store
from ..validation import issues_of
from .helpers import authenticate, current_actor, db, read_json
from .statecache import Entry, StateCache

bp = Blueprint("recommend", __name__, url_prefix="/api/v1")
bp.before_request(authenticate)
KINDS = ("need", "resource")
MODELS = {"need": Need, "resource": Resource}
PLURALS = {"need": "needs", "resource": "resources"}
MAX_NOTE = 2000
MAX_ID = 200


@bp.record_once
def _install(setup) -> None:
    setup.app.extensions["matcher_recommend_states"] = StateCache(int(setup.app.config["RECOMMEND_CACHE"]))


def states() -> StateCache:
    """This process's cache of loaded states."""
    return current_app.extensions["matcher_recommend_states"]


@dataclass(frozen=True)
class Ask:
    """A request body, checked for shape: which kind of item, the item as given, and the rest."""

    kind: str
    item: Any
    k: int = 5
    option: Any = None
    note: Optional[str] = None


def _item(data: dict, problems: list[FieldIssue]) -> tuple[str, Any]:
    given = [kind for kind in KINDS if kind in data]
    if not given:
        problems.append(FieldIssue("need", "is required (or resource, for a new resource)"))
    elif len(given) > 1:
        problems.append(FieldIssue("resource", "give either need or resource, not both"))
    kind = given[0] if given else "need"
    return kind, data.get(kind)


def _item_fields(kind: str, item: Any) -> list[FieldIssue]:
    """The item's own field problems (``need.quantity``), gathered with the body's other problems; the
    round's checks (a new id, known references) come after, in :func:`matcher.recommend.recommend`."""
    if not isinstance(item, dict):
        return [FieldIssue(kind, "must be an object")]
    try:
        MODELS[kind].model_validate(item)
    except ValidationError as exc:
        return issues_of(exc, (kind,))
    return []


def _refuse(problems: list[FieldIssue], kind: str, data: dict) -> None:
    """422 with ``problems`` and, when the item was given, its own field problems."""
    if problems:
        raise InputError(problems + (_item_fields(kind, data[kind]) if kind in data else []),
                         title="invalid recommend request")


def _k(data: dict, problems: list[FieldIssue], default: int = 5) -> int:
    k = data.get("k", default)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= K_MAX:
        problems.append(FieldIssue("k", f"must be an integer from 1 to {K_MAX}"))
    return k


def recommend_ask(data: dict) -> Ask:
    """``{need | resource, k?}`` (422 naming each field that does not fit)."""
    problems = [FieldIssue(key, "unknown field") for key in sorted(set(data) - {*KINDS, "k"})]
    kind, item = _item(data, problems)
    k = _k(data, problems)
    _refuse(problems, kind, data)
    return Ask(kind, item, k)


def apply_ask(data: dict) -> Ask:
    """``{need | resource, option, k?, note?}`` (422 naming each field that does not fit). A rank is
    the rank in the answer to the same ``k`` (default 5, or the rank when larger)."""
    problems = [FieldIssue(key, "unknown field") for key in sorted(set(data) - {*KINDS, "option", "k", "note"})]
    kind, item = _item(data, problems)
    option, note = data.get("option"), data.get("note")
    other = "resource" if kind == "need" else "need"
    rank = isinstance(option, int) and not isinstance(option, bool) and 1 <= option <= K_MAX
    if not (rank or (isinstance(option, str) and 1 <= len(option) <= MAX_ID)):
        problems.append(FieldIssue("option", f"must be an option's rank (1 to {K_MAX}) or a {other} id"))
    k = _k(data, problems, max(5, option) if rank else 5)
    if rank and isinstance(k, int) and option > k:
        problems.append(FieldIssue("option", f"rank {option} is beyond k = {k}"))
    if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
        problems.append(FieldIssue("note", f"must be a string of at most {MAX_NOTE} characters"))
    _refuse(problems, kind, data)
    return Ask(kind, item, k, option, note)


def stored_round(round_id: str) -> store.RoundStamp:
    """The committee's round (404 when it has none such). A round whose state this process holds for the
    same committee needs no read: it was ``optimal`` when loaded, and that status and output are final."""
    held = states().peek(round_id)
    if held is not None and held.owner == g.committee_id:
        return store.RoundStamp(round_id, "optimal")
    stamp = store.round_stamp(db(), g.committee_id, round_id)
    if stamp is None:  # another committee's round looks exactly like a missing one
        raise ApiError(404, "Not Found", "no such round")
    return stamp


def loaded_state(stamp: store.RoundStamp) -> Entry:
    """The round's loaded state (built on a cache miss); 409 unless the round is solved to optimal."""
    if stamp.status != "optimal":
        raise ApiError(409, "Conflict", f"the round is {stamp.status}; recommend needs a round solved to optimal")
    committee = g.committee_id

    def build() -> Entry:
        text_in, text_out, digest = store.round_documents(db(), committee, stamp.id)
        if text_out is None:
            raise InternalError(f"round {stamp.id} is optimal but has no stored output")
        state = RecommendState.from_documents(text_in.encode("utf-8"), json.loads(text_out))
        return Entry(state, digest, committee)

    return states().get(stamp.id, build)


@bp.post("/rounds/<round_id>/recommend")
def recommend_for(round_id: str):
    stamp = stored_round(round_id)
    ask = recommend_ask(read_json().data)
    entry = loaded_state(stamp)
    with entry.lock:
        answer = recommend(entry.state, ask.item, ask.k, ask.kind)
    return {"round_id": stamp.id, **answer}


def chosen_option(state: RecommendState, ask: Ask) -> dict:
    """The option ``ask.option`` names, evaluated again (422 when there is none)."""
    if isinstance(ask.option, int):
        options = recommend(state, ask.item, ask.k, ask.kind)["options"]
        if len(options) < ask.option:
            raise InputError([FieldIssue("option", f"no option of rank {ask.option}: this {ask.kind} has "
                                                   f"{len(options)} option(s)")], title="invalid recommend request")
        return options[ask.option - 1]
    found = option_for(state, ask.item, ask.option, ask.kind)
    if found is None:
        other = "resource" if ask.kind == "need" else "need"
        raise InputError([FieldIssue("option", f"{other} {ask.option!r} is not an option of this {ask.kind}: "
                                               "not a candidate pair, or it would serve nothing")],
                         title="invalid recommend request")
    return found


def _under(kind: str, exc: InputError) -> InputError:
    """The lists' error with paths under the body's item (``community_id`` -> ``need.community_id``)."""
    problems = [FieldIssue(f"{kind}.{p.path}" if p.path else kind, p.message) for p in exc.problems]
    return type(exc)(problems, title=exc.title)


def choice_record(round_id: str, kind: str, option: dict) -> dict:
    """What the ``recommend.applied`` event records of an applied option (its ``after``)."""
    return {"round_id": round_id, "kind": kind, "need_id": option["need_id"], "resource_id": option["resource_id"],
            "provider_id": option["provider_id"], "quantity": option["quantity"],
            "delta_value": option["delta_served_value"], "delta_distance": option["delta_total_distance_m"],
            "exact": option["exact"], "rank": option["rank"]}


@bp.post("/rounds/<round_id>/recommend/apply")
def apply_option(round_id: str):
    stamp = stored_round(round_id)
    ask = apply_ask(read_json().data)
    entry = loaded_state(stamp)
    with entry.lock:
        option = chosen_option(entry.state, ask)
    choice = choice_record(stamp.id, ask.kind, option)
    try:
        created, event = store.apply_choice(db(), g.committee_id, current_actor(), ask.kind, ask.item, choice,
                                            ask.note)
    except InputError as exc:
        raise _under(ask.kind, exc) from None
    where = url_for("lists.get_entry", list_name=PLURALS[ask.kind], entry_id=created["id"])
    return ({"round_id": stamp.id, "kind": ask.kind, ask.kind: created, "option": option, "event": event}, 201,
            {"Location": where})
