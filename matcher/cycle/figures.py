"""Figures across rounds, recomputed from the audit log alone (``CYCLE.md``, "Figures across rounds").

The events read (``kind``: payload; other kinds are ignored):

- ``need.created``: ``after`` = the need (``id``, ``community_id``, ``quantity`` ...);
- ``provider.created`` / ``provider.changed``: ``after`` = the provider (``id``,
  ``min_projects_year`` ...);
- ``round.solved``: ``subject`` = round id, ``after = {"projects": [{project_id,
  need_id, resource_id, provider_id, community_id, quantity}, ...]}``;
- ``project.transition``: ``subject`` = project id, ``before = {"status": from}``,
  ``after = {"status": to, "reason"?, "satisfaction"?, "comment"?}``
  (:meth:`matcher.cycle.lifecycle.Change.payload`).

Over the period ``start <= at < end`` (log timestamps), with the state of
every project as of ``end`` (later events are not read):

- ``needs_posted``, ``units_demanded``: needs created in the period and their units;
- ``units_served``: units of projects that became ``done`` in the period;
  ``coverage`` = served / demanded (``None`` when nothing was demanded);
- ``response_time_s``: mean seconds from the round's ``round.solved`` to the
  project's first ``approved`` or ``rejected``, over projects so decided in the period;
  ``approval_rate``: the share of those approved;
- ``completion_rate`` / ``failure_rate``: of the projects approved in the
  period, the share that became ``done`` / ``failed`` (by ``end``);
- ``satisfaction_mean`` / ``satisfaction_share_4``: over projects given a
  satisfaction in the period (the last one each), the mean and the share >= 4;
- ``reopen_rate``: of the projects done in the period, the share reopened.

A rate with nothing to count is ``None``. ``by="community"`` groups by the
need's / project's community, ``by="provider"`` by the project's provider (needs
have no provider: their figures are left at 0 there); ``None`` gives one group
``"all"`` for the committee. :func:`members` gives each provider with
``min_projects_year`` its projects of the year's rounds (statuses in
``lifecycle.COUNTS_FOR_YEAR``) and the shortfall.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import FieldIssue, InputError
from . import lifecycle as lc
from .audit import parse_timestamp

GROUPINGS = (None, "community", "provider")


@dataclass
class _Project:
    info: Mapping[str, Any]
    solved_at: str
    status: str = lc.PROPOSED
    moves: list[tuple[str, str, int | None]] = field(default_factory=list)  # (at, to, satisfaction)


def _replay(events: Sequence[Mapping[str, Any]], end: str) -> tuple[dict[str, _Project], list, dict]:
    projects: dict[str, _Project] = {}
    needs: list[tuple[str, Mapping]] = []
    providers: dict[str, Mapping] = {}
    for e in events:
        if e["at"] >= end:
            continue
        kind, after = e["kind"], e.get("after") or {}
        if kind == "need.created":
            needs.append((e["at"], after))
        elif kind in ("provider.created", "provider.changed"):
            providers[after["id"]] = after
        elif kind == "provider.withdrawn":  # a member who left owes no more projects this year
            providers.pop(e["subject"], None)
        elif kind == "round.solved":
            for p in after.get("projects", ()):
                projects[p["project_id"]] = _Project(p, e["at"])
        elif kind == "project.transition" and e["subject"] in projects:
            project = projects[e["subject"]]
            project.status = after["status"]
            project.moves.append((e["at"], after["status"], after.get("satisfaction")))
    return projects, needs, providers


def _first(project: _Project, statuses: Sequence[str]) -> tuple[str, str] | None:
    return next(((at, to) for at, to, _ in project.moves if to in statuses), None)


def _reached(project: _Project, status: str) -> str | None:
    hit = _first(project, (status,))
    return None if hit is None else hit[0]


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _seconds(later: str, earlier: str) -> float:
    return (parse_timestamp(later) - parse_timestamp(earlier)).total_seconds()


def _project_figures(projects: Sequence[_Project], start: str, end: str) -> dict:
    def inside(at: str | None) -> bool:
        return at is not None and start <= at < end

    decided = [(p, _first(p, (lc.APPROVED, lc.REJECTED))) for p in projects]
    decided = [(p, hit) for p, hit in decided if hit and inside(hit[0])]
    approved = [p for p in projects if inside(_reached(p, lc.APPROVED))]
    done = [p for p in projects if inside(_reached(p, lc.DONE))]
    rated = [s for s in (_last_satisfaction(p, start, end) for p in projects) if s is not None]
    waits = [_seconds(hit[0], p.solved_at) for p, hit in decided]
    return {
        "units_served": sum(p.info["quantity"] for p in done),
        "response_time_s": sum(waits) / len(waits) if waits else None,
        "approval_rate": _share(sum(1 for _, hit in decided if hit[1] == lc.APPROVED), len(decided)),
        "completion_rate": _share(sum(1 for p in approved if _reached(p, lc.DONE)), len(approved)),
        "failure_rate": _share(sum(1 for p in approved if _reached(p, lc.FAILED)), len(approved)),
        "satisfaction_mean": sum(rated) / len(rated) if rated else None,
        "satisfaction_share_4": _share(sum(1 for s in rated if s >= 4), len(rated)),
        "reopen_rate": _share(sum(1 for p in done if _reached(p, lc.REOPENED)), len(done)),
    }


def _last_satisfaction(project: _Project, start: str, end: str) -> int | None:
    given = [s for at, _, s in project.moves if s is not None and start <= at < end]
    return given[-1] if given else None


def figures(events: Sequence[Mapping[str, Any]], *, start: str, end: str, by: str | None = None) -> dict:
    """Figures per group (``"all"``, community id or provider id) over ``start <= at < end``."""
    if by not in GROUPINGS:
        raise InputError([FieldIssue("by", "must be community, provider or null")])
    projects, needs, _ = _replay(events, end)
    key = {None: lambda item: "all", "community": lambda item: item.get("community_id"),
           "provider": lambda item: item.get("provider_id")}[by]
    groups: dict[Any, list[_Project]] = {}
    for p in projects.values():
        groups.setdefault(key(p.info), []).append(p)
    posted: dict[Any, list[Mapping]] = {}
    for at, need in needs:
        if start <= at and by != "provider":
            posted.setdefault(key(need), []).append(need)
    out = {}
    for name in sorted(set(groups) | set(posted), key=str):
        row = {"needs_posted": len(posted.get(name, ())),
               "units_demanded": sum(n["quantity"] for n in posted.get(name, ()))}
        row.update(_project_figures(groups.get(name, ()), start, end))
        row["coverage"] = _share(row["units_served"], row["units_demanded"])
        out[name] = row
    return out


def members(events: Sequence[Mapping[str, Any]], *, year: int, end: str) -> dict:
    """Each provider with ``min_projects_year`` still in the lists at ``end`` (a withdrawn one, e.g. a
    member who left, is not listed): ``{projects, min_projects_year, shortfall}`` for ``year``."""
    projects, _, providers = _replay(events, end)
    out = {}
    for pid, provider in providers.items():
        minimum = provider.get("min_projects_year")
        if minimum is None:
            continue
        count = sum(1 for p in projects.values() if p.info.get("provider_id") == pid
                    and parse_timestamp(p.solved_at).year == year and p.status in lc.COUNTS_FOR_YEAR)
        out[pid] = {"projects": count, "min_projects_year": minimum, "shortfall": max(0, minimum - count)}
    return out
