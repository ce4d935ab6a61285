"""Bulk import of a committee's lists from Excel / CSV files: a preview, then all of it or nothing.

:func:`compute` compares the lists of a file (:func:`matcher.tabular.entries.read_entry_file`)
with the committee's stored entries and gives the :class:`ImportPlan`:

- **added**: ids new to the list; **changed**: ids already active, with each field that
  differs (before / after, compared as the round contract reads them, so ``priority`` 3 and
  an empty 优先级 cell are the same); **unchanged**: how many are equal;
- **withdrawn**: active entries of a list the file holds that the file leaves out. Only the
  lists the file holds are touched (``kinds``): a file with just a 需求清单 withdraws no provider;
  needs the cycle reopened from a project (``origin_project_id``) are not in the committee's
  spreadsheet and are never withdrawn by leaving them out (withdraw them one by one);
- a stored entry's fields that the sheet has no column for (a need's ``rounds_unmet``, a
  ``note`` set through the API) are kept; a column left blank removes its field.

Every problem is gathered before one :class:`~matcher.errors.TableError` is raised, each
naming sheet, row and entry id: a cell or field against the round contract's rules, an id
twice in one list, an id that was withdrawn earlier (give the entry a new id), a
``provider_id`` / ``community_id`` that names no entry active after the import (the file's
list when it holds that list, else the stored active entries), and a withdrawal that would
leave stored entries naming what the import withdraws.

:func:`apply` computes the plan again inside one write transaction (the committee locked)
and writes every change through :mod:`matcher.store.lists` (``KIND.created`` /
``KIND.changed`` / ``KIND.withdrawn`` events, noted ``import FILE``): a bad row changes
nothing. ``digest`` fingerprints what the plan would do (not where rows sit in the file);
``apply(expect=digest)`` refuses with 409 when the lists changed since that preview.
"""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import ConflictError, FieldIssue, TableError
from ..tabular.entries import EntryFile, EntryRow, Problem
from . import audit, lists
from .db import Database
from .models import LIST_KINDS, ListEntry

PLURAL = {kind: plural for plural, kind in lists.PLURALS.items()}
LIST_ONLY = ("min_projects_year",)
LAST_ROW = 10**9  # problems about a whole sheet sort after its rows


@dataclass(frozen=True)
class Stored:
    """A stored entry: its round fields and status."""

    data: dict[str, Any]
    status: str
    reopened: bool = False  # a need the cycle created from a reopened project (origin_project_id)


StoredLists = dict[str, dict[str, Stored]]  # kind -> id -> entry


@dataclass
class ImportPlan:
    """What importing a file would do (``applied``: and did)."""

    kinds: list[str]
    added: list[dict] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)
    withdrawn: list[dict] = field(default_factory=list)
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)
    digest: str = ""
    applied: bool = False
    writes: list[tuple[str, str, str, dict]] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict:
        """The answer of ``POST /lists/import`` (``errors`` is empty: a file with problems is refused)."""
        return {"kinds": self.kinds, "added": self.added, "changed": self.changed, "withdrawn": self.withdrawn,
                "unchanged": self.unchanged, "errors": [], "notes": self.notes, "digest": self.digest,
                "applied": self.applied}


def canonical(kind: str, data: dict) -> dict:
    """Every field of a valid entry as the round contract reads it (defaults filled in)."""
    fields = dict(data)
    extra = {k: fields.pop(k, None) for k in LIST_ONLY} if kind == "provider" else {}
    return {**lists.MODELS[kind].model_validate(fields).model_dump(mode="json"), **extra}


def _merged(row: EntryRow, stored: Optional[Stored]) -> dict:
    """The entry the row makes: the row's cells, plus the stored fields its sheet has no column for."""
    if stored is None:
        return dict(row.data)
    return {**{k: v for k, v in stored.data.items() if k not in row.headers}, **row.data}


