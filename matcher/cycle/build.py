"""The round document of ``POST /rounds {"from_lists": true}``, built from the
committee's lists and its project history (``CYCLE.md``, "A round from the lists").

Rules, as :func:`build_round` applies them:

- only ``active`` entries enter (``status`` missing counts as active); a
  resource whose provider is not active, and a need whose community is not
  among the active communities (when the committee keeps communities), are
  left out too, so the document's references always hold. The list-only
  fields (``status``, ``created_at``, ``updated_at``, ``origin_project_id``,
  ``min_projects_year``) are dropped; every other field is passed on as is;
- ``locked``: the projects ``approved`` or ``in_service`` whose need and
  resource both enter, one lock per pair with the pair's units summed;
- ``forbidden``: every pair (both ends entering, not locked) whose last
  decision, by ``decided_at``, is ``rejected`` and that was not lifted at or
  after it (a lock wins over a ban: the approved project still runs);
  :func:`current_bans` lists them with the rejecting project;
- ``previous``: the projects of the latest round (highest ``order``) still
  ``proposed`` or ``held``, whose both ends enter; left out of the document when
  there is none (``previous: []`` would still switch the churn level on, and
  minimising churn against an empty plan prefers fewer units at equal value);
- a need's quantity is ``max(0, demand − committed) + locked``, where
  *committed* = units of its projects in ``approved``, ``in_service``, ``done``
  (and ``confirmed`` / ``reopened``, which were done) and *locked* = the units
  of its locks. The locks' units are thus part of the quantity the round may
  serve, so they stay coverable (an ``all_or_nothing`` need must still be
  completed around them, as ROUND.md says). A need with quantity 0 is left out;
- ``rounds_unmet`` = the need's stored ``rounds_unmet`` (a reopened need starts
  one above its origin) + the past rounds in which it stayed short: the round's
  output listed it in ``unmet`` or one of its projects of that round was rejected;
- ``target_projects`` for a provider with ``min_projects_year`` = ``ceil(shortfall
  / rounds_left)`` when the shortfall is positive, where the shortfall is the
  yearly minimum minus its projects of this year's rounds (statuses in
  ``lifecycle.COUNTS_FOR_YEAR``) and ``rounds_left = max(1, rounds_per_year −
  rounds already held this year)`` (this round included in what is left).

``params`` are the round's params plus the cycle param ``rounds_per_year``
(integer 1..366, default 12), which is taken out of the document.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import ConflictError, FieldIssue, InputError
from . import lifecycle as lc
from .audit import parse_timestamp

LIST_ONLY_FIELDS = ("status", "created_at", "updated_at", "origin_project_id", "min_projects_year")
DEFAULT_ROUNDS_PER_YEAR = 12


@dataclass(frozen=True)
class ProjectRecord:
    """A project of an earlier round, as the store keeps it (``decided_at``: log timestamp of its last decision,
    ``reason``: the reason stored with it, e.g. of a rejection)."""

    project_id: str
    round_id: str
    need_id: str
    resource_id: str
    provider_id: str
    quantity: int
    status: str
    decided_at: str | None = None
    reason: str | None = None

    @property
    def decision(self) -> str | None:
        """The committee's last decision on it: ``approved``, ``rejected``, ``held`` or None (undecided)."""
        if self.status in (lc.PROPOSED, lc.REJECTED, lc.HELD):
            return None if self.status == lc.PROPOSED else self.status
        return lc.APPROVED


@dataclass(frozen=True)
class RoundRecord:
    """An earlier round: its place in the committee's order, when it was solved, and its output's unmet needs."""

    round_id: str
    order: int
    at: str
    unmet_need_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lift:
    """The committee lifted the ban on a pair at ``at``."""

    need_id: str
    resource_id: str
    at: str


@dataclass(frozen=True)
class History:
    rounds: Sequence[RoundRecord] = ()
    projects: Sequence[ProjectRecord] = ()
    lifts: Sequence[Lift] = ()


@dataclass(frozen=True)
class Lists:
    """The committee's lists as dicts with the round contract's fields plus the list-only ones."""

    providers: Sequence[Mapping[str, Any]]
    resources: Sequence[Mapping[str, Any]]
    needs: Sequence[Mapping[str, Any]]
    communities: Sequence[Mapping[str, Any]] = field(default_factory=tuple)


