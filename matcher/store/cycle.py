"""Projects along the lifecycle, and the history a round from the lists is built on.

A project's id across rounds is ``ROUND_ID.P-0001`` (:func:`repo.global_project_id`).
:func:`decide` and :func:`record` lock the committee's row first, read the
current statuses, check the batch with :func:`matcher.cycle.lifecycle.plan_batch`
(all or nothing) and write every change with its ``project.transition`` event
in that one transaction: of two concurrent decisions on one project, the
second sees the first's status and is refused (409); in a round from the lists a
pair is committed once (:func:`_double_commitments`). A project ``reopened``
returns its units as a new need of the lists (:func:`matcher.cycle.build.reopen`).
The history also carries the bans the committee lifted: its ``ban.lifted``
audit events (:mod:`matcher.store.bans`).
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC
from typing import Any, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..cycle import audit as chain
from ..cycle import lifecycle as lc
from ..cycle.build import History, Lift, ProjectRecord, RoundRecord, build_round, reopen
from ..errors import ConflictError, FieldIssue, InputError, NotFound
from . import audit, lists
from .db import Database
from .models import AuditEventRow, ProjectRow, RoundRow
from .repo import global_project_id

PROJECT_VIEW = ("project_id", "need_id", "resource_id", "provider_id", "community_id", "category", "quantity",
                "distance_m", "walk_minutes", "locked", "status", "decided_at", "reason")


def project_view(row: ProjectRow) -> dict:
    out = {k: getattr(row, k) for k in PROJECT_VIEW}
    out.update(id=global_project_id(row.round_id, row.project_id), round_id=row.round_id)
    return out


def _record(row: ProjectRow) -> ProjectRecord:
    return ProjectRecord(global_project_id(row.round_id, row.project_id), row.round_id, row.need_id,
                         row.resource_id, row.provider_id, row.quantity, row.status, row.decided_at, row.reason)


def _committee_projects(committee_id: str):
    return (select(ProjectRow).join(RoundRow, ProjectRow.round_id == RoundRow.id)
            .where(RoundRow.committee_id == committee_id))


BAN_LIFTED = "ban.lifted"  # audit event kind of a lifted ban; its ``after`` names the pair


def lifts(s: Session, committee_id: str) -> list[Lift]:
    """The bans the committee lifted (its ``ban.lifted`` events), in log order."""
    rows = s.execute(select(AuditEventRow.at, AuditEventRow.after_json)
                     .where(AuditEventRow.committee_id == committee_id, AuditEventRow.kind == BAN_LIFTED)
                     .order_by(AuditEventRow.seq)).all()
    return [Lift(pair["need_id"], pair["resource_id"], at) for at, pair in
            ((at, json.loads(after)) for at, after in rows)]


def history(s: Session, committee_id: str) -> History:
    """The committee's rounds built from its lists, their order, unmet needs and projects, and its lifted bans."""
    rounds = s.scalars(select(RoundRow).where(RoundRow.committee_id == committee_id, RoundRow.from_lists.is_(True),
                                              RoundRow.status.in_(("optimal", "feasible")))
                       .order_by(RoundRow.created_at, RoundRow.id)).all()
    records = [RoundRecord(r.id, i, chain.timestamp(r.created_at.replace(tzinfo=UTC)),
                           tuple(u["need_id"] for u in json.loads(r.output_json or "{}").get("unmet", ())))
               for i, r in enumerate(rounds)]
    ids = [r.id for r in rounds]
    rows = s.scalars(select(ProjectRow).where(ProjectRow.round_id.in_(ids))).all() if ids else []
    return History(rounds=records, projects=[_record(p) for p in rows], lifts=lifts(s, committee_id))


def build_document(db: Database, committee_id: str, params: Any, name: Optional[str] = None) -> dict:
    """The round document of ``POST /rounds {"from_lists": true}`` at this moment."""
    if params is not None and not isinstance(params, dict):
        raise InputError([FieldIssue("params", "must be an object")])
    with db.read() as s:
        return build_round(lists.lists_of(s, committee_id), history(s, committee_id), params, now=audit.now(),
                           name=name)


def _apply(s: Session, committee_id: str, actor: str, rows: dict[str, ProjectRow],
           changes: Sequence[lc.Change]) -> list[dict]:
    at = audit.now()
    out = []
    for change in changes:
        row = rows[change.project_id]
        row.status = change.after
        if lc.TRANSITIONS[(change.before, change.after)] == lc.DECISION:
            row.decided_at, row.reason = chain.timestamp(at), change.reason
        elif change.reason is not None:
            row.reason = change.reason
        before, after = change.payload()
        gid = global_project_id(row.round_id, row.project_id)
        audit.append(s, committee_id, actor, "project.transition", gid, before, after, change.note, at=at)
        view = project_view(row)
        if change.after == lc.REOPENED:
            view["reopened_need"] = _reopen(s, committee_id, actor, row)
        out.append(view)
    return out