def _field_issues(row: EntryRow, data: dict) -> list[Problem]:
    out = []
    for issue in lists.field_problems(row.kind, data):
        name = issue.path.split("[", 1)[0].split(".", 1)[0]
        if name in row.bad:
            continue  # the cell's own problem is already told
        rest = issue.path[len(name):].lstrip(".")
        out.append(row.problem(f"{rest}: {issue.message}" if rest else issue.message, name or None))
    return out


def _rows(file: EntryFile, stored: StoredLists, problems: list[Problem]) -> dict[str, dict[str, tuple]]:
    """kind -> id -> (row, merged entry) for every row with an id; each row's own problems told."""
    out: dict[str, dict[str, tuple]] = {}
    for kind, rows in file.rows.items():
        seen: dict[str, tuple] = {}
        for row in rows:
            entry_id = row.entry_id
            old = stored.get(kind, {}).get(entry_id) if entry_id else None
            if old is not None and old.status == "withdrawn":
                problems.append(row.problem(f"{kind} {entry_id} was withdrawn from the lists; give the entry "
                                            "a new id", "id"))
                old = None
            data = _merged(row, old)
            problems.extend(_field_issues(row, data))
            if entry_id in seen:
                problems.append(row.problem(f"{entry_id} is also on row {seen[entry_id][0].row}", "id"))
            elif entry_id:
                seen[entry_id] = (row, data)
        out[kind] = seen
    return out


def _targets(kind: str, rows: dict, stored: StoredLists) -> set[str]:
    """Ids of ``kind`` active after the import: the file's list when it holds one, else the stored active ones."""
    if kind in rows:
        return set(rows[kind])
    return {i for i, e in stored.get(kind, {}).items() if e.status == "active"}


def _check_references(file: EntryFile, rows: dict, stored: StoredLists, problems: list[Problem]) -> None:
    for kind, entries in rows.items():
        if kind not in lists.REFERENCES:
            continue
        key, target = lists.REFERENCES[kind]
        ids = _targets(target, rows, stored)
        for row, data in entries.values():
            ref = data.get(key)
            if not isinstance(ref, str) or ref in ids or key in row.bad:
                continue
            if target in rows and stored.get(target, {}).get(ref, Stored({}, "")).status == "active":
                text = f"{target} {ref!r} is not in {file.labels[target]}, so the import withdraws it"
            else:
                text = f"no {target} {ref!r} in " + (file.labels[target] if target in rows else "the lists")
            problems.append(row.problem(text, key))


def _withdrawn_ids(rows: dict, stored: StoredLists) -> dict[str, list[str]]:
    return {kind: sorted(i for i, e in stored.get(kind, {}).items()
                         if e.status == "active" and not e.reopened and i not in entries)
            for kind, entries in rows.items()}


def _check_dangling(file: EntryFile, rows: dict, stored: StoredLists, problems: list[Problem]) -> None:
    """Stored active entries of a list the file does not hold must not name an entry the import withdraws."""
    gone = {kind: set(ids) for kind, ids in _withdrawn_ids(rows, stored).items()}
    for kind, (key, target) in lists.REFERENCES.items():
        if kind in rows or not gone.get(target):
            continue
        naming: dict[str, list[str]] = defaultdict(list)
        for entry_id, e in sorted(stored.get(kind, {}).items()):
            if e.status == "active" and e.data.get(key) in gone[target]:
                naming[e.data[key]].append(entry_id)
        for ref, ids in sorted(naming.items()):
            problems.append(Problem(LIST_KINDS.index(target), LAST_ROW, 0, FieldIssue(
                file.labels[target], f"{target} {ref} is not in the file, so the import would withdraw it, but "
                f"the active {PLURAL[kind]} {', '.join(ids)} still name it: keep it, or import the "
                f"{PLURAL[kind]} too")))


def _changes(kind: str, before: dict, after: dict) -> list[dict]:
    old, new = canonical(kind, before), canonical(kind, after)
    return [{"field": k, "before": old.get(k), "after": new.get(k)} for k in dict.fromkeys([*old, *new])
            if old.get(k) != new.get(k)]