def _active(entries: Sequence[Mapping[str, Any]]) -> list[dict]:
    return [dict(e) for e in entries if e.get("status", "active") == "active"]


def _clean(entry: Mapping[str, Any]) -> dict:
    return {k: v for k, v in entry.items() if k not in LIST_ONLY_FIELDS}


def _entering(lists: Lists) -> tuple[list[dict], list[dict], list[dict], list[dict]]:
    communities = _active(lists.communities)
    providers = _active(lists.providers)
    provider_ids = {p["id"] for p in providers}
    resources = [r for r in _active(lists.resources) if r.get("provider_id") in provider_ids]
    community_ids = {c["id"] for c in communities}
    needs = [n for n in _active(lists.needs) if not communities or n.get("community_id") in community_ids]
    return communities, providers, resources, needs


def _cycle_params(params: Mapping[str, Any] | None) -> tuple[dict, int]:
    round_params = dict(params or {})
    per_year = round_params.pop("rounds_per_year", DEFAULT_ROUNDS_PER_YEAR)
    if isinstance(per_year, bool) or not isinstance(per_year, int) or not 1 <= per_year <= 366:
        raise InputError([FieldIssue("params.rounds_per_year", "must be an integer from 1 to 366")])
    return round_params, per_year


def _pairs_in_order(pairs: Mapping[tuple[str, str], Any], need_pos: Mapping[str, int],
                    res_pos: Mapping[str, int]) -> list[tuple[str, str]]:
    kept = [p for p in pairs if p[0] in need_pos and p[1] in res_pos]
    return sorted(kept, key=lambda p: (need_pos[p[0]], res_pos[p[1]]))


def _locks(history: History) -> dict[tuple[str, str], int]:
    units: dict[tuple[str, str], int] = {}
    for p in history.projects:
        if p.status in lc.LOCKING:
            units[(p.need_id, p.resource_id)] = units.get((p.need_id, p.resource_id), 0) + p.quantity
    return units


def current_bans(history: History) -> dict[tuple[str, str], ProjectRecord]:
    """The banned pairs, each with the project whose rejection is the pair's last decision
    (by ``decided_at``, then round order), when no lift came at or after it."""
    order = {r.round_id: r.order for r in history.rounds}
    last: dict[tuple[str, str], tuple[tuple[str, int], ProjectRecord]] = {}
    for p in history.projects:
        if p.decision is None:
            continue
        key = (p.decided_at or "", order.get(p.round_id, 0))
        pair = (p.need_id, p.resource_id)
        if pair not in last or key >= last[pair][0]:
            last[pair] = (key, p)
    banned = {pair: p for pair, (_, p) in last.items() if p.decision == lc.REJECTED}
    for lift in history.lifts:
        pair = (lift.need_id, lift.resource_id)
        if pair in banned and lift.at >= (banned[pair].decided_at or ""):
            del banned[pair]
    return banned


def _previous(history: History) -> dict[tuple[str, str], int]:
    if not history.rounds:
        return {}
    latest = max(history.rounds, key=lambda r: r.order).round_id
    return {(p.need_id, p.resource_id): p.quantity for p in history.projects
            if p.round_id == latest and p.status in (lc.PROPOSED, lc.HELD)}


def rounds_unmet(need: Mapping[str, Any], history: History) -> int:
    """The need's stored ``rounds_unmet`` plus the past rounds in which it stayed short (module docstring)."""
    short = {r.round_id for r in history.rounds if need["id"] in r.unmet_need_ids}
    short |= {p.round_id for p in history.projects if p.need_id == need["id"] and p.status == lc.REJECTED}
    return int(need.get("rounds_unmet", 0)) + len(short)


def _need_quantities(needs: list[dict], history: History, locks: Mapping[tuple[str, str], int]) -> dict[str, int]:
    committed: dict[str, int] = {}
    for p in history.projects:
        if p.status in lc.COMMITTED:
            committed[p.need_id] = committed.get(p.need_id, 0) + p.quantity
    locked: dict[str, int] = {}
    for (need_id, _), units in locks.items():
        locked[need_id] = locked.get(need_id, 0) + units
    return {n["id"]: max(0, n["quantity"] - committed.get(n["id"], 0)) + locked.get(n["id"], 0) for n in needs}