def decide(db: Database, committee_id: str, actor: str, round_id: str, requests: Any) -> list[dict]:
    """Apply a batch of decisions on one round's projects (by their round-local ids), all or nothing."""
    if not isinstance(requests, list) or not requests:
        raise InputError([FieldIssue("decisions", "must be a non-empty list")])

    def run(s: Session) -> list[dict]:
        audit.lock_committee(s, committee_id)
        rnd = s.scalar(select(RoundRow).where(RoundRow.id == round_id, RoundRow.committee_id == committee_id))
        if rnd is None:
            raise NotFound("no such round")
        rows = {p.project_id: p for p in s.scalars(select(ProjectRow).where(ProjectRow.round_id == round_id))}
        changes = lc.plan_batch(requests, {k: p.status for k, p in rows.items()}, kind=lc.DECISION)
        if rnd.from_lists:
            problems = _double_commitments(s, committee_id, rows, changes)
            if problems:
                raise ConflictError(problems)
        return _apply(s, committee_id, actor, rows, changes)

    return db.write(run)


def _double_commitments(s: Session, committee_id: str, rows: dict[str, ProjectRow],
                        changes: Sequence[lc.Change]) -> list[FieldIssue]:
    """Decisions that would commit a pair twice in the rounds built from the lists: a decision on a
    locked project (it carries the approved or in-service project of an earlier round, whose decision
    stands), or approving a pair that already has an approved or in-service project. Either would
    count the pair's units twice in the next round's lock and need quantity."""
    approving = {(rows[c.project_id].need_id, rows[c.project_id].resource_id) for c in changes
                 if c.after == lc.APPROVED}
    live: dict[tuple[str, str], str] = {}
    if approving:
        q = _committee_projects(committee_id).where(RoundRow.from_lists.is_(True),
                                                    ProjectRow.status.in_(sorted(lc.LOCKING)),
                                                    ProjectRow.need_id.in_(sorted({n for n, _ in approving})))
        for p in s.scalars(q):
            live[(p.need_id, p.resource_id)] = f"{global_project_id(p.round_id, p.project_id)} ({p.status})"
    problems = []
    for i, change in enumerate(changes):
        row = rows[change.project_id]
        if row.locked:
            problems.append(FieldIssue(f"decisions[{i}].project_id", f"project {change.project_id} is locked: it "
                                       "carries an earlier round's project of the same pair, whose decision stands"))
        elif change.after == lc.APPROVED and (row.need_id, row.resource_id) in live:
            problems.append(FieldIssue(f"decisions[{i}].to", f"project {change.project_id}: need {row.need_id} and "
                                       f"resource {row.resource_id} already have project "
                                       f"{live[(row.need_id, row.resource_id)]}"))
    return problems


def record(db: Database, committee_id: str, actor: str, project_id: str, request: Any) -> dict:
    """One service or feedback event (``in_service``, ``done``, ``failed``, ``cancelled``, or
    ``resolved``) on a project by its committee-wide id."""
    if isinstance(request, dict):
        request = {**request, "project_id": _local_id(project_id)}

    def run(s: Session) -> dict:
        audit.lock_committee(s, committee_id)
        row = _project(s, committee_id, project_id)
        try:
            changes = lc.plan_batch([request], {row.project_id: row.status}, path="event")
        except InputError as exc:  # one event, not a batch: paths of the body's own fields
            raise type(exc)([FieldIssue(p.path.removeprefix("event[0]."), p.message) for p in exc.problems]) from None
        if lc.TRANSITIONS[(changes[0].before, changes[0].after)] == lc.DECISION:
            raise ConflictError([FieldIssue("to", f"{changes[0].before} -> {changes[0].after} is a "
                                            "committee decision: POST /rounds/{id}/decisions")])
        return _apply(s, committee_id, actor, {row.project_id: row}, changes)[0]

    return db.write(run)


def _local_id(project_id: str) -> str:
    return project_id.rpartition(".")[2]


def _project(s: Session, committee_id: str, project_id: str) -> ProjectRow:
    round_id, _, local = project_id.rpartition(".")
    row = s.scalar(_committee_projects(committee_id).where(ProjectRow.round_id == round_id,
                                                           ProjectRow.project_id == local))
    if row is None:  # another committee's project looks exactly as absent
        raise NotFound(f"no project {project_id}")
    return row


def _reopen(s: Session, committee_id: str, actor: str, row: ProjectRow) -> dict:
    origin = lists.find_row(s, committee_id, "need", row.need_id)
    if origin is None:
        raise ConflictError([FieldIssue("resolved", f"need {row.need_id} is no longer in the lists")])
    gid = global_project_id(row.round_id, row.project_id)
    need = reopen(_record(row), json.loads(origin.data_json), history(s, committee_id), new_id=f"{row.need_id}~{gid}")
    data = {k: v for k, v in need.items() if k not in ("status", "origin_project_id")}
    return lists.insert(s, committee_id, actor, "need", data, origin_project_id=gid, note=f"reopened from {gid}")


def get_project(db: Database, committee_id: str, project_id: str) -> dict:
    with db.read() as s:
        return project_view(_project(s, committee_id, project_id))


def list_projects(db: Database, committee_id: str, filters: dict[str, str], offset: int,
                  limit: int) -> tuple[list[dict], int]:
    """The committee's projects across rounds; ``filters`` on status, community_id, provider_id, round_id."""
    q = _committee_projects(committee_id)
    for col, value in filters.items():
        q = q.where(getattr(ProjectRow, col) == value)
    with db.read() as s:
        total = s.scalar(select(func.count()).select_from(q.subquery()))
        rows = s.scalars(q.order_by(ProjectRow.round_id, ProjectRow.project_id).offset(offset).limit(limit)).all()
        return [project_view(r) for r in rows], int(total or 0)