def _classify(plan: ImportPlan, rows: dict, stored: StoredLists) -> None:
    for kind in LIST_KINDS:
        for entry_id, (row, data) in rows.get(kind, {}).items():
            old = stored.get(kind, {}).get(entry_id)
            where = {"kind": kind, "id": entry_id, "sheet": row.label, "row": row.row}
            if old is None:
                plan.added.append({**where, "entry": data})
                plan.writes.append(("insert", kind, entry_id, data))
            elif fields := _changes(kind, old.data, data):
                plan.changed.append({**where, "fields": fields})
                plan.writes.append(("replace", kind, entry_id, data))
            else:
                plan.unchanged += 1
    gone = _withdrawn_ids(rows, stored)
    for kind in reversed(LIST_KINDS):
        for entry_id in gone.get(kind, []):
            plan.withdrawn.append({"kind": kind, "id": entry_id, "entry": stored[kind][entry_id].data})
            plan.writes.append(("retire", kind, entry_id, {}))


def _digest(plan: ImportPlan) -> str:
    effect = {"added": [(a["kind"], a["id"], a["entry"]) for a in plan.added],
              "changed": [(c["kind"], c["id"], c["fields"]) for c in plan.changed],
              "withdrawn": [(w["kind"], w["id"], w["entry"]) for w in plan.withdrawn], "unchanged": plan.unchanged}
    text = json.dumps(effect, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def compute(file: EntryFile, stored: StoredLists) -> ImportPlan:
    """The plan of importing ``file`` over ``stored``; :class:`TableError` naming every problem otherwise."""
    problems = list(file.problems)
    rows = _rows(file, stored, problems)
    _check_references(file, rows, stored, problems)
    _check_dangling(file, rows, stored, problems)
    if problems:
        raise TableError([p.issue for p in sorted(set(problems))], "cannot import the lists; nothing was changed")
    plan = ImportPlan(kinds=[PLURAL[k] for k in LIST_KINDS if k in file.rows], notes=list(file.notes))
    _classify(plan, rows, stored)
    plan.digest = _digest(plan)
    return plan


def _load(s: Session, committee_id: str) -> tuple[StoredLists, dict[tuple[str, str], ListEntry]]:
    found = s.scalars(select(ListEntry).where(ListEntry.committee_id == committee_id)).all()
    stored: StoredLists = defaultdict(dict)
    for row in found:
        stored[row.kind][row.entry_id] = Stored(json.loads(row.data_json), row.status,
                                                       row.origin_project_id is not None)
    return stored, {(row.kind, row.entry_id): row for row in found}


def preview(db: Database, committee_id: str, file: EntryFile) -> ImportPlan:
    """What importing ``file`` would do to the committee's lists; nothing is written."""
    with db.read() as s:
        return compute(file, _load(s, committee_id)[0])


def apply(db: Database, committee_id: str, actor: str, file: EntryFile, expect: Optional[str] = None) -> ImportPlan:
    """Import ``file``: every change and its audit event in one transaction, or nothing (problems, stale ``expect``)."""
    note = f"import {file.name}"

    def run(s: Session) -> ImportPlan:
        audit.lock_committee(s, committee_id)
        stored, found = _load(s, committee_id)
        plan = compute(file, stored)
        if expect is not None and expect != plan.digest:
            raise ConflictError([FieldIssue("expect", "the lists changed since that preview (its digest is no "
                                                      f"longer {expect}); preview the file again")])
        for op, kind, entry_id, data in plan.writes:
            if op == "insert":
                lists.insert(s, committee_id, actor, kind, data, note=note)
            elif op == "replace":
                lists.replace(s, committee_id, actor, found[kind, entry_id], data, note)
            else:
                lists.retire(s, committee_id, actor, found[kind, entry_id], note)
        plan.applied = True
        return plan

    return db.write(run)