def target_projects(provider: Mapping[str, Any], history: History, now: datetime, rounds_per_year: int
                    ) -> int | None:
    """This round's target for a provider behind its yearly minimum, or ``None`` (module docstring)."""
    minimum = provider.get("min_projects_year")
    if minimum is None:
        return None
    this_year = {r.round_id for r in history.rounds if parse_timestamp(r.at).year == now.year}
    done = sum(1 for p in history.projects
               if p.provider_id == provider["id"] and p.round_id in this_year and p.status in lc.COUNTS_FOR_YEAR)
    shortfall = minimum - done
    if shortfall <= 0:
        return None
    return math.ceil(shortfall / max(1, rounds_per_year - len(this_year)))


def _pair_list(pairs: list[tuple[str, str]], units: Mapping[tuple[str, str], int] | None) -> list[dict]:
    if units is None:
        return [{"need_id": n, "resource_id": r} for n, r in pairs]
    return [{"need_id": n, "resource_id": r, "quantity": units[(n, r)]} for n, r in pairs]


def build_round(lists: Lists, history: History, params: Mapping[str, Any] | None = None, *, now: datetime,
                name: str | None = None) -> dict:
    """The round document (a plain dict, ROUND.md v1.1) for the committee's lists at ``now``."""
    round_params, per_year = _cycle_params(params)
    communities, providers, resources, needs = _entering(lists)
    need_pos = {n["id"]: i for i, n in enumerate(needs)}
    res_pos = {r["id"]: i for i, r in enumerate(resources)}
    all_locks = _locks(history)
    lock_pairs = _pairs_in_order(all_locks, need_pos, res_pos)
    locks = {pair: all_locks[pair] for pair in lock_pairs}
    quantity = _need_quantities(needs, history, locks)
    needs = [n for n in needs if quantity[n["id"]] > 0]
    need_pos = {n["id"]: i for i, n in enumerate(needs)}
    bans = {pair: True for pair in current_bans(history) if pair not in locks}
    previous = _previous(history)
    doc: dict[str, Any] = {"params": round_params}
    if name is not None:
        doc["name"] = name
    if communities:
        doc["communities"] = [_clean(c) for c in communities]
    doc["providers"] = [_provider(p, history, now, per_year) for p in providers]
    doc["resources"] = [_clean(r) for r in resources]
    doc["needs"] = [{**_clean(n), "quantity": quantity[n["id"]], "rounds_unmet": rounds_unmet(n, history)}
                    for n in needs]
    doc["locked"] = _pair_list(lock_pairs, locks)
    doc["forbidden"] = _pair_list(_pairs_in_order(bans, need_pos, res_pos), None)
    kept = _pair_list(_pairs_in_order(previous, need_pos, res_pos), previous)
    if kept:  # an empty plan would still switch the churn level on (fewer units at equal value)
        doc["previous"] = kept
    return doc


def _provider(provider: Mapping[str, Any], history: History, now: datetime, per_year: int) -> dict:
    out = _clean(provider)
    target = target_projects(provider, history, now, per_year)
    if target is not None:
        out["target_projects"] = target
    return out


REOPEN_COPIED = ("community_id", "category", "lat", "lon", "name", "note", "priority", "max_distance_m",
                 "required_tags", "windows", "all_or_nothing")


def reopen(project: ProjectRecord, need: Mapping[str, Any], history: History, *, new_id: str) -> dict:
    """The need a reopened project returns to the lists: its unserved units (the project's quantity),
    the origin need's category, place, community and other round fields, ``origin_project_id``, and
    ``rounds_unmet`` one above the origin's (:func:`rounds_unmet`)."""
    if project.status != lc.REOPENED:
        raise ConflictError([FieldIssue("project_id", f"project {project.project_id} is {project.status}, "
                                        "not reopened")])
    if need.get("id") != project.need_id:
        raise ConflictError([FieldIssue("need.id", f"project {project.project_id} serves {project.need_id}, "
                                        f"not {need.get('id')}")])
    out = {"id": new_id, "quantity": project.quantity}
    out.update({k: need[k] for k in REOPEN_COPIED if k in need})
    out.update(status="active", origin_project_id=project.project_id, rounds_unmet=rounds_unmet(need, history) + 1)
    return out
